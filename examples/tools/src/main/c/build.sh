#!/usr/bin/env bash
# Builds the C reference benchmark xsk-bench-c (libxdp) into <native out dir>/ (called by Maven in process-classes).
# Usage: bash build.sh <module basedir> <native out dir>. Rebuilt only when missing or older than its source.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: bash build.sh <module basedir> <native out dir>"
basedir=$1 nativeout=$2
src=$basedir/src/main/c/xsk_bench.c
out=$nativeout/xsk-bench-c
self=${BASH_SOURCE[0]}
[ -f "$src" ] || die "source missing: $src"
mkdir -p "$nativeout"
if [ -e "$out" ] && [ ! "$src" -nt "$out" ] && [ ! "$self" -nt "$out" ]; then
  echo "build.sh: xsk-bench-c up to date"
  exit 0
fi
command -v gcc >/dev/null 2>&1 || die "gcc not found: run scripts/setup"
for hdr in xdp/xsk.h xdp/libxdp.h bpf/libbpf.h; do
  echo "#include <$hdr>" | gcc -E -x c - >/dev/null 2>&1 || die "header <$hdr> not found: run scripts/setup (libxdp-dev, libbpf-dev)"
done
echo "build.sh: gcc $src -> $out"
gcc -O2 -Wall -o "$out.tmp" "$src" -lxdp -lbpf || die "gcc failed for $src"
mv -f "$out.tmp" "$out"
