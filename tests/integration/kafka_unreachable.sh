#!/usr/bin/env bash
# kafka_unreachable.sh: wrong or unreachable bootstrap servers make every
# command that talks to Kafka (import -b, produce, work) fail in bounded
# time with exactly one line on stderr that names the servers: no librdkafka
# log lines ("%3|...|FAIL|..."), never a hang. A job that was created ends
# FAILED with that line as its reason; `work` creates none.
# Three kinds of wrong: a closed port (connection refused), a name that
# does not resolve, and a port that accepts connections but never answers
# (not Kafka). MARCPIPE_KAFKA_TIMEOUT=3 keeps it short; one case runs with
# the default (10 s) to show the default bound holds too.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -uo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_kafka_unreach
S=${T}_marcpipe
F="$MP_TEST_DATA/iso2709/marc4j--chabon-loc.mrc" # 2 records
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
SILENT_PID=
tl_at_exit '[ -n "$SILENT_PID" ] && kill "$SILENT_PID" 2>/dev/null'
tl_keep_going # fail counts; tl_finish at the end

# a closed port: bound by the kernel, then released
CLOSED=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# a listener that accepts and never says a word
python3 - "$W/silent.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 120
s.settimeout(1)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except OSError: pass
PY
SILENT_PID=$!
for _ in $(seq 50); do [ -s "$W/silent.port" ] && break; sleep 0.1; done
SILENT=127.0.0.1:$(cat "$W/silent.port")
NOHOST=no-such-kafka-host.invalid:9092

# run NAME TIMEOUT_S CMD...: exit 1, one stderr line naming the servers
run() {
  local name=$1 tmo=$2; shift 2
  MARCPIPE_KAFKA_TIMEOUT=$tmo timeout -k 5 60 "$@" >"$W/$name.out" 2>"$W/$name.err"
  local rc=$?
  [ $rc -eq 124 ] && { fail "$name: hung (killed after 60 s)"; return; }
  [ $rc -eq 1 ] || fail "$name: exit $rc, want 1"
  local lines
  lines=$(grep -c '' "$W/$name.err")
  [ "$lines" -eq 1 ] || { fail "$name: $lines lines on stderr, want 1"; sed 's/^/  /' "$W/$name.err" | head -n 8; }
  grep -q '^%[0-9]|' "$W/$name.err" && fail "$name: raw librdkafka log lines"
}
names() { # NAME SERVERS REASON: the line names the servers and the reason
  grep -qF "cannot reach Kafka at $2 within" "$W/$1.err" || fail "$1: does not name $2: $(cat "$W/$1.err")"
  grep -qF "are the brokers reachable?" "$W/$1.err" || fail "$1: no hint"
  [ -z "$3" ] || grep -qF -- "$3" "$W/$1.err" || fail "$1: reason '$3' missing: $(cat "$W/$1.err")"
}
q() { psql -XAtq -c "$1"; }

run import_closed 3 "$MARCPIPE" import -q --tenant "$T" -w 1 -b "$CLOSED" "$F"
names import_closed "$CLOSED" "Connection refused"
run import_silent 3 "$MARCPIPE" import -q --tenant "$T" -w 1 -b "$SILENT" "$F"
names import_silent "$SILENT" ""
run produce_nohost 3 "$MARCPIPE" produce -q --tenant "$T" -b "$NOHOST" "$F"
names produce_nohost "$NOHOST" "Failed to resolve"
run produce_two 3 "$MARCPIPE" produce -q --tenant "$T" -b "$CLOSED,$NOHOST" "$F"
names produce_two "$CLOSED,$NOHOST" ""
# the default bound (MARCPIPE_KAFKA_TIMEOUT unset: 10 s)
run work_closed "" env -u MARCPIPE_KAFKA_TIMEOUT "$MARCPIPE" work --tenant "$T" -b "$CLOSED"
names work_closed "$CLOSED" "Connection refused"
grep -qF "within 10 s" "$W/work_closed.err" || fail "work_closed: default bound not 10 s: $(cat "$W/work_closed.err")"
run work_silent 3 "$MARCPIPE" work --tenant "$T" -b "$SILENT"
names work_silent "$SILENT" ""

# every job ends FAILED with the line as its reason; work made none
jobs=$(q "SELECT count(*) FROM $S.jobs")
[ "$jobs" = 4 ] || fail "jobs: $jobs, want 4 (two imports, two produces)"
nf=$(q "SELECT count(*) FROM $S.jobs WHERE status = 'FAILED' AND failure_reason LIKE 'cannot reach Kafka at % are the brokers reachable?'")
[ "$nf" = 4 ] || { fail "FAILED jobs with the reason: $nf of 4"; q "SELECT id, status, failure_reason FROM $S.jobs"; }
for n in import_closed import_silent produce_nohost produce_two; do
  line=$(sed 's/^[^:]*: //' "$W/$n.err")
  [ "$(q "SELECT count(*) FROM $S.jobs WHERE failure_reason = \$\$$line\$\$")" = 1 ] ||
    fail "$n: no job failed with '$line'"
done
tl_finish
echo "kafka_unreachable: 6 commands failed with one line each, 4 jobs FAILED with the reason"
