#!/usr/bin/env bash
# broker_control.sh: `marcpipe broker` publishes its bootstrap servers,
# answers control commands on stdin, and stops cleanly on SIGTERM.
set -euo pipefail
MARCPIPE=${MARCPIPE:?MARCPIPE not set}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
BPID=
tl_at_exit '[ -n "$BPID" ] && kill "$BPID" 2>/dev/null'

grep -q 'err API COUNT CODE' <<<"$("$MARCPIPE" broker --help)" || fail "--help lacks the control commands"
rc=0; "$MARCPIPE" broker --nodes 0 </dev/null 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--brokers 0: exit $rc, expected 2"

mkfifo "$T/ctl"
"$MARCPIPE" broker --nodes 3 --partitions 4 --tenant abc --topic extra:2 \
  --bootstrap-file "$T/bs" <"$T/ctl" >"$T/out" 2>"$T/err" &
BPID=$!
exec 3>"$T/ctl"
for _ in $(seq 300); do [ -s "$T/bs" ] && break; sleep 0.1; done
[ -s "$T/bs" ] || fail "no bootstrap file"
BS=$(cat "$T/bs")
[[ "$BS" =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] || fail "bootstrap '$BS'"
grep -q 'marcpipe.Default.abc.DI_INCOMING_MARC_BIB_RECORD' "$T/err" || fail "tenant topic not created"

printf '%s\n' "topic t1 3" "err Produce 2 NOT_LEADER_FOR_PARTITION" "# comment" \
  "down 2" "up 2" "leader t1 0 3" "rtt 1 5" "down 7" "nonsense" "bootstrap" >&3
for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 10 ] && break; sleep 0.1; done
mapfile -t L <"$T/out"
[ "${L[0]}" = "$BS" ] || fail "first line '${L[0]}'"
for i in 1 2 3 4 5 6; do [ "${L[$i]}" = ok ] || fail "answer $i '${L[$i]}'"; done
[[ "${L[7]}" == error:* ]] || fail "down 7 answered '${L[7]}'"
[ "${L[8]}" = "error: unknown command nonsense" ] || fail "nonsense answered '${L[8]}'"
[ "${L[9]}" = "$BS" ] || fail "bootstrap answered '${L[9]}'"

kill -TERM "$BPID"
rc=0; wait "$BPID" || rc=$?
BPID=
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"
[ ! -e "$T/bs" ] || fail "bootstrap file left behind"
echo "ok"
