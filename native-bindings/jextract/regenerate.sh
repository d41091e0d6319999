#!/usr/bin/env bash
# Regenerate the FFM bindings with jextract into a temporary directory and print how they differ from the
# hand-written classes in native-bindings/src/main/java/io/xts/bindings. It never touches the hand-written classes:
# they are kept by hand (see README.md), and this is the check that they still say what jextract would say.
#
#   native-bindings/jextract/regenerate.sh              # jextract from PATH, or $JEXTRACT
#   JEXTRACT=/opt/jextract-25/bin/jextract native-bindings/jextract/regenerate.sh
#
# One jextract run per header class, as listed by the '#### class <name> <package> <library>' lines of
# includes.txt, all on headers.h. Without jextract it says how to get it and exits 0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module=$(dirname "$here")
src="$module/src/main/java"

jextract_cmd=${JEXTRACT:-}
if [ -z "$jextract_cmd" ]; then
  jextract_cmd=$(command -v jextract || true)
fi
if [ -z "$jextract_cmd" ] || [ ! -x "$jextract_cmd" ]; then
  cat <<'EOF'
regenerate: jextract is not installed (not on PATH, $JEXTRACT not set), so nothing was regenerated.

  jextract is not a Debian or Maven package. Get a build matching the JDK (25) from https://jdk.java.net/jextract
  (or build github.com/openjdk/jextract), unpack it anywhere, and run:
      JEXTRACT=/path/to/jextract-25/bin/jextract native-bindings/jextract/regenerate.sh

NOTE: the XTS-J build and CI machines cannot download it (no network beyond the package registries). That is why
      the bindings are hand-written in jextract's layout; StructLayoutTest checks their struct layouts, constants
      and this includes.txt against the installed headers with gcc on every build, which needs no jextract.
EOF
  exit 0
fi

command -v perl >/dev/null || { echo "regenerate: perl is needed for the diff summary" >&2; exit 1; }

out=$(mktemp -d "${TMPDIR:-/tmp}/xts-jextract.XXXXXX")
echo "regenerate: $("$jextract_cmd" --version 2>&1 | head -n 1)"
echo "regenerate: output in $out (the hand-written classes are not modified)"

# Split includes.txt into one argument file per header class, without comments.
awk -v dir="$out" '
  /^#### class / {
    if (NF != 5) { print "includes.txt: bad class line: " $0 > "/dev/stderr"; exit 1 }
    cls = $3; print $3, $4, $5 > (dir "/classes.txt"); file = dir "/" cls ".args"; printf "" > file; next
  }
  /^--include-/ {
    if (file == "") { print "includes.txt: " $0 " comes before any #### class line" > "/dev/stderr"; exit 1 }
    print $1, $2 >> file
  }
' "$here/includes.txt"

# Debian keeps asm/ and bits/ under the multiarch directory; name it in case jextract's clang does not.
include_args=()
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch" ]; then
  include_args=(-I "/usr/include/$multiarch")
fi

while read -r cls pkg lib; do
  args=(--output "$out/gen/$cls" --target-package "$pkg" --header-class-name "$cls" "${include_args[@]}")
  if [ "$lib" != "-" ]; then
    args+=(--library "$lib")
  fi
  echo "regenerate: jextract ${args[*]} @$cls.args headers.h"
  if ! "$jextract_cmd" "${args[@]}" "@$out/$cls.args" "$here/headers.h" >"$out/$cls.log" 2>&1; then
    echo "regenerate: jextract failed for $cls:" >&2
    cat "$out/$cls.log" >&2
    exit 1
  fi
  if [ -s "$out/$cls.log" ]; then
    sed "s/^/  jextract: /" "$out/$cls.log"
  fi
done <"$out/classes.txt"

# Summary: per header class the functions (descriptor), constants (value), and per struct the layout and fields,
# generated vs hand-written; files jextract generates that we do not keep. The full diff goes to a file: the two
# differ in style everywhere (jextract's formatting, Allman braces here), so it is for reading, not counting.
perl - "$out" "$src" "$here/includes.txt" <<'PERL'
use strict;
use warnings;

my ($out, $src, $includes) = @ARGV;
my %type = (
    C_INT => 'int', JAVA_INT => 'int', C_LONG => 'long', C_LONG_LONG => 'long', JAVA_LONG => 'long',
    C_SHORT => 'short', JAVA_SHORT => 'short', C_CHAR => 'byte', JAVA_BYTE => 'byte', C_BOOL => 'bool',
    JAVA_BOOLEAN => 'bool', C_FLOAT => 'float', JAVA_FLOAT => 'float', C_DOUBLE => 'double',
    JAVA_DOUBLE => 'double', C_POINTER => 'ptr', ADDRESS => 'ptr');

sub slurp
{
    my ($file) = @_;
    open(my $fh, '<', $file) or return undef;
    local $/;
    my $text = <$fh>;
    close($fh);
    $text =~ s{/\*.*?\*/}{}gs;
    $text =~ s{//[^\n]*}{}g;
    return $text;
}

sub norm_type
{
    my ($t) = @_;
    $t =~ s/^\s+|\s+$//g;
    my $last = (split /\./, $t)[-1];
    return $type{$last} // $t;
}

sub value
{
    my ($expr) = @_;
    $expr =~ s/\((?:short|int|long|byte|char)\)//g;
    $expr =~ s/(?<=[0-9a-fA-F])[lL]\b//g;
    return "?$expr" unless $expr =~ /^[\s0-9a-fA-FxX<>|&~()+-]+$/;
    my $v = eval $expr;
    return defined $v ? $v : "?$expr";
}

# Facts of one header class: constants name => value, functions name => descriptor.
sub header_facts
{
    my ($text) = @_;
    my (%const, %func);
    while ($text =~ /(?:public|private)\s+static\s+final\s+(?:int|long|short|byte)\s+(\w+)\s*=\s*([^;]+);/g)
    {
        $const{$1} = value($2);
    }
    my %names = map { $_ => 1 } ($text =~ /(\w+)\$descriptor\s*\(\)/g);
    for my $name (keys %names)
    {
        if ($text =~ /class\s+\Q$name\E\b.*?\b(?:BASE_)?DESC\s*=\s*FunctionDescriptor\.(ofVoid|of)\s*\((.*?)\)\s*;/s)
        {
            my ($kind, $args) = ($1, $2);
            my @types = map { norm_type($_) } grep { /\S/ } split /,/, $args;
            $func{$name} = ($kind eq 'ofVoid' ? 'void' : shift(@types)) . '(' . join(', ', @types) . ')';
        }
        else
        {
            $func{$name} = '(descriptor not found)';
        }
    }
    return (\%const, \%func);
}

# Facts of one struct class: the layout as a list of "type name" and "pad n", and the fields with $offset().
sub struct_facts
{
    my ($text, $name) = @_;
    my @layout;
    if ($text =~ /structLayout\s*\((.*?)\)\s*\.withName\("\Q$name\E"\)/s)
    {
        my $body = $1;
        while ($body =~ /([\w.]+)\.withName\("([^"]+)"\)|paddingLayout\((\d+)\)|\b(unionLayout|structLayout)\(/g)
        {
            push @layout, defined $1 ? norm_type($1) . " $2" : defined $3 ? "pad $3" : "$4(";
        }
    }
    my %fields = map { $_ => 1 } ($text =~ /(\w+)\$offset\s*\(\)/g);
    return (join(', ', @layout) || '(layout not found)', join(' ', sort keys %fields));
}

sub compare_maps
{
    my ($what, $gen, $hand) = @_;
    my $diffs = 0;
    my %all = (%$gen, %$hand);
    for my $k (sort keys %all)
    {
        if (!exists $hand->{$k})
        {
            print "    $what $k: only generated ($gen->{$k})\n";
        }
        elsif (!exists $gen->{$k})
        {
            print "    $what $k: only hand-written ($hand->{$k})\n";
        }
        elsif ("$gen->{$k}" ne "$hand->{$k}")
        {
            print "    $what $k: generated $gen->{$k}, hand-written $hand->{$k}\n";
        }
        else
        {
            next;
        }
        $diffs++;
    }
    return $diffs;
}

# The structs of each header class, from includes.txt.
my (%structs, $current);
open(my $inc, '<', $includes) or die "cannot read $includes: $!";
while (<$inc>)
{
    $current = $1 if /^#### class (\w+)/;
    push @{$structs{$current}}, $1 if defined $current && /^--include-struct\s+(\w+)/;
}
close($inc);

my $total = 0;
open(my $classes, '<', "$out/classes.txt") or die;
while (<$classes>)
{
    my ($cls, $pkg) = split;
    (my $dir = $pkg) =~ s{\.}{/}g;
    my $gen_dir = "$out/gen/$cls/$dir";
    my $hand_dir = "$src/$dir";
    print "\n== $pkg.$cls\n";

    my $gen_text = slurp("$gen_dir/$cls.java");
    my $hand_text = slurp("$hand_dir/$cls.java");
    if (!defined $gen_text || !defined $hand_text)
    {
        print "    missing: " . (defined $gen_text ? "hand-written" : "generated") . " $cls.java\n";
        $total++;
        next;
    }
    my ($gc, $gf) = header_facts($gen_text);
    my ($hc, $hf) = header_facts($hand_text);
    my $d = compare_maps('function', $gf, $hf) + compare_maps('constant', $gc, $hc);
    printf "    %d functions, %d constants checked; %s\n", scalar(keys %$hf), scalar(keys %$hc),
        $d ? "$d difference(s)" : 'same descriptors and values';
    $total += $d;

    for my $s (@{$structs{$cls} // []})
    {
        my $gs = slurp("$gen_dir/$s.java");
        my $hs = slurp("$hand_dir/$s.java");
        if (!defined $gs || !defined $hs)
        {
            print "  struct $s: missing " . (defined $gs ? "hand-written" : "generated") . " $s.java\n";
            $total++;
            next;
        }
        my ($gl, $gfields) = struct_facts($gs, $s);
        my ($hl, $hfields) = struct_facts($hs, $s);
        if ($gl eq $hl && $gfields eq $hfields)
        {
            print "  struct $s: same layout ($hl)\n";
            next;
        }
        print "  struct $s: differs\n";
        print "    layout generated:    $gl\n    layout hand-written: $hl\n" if $gl ne $hl;
        print "    fields generated:    $gfields\n    fields hand-written: $hfields\n" if $gfields ne $hfields;
        $total++;
    }

    my %kept = map { $_ => 1 } ("$cls.java", map { "$_.java" } @{$structs{$cls} // []});
    opendir(my $dh, $gen_dir) or die "cannot list $gen_dir: $!";
    my @extra = sort grep { /\.java$/ && !$kept{$_} } readdir($dh);
    closedir($dh);
    print "  generated but not kept by hand: @extra\n" if @extra;
}
close($classes);
print "\nregenerate: $total difference(s) in descriptors, constants and layouts.\n";
PERL

mkdir -p "$out/merged"
for generated in "$out"/gen/*/; do
  cp -R "$generated". "$out/merged/"
done
diff -ru "$src/io/xts/bindings" "$out/merged/io/xts/bindings" >"$out/full.diff" 2>&1 || true
echo "regenerate: full textual diff ($(wc -l <"$out/full.diff") lines, mostly style): $out/full.diff"
