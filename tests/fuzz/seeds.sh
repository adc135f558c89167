#!/usr/bin/env bash
# seeds.sh: build the seed corpus of one fuzz target from the real MARC files.
#
# Usage: seeds.sh TARGET DATA_DIR OUT_DIR [PIECE_BYTES]
#
# The real files are cut at record boundaries into small pieces (at most
# PIECE_BYTES, unless one record alone is larger; default 4096, and 1 for
# the targets that parse one record: one record per piece), because
# libFuzzer's speed falls with input size: a 2 MB file is truncated to
# -max_len and then costs as much as a thousand small inputs per run, while
# its records, a few at a time, cover the same code. ISO 2709 files are cut
# after each 0x1D (bytes between records stay with the next record).
# MARCXML pieces keep the text before the first and after the last record
# element (so namespace declarations survive) and join their records with
# the text found between the first two; JSON files are cut the same way
# around their top-level objects (alone or in one array). Files of the
# target's own format come from DATA_DIR/<format> and DATA_DIR/malformed
# (by extension: .xml MARCXML, .json JSON, anything else ISO 2709);
# tests/fuzz/seeds/TARGET is copied too when it exists. OUT_DIR is created;
# existing files in it are kept.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: seeds.sh TARGET DATA_DIR OUT_DIR [PIECE_BYTES]" >&2; exit 2; }
target=$1 data=$2 out=$3 piece=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

case $target in
  fuzz_iso2709_parse | fuzz_mapping) fmt=iso2709 piece=${piece:-1} ;;
  fuzz_iso2709) fmt=iso2709 ;;
  fuzz_marcxml | fuzz_marcxml_fast) fmt=marcxml ;;
  fuzz_json) fmt=json ;;
  *) echo "seeds.sh: unknown target $target" >&2; exit 2 ;;
esac
piece=${piece:-4096}

format_of() { # file -> iso2709 | marcxml | json
  case $1 in
    *.xml) echo marcxml ;;
    *.json) echo json ;;
    *) echo iso2709 ;;
  esac
}

# split FORMAT FILE PREFIX: write PREFIX-NNNN pieces of FILE.
split() {
  perl -e '
    use strict; use warnings;
    my ($fmt, $file, $prefix, $max) = @ARGV;
    open(my $in, "<:raw", $file) or die "seeds.sh: $file: $!\n";
    local $/; my $d = <$in> // ""; close $in;
    my $n = 0;
    my $put = sub {
      my $name = sprintf("%s-%04d", $prefix, $n++);
      open(my $o, ">:raw", $name) or die "seeds.sh: $name: $!\n";
      print $o $_[0]; close $o;
    };
    if (length($d) <= $max) { $put->($d); exit 0; }
    my (@units, $pre, $post, $sep);
    if ($fmt eq "iso2709") {
      @units = split /(?<=\x1D)/, $d;
      ($pre, $post, $sep) = ("", "", "");
    } else {
      my @m;
      if ($fmt eq "marcxml") {
        while ($d =~ /<((?:[\w.-]+:)?)record\b[^>]*>.*?<\/\1record\s*>/gs) {
          push @m, [$-[0], $+[0]];
        }
      } else { # objects at the top level or inside a top-level array
        my ($depth, $top, $start, $instr) = (0, 0, 0, 0);
        for (my $i = 0; $i < length($d); $i++) {
          my $c = substr($d, $i, 1);
          if ($instr) {
            if ($c eq "\\") { $i++ } elsif ($c eq "\"") { $instr = 0 }
            next;
          }
          if ($c eq "\"") { $instr = 1 }
          elsif ($c eq "[" || $c eq "{") {
            $top = ($c eq "[") if $depth == 0;
            $start = $i if $c eq "{" && $depth == ($top ? 1 : 0);
            $depth++;
          } elsif ($c eq "]" || $c eq "}") {
            $depth--;
            push @m, [$start, $i + 1] if $c eq "}" && $depth == ($top ? 1 : 0);
          }
        }
      }
      if (!@m) { $put->($d); exit 0; }
      $pre = substr($d, 0, $m[0][0]);
      $post = substr($d, $m[-1][1]);
      $sep = @m > 1 ? substr($d, $m[0][1], $m[1][0] - $m[0][1]) : "\n";
      push @units, substr($d, $_->[0], $_->[1] - $_->[0]) for @m;
    }
    my @cur;
    my $len = 0;
    for my $u (@units) {
      if (@cur && $len + length($u) > $max) {
        $put->($pre . join($sep, @cur) . $post); @cur = (); $len = 0;
      }
      push @cur, $u; $len += length($u) + length($sep);
    }
    $put->($pre . join($sep, @cur) . $post) if @cur;
  ' "$@" "$piece"
}

shopt -s nullglob
for f in "$data/$fmt"/* "$data/malformed"/*; do
  [ -f "$f" ] || continue
  [ "$(format_of "$f")" = "$fmt" ] || continue
  split "$fmt" "$f" "$out/$(basename "$f")"
done
if [ -d "$here/seeds/$target" ]; then
  cp -- "$here/seeds/$target"/* "$out"/ 2>/dev/null || true
fi
