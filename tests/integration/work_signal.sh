#!/usr/bin/env bash
# work_signal.sh: `marcpipe work` against the embedded broker and a real
# PostgreSQL (PG* set by scripts/test.sh): it joins the group, SIGTERM makes
# it leave cleanly with exit 0 and its counters as JSON on stdout; with the
# database unreachable it exits 1 at start; with no broker given, 2.
set -euo pipefail
: "${MARCPIPE:?}" "${PGHOST:?}"
T="wsig$$"
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
BPID=
tl_at_exit '[ -n "$BPID" ] && kill "$BPID" 2>/dev/null'

mkfifo "$W/ctl"
"$MARCPIPE" broker --nodes 1 --partitions 3 --tenant "$T" \
  --bootstrap-file "$W/bs" <"$W/ctl" >/dev/null 2>"$W/broker.err" &
BPID=$!
exec 3>"$W/ctl"
for _ in $(seq 300); do [ -s "$W/bs" ] && break; sleep 0.1; done
[ -s "$W/bs" ] || fail "broker did not start: $(cat "$W/broker.err")"
BS=$(cat "$W/bs")

rc=0; env -u MARCPIPE_BROKERS "$MARCPIPE" work --tenant "$T" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "no brokers: exit $rc, want 2"

"$MARCPIPE" work -b "$BS" --tenant "$T" -X session.timeout.ms=6000 -v \
  --stats-json >"$W/out" 2>"$W/err" &
WPID=$!
for _ in $(seq 150); do grep -q "assigned" "$W/err" && break; sleep 0.1; done
grep -q "assigned marcpipe.Default.$T.DI_INCOMING_MARC_BIB_RECORD \[2\]" "$W/err" ||
  fail "no assignment: $(cat "$W/err")"
kill -TERM "$WPID"
rc=0; wait "$WPID" || rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM: $(cat "$W/err")"

# SIGTERM while it starts (database and broker probes, before its loop
# handles signals): a clean stop, exit 0, not death by the signal (143). The
# database is reached through a proxy that holds the server's first answer
# for 1.5 s, so the signal (0.5 s after the start) lands in the connect.
python3 - "$PGPORT" "$W/proxy.port" <<'PY' &
import socket, sys, threading, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8)
open(sys.argv[2] + ".tmp", "w").write(str(srv.getsockname()[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
def pipe(a, b, delay):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if delay:
                time.sleep(delay); delay = 0
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    c, _ = srv.accept()
    u = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    threading.Thread(target=pipe, args=(c, u, 0), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, 1.5), daemon=True).start()
PY
PROXY=$!
tl_at_exit "kill $PROXY 2>/dev/null"
for _ in $(seq 100); do [ -s "$W/proxy.port" ] && break; sleep 0.1; done
[ -s "$W/proxy.port" ] || fail "proxy did not start"
"$MARCPIPE" work -b "$BS" --tenant "$T" -X session.timeout.ms=6000 \
  --db "host=127.0.0.1 port=$(cat "$W/proxy.port") user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres}" \
  >/dev/null 2>"$W/early.err" &
EPID=$!
sleep 0.5
kill -TERM "$EPID"
rc=0; wait "$EPID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM while starting: exit $rc, want 0: $(cat "$W/early.err")"
grep -q "SIGTERM before the start: nothing consumed" "$W/early.err" ||
  fail "SIGTERM while starting: $(cat "$W/early.err")"
grep -q "SIGTERM: finishing the batches in flight" "$W/err" || fail "no SIGTERM message"
grep -q '"consumed":0,' "$W/out" || fail "stats JSON: $(cat "$W/out")"
grep -q '"rebalances":1,' "$W/out" || fail "stats JSON: $(cat "$W/out")"

rc=0
"$MARCPIPE" work -b "$BS" --tenant "$T" -d "host=/nonexistent-dir port=1" \
  >/dev/null 2>"$W/err2" || rc=$?
[ "$rc" -eq 1 ] || fail "unreachable database: exit $rc, want 1"
[ -s "$W/err2" ] || fail "unreachable database: no message"
echo "work_signal: ok"
