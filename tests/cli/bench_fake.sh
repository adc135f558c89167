#!/usr/bin/env bash
# bench_fake.sh: `marcpipe bench` (the marcpipe-bench program) end to end
# against a stand-in for `marcpipe import` (--marcpipe) that prints the
# --json contract with figures derived from its arguments, so the medians,
# the table, the JSON, the plots, reconciliation and the exit codes are
# checked without Kafka or PostgreSQL. The real pipeline is
# tests/integration/bench_tiny.sh.
set -euo pipefail
: "${MARCPIPE:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T

# The stand-in: records = the input's record terminators (processed:
# minus $FAKE_SHORT), rate = records * workers / 2 + run number (1, 2, 3 over
# the repeats of one configuration: the median is the middle run), largest
# worker RSS = 30000 + 1000 * workers kB, lag halves each half second.
cat >"$T/fake" <<'SH'
#!/usr/bin/env bash
[ "$1" = import ] || exit 2
shift
w=1 file= tenant=
while [ $# -gt 0 ]; do
  case $1 in
    -w) w=$2; shift 2 ;;
    --tenant) tenant=$2; shift 2 ;;
    --partitions|--window|--window-bytes|--batch|--sink-latency-ms|--mode|-b|--db|--state-dir) shift 2 ;;
    --json|--quiet) shift ;;
    *) file=$1; shift ;;
  esac
done
key="$(basename "$file") $w"
echo "$tenant $key" >>"$FAKE_DIR/calls"
k=$(grep -c " $key\$" "$FAKE_DIR/calls")
n=$(tr -cd '\035' <"$file" | wc -c)
committed=$(( n - ${FAKE_SHORT:-0} ))
echo "job started" >&2
echo "a line that is not the result"
printf '{"job": 1, "status": "COMPLETED", "records": %d, "processed": %d, "created": %d, "updated": 0, "duplicates": 0, "skipped": 0, "errors": 0, "elapsed_s": 1.5, "records_per_s": %d, "producer": {"records_per_s": 5000.0, "elapsed_s": 0.2, "peak_rss_kb": 20480}, "first_commit_s": 0.25, "last_commit_s": 1.5, "workers": [' \
  "$n" "$committed" "$committed" $(( n * w / 2 + k ))
for i in $(seq "$w"); do
  [ "$i" -gt 1 ] && printf ','
  printf '{"peak_rss_kb": %d, "max_records_held": %d, "max_bytes_held": 1, "pauses": 1, "resumes": 1, "cpu_s": 0.5}' $(( 29000 + 1000 * w + i * 1000 / w )) $(( 100 * i ))
done
printf '], "lag": [[0.5, %d], [1.0, %d], [1.5, 0]]}\n' "$n" $(( n / 2 ))
SH
chmod +x "$T/fake"
export FAKE_DIR=$T
common=(--marcpipe "$T/fake" --db "host=$T/no-server" --no-copy)

grep -q -- '--sink-latency-ms' <<<"$("$MARCPIPE" bench --help)" || fail "help lacks --sink-latency-ms"
# `marcpipe bench` runs the marcpipe-bench program built beside the binary
# (bench/harness): the same program, so the same help; without it, one line
# saying where it looked, exit 1
cmp -s <("$MARCPIPE" bench --help) <("$(dirname "$MARCPIPE")/marcpipe-bench" --help) ||
  fail "marcpipe bench --help differs from marcpipe-bench --help"
mkdir "$T/alone" && cp "$MARCPIPE" "$T/alone/"
set +e
"$T/alone/marcpipe" bench --help >"$T/alone/out" 2>"$T/alone/err"; rc=$?
set -e
[ $rc -eq 1 ] && [ ! -s "$T/alone/out" ] || fail "bench without marcpipe-bench: exit $rc, want 1"
[ "$(wc -l <"$T/alone/err")" -eq 1 ] &&
  grep -q '^marcpipe bench: cannot run .*/alone/marcpipe-bench: No such file or directory' "$T/alone/err" ||
  fail "bench without marcpipe-bench: $(cat "$T/alone/err")"
set +e
"$MARCPIPE" bench --workers 1,x >/dev/null 2>"$T/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "--workers 1,x exit $rc, want 2"
grep -q "a count is expected, not 'x'" "$T/err" || fail "bad list message: $(cat "$T/err")"
set +e
"$MARCPIPE" bench --mode fast >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--mode fast exit $rc, want 2"

# 2 record counts x 3 worker counts x 3 repeats
"$MARCPIPE" bench --records 300,900 -w 1,2,4 --repeat 3 -o "$T/out" --keep-inputs "${common[@]}" \
  >"$T/stdout" 2>"$T/stderr" || fail "bench failed: $(tail -5 "$T/stderr")"
R=$T/out/results.json
[ "$(jq '.configs | length' "$R")" -eq 6 ] || fail "configs"
[ "$(jq '[.configs[].runs[]] | length' "$R")" -eq 18 ] || fail "runs"
[ "$(jq '[.configs[] | select(.runs_ok == 3)] | length' "$R")" -eq 6 ] || fail "runs_ok"
# every run committed exactly what was generated
[ "$(jq '[.configs[] | .records as $n | .runs[] | select(.records == $n and .reconciled)] | length' "$R")" -eq 18 ] ||
  fail "records committed != generated"
# medians: the middle run of each configuration (+2), largest worker
jq -e '.configs[] | select(.records == 900 and .workers == 4) |
       .median.records_per_s == 1802 and .median.worker_peak_rss_kb == 34000 and
       .median.max_records_held == 400 and .median.max_lag == 900 and
       .median.producer_peak_rss_kb == 20480 and .median.first_commit_s == 0.25 and
       (.runs | length) == 3 and .lag_run != null' "$R" >/dev/null ||
  fail "median figures: $(jq -c '.configs[5].median' "$R")"
jq -e '.copy | length == 2 and all(.[]; .records_per_s == null and .note == "--no-copy")' "$R" >/dev/null ||
  fail "copy entries"
# the generated inputs hold the record counts
[ "$(tr -cd '\035' <"$T/out/input-900.mrc" | wc -c)" -eq 900 ] || fail "input-900"
# the table: on stdout and in results.md, one row per configuration
cmp -s "$T/stdout" "$T/out/results.md" || fail "stdout differs from results.md"
# the CPU columns (busy %, import, workers, PostgreSQL, brokers) are
# measured: the workers' sum comes from the JSON (4 x 0.5 s), the others
# are numbers
grep -Eq '^\| 900 \| 4 \| 3/3 \| 1802 \| n/a \| 5000 \| n/a \| 0.25 \| 1.50 \| 33.2 \| 20.0 \| 400 \| 900 \| 0.0 \| [0-9]+ \| [0-9]+\.[0-9] \| 2.0 \| [0-9]+\.[0-9] \| [0-9]+\.[0-9] \| 0 \|$' \
  "$T/out/results.md" || fail "table row: $(grep '^| 900 | 4' "$T/out/results.md")"
[ "$(grep -c '^| [0-9]' "$T/out/results.md")" -eq 6 ] || fail "table rows"
# progress on stderr, one line per run
[ "$(grep -c '^marcpipe bench: \[[0-9]*/18\]' "$T/stderr")" -eq 18 ] || fail "progress lines"
# plots: data and PNGs
for p in rate-workers rss-records lag rate-records rss-workers; do
  [ -s "$T/out/$p.dat" ] || fail "$p.dat missing"
  if command -v gnuplot >/dev/null; then
    [ -s "$T/out/$p.png" ] || fail "$p.png missing"
    file "$T/out/$p.png" | grep -q 'PNG image data' || fail "$p.png is not a PNG"
  fi
done
# rate-workers: one series per record count, workers ascending
grep -A3 '^"records=900"' "$T/out/rate-workers.dat" | tail -3 | awk '{print $1}' | tr '\n' ' ' |
  grep -q '^1 2 4 $' || fail "rate-workers series: $(cat "$T/out/rate-workers.dat")"
# each run got its own tenant
[ "$(cut -d' ' -f1 "$T/calls" | sort -u | wc -l)" -eq 18 ] || fail "tenants reused"

# an import that loses a record: results written, the run flagged, exit 1
: >"$T/calls"
set +e
FAKE_SHORT=1 "$MARCPIPE" bench --records 50 -w 1 --repeat 1 -o "$T/short" -q "${common[@]}" >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "short import: exit $rc, want 1"
grep -q 'run 1: 49 records committed, 50 generated' "$T/short/results.md" || fail "short note"
[ ! -e "$T/short/input-50.mrc" ] || fail "generated input kept without --keep-inputs"
jq -e '.configs[0].runs_ok == 0 and .configs[0].runs[0].reconciled == false' "$T/short/results.json" >/dev/null ||
  fail "short run counted"

# a failing program: every run flagged, exit 1
set +e
"$MARCPIPE" bench --records 10 -w 1 --repeat 2 -o "$T/false" -q --marcpipe /bin/false \
  --db "host=$T/no-server" --no-copy >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "false: exit $rc"
[ "$(jq '[.configs[0].runs[] | select(.exit_code == 1 and .reconciled == false)] | length' "$T/false/results.json")" -eq 2 ] ||
  fail "false runs"
echo "bench_fake: ok"
