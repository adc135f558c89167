#!/usr/bin/env bash
# circ.sh: `marcpipe circ` without Kafka or PostgreSQL: the generator is
# deterministic and its oracle describes its file, every subcommand's help
# exits 0, and usage errors exit 2 with one line naming the problem.
set -euo pipefail
: "${MARCPIPE:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T

"$MARCPIPE" circ gen --seed 3 --patrons 40 --events 3000 --duplicates 4 \
  -o "$T/a.ndjson" --oracle "$T/a.json"
"$MARCPIPE" circ gen --seed 3 --patrons 40 --events 3000 --duplicates 4 \
  -o "$T/b.ndjson" --oracle "$T/b.json"
"$MARCPIPE" circ gen --seed 4 --patrons 40 --events 3000 -o "$T/c.ndjson"
cmp -s "$T/a.ndjson" "$T/b.ndjson" || fail "same seed, different events"
cmp -s "$T/a.json" "$T/b.json" || fail "same seed, different oracle"
! cmp -s "$T/a.ndjson" "$T/c.ndjson" || fail "another seed, same events"
[ "$(wc -l <"$T/a.ndjson")" -eq 3000 ] || fail "not 3000 events"
python3 - "$T/a.ndjson" "$T/a.json" <<'PY' || fail "oracle does not describe the file"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
o = json.load(open(sys.argv[2]))
ids = {e["eventId"] for e in ev}
assert o["events"] == len(ev) == 3000, o["events"]
assert o["unique_events"] == len(ids) < 3000, (o["unique_events"], len(ids))
assert o["as_of"] == max(e["eventTime"] for e in ev), o["as_of"]
users = {e["userId"] for e in ev}
assert [p["userId"] for p in o["patrons"]] == sorted(users)
types = {e["eventType"] for e in ev}
assert types == {"ITEM_CHECKED_OUT", "ITEM_CHECKED_IN", "LOAN_DUE_DATE_CHANGED",
                 "ITEM_DECLARED_LOST", "ITEM_AGED_TO_LOST", "ITEM_CLAIMED_RETURNED",
                 "LOAN_CLOSED", "FEE_FINE_BALANCE_CHANGED"}, types
# every open loan of the oracle was checked out by its patron and never
# checked in or closed
out = {e["loanId"]: e["userId"] for e in ev if e["eventType"] == "ITEM_CHECKED_OUT"}
ended = {e["loanId"] for e in ev if e["eventType"] in ("ITEM_CHECKED_IN", "LOAN_CLOSED")}
for p in o["patrons"]:
    for l in p["openLoans"]:
        assert out[l["loanId"]] == p["userId"] and l["loanId"] not in ended, l
    total = sum(int(f["balance"].replace(".", "")) for f in p["feesFines"])
    assert "%d.%02d" % divmod(total, 100) == p["outstandingBalance"], p
PY

for s in "" produce work blocks summary audit limits gen; do
  "$MARCPIPE" circ $s --help >"$T/help" || fail "circ $s --help"
  grep -q "^usage: marcpipe circ" "$T/help" || fail "circ $s --help: no usage line"
done

usage() { # usage EXPECTED-TEXT ARGS...: exit 2, one line saying it
  local want=$1 rc=0; shift
  "$MARCPIPE" circ "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -eq 2 ] || fail "circ $*: exit $rc, want 2"
  grep -q -- "$want" "$T/err" || fail "circ $*: stderr '$(head -1 "$T/err")', want '$want'"
}
usage "unknown subcommand 'lend'" lend
usage "unknown service 'notices'" work --service notices -b 127.0.0.1:1
usage "service is required" work -b 127.0.0.1:1
usage "no brokers" produce x.ndjson
usage "a FILE is required" produce -b 127.0.0.1:1
usage "--tenant wants \[a-z\]\[a-z0-9_\]{0,30} (got 'Bad')" produce -b 127.0.0.1:1 --tenant Bad x.ndjson
usage "USER is required" blocks
usage "exactly one of --user and --item" audit --user u --item i
usage "give GROUP CONDITION VALUE" limits staff max-lost-items
usage "--duplicates wants 0..50 (got '60')" gen --events 1 -o - --duplicates 60
usage "--events and -o are required" gen --seed 1
echo "circ cli: generator deterministic (3000 events, oracle consistent), helps and usage errors"
