#!/usr/bin/env bash
# parse_xml.sh: MARCXML parsing speed of marcpipe's reader against
# `yaz-marcdump -i marcxml -n`. Builds bench/data/uva_x50.xml (the records of
# solrmarc--uva_001_2000.mrc repeated 50 times, converted to UTF-8 MARCXML by
# `marcpipe dump --to marcxml`: 100,000 records, about 384 MB; bench/data/
# is not committed), then runs `bench_parse --format marcxml --keep-charset`
# and yaz alternately RUNS times under /usr/bin/time and prints the medians
# of wall and CPU time, the peak RSS and the ratio.
# Usage: bench/parse_xml.sh [BUILD_DIR] (default build), env RUNS (default
# 5), MP_TEST_DATA (default tests/data/marc).
source "$(dirname "$0")/common.sh"
big=$here/data/uva_x50.xml
if [ ! -s "$big" ]; then
  for _ in $(seq 50); do cat "$src"; done |
    "$build/marcpipe" dump --to marcxml --output "$big.tmp" -
  mv "$big.tmp" "$big"
fi
cat "$big" > /dev/null # warm the page cache

# command... -> "wall_seconds cpu_seconds peak_rss_kb"
measure() {
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" > /dev/null 2>&1
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$tmp/t"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$runs"); do
  measure "$build/bench_parse" "$big" --format marcxml --keep-charset >> "$tmp/ours"
  measure yaz-marcdump -i marcxml -n "$big" >> "$tmp/yaz"
done
med() { cut -d' ' -f"$2" < "$tmp/$1" | median; } # file column
"$build/bench_parse" "$big" --format marcxml --keep-charset
line() { # label file
  printf '%-44s wall %6.3f s  cpu %6.3f s  peak rss %6d KB\n' "$1" \
    "$(med "$2" 1)" "$(med "$2" 2)" "$(med "$2" 3)"
}
printf 'median of %d runs on %s (100,000 records)\n' "$runs" "$big"
line 'bench_parse --format marcxml --keep-charset:' ours
line 'yaz-marcdump -i marcxml -n:' yaz
printf 'ratio yaz / bench_parse: wall %.2fx, cpu %.2fx\n' \
  "$(echo "$(med yaz 1) / $(med ours 1)" | bc -l)" \
  "$(echo "$(med yaz 2) / $(med ours 2)" | bc -l)"
