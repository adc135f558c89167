#!/usr/bin/env bash
# import_window.sh: the pull window bounds what a worker holds. 3,000
# generated records through a slow sink (200 ms per batch transaction) with
# --window 300 --batch 100: from each worker's own counters in the --json
# summary, max_records_held <= 300 and pauses > 0 (the window filled and
# the consumer was paused); the job is COMPLETED with exact counts from the
# summary and from PostgreSQL (3,000 instances, 3,000 journal rows, seqs
# 1..3000 once each).
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_window
N=3000 WINDOW=300
"$MARCPIPE" gen --records $N -q -o "$TMP/g.mrc"
it_import --window $WINDOW --batch 100 --sink-latency-ms 200 "$TMP/g.mrc"
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"

db=$(it_sql "SELECT (SELECT count(*) FROM ${T}_marcpipe.instances),
                    count(*), count(DISTINCT seq), min(seq), max(seq),
                    count(*) FILTER (WHERE outcome = 'CREATED')
             FROM ${T}_marcpipe.journal")
python3 - "$TMP/out.json" "$N" "$WINDOW" "$db" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
n, window = int(sys.argv[2]), int(sys.argv[3])
inst, rows, distinct, lo, hi, created = map(int, sys.argv[4].split("\t"))
bad = []
if s["status"] != "COMPLETED": bad.append(f"status {s['status']}")
for k, want in (("records", n), ("processed", n), ("created", n), ("errors", 0)):
    if s[k] != want: bad.append(f"{k} {s[k]} != {want}")
ws = s["workers"]
if len(ws) != 2: bad.append(f"{len(ws)} worker counter sets, want 2")
for i, w in enumerate(ws):
    if w.get("max_records_held", window + 1) > window:
        bad.append(f"worker {i} held {w.get('max_records_held')} > window {window}")
    if w.get("pauses", 0) <= 0: bad.append(f"worker {i} never paused")
    print(f"worker {i}: consumed {w.get('consumed')} max_records_held "
          f"{w.get('max_records_held')} pauses {w.get('pauses')}")
if (inst, rows, distinct, lo, hi, created) != (n, n, n, 1, n, n):
    bad.append(f"database: instances {inst}, journal {rows} rows / {distinct} seqs "
               f"{lo}..{hi}, {created} CREATED")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
