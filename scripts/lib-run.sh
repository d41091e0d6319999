# `xts run`: an unmodified Java command with the XTS SelectorProvider in place. Sourced by scripts/xts, not run.
#
# Route: the provider is named by -Djava.nio.channels.spi.SelectorProvider, which the JDK loads with the system class
# loader. The XTS library modules (native-bindings, link, client, nio) and Agrona go on the module path and are
# resolved into the boot layer with --add-modules, so the system class loader defines them without the program's
# class path being touched; the provider's package is exported, so the JDK may instantiate it. The JDK's own provider
# (for loopback and bypassed addresses) is sun.nio.ch.DefaultSelectorProvider, hence --add-exports. When the command
# starts with a java launcher the options are put right after it (nothing printed); otherwise (a script that runs
# java) they go in JDK_JAVA_OPTIONS, and that launcher prints "Picked up JDK_JAVA_OPTIONS: ..." to stderr.
XTS_RUN_MODULE_DIRS=(native-bindings xts-sockets/link xts-sockets/client xts-sockets/nio)

xts_run_usage() {
  cat <<'USAGE'
Usage: xts run [--iface IF] [--queue N] [--bypass CIDR[,CIDR...]] -- COMMAND [ARG...]

Runs an unmodified Java program with its TCP channels (SocketChannel, ServerSocketChannel, Selector: the JDK's
HTTP server and HttpClient, Netty's NIO transport, ...) carried by the XTS proxy. Loopback, link-local and the
--bypass networks stay on the JDK's own TCP; UDP, pipes, Unix domain sockets and java.net.Socket/ServerSocket
created without a channel are the JDK's.

  --iface IF     the interface of the XTS link (default: $XTS_IFACE)
  --queue N      its queue (default: $XTS_QUEUE or 0)
  --bypass CIDRS networks the JDK's TCP carries, comma-separated (sets -Dxts.nio.bypass)

COMMAND is a java launcher line (java -jar app.jar, java -cp ... Main; a bare "java" is the JDK xts selects, a
path is used as given and must be JDK 25 or newer) or any command that starts one (then JDK_JAVA_OPTIONS carries
the options). Prints nothing of its own unless XTS_VERBOSE=1. Exit 64: bad usage; 69: interface missing;
70: the stack could not be opened (no proxy answering on the link).
USAGE
}

xts_run() {
  local iface=${XTS_IFACE:-} queue=${XTS_QUEUE:-0} bypass=
  while [ $# -gt 0 ]; do
    case "$1" in
      --iface) [ $# -ge 2 ] || { echo "xts run: --iface needs a value" >&2; exit 64; }; iface=$2; shift 2 ;;
      --queue) [ $# -ge 2 ] || { echo "xts run: --queue needs a value" >&2; exit 64; }; queue=$2; shift 2 ;;
      --bypass) [ $# -ge 2 ] || { echo "xts run: --bypass needs a value" >&2; exit 64; }; bypass=$2; shift 2 ;;
      -h|--help) xts_run_usage; exit 0 ;;
      --) shift; break ;;
      *) echo "xts run: unknown option '$1' (the command goes after --)" >&2; xts_run_usage >&2; exit 64 ;;
    esac
  done
  if [ $# -eq 0 ]; then
    echo "xts run: no command given" >&2; xts_run_usage >&2; exit 64
  fi
  if [ -z "$iface" ]; then
    echo "xts run: no interface: give --iface IF or set XTS_IFACE to the interface of the XTS link" >&2; exit 64
  fi
  if [ ! -e "/sys/class/net/$iface" ]; then
    echo "xts run: interface '$iface' does not exist in this network namespace (ip link show lists them)" >&2
    exit 69
  fi
  case "$queue" in ''|*[!0-9]*) echo "xts run: --queue must be a number >= 0, got '$queue'" >&2; exit 64 ;; esac

  local mp="" dir jar
  for dir in "${XTS_RUN_MODULE_DIRS[@]}"; do
    mp="$mp${mp:+:}$XTS_ROOT/$dir/target/classes"
  done
  local agrona=
  for jar in "$XTS_ROOT"/examples/tools/target/lib/agrona-[0-9]*.jar; do
    [ -e "$jar" ] && agrona=$jar
  done
  if [ -z "$agrona" ]; then
    # Not packaged yet (a build that stopped at test): the local repository's copy of the version the build uses.
    local version
    version=$(sed -n 's:.*<agrona.version>\(.*\)</agrona.version>.*:\1:p' "$XTS_ROOT/pom.xml" | head -1)
    agrona="$HOME/.m2/repository/org/agrona/agrona/$version/agrona-$version.jar"
  fi
  if [ ! -e "$agrona" ]; then
    echo "xts run: Agrona not found (build first: mvn -B -DskipTests package)" >&2; exit 64
  fi
  mp="$mp:$agrona"
  local opts=(--module-path "$mp" --add-modules io.xts.sockets.nio
    --enable-native-access=io.xts.bindings --add-exports java.base/jdk.internal.misc=org.agrona
    --add-exports java.base/sun.nio.ch=io.xts.sockets.nio
    -Djava.nio.channels.spi.SelectorProvider=io.xts.sockets.nio.XtsSelectorProvider -Dxts.nio.eager=true)
  [ -z "$bypass" ] || opts+=("-Dxts.nio.bypass=$bypass")
  [ "${XTS_VERBOSE:-0}" = 0 ] || opts+=(-Dxts.nio.verbose=true)
  export XTS_IFACE="$iface" XTS_QUEUE="$queue"

  local launcher=$1
  if [ "$(basename "$launcher")" = java ]; then
    shift
    if [ "$launcher" = java ]; then
      launcher="$JAVA_HOME/bin/java"
    elif [ "$(xts_jdk_version "$(dirname "$(dirname "$(readlink -f "$(command -v "$launcher")")")")")" -lt 25 ]; then
      echo "xts run: $launcher is older than JDK 25, which XTS-J needs" >&2; exit 64
    fi
    [ "${XTS_VERBOSE:-0}" = 0 ] || echo "xts run: $launcher ${opts[*]} $*" >&2
    exec "$launcher" "${opts[@]}" "$@"
  fi
  export JDK_JAVA_OPTIONS="${opts[*]}${JDK_JAVA_OPTIONS:+ $JDK_JAVA_OPTIONS}"
  [ "${XTS_VERBOSE:-0}" = 0 ] || echo "xts run: JDK_JAVA_OPTIONS=$JDK_JAVA_OPTIONS $*" >&2
  exec "$@"
}
