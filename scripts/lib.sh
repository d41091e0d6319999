# Shared helpers of the XTS-J scripts: repository root, JDK selection, build freshness. Sourced, not run.

XTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export XTS_ROOT

xts_jdk_version() {
  # Major version of the JDK at $1, or 0.
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  case "$v" in 1.*) echo 0 ;; "") echo 0 ;; *) echo "${v%%.*}" ;; esac
}

xts_find_jdk() {
  # A JDK >= 25 (the build compiles for release 25): JAVA_HOME first, then /usr/lib/jvm/*, newest first.
  local candidate
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(xts_jdk_version "$JAVA_HOME")" -ge 25 ]; then
    echo "$JAVA_HOME"; return 0
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    if [ -x "$candidate/bin/javac" ] && [ "$(xts_jdk_version "$candidate")" -ge 25 ]; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

xts_use_jdk() {
  local jdk
  if ! jdk=$(xts_find_jdk); then
    echo "XTS-J needs a JDK >= 25; none found in JAVA_HOME or /usr/lib/jvm." >&2
    echo "Install one, e.g. Temurin 25 (package temurin-25-jdk from the Adoptium apt repository), then re-run." >&2
    return 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
  # Maven 3.8 on JDK 25 warns about sun.misc.Unsafe in its own libraries; that noise is not ours.
  case "${MAVEN_OPTS:-}" in *sun-misc-unsafe*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
}

# The library modules (each with a module-info) run on the module path, so native access is granted to the one
# module that needs it by name; the tools and examples run on the class path beside them. Agrona, picocli and Jackson
# (what the library modules require) go on the module path too; Agrona is an automatic module (org.agrona) and needs
# jdk.internal.misc on JDK 25.
XTS_LIBRARY_MODULE_DIRS=(native-bindings xts-sockets/link xts-sockets/client xts-sockets/nvme-codec xts-sockets/nvme-host
  proxy)
XTS_MODULE_JARS=(agrona picocli jackson-databind jackson-core jackson-annotations)
XTS_CLASSPATH_DIRS=(examples/tools examples/programs)
XTS_JVM_FLAGS=(--enable-native-access=io.xts.bindings --add-exports java.base/jdk.internal.misc=org.agrona
  --add-modules ALL-MODULE-PATH)

xts_module_path() {
  local mp="" dir jar
  for dir in "${XTS_LIBRARY_MODULE_DIRS[@]}"; do
    mp="$mp${mp:+:}$XTS_ROOT/$dir/target/classes"
  done
  local name
  for name in "${XTS_MODULE_JARS[@]}"; do
    for jar in "$XTS_ROOT"/examples/tools/target/lib/"$name"-[0-9]*.jar; do
      [ -e "$jar" ] && mp="$mp:$jar"
    done
  done
  echo "$mp"
}

xts_classpath() {
  local cp="" dir jar
  for dir in "${XTS_CLASSPATH_DIRS[@]}"; do
    cp="$cp${cp:+:}$XTS_ROOT/$dir/target/classes"
  done
  for jar in "$XTS_ROOT"/examples/tools/target/lib/*.jar; do
    case "$(basename "$jar")" in native-bindings-*|xts-*|proxy-*|agrona-*|picocli-*|jackson-*) continue ;; esac
    [ -e "$jar" ] && cp="$cp:$jar"
  done
  echo "$cp"
}

# xts_java_args: the java options that put XTS-J in place (module path, class path, flags); then the main class.
xts_java_args() {
  XTS_JAVA_ARGS=("${XTS_JVM_FLAGS[@]}" --module-path "$(xts_module_path)" -cp "$(xts_classpath)")
}

xts_build_if_needed() {
  # Build when never built, or when any source is newer than the last build.
  local stamp="$XTS_ROOT/examples/tools/target/.xts-built"
  if [ -f "$stamp" ] && [ -z "$(find "$XTS_ROOT" -path '*/target' -prune -o \( -name '*.java' -o -name '*.c' -o -name 'pom.xml' -o -name 'build.sh' \) -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  echo "xts: building (mvn -B -q -DskipTests package)..." >&2
  (cd "$XTS_ROOT" && mvn -B -q -DskipTests package) >&2
  touch "$stamp"
}

# xts_xsk_pair IMPL SIZE ATTACH [extra options]: one xsk-bench run, receiver (rx) in $NS_PRX on $IF_PRX, sender (tx)
# in $NS_APP on $IF_APP, for $DURATION seconds; IMPL is java or c. Prints the receiver's result line.
# Needs: NS_APP NS_PRX IF_APP IF_PRX (scripts/testnet env), DURATION, WORK (a scratch directory).
XTS_XSK_COMMON=(--batch 64 --ring 8192 --frame-size 4096 --frames 16384)
XTS_XSK_RX_PID=
xts_xsk_pair_stop() {
  if [ -n "$XTS_XSK_RX_PID" ] && kill -0 "$XTS_XSK_RX_PID" 2>/dev/null; then
    kill "$XTS_XSK_RX_PID" 2>/dev/null || true; wait "$XTS_XSK_RX_PID" 2>/dev/null || true
  fi
  XTS_XSK_RX_PID=
}
xts_xsk_pair() {
  local impl=$1 size=$2 attach=$3; shift 3
  local extra=("$@") rx_cmd tx_cmd prog=xts_steer.o
  for e in "${extra[@]}"; do [ "$e" = --sg ] && prog=xts_steer_frags.o; done
  if [ "$impl" = java ]; then
    rx_cmd=("$XTS_ROOT/scripts/xts" xsk-bench rx)
    tx_cmd=("$XTS_ROOT/scripts/xts" xsk-bench tx)
  else
    rx_cmd=("$XTS_ROOT/examples/tools/target/native/xsk-bench-c" rx --prog "$XTS_ROOT/native-bindings/target/classes/io/xts/xsk/bpf/$prog")
    tx_cmd=("$XTS_ROOT/examples/tools/target/native/xsk-bench-c" tx)
  fi
  : >"$WORK/rx.out"
  ip netns exec "$NS_PRX" "${rx_cmd[@]}" --iface "$IF_PRX" --attach "$attach" --idle-timeout-ms 1000 \
    --max-wait $((${DURATION%.*} + 30)) "${XTS_XSK_COMMON[@]}" "${extra[@]}" >"$WORK/rx.out" 2>"$WORK/rx.err" &
  XTS_XSK_RX_PID=$!
  local i
  for i in $(seq 1 300); do
    grep -q '^ready' "$WORK/rx.out" && break
    kill -0 "$XTS_XSK_RX_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^ready' "$WORK/rx.out"; then
    echo "bench-xsk: $impl receiver did not start:" >&2; cat "$WORK/rx.err" >&2; return 1
  fi
  # The sender's CPU split (user vs system) is the profile that says where the time goes: with AF_XDP copy mode
  # on veth nearly all of it is the kernel's packet work inside sendto.
  local TIMEFORMAT='%U %S' t
  t=$( { time ip netns exec "$NS_APP" "${tx_cmd[@]}" --iface "$IF_APP" --size "$size" --duration "$DURATION" \
    "${XTS_XSK_COMMON[@]}" "${extra[@]}" >"$WORK/tx.out" 2>"$WORK/tx.err"; } 2>&1 ) || { cat "$WORK/tx.err" >&2; return 1; }
  wait "$XTS_XSK_RX_PID" || { cat "$WORK/rx.err" >&2; XTS_XSK_RX_PID=; return 1; }
  XTS_XSK_RX_PID=
  echo "$(grep '^xsk-bench role=rx' "$WORK/rx.out") tx_mpps=$(sed -n 's/.* mpps=\([^ ]*\).*/\1/p' "$WORK/tx.out") tx_user_s=${t% *} tx_sys_s=${t#* }"
  sleep 0.5   # asynchronous socket teardown before the next bind
}

