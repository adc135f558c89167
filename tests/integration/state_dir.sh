#!/usr/bin/env bash
# state_dir.sh: two managed PostgreSQL clusters in two state directories
# never mix: a job imported with --state-dir A is listed by jobs/status/
# errors with --state-dir A (and with MARCPIPE_STATE_DIR=A, and with
# XDG_STATE_HOME, honoured as root too), never with B; each command names
# the managed database it reads; a command pointed at an absent or stopped
# cluster fails in one line instead of reading another server.
# Env (from ctest): MARCPIPE, MP_TEST_DATA. Starts two clusters of its own
# (as root they run as the postgres user).
set -uo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir D
chmod 755 "$D"
A="$D/a/marcpipe/pg" # XDG_STATE_HOME=$D/a names this one too
B="$D/b"
stop_dbs() {
  for s in "$A" "$B"; do env -u PGHOST "$MARCPIPE" db stop --state-dir "$s" >/dev/null 2>&1; done
}
tl_at_exit stop_dbs
# no PG* variable may name a server: the managed clusters are the subject
unset PGHOST PGPORT PGDATABASE PGSERVICE PGUSER MARCPIPE_DB MARCPIPE_STATE_DIR XDG_STATE_HOME
M() { timeout -k 5 120 "$MARCPIPE" "$@"; }
F="$MP_TEST_DATA/iso2709/folio-mdi--100.mrc"

mkdir -p "$D/a"
M db start --state-dir "$A" >/dev/null 2>"$D/err" || fail "start A: $(cat "$D/err")"
M db start --state-dir "$B" >/dev/null 2>"$D/err" || fail "start B: $(cat "$D/err")"

M import --json --state-dir "$A" "$F" >"$D/out.json" 2>"$D/err" || fail "import into A: $(tail -3 "$D/err")"
grep -q "^marcpipe import: database: the managed PostgreSQL in $A$" "$D/err" ||
  fail "import does not name its database: $(cat "$D/err")"
job=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["job"])' "$D/out.json")

# A has the job, B has none
M jobs --state-dir "$A" >"$D/ja" 2>"$D/err" || fail "jobs A: $(cat "$D/err")"
grep -Eq "^$job +COMPLETED +100/100 +0  $F$" "$D/ja" || fail "jobs A: $(cat "$D/ja")"
grep -q "^marcpipe jobs: database: the managed PostgreSQL in $A$" "$D/err" || fail "jobs A names: $(cat "$D/err")"
M jobs --state-dir "$B" >"$D/jb" 2>"$D/err" || fail "jobs B: $(cat "$D/err")"
[ "$(wc -l <"$D/jb")" -eq 1 ] || fail "jobs B lists jobs of A: $(cat "$D/jb")"
M status "$job" --state-dir "$A" >"$D/sa" 2>/dev/null || fail "status A"
grep -q "^job $job: COMPLETED" "$D/sa" || fail "status A: $(cat "$D/sa")"
M status "$job" --state-dir "$B" >/dev/null 2>"$D/err" && fail "status of A's job found in B"
grep -q "job $job not found" "$D/err" || fail "status B: $(cat "$D/err")"
M errors "$job" --state-dir "$A" >/dev/null 2>"$D/err" || fail "errors A: $(cat "$D/err")"

# the environment spellings of the same choice
MARCPIPE_STATE_DIR="$A" M jobs --json >"$D/jj" 2>/dev/null || fail "MARCPIPE_STATE_DIR jobs"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$D/jj")" = 1 ] ||
  fail "MARCPIPE_STATE_DIR=A: $(cat "$D/jj")"
MARCPIPE_STATE_DIR="$B" M jobs --json >"$D/jj" 2>/dev/null || fail "MARCPIPE_STATE_DIR jobs B"
[ "$(cat "$D/jj")" = "[]" ] || fail "MARCPIPE_STATE_DIR=B: $(cat "$D/jj")"
XDG_STATE_HOME="$D/a" M jobs >"$D/jx" 2>"$D/err" || fail "XDG_STATE_HOME jobs: $(cat "$D/err")"
grep -Eq "^$job +COMPLETED" "$D/jx" || fail "XDG_STATE_HOME=$D/a (uid $(id -u)): $(cat "$D/jx")"
grep -q "in $A$" "$D/err" || fail "XDG_STATE_HOME: $(cat "$D/err")"
# --state-dir wins over the environment
MARCPIPE_STATE_DIR="$A" M jobs --state-dir "$B" --json >"$D/jj" 2>/dev/null || fail "--state-dir over env"
[ "$(cat "$D/jj")" = "[]" ] || fail "--state-dir B with MARCPIPE_STATE_DIR=A: $(cat "$D/jj")"

# an absent or stopped cluster: one line, exit 1, never another server
for s in "$D/none" "$B"; do
  [ "$s" = "$B" ] && { M db stop --state-dir "$B" >/dev/null 2>&1 || fail "stop B"; }
  for cmd in jobs "status 1" "errors 1"; do
    # shellcheck disable=SC2086
    rc=0; M $cmd --state-dir "$s" >"$D/o" 2>"$D/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$cmd on $s: exit $rc"
    [ "$(wc -l <"$D/err")" -eq 1 ] || fail "$cmd on $s: $(cat "$D/err")"
    grep -q "no database: the managed PostgreSQL in $s is \(absent\|not running\)" "$D/err" ||
      fail "$cmd on $s: $(cat "$D/err")"
  done
done
echo "state_dir: ok (job $job in A only)"
