#!/usr/bin/env bash
# state_dir_jobs.sh: log, cancel, delete, serve and circ read and write the
# managed PostgreSQL of their --state-dir, never another one. Two clusters:
# A gets a 100-record import, B a 30-record one (both are job 1), so every
# answer says which cluster it came from: log lists 100 or 30 rows; a job
# made NEW in B is cancelled and deleted through --state-dir B while A says
# it does not exist; serve's /api/jobs lists each cluster's own job;
# circulation events produced and consumed with --state-dir A are in A's
# audit log and not in B's; a block limit set in A is not in B. Each
# command names the managed database it uses on stderr.
# Env (from ctest): MARCPIPE, MP_TEST_DATA. Starts two clusters and an
# embedded broker of its own (as root the clusters run as the postgres
# user); stops them by PID or state directory at exit.
set -uo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir D
chmod 755 "$D"
A="$D/a"
B="$D/b"
BPID="" SPID=""
stop_all() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  [ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
  for s in "$A" "$B"; do "$MARCPIPE" db stop --state-dir "$s" >/dev/null 2>&1; done
}
tl_at_exit stop_all
unset PGHOST PGPORT PGDATABASE PGSERVICE PGUSER MARCPIPE_DB MARCPIPE_STATE_DIR \
  XDG_STATE_HOME MARCPIPE_BROKERS MARCPIPE_KAFKA_PROPS
M() { timeout -k 5 120 "$MARCPIPE" "$@"; }
FA="$MP_TEST_DATA/iso2709/folio-mdi--100.mrc"
FB="$MP_TEST_DATA/iso2709/traject--test_data.utf8.mrc"
# names CMD DIR: the command's stderr ($D/err) names the cluster of DIR
names() {
  grep -qx "marcpipe $1: database: the managed PostgreSQL in $2" "$D/err" ||
    fail "$1 does not name $2: $(cat "$D/err")"
}

M db start --state-dir "$A" >/dev/null 2>"$D/err" || fail "start A: $(cat "$D/err")"
M db start --state-dir "$B" >/dev/null 2>"$D/err" || fail "start B: $(cat "$D/err")"
M import -q --state-dir "$A" "$FA" >/dev/null 2>"$D/err" || fail "import into A: $(tail -3 "$D/err")"
M import -q --state-dir "$B" "$FB" >/dev/null 2>"$D/err" || fail "import into B: $(tail -3 "$D/err")"

# ---- log: job 1 is 100 records in A, 30 in B ----
M log 1 --state-dir "$A" >"$D/la" 2>"$D/err" || fail "log A: $(cat "$D/err")"
names log "$A"
[ "$(wc -l <"$D/la")" -eq 100 ] || fail "log A: $(wc -l <"$D/la") rows, want 100"
[ "$(cut -f1 "$D/la" | head -1),$(cut -f1 "$D/la" | tail -1)" = "1,100" ] || fail "log A: seqs $(cut -f1 "$D/la" | head -1)..$(cut -f1 "$D/la" | tail -1)"
[ "$(cut -f2 "$D/la" | sort -u)" = CREATED ] || fail "log A outcomes: $(cut -f2 "$D/la" | sort | uniq -c)"
M log 1 --state-dir "$B" >"$D/lb" 2>"$D/err" || fail "log B: $(cat "$D/err")"
names log "$B"
[ "$(wc -l <"$D/lb")" -eq 30 ] || fail "log B: $(wc -l <"$D/lb") rows, want 30"
MARCPIPE_STATE_DIR="$B" M log 1 --outcome created --json >"$D/lj" 2>/dev/null || fail "log MARCPIPE_STATE_DIR=B"
[ "$(wc -l <"$D/lj")" -eq 30 ] || fail "log MARCPIPE_STATE_DIR=B: $(wc -l <"$D/lj") rows"
MARCPIPE_STATE_DIR="$B" M log 1 --state-dir "$A" --record 100 --json >"$D/lr" 2>/dev/null ||
  fail "log --record 100 in A (with MARCPIPE_STATE_DIR=B)"
python3 - "$D/lr" <<'PY' || fail "log --record 100 A: $(head -c 300 "$D/lr")"
import json, sys
o = json.load(open(sys.argv[1]))
j = o["journal"]
assert o["seq"] == j["seq"] == 100 and j["outcome"] == "CREATED", j
assert j["match_key"] == "amdb:" + j["hrid"] and j["hrid"] in o["source"], (j, o["source"][:200])
assert o["instance"]["hrid"] == j["hrid"], o["instance"]
PY
M log 1 --state-dir "$B" --record 100 >/dev/null 2>"$D/err" && fail "record 100 found in B (30 records)"

# ---- cancel and delete: a NEW job 2 exists only in B ----
(eval "$(M db env --state-dir "$B")" &&
 psql -XAtq -v ON_ERROR_STOP=1 -c "INSERT INTO diku_marcpipe.jobs (file_name, file_format, topic)
                                   VALUES ('new.mrc', 'MARC21', 't') RETURNING id") >"$D/id" 2>"$D/err" ||
  fail "insert a NEW job into B: $(cat "$D/err")"
[ "$(cat "$D/id")" = 2 ] || fail "B's new job is $(cat "$D/id"), want 2"
M cancel 2 --state-dir "$A" >/dev/null 2>"$D/err" && fail "cancel 2 in A succeeded"
grep -q "job 2 not found" "$D/err" || fail "cancel 2 in A: $(cat "$D/err")"
M cancel 2 --state-dir "$B" >/dev/null 2>"$D/err" || fail "cancel 2 in B: $(cat "$D/err")"
names cancel "$B"
grep -qx "marcpipe cancel: job 2 CANCELLED (nobody was running it)" "$D/err" || fail "cancel 2 in B: $(cat "$D/err")"
M status 2 --state-dir "$B" --json >"$D/s2" 2>/dev/null || fail "status 2 B"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$D/s2")" = CANCELLED ] ||
  fail "job 2 in B: $(cat "$D/s2")"
M delete 2 --yes --state-dir "$A" >/dev/null 2>"$D/err" && fail "delete 2 in A succeeded"
M delete 2 --yes --state-dir "$B" >"$D/out" 2>"$D/err" || fail "delete 2 in B: $(cat "$D/err")"
names delete "$B"
[ "$(cat "$D/out")" = "job 2 deleted: 0 journal rows; Instances kept" ] || fail "delete 2 B: $(cat "$D/out")"
M delete 1 --yes --state-dir "$A" >"$D/out" 2>"$D/err" || fail "delete 1 in A: $(cat "$D/err")"
[ "$(cat "$D/out")" = "job 1 deleted: 100 journal rows; Instances kept" ] || fail "delete 1 A: $(cat "$D/out")"
M log 1 --state-dir "$B" >"$D/lb" 2>/dev/null || fail "log B after A's delete"
[ "$(wc -l <"$D/lb")" -eq 30 ] || fail "deleting A's job 1 touched B's: $(wc -l <"$D/lb") rows"
M jobs --state-dir "$A" --json >"$D/ja" 2>/dev/null || fail "jobs A"
[ "$(cat "$D/ja")" = "[]" ] || fail "A after delete: $(cat "$D/ja")"

# ---- serve: each cluster's own jobs ----
serve_jobs() { # serve_jobs DIR: /api/jobs of serve --state-dir DIR into $D/api
  "$MARCPIPE" serve --listen 127.0.0.1:0 --state-dir "$1" >"$D/url" 2>"$D/err" &
  SPID=$!
  local url=""
  for _ in $(seq 100); do url=$(head -1 "$D/url" 2>/dev/null); [ -n "$url" ] && break; sleep 0.1; done
  [ -n "$url" ] || fail "serve $1 did not start: $(cat "$D/err")"
  curl -sf "${url}api/jobs" >"$D/api" || fail "GET ${url}api/jobs"
  kill "$SPID"; wait "$SPID"; local rc=$?; SPID=""
  [ "$rc" -eq 0 ] || fail "serve $1 exit $rc after SIGTERM"
  names serve "$1"
}
serve_jobs "$B"
python3 - "$D/api" "$FB" <<'PY' || fail "serve B /api/jobs: $(head -c 400 "$D/api")"
import json, sys
v = json.load(open(sys.argv[1]))
assert [(j["id"], j["file_name"], j["processed"], j["created"]) for j in v] == [(1, sys.argv[2], 30, 30)], v
PY
serve_jobs "$A"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$D/api")" = 0 ] ||
  fail "serve A lists jobs after the delete: $(head -c 400 "$D/api")"

# ---- circ: limits, and events through Kafka into A only ----
M circ limits default max-lost-items 7 --state-dir "$A" >"$D/out" 2>"$D/err" || fail "circ limits A: $(cat "$D/err")"
names "circ limits" "$A"
[ "$(cat "$D/out")" = "default max-lost-items 7.00" ] || fail "circ limits A: $(cat "$D/out")"
M circ limits --state-dir "$A" >"$D/la" 2>/dev/null || fail "circ limits A list"
M circ limits --state-dir "$B" >"$D/lb" 2>"$D/err" || fail "circ limits B list: $(cat "$D/err")"
names "circ limits" "$B"
grep -qx "default max-lost-items 7.00" "$D/la" || fail "A's limit not listed in A: $(cat "$D/la")"
grep -q "max-lost-items 7.00" "$D/lb" && fail "A's limit listed in B: $(cat "$D/lb")"

TOPIC=marcpipe.Default.diku.CIRCULATION
mkfifo "$D/ctl"
"$MARCPIPE" broker --topic "$TOPIC:2" --bootstrap-file "$D/bs" <"$D/ctl" >/dev/null 2>"$D/broker.log" &
BPID=$!
exec 7>"$D/ctl"
for _ in $(seq 300); do [ -s "$D/bs" ] && break; sleep 0.1; done
[ -s "$D/bs" ] || fail "broker wrote no bootstrap file: $(cat "$D/broker.log")"
BS=$(cat "$D/bs")
M circ gen --seed 9 --patrons 12 --events 300 -o "$D/ev.ndjson" --oracle "$D/oracle.json" || fail "circ gen"
M circ produce -b "$BS" --state-dir "$A" "$D/ev.ndjson" >"$D/job" 2>"$D/err" || fail "circ produce A: $(cat "$D/err")"
names "circ produce" "$A"
grep -q ": 300 events read, 300 delivered, 0 rejected to $TOPIC;" "$D/err" || fail "circ produce A: $(cat "$D/err")"
M circ work --service audit -b "$BS" --state-dir "$A" --exit-when-idle 3 --stats-json \
  -X session.timeout.ms=6000 >"$D/stats" 2>"$D/err" || fail "circ work A: $(cat "$D/err")"
names "circ work" "$A"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert (s["consumed"], s["created"], s["errors"]) == (300, 300, 0), s' \
  "$D/stats" || fail "circ work A counters: $(cat "$D/stats")"
U=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["userId"])' "$D/ev.ndjson")
want=$(python3 -c 'import json,sys; print(sum(json.loads(l)["userId"] == sys.argv[2] for l in open(sys.argv[1])))' "$D/ev.ndjson" "$U")
M circ audit --user "$U" --state-dir "$A" >"$D/aa" 2>"$D/err" || fail "circ audit A: $(cat "$D/err")"
grep -qx "marcpipe circ audit: $want events" "$D/err" || fail "circ audit A of $U: $(cat "$D/err"), want $want"
[ "$(wc -l <"$D/aa")" -eq "$want" ] || fail "circ audit A rows: $(wc -l <"$D/aa"), want $want"
M circ audit --user "$U" --state-dir "$B" >"$D/ab" 2>"$D/err" || fail "circ audit B: $(cat "$D/err")"
grep -qx "marcpipe circ audit: 0 events" "$D/err" || fail "A's events in B's audit log: $(cat "$D/err")"
[ ! -s "$D/ab" ] || fail "circ audit B printed rows"
echo "state_dir_jobs: ok (log 100 vs 30, cancel/delete of B's job 2, serve, circ: $want audit rows of $U in A, 0 in B)"
