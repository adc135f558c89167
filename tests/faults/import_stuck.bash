# import_stuck.bash: `marcpipe import` never hangs on a worker that does
# not exit, with either way of assigning partitions. Sourced by
# import_stuck_worker.sh (STUCK_ASSIGN=share) and
# import_stuck_worker_group.sh (STUCK_ASSIGN=group); not a test itself.
# One of the two workers is frozen (SIGSTOP) while the job runs:
#   share: import hears nothing from it for 15 s (workers print a counters
#     line a second), says so on stderr, kills it with SIGKILL and restarts
#     it with the same share;
#   group: its partitions move to the other worker after the session
#     timeout, and at the end the frozen worker ignores SIGTERM, so import
#     SIGKILLs it after its 30 s grace period and says so on stderr.
# Either way the job COMPLETES with exact counts and import exits 0 within
# the test's bound (150 s: the job, ~15 s of silence or ~6 s of session
# plus the 30 s grace, with room for a loaded machine).
. "$(dirname "$0")/../integration/lib/import_lib.bash"
it_setup "it_stuck_$STUCK_ASSIGN"
N=3000
"$MARCPIPE" gen --records $N --seed 5 -q -o "$TMP/g.mrc"
# on a real cluster the session is librdkafka's 45 s unless set: as short
# as the embedded broker's (import sets 6 s there)
[ ${#IT_KAFKA[@]} -eq 0 ] || IT_KAFKA+=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000)
timeout -k 10 150 "$MARCPIPE" import -q --json --tenant "$T" "${IT_KAFKA[@]}" --assign "$STUCK_ASSIGN" -w 2 --window 300 \
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
if [ "$STUCK_ASSIGN" = share ]; then
  grep -q "worker [01] (pid $victim) said nothing for 15 s (frozen or stuck): killing it" \
    "$TMP/err.log" || it_fail "import did not say it killed the silent worker"
  grep -q "restarting worker" "$TMP/err.log" ||
    it_fail "import did not restart the silent worker"
else
  grep -q "after SIGTERM: killing it" "$TMP/err.log" ||
    it_fail "import did not say it killed the frozen worker"
fi
it_verdict "$N"
python3 - "$TMP/out.json" "$N" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
n = int(sys.argv[2])
ok = s["status"] == "COMPLETED" and s["records"] == n and s["created"] == n
print(f"status {s['status']} records {s['records']} created {s['created']}")
sys.exit(0 if ok else 1)
PY
