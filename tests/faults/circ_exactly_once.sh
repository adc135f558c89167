#!/usr/bin/env bash
# circ_exactly_once.sh: the exactly-once verdict of circulation. A generated
# stream (with 3% of its events duplicated: same eventId a few lines later)
# is produced while two consumers per service (blocks, audit) are killed
# with kill -9 at random points and restarted, one of them once between the
# PostgreSQL and the Kafka commits, every PostgreSQL session of the run is
# terminated once (pg_terminate_backend), and the embedded broker answers some
# Produce, Fetch and OffsetCommit requests with retriable errors. Then: every patron's summary equals the
# generator's oracle, and the audit log has each event once (circ_check).
# Then a replay from offset 0 in fresh consumer groups, and the whole file
# produced a second time (every event a duplicate): nothing changes.
FL_NAME=circ_exactly_once
# On the embedded broker only (circ.bash reads FL_EMBEDDED): on the real
# cluster a consumer told to stop (SIGTERM) right after the kills and the
# session cut once stayed in "finishing the batches in flight" for more
# than 30 s (see README.md, known limits); the real-cluster circulation run
# is circ_seed.sh.
FL_EMBEDDED=1
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/circ.bash"
fl_hooks_need

N=${CIRC_EVENTS:-12000}
KILLS=4
"$MARCPIPE" circ gen --seed 11 --patrons 150 --events "$N" --duplicates 3 \
  --tenant "$FL_TENANT" -o "$FL_T/events.ndjson" --oracle "$FL_T/oracle.json" ||
  fl_fail "circ gen"
circ_kafka_start
# small batches keep the run going long enough for the kills to land in it
CIRC_WORKER_OPTS+=(--batch 20 --sinks 1)
circ_worker_start b1 blocks
MP_FAULT_CRASH_AFTER_PG_COMMIT=5 circ_worker_start b2 blocks
circ_worker_start a1 audit
circ_worker_start a2 audit
# a small credit: the producer must wait for the slowest service, dead
# consumers included
circ_produce "$FL_T/events.ndjson" --max-backlog 1500
JOB=$(fl_job_id)
if [ "$FL_REAL" = 0 ]; then # retriable broker errors meanwhile
  fl_broker_cmd "err Produce 6 NOT_LEADER_FOR_PARTITION"
  fl_broker_cmd "err Fetch 6 NOT_LEADER_FOR_PARTITION"
  fl_broker_cmd "err OffsetCommit 4 COORDINATOR_NOT_AVAILABLE"
fi
circ_wait_hook b2
fl_log "b2 died after a PostgreSQL COMMIT at $(circ_processed blocks "$JOB") processed"
circ_worker_start b2 blocks

RANDOM=$$
ids=(b1 b2 a1 a2)
for k in $(seq $KILLS); do
  at=$(( (k * N + RANDOM % (N / 2)) / (KILLS + 1) ))
  id=${ids[RANDOM % 4]}
  svc=blocks; [ "${id:0:1}" = a ] && svc=audit
  circ_wait "$svc" "$JOB" "$at" 120
  if [ "$k" -eq 2 ]; then # the database drops every session of the run
    fl_log "PostgreSQL sessions cut: $(circ_pg_cut)"
  fi
  fl_log "kill -9 $id at $(circ_processed "$svc" "$JOB") $svc processed"
  fl_worker_kill "$id"
  sleep 0.$((RANDOM % 10))
  circ_worker_start "$id" "$svc"
done
fl_produce_wait
retries=$(cat "$FL_T"/w*.log | grep -c 'failed (MP_ETRANSIENT' || true)
[ "$retries" -gt 0 ] || fl_fail "no batch was retried after the sessions were cut"
fl_log "batches retried after the cut: $retries"
read -r most waits < <(sed -n 's/.*backlog at most \([0-9]*\) (credit waits \([0-9]*\)).*/\1 \2/p' "$FL_T/produce.log")
[ -n "$most" ] && [ "$most" -le 1500 ] && [ "$waits" -gt 0 ] ||
  fl_fail "credit: backlog at most '$most' (want <= 1500), waits '$waits' (want > 0)"
fl_log "producer: backlog at most $most events, $waits credit waits"
circ_wait blocks "$JOB" "$N" 180
circ_wait audit "$JOB" "$N" 180
fl_workers_stop
circ_check "$FL_T/events.ndjson" "$FL_T/oracle.json" "$JOB"

# a replay from offset 0: fresh groups, same services; nothing may change
for svc in blocks audit; do
  "$MARCPIPE" circ work --service $svc -b "$FL_BS" --tenant "$FL_TENANT" \
    -G "flt.$FL_NAME.$$.replay.$svc" "${CIRC_WORKER_OPTS[@]}" --batch 500 \
    --exit-when-idle 4 --stats-json >"$FL_T/replay.$svc.json" \
    2>"$FL_T/replay.$svc.log" || fl_fail "replay of $svc failed"
  read -r consumed created replayed < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["consumed"], s["created"], s["replayed"])' "$FL_T/replay.$svc.json")
  [ "$consumed $created $replayed" = "$N 0 $N" ] ||
    fl_fail "replay of $svc: consumed $consumed, applied $created, replayed $replayed; want $N 0 $N"
  fl_log "replay of $svc from offset 0: $consumed consumed, all replays"
done
circ_check -q "$FL_T/events.ndjson" "$FL_T/oracle.json" "$JOB"

# the same file produced again: a new run whose every event is known
circ_worker_start b1 blocks
circ_worker_start a1 audit
JOB2=$(circ_produce_sync "$FL_T/events.ndjson")
circ_wait blocks "$JOB2" "$N" 120
circ_wait audit "$JOB2" "$N" 120
fl_workers_stop
dups=$(grep -h -o 'duplicates [0-9]*' "$FL_T/wb1.log" | tail -n1)
fl_log "second run $JOB2: blocks $dups"
circ_check "$FL_T/events.ndjson" "$FL_T/oracle.json" "$JOB" "$JOB2"
