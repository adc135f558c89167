#!/usr/bin/env bash
# serve.sh: response times of `marcpipe serve` with a job of N journal
# rows (default 1,000,000; 1% ERROR, 2% UPDATED, the rest CREATED, each row
# with its Instance), filled by SQL in tenant bench_serve. Each URL is
# fetched REPS times (default 30) after one warm-up; prints the median and
# the maximum of curl's time_total in ms. Not a test: numbers only.
# usage: PG* set (e.g. scripts/pgtmp.sh); bench/serve.sh [N] [REPS]
set -euo pipefail
N=${1:-1000000}
REPS=${2:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
M=${MARCPIPE:-$ROOT/build/marcpipe}
T=bench_serve
S=${T}_marcpipe
psql -XAtq -c "DROP SCHEMA IF EXISTS $S CASCADE" >/dev/null 2>&1 || true
"$M" jobs --tenant $T >/dev/null # applies the migrations
psql -XAtq -v ON_ERROR_STOP=1 <<SQL
SET search_path = $S;
INSERT INTO jobs (status, file_name, topic, total, produced, started_at, completed_at)
VALUES ('COMPLETED_WITH_ERRORS', 'bench.mrc', 't', $N, $N, now() - interval '1 hour', now());
INSERT INTO instances (id, hrid, match_key, instance, source_job, source_seq, content_hash)
SELECT md5('k' || g)::uuid, 'h' || g, 'k' || g, jsonb_build_object('title', 'Title ' || g),
       1, g, md5(g::text)
FROM generate_series(1, $N) g WHERE g % 100 <> 0;
INSERT INTO journal (job_id, seq, partition, kafka_offset, outcome, instance_id, match_key,
                     error_class, reason, match_kind, match_value)
SELECT 1, g, g % 8, g / 8,
       CASE WHEN g % 100 = 0 THEN 'ERROR' WHEN g % 50 = 1 THEN 'UPDATED' ELSE 'CREATED' END,
       CASE WHEN g % 100 <> 0 THEN md5('k' || g)::uuid END, 'k' || g,
       CASE WHEN g % 100 = 0 THEN 'MP_EMAPPING' END,
       CASE WHEN g % 100 = 0 THEN 'record ' || g || ': cannot be mapped' END,
       CASE WHEN g % 50 = 1 THEN 'oclc' END, CASE WHEN g % 50 = 1 THEN 'ocm' || g END
FROM generate_series(1, $N) g;
INSERT INTO job_progress (job_id, partition, processed, created, updated, errors)
SELECT 1, partition, count(*), count(*) FILTER (WHERE outcome = 'CREATED'),
       count(*) FILTER (WHERE outcome = 'UPDATED'), count(*) FILTER (WHERE outcome = 'ERROR')
FROM journal GROUP BY partition ORDER BY partition;
INSERT INTO job_samples (job_id, at, processed)
SELECT 1, now() - interval '1 hour' + g * interval '3 s', g * ($N / 1200) FROM generate_series(1, 1200) g;
ANALYZE;
SQL
OUT=$(mktemp); trap 'kill $SP 2>/dev/null; rm -f "$OUT"' EXIT
"$M" serve --listen 127.0.0.1:0 --tenant $T >"$OUT" 2>/dev/null &
SP=$!
for _ in $(seq 1 50); do URL=$(head -1 "$OUT" | sed 's,/$,,'); [ -n "$URL" ] && break; sleep 0.1; done
echo "journal rows: $(psql -XAtq -c "SELECT count(*) FROM $S.journal")"
printf '%-40s %8s %8s\n' path median_ms max_ms
for p in / /api/jobs /jobs/1 "/jobs/1?after=500000" "/jobs/1?after=999950" \
         "/jobs/1?outcome=ERROR&after=500000" "/jobs/1?outcome=UPDATED&before=900000" \
         /jobs/1/records/777777 /jobs/1/chart.svg /metrics; do
  curl -s -o /dev/null "$URL$p"
  for _ in $(seq 1 "$REPS"); do curl -s -o /dev/null -w '%{time_total}\n' "$URL$p"; done |
    sort -n | awk -v p="$p" '{v[NR]=$1*1000} END {printf "%-40s %8.1f %8.1f\n", p, v[int((NR+1)/2)], v[NR]}'
done
