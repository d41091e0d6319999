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
# XTS_XSK_RX_SIDE=app turns it round (receiver on the app host, sender on the proxy side: the direction data flows
# when the app host receives); XTS_XSK_RX_CPUS and XTS_XSK_TX_CPUS, when set, pin the receiver and the sender there
# (taskset -c; their NAPI threads are the caller's: xts_layout).
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
  local rx_ns=$NS_PRX rx_if=$IF_PRX tx_ns=$NS_APP tx_if=$IF_APP
  if [ "${XTS_XSK_RX_SIDE:-prx}" = app ]; then rx_ns=$NS_APP; rx_if=$IF_APP; tx_ns=$NS_PRX; tx_if=$IF_PRX; fi
  [ -z "${XTS_XSK_RX_CPUS:-}" ] || rx_cmd=(taskset -c "$XTS_XSK_RX_CPUS" "${rx_cmd[@]}")
  [ -z "${XTS_XSK_TX_CPUS:-}" ] || tx_cmd=(taskset -c "$XTS_XSK_TX_CPUS" "${tx_cmd[@]}")
  : >"$WORK/rx.out"
  ip netns exec "$rx_ns" "${rx_cmd[@]}" --iface "$rx_if" --attach "$attach" --idle-timeout-ms 1000 \
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
  t=$( { time ip netns exec "$tx_ns" "${tx_cmd[@]}" --iface "$tx_if" --size "$size" --duration "$DURATION" \
    "${XTS_XSK_COMMON[@]}" "${extra[@]}" >"$WORK/tx.out" 2>"$WORK/tx.err"; } 2>&1 ) || { cat "$WORK/tx.err" >&2; return 1; }
  wait "$XTS_XSK_RX_PID" || { cat "$WORK/rx.err" >&2; XTS_XSK_RX_PID=; return 1; }
  XTS_XSK_RX_PID=
  echo "$(grep '^xsk-bench role=rx' "$WORK/rx.out") tx_mpps=$(sed -n 's/.* mpps=\([^ ]*\).*/\1/p' "$WORK/tx.out") tx_user_s=${t% *} tx_sys_s=${t#* }"
  sleep 0.5   # asynchronous socket teardown before the next bind
}


# ---- What the application host pays (docs: TESTBED.md, "Counting what the application host pays") ----
# The app host (the app process and its veths' NAPI threads) runs on XTS_CPU_APP; everything else (proxy, peer,
# target, their NAPI threads, the benchmark script and its samplers) on XTS_CPU_NET. xts_layout sets the CPU lists a
# pass uses: XTS_APP_CPUS and XTS_NET_CPUS (both "all CPUs" unpinned).
# XTS_NCPUS: the box's online CPUs (nproc would say 1 once this shell is pinned).
XTS_NCPUS=$(getconf _NPROCESSORS_ONLN)
XTS_CPU_APP=0
XTS_CPU_NET=1
XTS_CPU_ALL="0-$((XTS_NCPUS - 1))"
XTS_APP_CPUS=$XTS_CPU_ALL
XTS_NET_CPUS=$XTS_CPU_ALL

xts_need_tool() {
  # xts_need_tool TOOL PACKAGE WHAT-FOR: fail with a clear message when TOOL is not installed.
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "$(basename "$0"): needs $1 ($3), which is not installed: apt-get install $2 (scripts/setup installs it as root)" >&2
  return 1
}

xts_napi_pids() {
  # xts_napi_pids IFACE...: the pids of the threaded-NAPI kthreads of these interfaces (named napi/IFACE-NAPIID),
  # one a line. Builtins only (no fork per process).
  local f c pid ifc
  for f in /proc/[0-9]*/comm; do
    read -r c 2>/dev/null <"$f" || continue
    for ifc in "$@"; do
      if [[ "$c" == "napi/$ifc-"* ]]; then pid=${f#/proc/}; echo "${pid%/comm}"; fi
    done
  done
}

xts_pin() {
  # xts_pin CPUS PID...: every thread of each process (a kthread too) onto CPUS.
  local cpus=$1 pid; shift
  for pid in "$@"; do
    taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1 || echo "$(basename "$0"): warning: could not pin pid $pid to CPU $cpus" >&2
  done
}

xts_pin_napi() {
  # xts_pin_napi CPUS IFACE...: the NAPI kthreads of these interfaces onto CPUS; warns for an interface without one.
  local cpus=$1 ifc pids; shift
  for ifc in "$@"; do
    pids=$(xts_napi_pids "$ifc")
    if [ -z "$pids" ]; then
      echo "$(basename "$0"): warning: $ifc has no NAPI thread (threaded NAPI off?): its receive work is not counted" >&2
      continue
    fi
    # shellcheck disable=SC2086
    xts_pin "$cpus" $pids
  done
}

xts_layout() {
  # xts_layout pinned|unpinned APP-IFACE... -- NET-IFACE...: the CPU layout of a pass. pinned: the app host's NAPI
  # threads on XTS_CPU_APP, the others' and this script on XTS_CPU_NET; unpinned: everything on every CPU. Sets
  # XTS_APP_CPUS and XTS_NET_CPUS for the processes started afterwards (taskset -c).
  local how=$1 app=() net=() side=app a; shift
  for a in "$@"; do
    if [ "$a" = -- ]; then side=net; elif [ "$side" = app ]; then app+=("$a"); else net+=("$a"); fi
  done
  if [ "$how" = pinned ]; then
    [ "$XTS_NCPUS" -ge 2 ] || { echo "$(basename "$0"): pinning needs 2 CPUs, this box has $XTS_NCPUS" >&2; return 1; }
    XTS_APP_CPUS=$XTS_CPU_APP; XTS_NET_CPUS=$XTS_CPU_NET
  else
    XTS_APP_CPUS=$XTS_CPU_ALL; XTS_NET_CPUS=$XTS_CPU_ALL
  fi
  xts_pin "$XTS_NET_CPUS" $$
  xts_pin_napi "$XTS_APP_CPUS" "${app[@]}"
  xts_pin_napi "$XTS_NET_CPUS" "${net[@]}"
}

xts_ticks() {
  # xts_ticks PID...: utime + stime (fields 14 and 15 of /proc/PID/stat, clock ticks) summed; a gone pid counts 0.
  local total=0 pid stat f
  for pid in "$@"; do
    read -r stat 2>/dev/null <"/proc/$pid/stat" || continue
    read -r -a f <<<"${stat##*) }"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

xts_xdp_prog_id() {
  # xts_xdp_prog_id NS IFACE: the id of the XDP program attached to IFACE in NS, or nothing.
  { ip -n "$1" -d link show dev "$2" 2>/dev/null || true; } | sed -n '/prog\/xdp id /{s/.*prog\/xdp id \([0-9]*\).*/\1/p;q}'
}

xts_bpf_run() {
  # xts_bpf_run PROG-ID: "run_time_ns run_cnt" of a BPF program (counted while kernel.bpf_stats_enabled=1), or "0 0".
  local j ns cnt
  j=$(bpftool -j prog show id "$1" 2>/dev/null) || { echo "0 0"; return 0; }
  ns=$(sed -n 's/.*"run_time_ns":\([0-9]*\).*/\1/p' <<<"$j")
  cnt=$(sed -n 's/.*"run_cnt":\([0-9]*\).*/\1/p' <<<"$j")
  echo "${ns:-0} ${cnt:-0}"
}

XTS_BPF_STATS_SAVED=
xts_bpf_stats_on() {
  # Turn on the kernel's BPF run-time statistics (kernel.bpf_stats_enabled), remembering the value to restore.
  xts_need_tool bpftool bpftool "the XDP program's run time" || return 1
  XTS_BPF_STATS_SAVED=$(cat /proc/sys/kernel/bpf_stats_enabled)
  sysctl -qw kernel.bpf_stats_enabled=1
}
xts_bpf_stats_restore() {
  if [ -n "$XTS_BPF_STATS_SAVED" ]; then
    sysctl -qw "kernel.bpf_stats_enabled=$XTS_BPF_STATS_SAVED" || true
    XTS_BPF_STATS_SAVED=
  fi
}

XTS_M_PID=
XTS_BPF_PINS=()
xts_measured_stop() {
  # For a cleanup trap: end the measured process, remove the programs pinned for it.
  local p
  if [ -n "$XTS_M_PID" ] && kill -0 "$XTS_M_PID" 2>/dev/null; then
    kill "$XTS_M_PID" 2>/dev/null || true; wait "$XTS_M_PID" 2>/dev/null || true
  fi
  XTS_M_PID=
  for p in "${XTS_BPF_PINS[@]}"; do rm -f "$p"; done
}

xts_measured_run() {
  # xts_measured_run NS XDP-IFACE NAPI-IFACE OUT ERR COMMAND...
  # Runs COMMAND in the background with stdout to OUT and stderr to ERR. COMMAND must become the measured process
  # itself (ip netns exec and taskset exec, they do not fork) and print "xts-window start" and "xts-window end
  # voluntary_cs=N nonvoluntary_cs=N" on stderr at the edges of its measured window (--mark-window); those lines are
  # not copied to ERR: the app host's counters outside the process are sampled at them. Over the window it sets:
  #   XTS_M_NAPI_S   CPU seconds of NAPI-IFACE's NAPI threads (the app host's veth; "-": none)
  #   XTS_M_XDP_S    run time of the XDP program attached to XDP-IFACE in NS, seconds ("-": none, 0), and
  #   XTS_M_XDP_CNT  its runs (kernel.bpf_stats_enabled must be 1: xts_bpf_stats_on)
  #   XTS_M_VCS XTS_M_NVCS  the process's voluntary and nonvoluntary context switches (every thread, its own count)
  #   XTS_M_OK       1 when both marks came (else the figures above are "nan")
  # Returns COMMAND's exit status. The end is sampled when this shell gets to it, perhaps after the process ended:
  # what the NAPI thread does after the window is bounded by the receive buffers (the process stopped reading), and
  # the XDP program, pinned in bpffs at the start, keeps its statistics after the process detached it. Needs $WORK.
  local ns=$1 xdp_if=$2 napi_if=$3 out=$4 err=$5; shift 5
  local fifo="$WORK/measured.fifo" pin="" line rc=0 napi_pids=() prog= x0=(0 0) x1=(0 0) n0=0 n1 started=0
  XTS_M_NAPI_S=nan; XTS_M_XDP_S=nan; XTS_M_XDP_CNT=nan; XTS_M_VCS=nan; XTS_M_NVCS=nan; XTS_M_OK=0
  [ "$napi_if" = - ] || mapfile -t napi_pids < <(xts_napi_pids "$napi_if")
  if [ "$napi_if" != - ] && [ ${#napi_pids[@]} -eq 0 ]; then
    echo "$(basename "$0"): $napi_if has no NAPI thread (threaded NAPI off?): cannot count the host's receive work" >&2
    return 1
  fi
  rm -f "$fifo"; mkfifo "$fifo"
  : >"$err"
  "$@" >"$out" 2>"$fifo" &
  XTS_M_PID=$!
  while IFS= read -r line; do
    case "$line" in
      "xts-window start")
        n0=$(xts_ticks "${napi_pids[@]}")
        if [ "$xdp_if" != - ]; then
          prog=$(xts_xdp_prog_id "$ns" "$xdp_if")
          if [ -n "$prog" ]; then
            # Pinned, the program outlives its detach when the process ends, with its statistics.
            if [ -d /sys/fs/bpf ] && bpftool prog pin id "$prog" "/sys/fs/bpf/xts-bench-$$-$prog" 2>/dev/null; then
              pin="/sys/fs/bpf/xts-bench-$$-$prog"; XTS_BPF_PINS+=("$pin")
            fi
            read -r -a x0 <<<"$(xts_bpf_run "$prog")"
          fi
        fi
        started=1 ;;
      "xts-window end"*)
        n1=$(xts_ticks "${napi_pids[@]}")
        [ -n "$prog" ] && read -r -a x1 <<<"$(xts_bpf_run "$prog")"
        [ -n "$pin" ] && rm -f "$pin"
        if [ "$started" = 1 ]; then
          XTS_M_NAPI_S=$(awk -v t=$((n1 - n0)) 'BEGIN { printf "%.2f", t / 100 }')
          XTS_M_XDP_S=$(awk -v t=$((x1[0] - x0[0])) 'BEGIN { printf "%.4f", t / 1e9 }')
          XTS_M_XDP_CNT=$((x1[1] - x0[1]))
          XTS_M_VCS=$(sed -n 's/.* voluntary_cs=\([0-9]*\).*/\1/p' <<<"$line")
          XTS_M_NVCS=$(sed -n 's/.* nonvoluntary_cs=\([0-9]*\).*/\1/p' <<<"$line")
          XTS_M_VCS=${XTS_M_VCS:-nan}; XTS_M_NVCS=${XTS_M_NVCS:-nan}
          XTS_M_OK=1
          if [ "$xdp_if" != - ] && [ -z "$prog" ]; then
            echo "$(basename "$0"): warning: no XDP program on $xdp_if in $ns: its run time is not counted" >&2
          elif [ -n "$prog" ] && [ "${x1[1]}" = 0 ]; then
            echo "$(basename "$0"): warning: XDP program $prog was gone at the window's end (not pinned):" \
              "its run time is not counted" >&2
            XTS_M_XDP_S=nan; XTS_M_XDP_CNT=nan
          fi
        fi ;;
      *) printf '%s\n' "$line" >>"$err" ;;
    esac
  done <"$fifo"
  wait "$XTS_M_PID" || rc=$?
  XTS_M_PID=
  [ -z "$pin" ] || rm -f "$pin"
  rm -f "$fifo"
  return "$rc"
}

xts_box_busy_pct() {
  # xts_box_busy_pct SECONDS: how busy all CPUs of the box were over the next SECONDS, percent (from /proc/stat).
  local b0
  b0=$(awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat)
  sleep "$1"
  awk -v b0="$b0" -v n="$XTS_NCPUS" -v s="$1" '/^cpu / { printf "%.0f", 100 * (($2 + $3 + $4 + $7 + $8 + $9) / 100 - b0) / s / n }' /proc/stat
}
