#!/usr/bin/env bash
# import_stuck_worker.sh: `marcpipe import` never hangs on a worker that
# does not exit. One of the two workers is frozen (SIGSTOP) while the job
# runs: its partitions move to the other worker after the session timeout
# and the job still COMPLETES with exact counts; at the end the frozen
# worker ignores SIGTERM, so import SIGKILLs it after its 30 s grace
# period, says so on stderr, and exits 0 within the test's bound (150 s:
# ~6 s session, the job, the 30 s grace, with room for a loaded machine).
. "$(dirname "$0")/../integration/lib/import_lib.bash"
it_setup it_stuck
N=3000
"$MARCPIPE" gen --records $N --seed 5 -q -o "$TMP/g.mrc"
# on a real cluster the session is librdkafka's 45 s unless set: as short
# as the embedded broker's (import sets 6 s there)
[ ${#IT_KAFKA[@]} -eq 0 ] || IT_KAFKA+=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000)
timeout -k 10 150 "$MARCPIPE" import -q --json --tenant "$T" "${IT_KAFKA[@]}" -w 2 --window 300 \
  --batch 100 --sink-latency-ms 100 "$TMP/g.mrc" >"$TMP/out.json" 2>"$TMP/err.log" &
imp=$!
victim=
for _ in $(seq 1 100); do
  sleep 0.1
  main=$(pgrep -P "$imp" -x marcpipe | head -n 1) || true
  [ -n "$main" ] || continue
  victim=$(pgrep -P "$main" | sed -n 2p) || true
  [ -n "$victim" ] && break
done
[ -n "$victim" ] || { kill "$imp"; it_fail "no worker process found"; }
sleep 2
kill -STOP "$victim"
rc=0
wait "$imp" || rc=$?
kill -CONT "$victim" 2>/dev/null || true
[ "$rc" = 0 ] || it_fail "import exit $rc (124: it hung)"
grep -q "after SIGTERM: killing it" "$TMP/err.log" ||
  it_fail "import did not say it killed the frozen worker"
it_verdict "$N"
python3 - "$TMP/out.json" "$N" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
n = int(sys.argv[2])
ok = s["status"] == "COMPLETED" and s["records"] == n and s["created"] == n
print(f"status {s['status']} records {s['records']} created {s['created']}")
sys.exit(0 if ok else 1)
PY
