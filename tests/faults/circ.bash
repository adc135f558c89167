# circ.bash: helpers of the circulation scenarios (tests/faults/circ_*.sh),
# sourced after lib.bash (its broker, tenant, logs, cleanup and fl_q).
# Kafka: $MP_KAFKA_BOOTSTRAP when set (a real cluster: the topic must exist
# or be auto-created), else the embedded broker with the topic created at
# CIRC_PARTITIONS partitions.
#
# The exactly-once verdict of circulation is circ_check (circ_verdict.py):
#   scenario NAME: events sent S (unique U), patrons P equal to the oracle,
#   audit rows A, lost L, duplicated D
# and it fails unless every patron's summary equals the oracle, the audit
# log holds each event exactly once, each service applied each event once
# and counted each message once.
CIRC_TOPIC=marcpipe.Default.$FL_TENANT.CIRCULATION
CIRC_PARTITIONS=${CIRC_PARTITIONS:-4}
CIRC_WORKER_OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
                  --batch 100)
# the consumers' and producer's PostgreSQL sessions carry this
# application_name, so a scenario can cut exactly them (circ_pg_cut)
CIRC_APP=flt_${FL_NAME}_$$

circ_kafka_start() {
  fl_broker_start "$CIRC_PARTITIONS"
  [ "$FL_REAL" = 1 ] || fl_broker_cmd "topic $CIRC_TOPIC $CIRC_PARTITIONS"
  fl_log "kafka at $FL_BS, topic $CIRC_TOPIC"
}

# circ_worker_start ID SERVICE [circ work options...] (log $FL_T/wID.log)
circ_worker_start() {
  local id=$1 service=$2; shift 2
  PGAPPNAME=$CIRC_APP "$MARCPIPE" circ work --service "$service" -b "$FL_BS" --tenant "$FL_TENANT" \
    -G "flt.$FL_NAME.$$.$service" "${CIRC_WORKER_OPTS[@]}" "$@" \
    >>"$FL_T/w$id.out" 2>>"$FL_T/w$id.log" &
  FL_WPID[$id]=$!
}

# circ_produce FILE [circ produce options...]: the producer in the
# background (job id in $FL_T/job, log $FL_T/produce.log).
circ_produce() {
  local file=$1; shift
  : >"$FL_T/job"
  PGAPPNAME=$CIRC_APP "$MARCPIPE" circ produce -b "$FL_BS" --tenant "$FL_TENANT" "$@" "$file" \
    >"$FL_T/job" 2>>"$FL_T/produce.log" &
  FL_PPID=$!
}

# circ_produce_sync FILE: produce and wait; prints the job id.
circ_produce_sync() {
  circ_produce "$1"
  fl_produce_wait
  head -n1 "$FL_T/job"
}

# circ_processed SERVICE JOB: messages of JOB the service has committed.
circ_processed() {
  fl_q "select coalesce(sum(processed), 0) from circ_progress where service = '$1' and job_id = $2"
}

# circ_wait SERVICE JOB N [TIMEOUT]: until the service has N of JOB.
circ_wait() {
  local end=$((SECONDS + ${4:-90}))
  while [ "$(circ_processed "$1" "$2")" -lt "$3" ]; do
    [ $SECONDS -lt $end ] ||
      fl_fail "$1: job $2 has $(circ_processed "$1" "$2") of $3 processed after ${4:-90} s"
    sleep 0.1
  done
}

# circ_wait_hook ID: consumer ID (started with MP_FAULT_CRASH_AFTER_PG_COMMIT)
# must exit 137 from the hook within 60 s, after PostgreSQL committed the
# batch and before Kafka has its offsets.
circ_wait_hook() {
  local id=$1 rc=0 end=$((SECONDS + 60))
  while fl_worker_alive "$id"; do
    [ $SECONDS -lt $end ] || fl_fail "consumer $id did not reach the fault hook"
    sleep 0.1
  done
  wait "${FL_WPID[$id]}" || rc=$?
  unset "FL_WPID[$id]"
  [ "$rc" -eq 137 ] || fl_fail "consumer $id exited $rc, expected 137 from the hook"
  grep -q 'MP_FAULT_CRASH_AFTER_PG_COMMIT: exiting after batch' "$FL_T/w$id.log" ||
    fl_fail "consumer $id did not crash in the hook"
}

# circ_pg_cut: terminate every PostgreSQL session of the scenario's
# consumers and producer (as a server restart does to them); prints how many.
circ_pg_cut() {
  fl_q "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = '$CIRC_APP'"
}

# circ_job_status JOB WANT: the run's status must be WANT (the services'
# last batch or the producer's total completed it).
circ_job_status() {
  local st
  st=$(fl_q "select status from jobs where id = $1")
  [ "$st" = "$2" ] || fl_fail "job $1 is $st, want $2"
}

# circ_check [-q] EVENTS ORACLE JOB...: the verdict (see above). JOBs are
# the runs that produced EVENTS (each must be fully processed by both
# services).
circ_check() {
  local quiet=
  [ "$1" = -q ] && { quiet=-q; shift; }
  local events=$1 oracle=$2 j; shift 2
  for j in "$@"; do circ_job_status "$j" COMPLETED; done
  "$MARCPIPE" circ summary --tenant "$FL_TENANT" >"$FL_T/summary.ndjson" ||
    fl_fail "circ summary failed"
  fl_q "select event_id from circ_audit" >"$FL_T/audit.ids"
  fl_q "select count(*) from circ_applied where service = 'blocks'" >"$FL_T/applied.n"
  fl_q "select service, job_id, sum(processed) from circ_progress group by 1, 2" \
    >"$FL_T/progress.txt"
  fl_q "select count(*) from circ_invalid" >"$FL_T/invalid.n"
  python3 "$(dirname "${BASH_SOURCE[0]}")/circ_verdict.py" $quiet --name "$FL_NAME" \
    --events "$events" --oracle "$oracle" --summary "$FL_T/summary.ndjson" \
    --audit "$FL_T/audit.ids" --applied "$FL_T/applied.n" \
    --progress "$FL_T/progress.txt" --invalid "$FL_T/invalid.n" --jobs "$@" ||
    fl_fail "circulation verdict"
}
