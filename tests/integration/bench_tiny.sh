#!/usr/bin/env bash
# bench_tiny.sh: a tiny real `marcpipe bench` (1,000 generated records,
# 1 and 2 workers, one run each after an uncounted warm-up run; the
# brokers' CPU found when the suite runs its cluster) through the whole
# pipeline into the
# PostgreSQL of PG* (scripts/test.sh): it completes within a minute, every
# run commits exactly the records generated, the COPY ceiling is measured
# by bench_copy, the table and the PNG plots are written, and the tenants
# of the runs are dropped afterwards (on the suite's cluster, with -b, their
# topics too; --keep-tenants keeps them).
set -euo pipefail
: "${MARCPIPE:?}" "${PGHOST:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir W

before=$(psql -qAtc "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\_%'")
start=$(date +%s)
timeout 120 "$MARCPIPE" bench --records 1000 -w 1,2 --repeat 1 --timeout 50 --keep-inputs --warmup \
  -o "$W/out" >"$W/stdout" 2>"$W/stderr" ||
  fail "bench failed ($?): $(tail -n 20 "$W/stderr"; cat "$W"/out/logs/import-*.log 2>/dev/null | tail -n 20)"
took=$(( $(date +%s) - start ))
# --warmup: one import of the first configuration before the rounds, in
# no table (2 runs below, not 3), its log beside the others
grep -q "warm-up (workers=1, not counted): [0-9]* records/s" "$W/stderr" ||
  fail "no warm-up line: $(cat "$W/stderr")"
[ -f "$W/out/logs/warmup.log" ] || fail "no logs/warmup.log"
[ "$took" -le 60 ] || echo "bench_tiny: warning: took $took s" >&2

R=$W/out/results.json
[ "$(jq '.configs | length' "$R")" -eq 2 ] || fail "configs: $(jq -c .configs "$R")"
# reconciliation: each run completed and committed the 1,000 generated records
jq -e '[.configs[].runs[]] | length == 2 and all(.[];
        .exit_code == 0 and .reconciled and .records == 1000 and
        (.status == "COMPLETED" or .status == "COMPLETED_WITH_ERRORS") and
        .created + .updated + .duplicates + .skipped + .errors == 1000)' "$R" >/dev/null ||
  fail "runs do not reconcile: $(jq -c '[.configs[].runs[] | {exit_code, status, records, note}]' "$R")"
[ "$(tr -cd '\035' <"$W/out/input-1000.mrc" | wc -c)" -eq 1000 ] || fail "input records"
# figures present and sane
jq -e 'all(.configs[]; .median.records_per_s > 0 and .median.elapsed_s > 0 and
        .median.worker_peak_rss_kb > 0)' "$R" >/dev/null ||
  fail "medians: $(jq -c '[.configs[].median]' "$R")"
# the local Kafka brokers' CPU: when the suite runs its cluster, its idle
# JVMs are found (by their main class) and use CPU during every run
if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ]; then
  jq -e '[.configs[].runs[].broker_cpu_s] | length == 2 and all(. > 0)' "$R" >/dev/null ||
    fail "broker CPU with the suite's cluster running: $(jq -c '[.configs[].runs[].broker_cpu_s]' "$R")"
fi
# the COPY ceiling, measured with bench_copy, and the ratios beside it
jq -e '.copy | length == 1 and .[0].records == 1000 and .[0].records_per_s > 0' "$R" >/dev/null ||
  fail "COPY ceiling: $(jq -c .copy "$R")"
jq -e 'all(.configs[]; .rate_of_copy > 0)' "$R" >/dev/null || fail "ratio to COPY"
# each run paired with the ceiling of its round (one round: the ceiling's
# only run), its ratio its own rate over that ceiling
jq -e '.copy[0].records_per_s as $c | all(.configs[].runs[];
        .copy_records_per_s == $c and
        ((.rate_of_copy - .records_per_s / $c) | fabs) < 1e-9)' "$R" >/dev/null ||
  fail "runs not paired with the ceiling: $(jq -c '[.copy[0].records_per_s, [.configs[].runs[] | {records_per_s, copy_records_per_s, rate_of_copy}]]' "$R")"
# the table
[ "$(grep -c '^| 1000 | [12] | 1/1 | [0-9]' "$W/out/results.md")" -eq 2 ] ||
  fail "table: $(cat "$W/out/results.md")"
grep -q '^- machine: .*PostgreSQL [0-9]' "$W/out/results.md" || fail "machine line"
# the plots
for p in rate-workers rss-records lag; do
  [ -s "$W/out/$p.png" ] || fail "$p.png missing or empty"
  file "$W/out/$p.png" | grep -q 'PNG image data' || fail "$p.png: $(file "$W/out/$p.png")"
done
# the ceiling drawn beside the rates: flat over the worker counts
grep -A2 '^"COPY ceiling"' "$W/out/rate-workers.dat" | tail -2 | awk '{print $1}' | tr '\n' ' ' |
  grep -q '^1 2 $' || fail "no COPY ceiling series in rate-workers.dat"
# the ceiling writes the rows the sink writes for a created record, match
# keys included: one control number per generated record (each has a 001)
BC=$(dirname "$MARCPIPE")/bench_copy
"$BC" "$W/out/input-1000.mrc" --rows 1000 --tenant bench_tinycopy --db "" >/dev/null ||
  fail "bench_copy failed"
keys=$(psql -qAtc "SELECT count(*) FILTER (WHERE kind = 'control'), count(DISTINCT instance_id),
                   (SELECT count(*) FROM bench_tinycopy_marcpipe.instances)
                   FROM bench_tinycopy_marcpipe.instance_keys")
psql -qc "SET client_min_messages = warning; DROP SCHEMA bench_tinycopy_marcpipe CASCADE" >/dev/null
[ "$keys" = "1000|1000|1000" ] || fail "bench_copy instance_keys (control|instances keyed|instances): $keys"
# on a real cluster (-b) a run's topics go with its tenant, and
# --keep-tenants keeps both: the suite's cluster when it runs one
if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ]; then
  bench_topics() { kcat -L -b "$MP_KAFKA_BOOTSTRAP" -m 5 2>/dev/null | grep -c 'topic "marcpipe\.Default\.bench_' || true; }
  real_bench() { # DIR [options]: 200 records, 1 worker, on the cluster
    local d=$1; shift
    timeout 90 "$MARCPIPE" bench --records 200 -w 1 --repeat 1 --no-copy --timeout 50 \
      -b "$MP_KAFKA_BOOTSTRAP" -o "$d" -q "$@" >/dev/null 2>"$d.err" ||
      fail "bench -b failed: $(tail -n 5 "$d.err")"
    jq -e '[.configs[].runs[]] | length == 1 and all(.[]; .reconciled and .records == 200)' \
      "$d/results.json" >/dev/null || fail "bench -b run: $(jq -c '[.configs[].runs[] | {exit_code, status, note}]' "$d/results.json")"
  }
  t0=$(bench_topics)
  schemas0=$(psql -qAtc "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\_%' ORDER BY 1")
  real_bench "$W/real"
  for _ in $(seq 50); do [ "$(bench_topics)" -le "$t0" ] && break; sleep 0.2; done
  [ "$(bench_topics)" -eq "$t0" ] || fail "bench -b left $(( $(bench_topics) - t0 )) topics on the cluster"
  real_bench "$W/kept" --keep-tenants
  [ "$(bench_topics)" -eq $((t0 + 3)) ] ||
    fail "bench -b --keep-tenants: $t0 bench topics before, $(bench_topics) after (3 more expected)"
  for s in $(comm -13 <(echo "$schemas0") <(psql -qAtc "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\_%' ORDER BY 1")); do
    psql -qc "SET client_min_messages = warning; DROP SCHEMA $s CASCADE" >/dev/null
  done
fi
# no tenant left behind
after=$(psql -qAtc "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\_%'")
[ "$after" -eq "$before" ] || fail "bench schemas left: $before before, $after after"
echo "bench_tiny: ok ($took s)"
