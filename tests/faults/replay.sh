#!/usr/bin/env bash
# replay.sh: after a completed job, the whole topic is consumed again from
# offset 0 by a fresh consumer group (no offsets in Kafka nor in
# PostgreSQL, auto.offset.reset=earliest) against the same database. Every
# record is a replay: no row and no counter may change.
FL_NAME=replay
source "$(dirname "$0")/lib.bash"

IN=$DATA/iso2709/solrmarc--uva_001_2000.mrc
N=2000 # SOURCES.md
fl_broker_start 8
fl_worker_start 1
fl_worker_start 2
fl_produce "$IN"
JOB=$(fl_job_id)
fl_produce_wait
st=$(fl_wait_job "$JOB" 60)
fl_log "job $JOB $st"
fl_workers_stop
fl_check -q 0 $N "$JOB"

# everything a replay could touch, rows and counters
snapshot() {
  fl_q "select 'jobs', id, status, total, completed_at from jobs order by id"
  fl_q "select 'progress', job_id, partition, processed, created, updated, duplicates, skipped, errors, updated_at from job_progress order by 2, 3"
  fl_q "select 'journal', count(*), md5(string_agg(job_id || ':' || seq || ':' || outcome || ':' || coalesce(instance_id::text, ''), ',' order by job_id, seq)) from journal"
  fl_q "select 'instances', count(*), sum(version), md5(string_agg(id || ':' || content_hash || ':' || source_seq || ':' || updated_at, ',' order by id)) from instances"
  fl_q "select 'keys', count(*) from instance_keys"
  fl_q "select 'source', count(*), md5(string_agg(job_id || ':' || seq || ':' || content_hash, ',' order by job_id, seq)) from source_records"
}
snapshot >"$FL_T/before"
"$MARCPIPE" status "$JOB" --json --tenant "$FL_TENANT" >"$FL_T/status.before"

runs=0
for g in 1 2; do
  FL_GROUP=flt.replay.$$.again$g
  "$MARCPIPE" work -b "$FL_BS" --tenant "$FL_TENANT" -G "$FL_GROUP" \
    "${FL_WORKER_OPTS[@]}" -X auto.offset.reset=earliest --exit-when-idle 3 \
    --stats-json >"$FL_T/replay$g.json" 2>"$FL_T/replay$g.log" ||
    fl_fail "replay worker exited $?"
  grep -q "\"consumed\":$N," "$FL_T/replay$g.json" || fl_fail "replay $g: $(cat "$FL_T/replay$g.json")"
  grep -q "\"replayed\":$N," "$FL_T/replay$g.json" || fl_fail "replay $g: $(cat "$FL_T/replay$g.json")"
  grep -q '"created":0,"updated":0,"duplicates":0,"skipped":0,"errors":0' "$FL_T/replay$g.json" ||
    fl_fail "replay $g moved counters: $(cat "$FL_T/replay$g.json")"
  runs=$((runs + 1))
done
snapshot >"$FL_T/after"
"$MARCPIPE" status "$JOB" --json --tenant "$FL_TENANT" >"$FL_T/status.after"
diff "$FL_T/before" "$FL_T/after" >&2 || fl_fail "a replay changed rows"
diff "$FL_T/status.before" "$FL_T/status.after" >&2 || fl_fail "a replay changed the job summary"
fl_check $runs $N "$JOB"
