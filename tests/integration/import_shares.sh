#!/usr/bin/env bash
# import_shares.sh: `import --assign share` (the default on the embedded
# broker): worker i of N reads the partitions p with p mod N = i and joins
# no consumer group. 3,000 generated records, -w 3, 8 partitions:
#   - the workers say which share they took (3, 3 and 2 partitions), each
#     took it once (rebalances 1) and consumed records, and every record
#     was consumed exactly once (no rebalance: nothing abandoned, nothing
#     replayed);
#   - the offsets stored in PostgreSQL for the records topic add up to
#     3,000 over exactly 8 partitions, and Kafka took the offset commits
#     (no commit error without a group membership);
#   - a worker that dies (the test hook exits after its 4th batch, between
#     the PostgreSQL commit and Kafka's) is restarted with the same share
#     and the job is still COMPLETED exactly once.
# Runs on the real cluster too when the suite has one: a share needs no
# group there either.
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_shares
N=3000
"$MARCPIPE" gen --records $N --seed 11 -q -o "$TMP/g.mrc"
it_import --assign share -w 3 --partitions 8 --window 500 --batch 100 -v \
  "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"
for want in "member 0 of 3: 3 of the 8 partitions" \
            "member 1 of 3: 3 of the 8 partitions" \
            "member 2 of 3: 2 of the 8 partitions"; do
  grep -q "$want" "$TMP/err.log" || it_fail "no '$want' on stderr"
done
grep -q "rebalance\|revoked" "$TMP/err.log" &&
  it_fail "a worker of a share saw a rebalance"
python3 - "$IT_LIB" "$TMP/out.json" "$N" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import import_summary as summary
s = summary.load(sys.argv[2])
n = int(sys.argv[3])
bad = summary.completed_exactly(s, n, 3)
ws = s["workers"]
consumed = [w.get("consumed", 0) for w in ws]
print(f"consumed {consumed} rebalances {[w.get('rebalances') for w in ws]} "
      f"kafka commits {[w.get('kafka_commits') for w in ws]}")
if any(c <= 0 for c in consumed): bad.append(f"a worker consumed nothing: {consumed}")
if sum(consumed) != n: bad.append(f"consumed {sum(consumed)} != {n}")
for k in ("abandoned", "replayed", "kafka_commit_errors"):
    v = [w.get(k, 0) for w in ws]
    if any(v): bad.append(f"{k} {v}")
if any(w.get("rebalances") != 1 for w in ws): bad.append("a share taken more than once")
if any(w.get("kafka_commits", 0) <= 0 for w in ws): bad.append("no Kafka commit")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
it_verdict "$N"
topic=$(tl_q "SELECT topic FROM kafka_offsets WHERE topic LIKE '%DI_INCOMING_MARC_BIB%' LIMIT 1")
got=$(tl_q "SELECT count(*) || ' ' || sum(next_offset) FROM kafka_offsets WHERE topic = '$topic'")
[ "$got" = "8 $N" ] || it_fail "stored offsets of $topic: '$got', want 8 partitions summing to $N"
echo "stored offsets of $topic: 8 partitions, sum $N"

# A worker that dies is restarted with its share; the job still completes,
# every record once. A new tenant: the first one's schema goes now.
tl_sql "DROP SCHEMA IF EXISTS $TL_SCHEMA CASCADE" >/dev/null 2>&1
T=it_shares_crash
tl_tenant "$T"
MP_FAULT_CRASH_AFTER_PG_COMMIT=4 it_import --assign share -w 3 --partitions 8 \
  --window 500 --batch 100 "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import with crashing workers: exit $IT_RC"
grep -q "MP_FAULT_CRASH_AFTER_PG_COMMIT: exiting after batch 4" "$TMP/err.log" ||
  it_fail "no worker crashed"
grep -q "restarting worker" "$TMP/err.log" || it_fail "no worker restarted"
python3 - "$IT_LIB" "$TMP/out.json" "$N" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import import_summary as summary
s = summary.load(sys.argv[2])
bad = summary.completed_exactly(s, int(sys.argv[3]), 3)
print(f"status {s['status']} created {s['created']} restarts {s.get('worker_restarts')}")
if not s.get("worker_restarts"): bad.append("no worker restart counted")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
it_verdict "$N"
