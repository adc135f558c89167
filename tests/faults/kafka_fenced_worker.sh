#!/usr/bin/env bash
# kafka_fenced_worker.sh: on the real cluster, worker 1 of two is frozen
# (SIGSTOP) at 20 % of the job, most likely inside a batch's transaction.
# It stays frozen past its session timeout (6 s) and PostgreSQL's idle
# transaction timeout (10 s, src/pg/conn.c), until worker 2 has taken its
# partitions and stored offsets past the frozen one's in at least one of
# them. Then SIGCONT: the frozen worker finds itself fenced out of the
# group, and whatever it still writes (its batch retried on a new
# connection, a Kafka commit of the old generation) must neither count a
# record twice nor move a stored offset back. Verdict: fl_check exact; the
# offsets in PostgreSQL, sampled every 0.3 s through the job, never
# decrease; no offset after the resume is below the one before it; each
# partition's final stored offset is its last journaled message + 1.
FL_NAME=kafka_fenced # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need

N=4000
FL_WORKER_OPTS+=(-v) # the logs name each assignment
FL_SLOW_MS=300 fl_slow_job $N

offsets() { # "partition next_offset" lines of the group
  fl_q "select partition || ' ' || next_offset from kafka_offsets
        where group_id = '$FL_GROUP' order by partition"
}
( while :; do
    offsets 2>/dev/null | sed "s/^/$(date +%s.%N) /" >>"$FL_T/samples"
    sleep 0.3
  done ) &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true; fl_cleanup' EXIT

# the partitions of a worker: those of its last assignment in its log
held() {
  awk '/revoked [0-9]+ partitions/ {delete p} match($0, /assigned [^ ]+ \[[0-9]+\]/) {
         s = substr($0, RSTART, RLENGTH); sub(/.*\[/, "", s); sub(/\]/, "", s); p[s] = 1 }
       END {for (k in p) print k}' "$FL_T/w$1.log" | sort -n | tr '\n' ' '
}

fl_wait_processed "$JOB" $((N * 20 / 100)) 90
mine=$(held 1)
[ -n "$mine" ] || fl_fail "worker 1 holds no partition"
offsets >"$FL_T/at_stop"
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
kill -STOP "${FL_WPID[1]}"
t_stop=$SECONDS
w2_lines=$(wc -l <"$FL_T/w2.log")
fl_log "worker 1 (partitions $mine) frozen at $at processed"

# worker 2 takes every partition and stores an offset past the frozen
# worker's in one of its partitions
end=$((SECONDS + 60))
while :; do
  now_held=$(tail -n +"$((w2_lines + 1))" "$FL_T/w2.log" | grep -c "assigned .* \[" || true)
  further=
  if [ "$now_held" -ge "$FL_PARTITIONS" ]; then
    offsets >"$FL_T/now"
    for p in $mine; do
      a=$(awk -v p="$p" '$1 == p {print $2}' "$FL_T/at_stop")
      b=$(awk -v p="$p" '$1 == p {print $2}' "$FL_T/now")
      [ -n "$b" ] && [ "$b" -gt "${a:--1}" ] && further="$further $p:${a:-none}->$b"
    done
  fi
  [ -n "$further" ] && [ $((SECONDS - t_stop)) -ge 12 ] && break
  [ $SECONDS -lt $end ] ||
    fl_fail "60 s after the freeze worker 2 holds $now_held partitions and stored nothing past worker 1's"
  sleep 0.5
done
offsets >"$FL_T/before_resume"
fl_log "after $((SECONDS - t_stop)) s frozen: worker 2 moved the offsets of worker 1's partitions$further; $(fl_processed "$JOB") processed; SIGCONT"
kill -CONT "${FL_WPID[1]}"
w1_lines=$(wc -l <"$FL_T/w1.log")
# the resumed worker's late work: its retried batch, its rejoin
sleep 6
fl_worker_alive 1 || fl_fail "worker 1 died after SIGCONT"
offsets >"$FL_T/after_resume"
join "$FL_T/before_resume" "$FL_T/after_resume" | awk '$3 < $2 {print "partition " $1 ": " $2 " -> " $3; bad = 1}
  END {exit bad}' >"$FL_T/regress" || fl_fail "stored offsets went back after the resume: $(cat "$FL_T/regress")"
[ "$(wc -l <"$FL_T/after_resume")" -ge "$(wc -l <"$FL_T/before_resume")" ] ||
  fl_fail "stored offsets vanished after the resume"
fl_log "worker 1 after the resume: $(tail -n +"$((w1_lines + 1))" "$FL_T/w1.log" |
  grep -E -o 'revoked [0-9]+ partitions|retry[^:]*|assigned [^ ]+ \[[0-9]+\]' | sed 's/assigned [^ ]* /assigned /' |
  sort | uniq -c | awk '{c = $1; $1 = ""; printf "%s%s x%d", sep, $0, c; sep = ","}')"

fl_produce_wait
st=$(fl_wait_job "$JOB" 120)
fl_log "job $JOB $st"
fl_workers_stop
late=$(grep -o 'replayed [0-9]*' "$FL_T/w1.log" | tail -n 1)
fl_log "worker 1 in all: ${late:-replayed 0} (records it wrote again that were already stored)"
kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
# every sample: no partition's offset below an earlier sample's
sort -s -k1,1n "$FL_T/samples" | awk '{ if (($2 in last) && $3 < last[$2]) {
    print "partition " $2 ": " last[$2] " then " $3; bad = 1 } last[$2] = $3 }
  END {exit bad}' >"$FL_T/regress" || fl_fail "a stored offset went back: $(head -n 3 "$FL_T/regress")"
# the final offsets: the last journaled message of each partition + 1
fl_q "select k.partition || ' ' || k.next_offset || ' ' || j.last + 1 from kafka_offsets k
      join (select partition, max(kafka_offset) as last from journal
            where job_id = $JOB group by partition) j using (partition)
      where k.group_id = '$FL_GROUP' order by 1" >"$FL_T/final"
[ "$(wc -l <"$FL_T/final")" = "$FL_PARTITIONS" ] || fl_fail "stored offsets for $(wc -l <"$FL_T/final") partitions"
awk '$2 != $3 {print "partition " $1 ": stored " $2 ", journal ends at " $3 - 1; bad = 1} END {exit bad}' \
  "$FL_T/final" >"$FL_T/regress" || fl_fail "final offsets: $(cat "$FL_T/regress")"
fl_log "$(wc -l <"$FL_T/samples") offset samples, none going back"
fl_check 1 $N "$JOB"
