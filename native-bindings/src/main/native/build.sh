#!/usr/bin/env bash
# Builds the native parts of native-bindings (called by Maven in process-classes):
#   - the XDP steering program, twice: xts_steer.o (SEC "xdp") and xts_steer_frags.o (SEC "xdp.frags"),
#     into <classes dir>/io/xts/xsk/bpf/ so they ship as class-path resources;
#   - the loss-injecting steering program, xts_lossy.o (SEC "xdp"), next to them (attached only when a test or a
#     tool asks for injected loss).
# Usage: bash build.sh <module basedir> <classes dir> <native out dir>
# An output is rebuilt only when it is missing or older than one of its sources (or this script).
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: bash build.sh <module basedir> <classes dir> <native out dir>"
basedir=$1 classes=$2 nativeout=$3

bpf_src=$basedir/src/main/bpf/xts_steer.bpf.c
bpf_lossy_src=$basedir/src/main/bpf/xts_lossy.bpf.c
self=${BASH_SOURCE[0]}
bpf_dir=$classes/io/xts/xsk/bpf
bpf_out=$bpf_dir/xts_steer.o
bpf_frags_out=$bpf_dir/xts_steer_frags.o
bpf_lossy_out=$bpf_dir/xts_lossy.o

[ -f "$bpf_src" ] || die "source missing: $bpf_src"
[ -f "$bpf_lossy_src" ] || die "source missing: $bpf_lossy_src"

# stale OUT SRC...: true when OUT is missing or any SRC is newer than it.
stale() {
  local out=$1; shift
  [ -e "$out" ] || return 0
  local src
  for src in "$@"; do
    [ "$src" -nt "$out" ] && return 0
  done
  return 1
}

need_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: run scripts/setup (needs $2)"
}

need_header() {
  # need_header HEADER PACKAGE [extra cpp flags...]
  local hdr=$1 pkg=$2; shift 2
  echo "#include <$hdr>" | "$CC_FOR_CHECK" "$@" -E -x c - >/dev/null 2>&1 \
    || die "header <$hdr> not found: run scripts/setup (needs $pkg)"
}

mkdir -p "$bpf_dir" "$nativeout"

# Checks the BPF tool chain and sets bpf_flags; called before the first clang -target bpf.
bpf_setup() {
  need_tool clang clang
  need_tool gcc gcc
  multiarch=$(gcc -dumpmachine)
  bpf_flags=(-O2 -g -target bpf -Wall -I"/usr/include/$multiarch")
  CC_FOR_CHECK=clang
  need_header asm/types.h "linux-libc-dev (multiarch asm headers in /usr/include/$multiarch)" -target bpf -I"/usr/include/$multiarch"
  need_header linux/bpf.h linux-libc-dev -target bpf -I"/usr/include/$multiarch"
  need_header bpf/bpf_helpers.h libbpf-dev -target bpf -I"/usr/include/$multiarch"
}

bpf_peer_h=$basedir/src/main/bpf/xts_peer.h
if stale "$bpf_out" "$bpf_src" "$bpf_peer_h" "$self" || stale "$bpf_frags_out" "$bpf_src" "$bpf_peer_h" "$self"; then
  bpf_setup
  echo "build.sh: clang -target bpf $bpf_src -> $bpf_out, $bpf_frags_out"
  clang "${bpf_flags[@]}" -c "$bpf_src" -o "$bpf_out.tmp"
  mv -f "$bpf_out.tmp" "$bpf_out"
  clang "${bpf_flags[@]}" -DXTS_FRAGS -c "$bpf_src" -o "$bpf_frags_out.tmp"
  mv -f "$bpf_frags_out.tmp" "$bpf_frags_out"
else
  echo "build.sh: BPF objects up to date"
fi

if stale "$bpf_lossy_out" "$bpf_lossy_src" "$bpf_peer_h" "$self"; then
  bpf_setup
  echo "build.sh: clang -target bpf $bpf_lossy_src -> $bpf_lossy_out"
  clang "${bpf_flags[@]}" -c "$bpf_lossy_src" -o "$bpf_lossy_out.tmp"
  mv -f "$bpf_lossy_out.tmp" "$bpf_lossy_out"
else
  echo "build.sh: lossy BPF object up to date"
fi
