#!/usr/bin/env bash
# Builds the C programs of the benchmarks into <native out dir>/ (called by Maven in process-classes): xsk-bench-c
# (the AF_XDP throughput reference, libxdp), xsk-pingpong-c (the AF_XDP round-trip floor, libxdp) and rtt-echo-c (the
# TCP echo server of scripts/bench-rtt). Usage: bash build.sh <module basedir> <native out dir>. Each is rebuilt only
# when missing or older than its source or this script.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: bash build.sh <module basedir> <native out dir>"
basedir=$1 nativeout=$2
self=${BASH_SOURCE[0]}
mkdir -p "$nativeout"
command -v gcc >/dev/null 2>&1 || die "gcc not found: run scripts/setup"
headers_checked=0

# build SOURCE OUTPUT LIBS...: compile one program unless it is up to date.
build() {
  local src=$basedir/src/main/c/$1 out=$nativeout/$2; shift 2
  [ -f "$src" ] || die "source missing: $src"
  if [ -e "$out" ] && [ ! "$src" -nt "$out" ] && [ ! "$self" -nt "$out" ]; then
    echo "build.sh: $(basename "$out") up to date"
    return 0
  fi
  if [ "$headers_checked" = 0 ]; then
    for hdr in xdp/xsk.h xdp/libxdp.h bpf/libbpf.h; do
      echo "#include <$hdr>" | gcc -E -x c - >/dev/null 2>&1 || die "header <$hdr> not found: run scripts/setup (libxdp-dev, libbpf-dev)"
    done
    headers_checked=1
  fi
  echo "build.sh: gcc $src -> $out"
  gcc -O2 -Wall -o "$out.tmp" "$src" "$@" || die "gcc failed for $src"
  mv -f "$out.tmp" "$out"
}

build xsk_bench.c xsk-bench-c -lxdp -lbpf
build xsk_pingpong.c xsk-pingpong-c -lxdp -lbpf
build rtt_echo.c rtt-echo-c -pthread
