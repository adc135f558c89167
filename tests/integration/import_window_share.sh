#!/usr/bin/env bash
# import_window_share.sh: with no --window, each worker's window is its
# share of the job's backlog. 2,000 generated records, -w 3 on 4 partitions,
# --max-backlog 600 (bytes: the default 2 MiB per partition, 8 MiB): the
# most partitions one of 3 workers can get is 2 of 4, so every worker runs
# with a window of 300 records and 4 MiB (from each worker's own counters in
# the --json summary), none held more than 300, and the job is COMPLETED
# with 2,000 instances and one journal row per seq. With no --sinks, each
# worker's sinks are its share of the job's database connections (default:
# the CPUs of this machine, at least 2): ceil(connections / 3), at least 1,
# at most 2.
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_share
N=2000
"$MARCPIPE" gen --records $N --seed 11 -q -o "$TMP/g.mrc"
it_import -w 3 --partitions 4 --max-backlog 600 "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"

python3 - "$IT_LIB" "$TMP/out.json" "$N" <<'PY' || it_fail "summary or database"
import os, sys
sys.path.insert(0, sys.argv[1])
import import_summary as summary
s = summary.load(sys.argv[2])
n = int(sys.argv[3])
bad = summary.completed_exactly(s, n, 3)
ws = s["workers"]
conns = max(2, os.cpu_count() or 1)
want_sinks = min(2, max(1, -(-conns // 3)))
for i, w in enumerate(ws):
    got = (w.get("window_records"), w.get("window_bytes"))
    if got != (300, 4 << 20): bad.append(f"worker {i} window {got}, want (300, {4 << 20})")
    if w.get("max_records_held", 301) > 300:
        bad.append(f"worker {i} held {w.get('max_records_held')} > 300")
    if w.get("sinks") != want_sinks:
        bad.append(f"worker {i} has {w.get('sinks')} sinks, want {want_sinks} ({conns} connections)")
    print(f"worker {i}: window {got}, held at most {w.get('max_records_held')}, {w.get('sinks')} sinks")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
it_verdict "$N" # every seq once, counters = journal, one Instance each
