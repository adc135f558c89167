#!/usr/bin/env bash
# import_two_workers.sh: two worker processes share the partitions. 3,000
# generated records with -w 2: both workers consumed records, every record
# was written exactly once (the workers' outcome counters sum to 3,000),
# and every consumed message is accounted for:
#   sum(consumed) - sum(abandoned) - sum(replayed) == 3,000.
# A worker that joins late makes the first one give its partitions back:
# what it held but had not sent to the sink is abandoned, and a batch in
# flight is written but moves no offset, so the new owner gets both again
# (the second kind counted as replayed by the sink, no change). The job is
# COMPLETED, 3,000 instances and one journal row per seq.
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_two
N=3000
"$MARCPIPE" gen --records $N --seed 7 -q -o "$TMP/g.mrc"
# 100 ms in each batch transaction: one worker alone needs at least 3 s for
# the 30 batches, so the second one (a group member on a real cluster, whose
# join a loaded machine delays by seconds) still finds records to take over
it_import -w 2 --window 500 --batch 100 --sink-latency-ms 100 "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"

python3 - "$IT_LIB" "$TMP/out.json" "$N" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import import_summary as summary
s = summary.load(sys.argv[2])
n = int(sys.argv[3])
bad = summary.completed_exactly(s, n, 2)
ws = s["workers"]
consumed = [w.get("consumed", 0) for w in ws]
replayed = [w.get("replayed", 0) for w in ws]
abandoned = [w.get("abandoned", 0) for w in ws]
written = [sum(w.get(k, 0) for k in ("created", "updated", "duplicates", "skipped", "errors"))
           for w in ws]
print(f"consumed {consumed} abandoned {abandoned} replayed {replayed} written {written}")
if any(c <= 0 for c in consumed): bad.append(f"a worker consumed nothing: {consumed}")
left = sum(consumed) - sum(abandoned) - sum(replayed)
if left != n: bad.append(f"consumed - abandoned - replayed = {left} != {n}")
if sum(written) != n: bad.append(f"workers wrote {sum(written)} records, want {n}")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
it_verdict "$N" # every seq once, counters = journal, one Instance each
