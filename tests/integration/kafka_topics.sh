#!/usr/bin/env bash
# kafka_topics.sh: `import -b` on the real cluster creates its topics with
# the Admin API and uses existing ones as they are.
# 1. A new topic environment: the records topic is created with
#    --partitions 4 and replication min(3, brokers), the dead-letter and
#    completion topics with 1 partition (read back from the cluster's
#    metadata); 500 records COMPLETED; with --max-backlog 400 each of 2
#    workers gets a window of 200 (its share: 2 of 4 partitions);
#    -X fetch.min.bytes (consumer) and linger.ms (producer) raise no
#    librdkafka configuration warning; worker 0 joined the group before
#    the fallback of the staged start (no "has not joined" line: the
#    other worker was started by its first counters line).
# 2. Again with --partitions 8: the topic keeps its 4 partitions, import
#    says so, and the windows still follow 4 partitions (200, not 100).
# 3. --replication-factor 9 on a cluster of 3: one line naming the topic
#    and the broker's reason; the job FAILED with it.
# Needs MP_KAFKA_BOOTSTRAP (skipped, 77, without it).
[ -n "${MP_KAFKA_BOOTSTRAP:-}" ] || { echo "SKIP: needs MP_KAFKA_BOOTSTRAP"; exit 77; }
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_ktopics
E=kt$$
TOPIC=$E.Default.$T.DI_INCOMING_MARC_BIB_RECORD
N=500
"$MARCPIPE" gen --records $N --seed 13 -q -o "$TMP/g.mrc"

topics() { # "name partitions replicas" of the environment's topics
  kcat -L -b "$MP_KAFKA_BOOTSTRAP" -J -m 5 2>/dev/null | python3 -c '
import json, sys
md = json.load(sys.stdin)
for t in sorted(md["topics"], key=lambda t: t["topic"]):
    if t["topic"].startswith(sys.argv[1] + "."):
        print(t["topic"], len(t["partitions"]), len(t["partitions"][0]["replicas"]))' "$E"
}
nb=$(kcat -L -b "$MP_KAFKA_BOOTSTRAP" -J -m 5 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["brokers"]))')
rf=$(( nb < 3 ? nb : 3 ))
windows() { # the workers' window_records, sorted
  python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(s["status"], s["records"], " ".join(str(w["window_records"]) for w in s["workers"]))' "$TMP/out.json"
}

# 1. created; with a consumer-only and a producer-only -X property, which
# each client must take or leave without librdkafka's CONFWARN
it_import -w 2 --partitions 4 --max-backlog 400 --env "$E" \
  -X fetch.min.bytes=2048 -X linger.ms=10 "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import 1 exit $IT_RC"
! grep -q CONFWARN "$TMP/err.log" || it_fail "librdkafka warned: $(grep -m1 CONFWARN "$TMP/err.log")"
! grep -q "has not joined the group" "$TMP/err.log" ||
  it_fail "staged start fell back to its timer: $(grep -m1 'has not joined' "$TMP/err.log")"
want="$E.Default.$T.DI_ERROR 1 $rf
$E.Default.$T.DI_INCOMING_MARC_BIB_RECORD 4 $rf
$E.Default.$T.DI_JOB_COMPLETED 1 $rf"
got=$(topics)
[ "$got" = "$want" ] || it_fail "topics: $got, want $want"
[ "$(windows)" = "COMPLETED $N 200 200" ] || it_fail "import 1: $(windows)"

# 2. used as it is
it_import -w 2 --partitions 8 --max-backlog 400 --env "$E" "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import 2 exit $IT_RC"
grep -qF "topic $TOPIC exists with 4 partitions: using it as it is (--partitions 8 ignored)" "$TMP/err.log" ||
  it_fail "import 2 did not say it kept the topic's 4 partitions"
[ "$(topics)" = "$want" ] || it_fail "topics changed: $(topics)"
[ "$(windows)" = "COMPLETED $N 200 200" ] || it_fail "import 2: $(windows) (windows of 8 partitions would be 100)"
rows=$(it_sql "SELECT count(*) || ' ' || count(DISTINCT (job_id, seq)) FROM ${T}_marcpipe.journal")
[ "$rows" = "$((2 * N)) $((2 * N))" ] || it_fail "journal rows / distinct records: $rows, want $((2 * N)) each"

# 3. cannot be created
E3=kt3x$$
it_import -w 1 --replication-factor 9 --env "$E3" "$TMP/g.mrc"
[ "$IT_RC" = 1 ] || it_fail "import 3 exit $IT_RC, want 1"
line="marcpipe import: cannot create topic $E3.Default.$T.DI_INCOMING_MARC_BIB_RECORD: INVALID_REPLICATION_FACTOR"
grep -qF "$line" "$TMP/err.log" || it_fail "import 3 did not say '$line'"
[ "$(grep -c '' "$TMP/err.log")" = 1 ] || it_fail "import 3: more than one line on stderr"
st=$(it_sql "SELECT status FROM ${T}_marcpipe.jobs ORDER BY id DESC LIMIT 1")
reason=$(it_sql "SELECT failure_reason FROM ${T}_marcpipe.jobs ORDER BY id DESC LIMIT 1")
[ "$st" = FAILED ] && [ "marcpipe import: $reason" = "$(cat "$TMP/err.log")" ] ||
  it_fail "job 3: $st ($reason)"
echo "kafka_topics: 3 topics created (4/1/1 partitions, replication $rf), kept at 4 partitions on --partitions 8, replication 9 refused naming the topic"
