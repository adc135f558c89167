#!/usr/bin/env bash
# parse.sh: ISO 2709 parsing speed of marcpipe's reader against yaz-marcdump.
# Builds bench/data/uva_x500.mrc (solrmarc--uva_001_2000.mrc concatenated
# 500 times: 1,000,000 records, 1.14 GB; bench/data/ is not committed), then
# runs bench_parse (default options: MARC-8 -> UTF-8 conversion included),
# bench_parse --keep-charset (parsing only) and `yaz-marcdump -n` (parsing
# only) alternately RUNS times and prints the medians and the ratios.
# Usage: bench/parse.sh [BUILD_DIR] (default build), env RUNS (default 5),
# MP_TEST_DATA (default tests/data/marc).
source "$(dirname "$0")/common.sh"
big=$here/data/uva_x500.mrc
if [ ! -s "$big" ] || [ "$(stat -c %s "$big")" -ne $(( $(stat -c %s "$src") * 500 )) ]; then
  for _ in $(seq 500); do cat "$src"; done > "$big"
fi
cat "$big" > /dev/null # warm the page cache

# command... -> "wall_seconds cpu_seconds" (user + sys): on a shared
# machine CPU time is the steadier measure, so both are reported.
secs() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" > /dev/null 2>&1; } 2>&1 )
  echo "$t" | awk '{printf "%s %.3f\n", $1, $2 + $3}'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$runs"); do
  secs "$build/bench_parse" "$big" >> "$tmp/ours"
  secs "$build/bench_parse" "$big" --keep-charset >> "$tmp/raw"
  secs yaz-marcdump -n "$big" >> "$tmp/yaz"
done
med() { cut -d' ' -f"$2" < "$tmp/$1" | median; } # file column
ours_wall=$(med ours 1); ours_cpu=$(med ours 2)
raw_wall=$(med raw 1); raw_cpu=$(med raw 2)
yaz_wall=$(med yaz 1); yaz_cpu=$(med yaz 2)
"$build/bench_parse" "$big" --keep-charset
line() { # label wall cpu
  printf '%-34s wall %6.3f s (%7.0f records/s)  cpu %6.3f s\n' "$1" "$2" \
    "$(echo "1000000 / $2" | bc -l)" "$3"
}
printf 'median of %d runs on %s (1,000,000 records)\n' "$runs" "$big"
line 'bench_parse (marc-8 -> utf-8):' "$ours_wall" "$ours_cpu"
line 'bench_parse --keep-charset:' "$raw_wall" "$raw_cpu"
line 'yaz-marcdump -n:' "$yaz_wall" "$yaz_cpu"
printf 'ratio yaz-marcdump -n / bench_parse --keep-charset: wall %.2fx, cpu %.2fx\n' \
  "$(echo "$yaz_wall / $raw_wall" | bc -l)" "$(echo "$yaz_cpu / $raw_cpu" | bc -l)"
printf 'ratio yaz-marcdump -n / bench_parse (with conversion): wall %.2fx, cpu %.2fx\n' \
  "$(echo "$yaz_wall / $ours_wall" | bc -l)" "$(echo "$yaz_cpu / $ours_cpu" | bc -l)"
