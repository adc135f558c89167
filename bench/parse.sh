#!/usr/bin/env bash
# parse.sh: ISO 2709 parsing speed of marcpipe's reader against yaz-marcdump.
# Builds bench/data/uva_x500.mrc (solrmarc--uva_001_2000.mrc concatenated
# 500 times: 1,000,000 records, 1.14 GB; bench/data/ is not committed), then
# runs bench_parse (default options: MARC-8 -> UTF-8 conversion included),
# bench_parse --keep-charset (parsing only) and `yaz-marcdump -n` (parsing
# only) alternately RUNS times and prints the medians and the ratios.
# Usage: bench/parse.sh [BUILD_DIR] (default build), env RUNS (default 5),
# MP_TEST_DATA (default ../shared/data/marc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=${RUNS:-5}
data=${MP_TEST_DATA:-$here/../../shared/data/marc}
src=$data/iso2709/solrmarc--uva_001_2000.mrc
big=$here/data/uva_x500.mrc
mkdir -p "$here/data"
if [ ! -s "$big" ] || [ "$(stat -c %s "$big")" -ne $(( $(stat -c %s "$src") * 500 )) ]; then
  for _ in $(seq 500); do cat "$src"; done > "$big"
fi
cat "$big" > /dev/null # warm the page cache

secs() { # command... -> elapsed seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

: > /tmp/mp_parse_ours.$$; : > /tmp/mp_parse_raw.$$; : > /tmp/mp_parse_yaz.$$
for i in $(seq "$runs"); do
  secs "$build/bench_parse" "$big" >> /tmp/mp_parse_ours.$$
  secs "$build/bench_parse" "$big" --keep-charset >> /tmp/mp_parse_raw.$$
  secs yaz-marcdump -n "$big" >> /tmp/mp_parse_yaz.$$
done
ours=$(median < /tmp/mp_parse_ours.$$)
raw=$(median < /tmp/mp_parse_raw.$$)
yaz=$(median < /tmp/mp_parse_yaz.$$)
rm -f /tmp/mp_parse_ours.$$ /tmp/mp_parse_raw.$$ /tmp/mp_parse_yaz.$$
"$build/bench_parse" "$big" --keep-charset
printf 'median of %d runs on %s (1,000,000 records)\n' "$runs" "$big"
printf 'bench_parse (utf-8 conversion): %.3f s  %.0f records/s\n' "$ours" "$(echo "1000000 / $ours" | bc -l)"
printf 'bench_parse --keep-charset:     %.3f s  %.0f records/s\n' "$raw" "$(echo "1000000 / $raw" | bc -l)"
printf 'yaz-marcdump -n:                %.3f s  %.0f records/s\n' "$yaz" "$(echo "1000000 / $yaz" | bc -l)"
printf 'ratio yaz / keep-charset: %.2fx   yaz / with conversion: %.2fx\n' \
  "$(echo "$yaz / $raw" | bc -l)" "$(echo "$yaz / $ours" | bc -l)"
