#!/usr/bin/env bash
# kafka_worker_host_cut.sh: two workers, each on its own simulated host (a
# network namespace with a veth pair to a bridge: scripts/netns.bash), reach
# the scenario's own 1-node Kafka cluster and the test environment's
# PostgreSQL over the bridge address; the producer runs in the root
# namespace. At 25 % of the job the cable of worker 1's host is cut (its
# bridge port down: Kafka and PostgreSQL both unreachable, no connection
# reset) for FL_CUT_S seconds, longer than the session timeout (6 s) and the
# idle-in-transaction timeout of PostgreSQL sessions (10 s); worker 2 must go
# on alone meanwhile. Then the link heals and worker 1 must come back to
# the group. Every record stored exactly once with exact counts.
# Needs root and `ip netns` (else skipped, 77), and MP_PGTMP: PostgreSQL is
# restarted listening on the bridge address too (back to loopback alone at
# exit), so ctest runs this alone (RUN_SERIAL).
FL_NAME=kafka_host_cut # short: tenants are at most 31 characters
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/netns.bash"
if ! ns_available; then
  echo "SKIP: scenario $FL_NAME needs root and network namespaces (ip netns)"
  exit 77
fi
source "$HERE/lib.bash"
PGTMP=${MP_PGTMP:?MP_PGTMP not set: this scenario restarts the PostgreSQL of scripts/pgtmp.sh}
KDIR=$FL_T/kafka
PG_MOVED=0
host_cut_cleanup() {
  local id
  for id in "${!FL_WPID[@]}"; do kill -KILL "${FL_WPID[$id]}" 2>/dev/null || true; done
  [ -n "$FL_PPID" ] && kill -KILL "$FL_PPID" 2>/dev/null || true
  bash "$ROOT/scripts/kafka.sh" stop --dir "$KDIR" >/dev/null 2>&1 || true
  [ "$PG_MOVED" = 0 ] || bash "$ROOT/scripts/pgtmp.sh" restart "$PGTMP" ||
    echo "WARNING: PostgreSQL in $PGTMP not restarted on loopback alone" >&2
  fl_cleanup
}
trap host_cut_cleanup EXIT
ns_setup || fl_fail "network namespaces"   # its cleanup runs after ours
ns_host h1 || fl_fail "host h1"
ns_host h2 || fl_fail "host h2"

N=8000
FL_CUT_S=${FL_CUT_S:-16}
fl_gen $N "$FL_T/in.mrc"
bash "$ROOT/scripts/pgtmp.sh" restart "$PGTMP" --listen "$NS_ADDR/24" ||
  fl_fail "PostgreSQL did not restart on $NS_ADDR"
PG_MOVED=1
t=$SECONDS
MP_KAFKA_BOOTSTRAP=$(bash "$ROOT/scripts/kafka.sh" start --brokers 1 --dir "$KDIR" --host "$NS_ADDR" 2>"$FL_T/kafka.log") ||
  fl_fail "Kafka on $NS_ADDR did not start"
fl_log "Kafka at $MP_KAFKA_BOOTSTRAP up in $((SECONDS - t)) s; PostgreSQL on $NS_ADDR:$PGPORT; hosts h1 $(ns_host_addr h1), h2 $(ns_host_addr h2)"
fl_broker_start 8

# slow batches (50 records, 400 ms inside each transaction, 2 sinks): at
# most 250 records/s a worker, so worker 2 alone cannot finish the job
# during the cut (6,000 records at 25 % + 16 s)
FL_WORKER_OPTS+=(--batch 50 --sink-latency-ms 400)
for h in 1 2; do
  FL_WRAP=(ip netns exec "$(ns_netns h$h)" env PGHOST="$NS_ADDR" PGPORT="$PGPORT")
  fl_worker_start $h -v # -v: assignments in the log
done
FL_WRAP=()
fl_produce "$FL_T/in.mrc"
JOB=$(fl_job_id)

fl_wait_processed "$JOB" $((N * 25 / 100)) 90
# both workers must have committed batches before the cut: the cut host
# holds partitions and has a PostgreSQL session
for h in 1 2; do
  end=$((SECONDS + 30))
  until [ "$(fl_q "select count(*) from pg_stat_activity where client_addr = '$(ns_host_addr h$h)'")" -gt 0 ]; do
    [ $SECONDS -lt $end ] || fl_fail "no PostgreSQL session from host h$h"
    sleep 0.2
  done
done
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
w2_before=$(grep -c ' assigned ' "$FL_T/w2.log" || true)
ns_link h1 down || fl_fail "link down"
fl_log "host h1 cut off at $at processed, for $FL_CUT_S s"
# half way: what the cut host left in PostgreSQL, and whether worker 2
# waits on it (said, not asserted: it depends on where the cut fell)
sleep $((FL_CUT_S / 2))
fl_log "$((FL_CUT_S / 2)) s into the cut: $(fl_processed "$JOB") processed; sessions of h1: $(fl_q "select count(*) filter (where state = 'idle in transaction') || ' idle in transaction, ' || count(*) filter (where state = 'active') || ' active' from pg_stat_activity where client_addr = '$(ns_host_addr h1)'"); of h2 waiting on a lock: $(fl_q "select count(*) from pg_stat_activity where client_addr = '$(ns_host_addr h2)' and wait_event_type = 'Lock'")"
sleep $((FL_CUT_S - FL_CUT_S / 2))
fl_worker_alive 1 || fl_fail "worker 1 died while its host was cut off"
healed=$(fl_processed "$JOB")
fl_log "host h1 back at $healed processed ($((healed - at)) during the cut)"
assigned=$(grep -c ' assigned ' "$FL_T/w1.log" || true)
ns_link h1 up || fl_fail "link up"
[ "$healed" -gt "$at" ] || fl_fail "nothing processed while host h1 was cut off"
# worker 1's session timed out and the group gave worker 2 every partition
# (eager assignors: the whole assignment again, 8 partitions)
w2_took=$(( $(grep -c ' assigned ' "$FL_T/w2.log" || true) - w2_before ))
[ "$w2_took" -ge 8 ] || fl_fail "worker 2 got $w2_took partition assignments during the cut, not all 8"
[ "$healed" -lt $N ] || fl_fail "the job ended before the link healed"

fl_produce_wait
st=$(fl_wait_job "$JOB" 120)
fl_log "job $JOB $st"
# worker 1 comes back to the group: partitions assigned to it after the
# heal (the job may have ended first: it still rejoins)
end=$((SECONDS + 60))
until [ "$(grep -c ' assigned ' "$FL_T/w1.log" || true)" -gt "$assigned" ]; do
  fl_worker_alive 1 || fl_fail "worker 1 exited after the link healed"
  [ $SECONDS -lt $end ] || fl_fail "worker 1 got no partition within 60 s of the heal"
  sleep 0.5
done
fl_log "worker 1 rejoined: $(( $(grep -c ' assigned ' "$FL_T/w1.log") - assigned )) partition(s) assigned after the heal"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 1 $N "$JOB"
