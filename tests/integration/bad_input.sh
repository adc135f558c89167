#!/usr/bin/env bash
# bad_input.sh: `marcpipe import` (and jobs/status/errors/work) on bad input
# and bad settings. Each case gives one clear message naming the file,
# database or broker, exit 2 for usage and 1 for failure, never a crash
# (exit < 128) nor a hang, and leaves no job that is not final: either no
# job row or one marked FAILED with its reason. Secrets given with -X or
# in the conninfo never show in any output nor in a worker's command line.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -uo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_badinput
S=${T}_marcpipe
F="$MP_TEST_DATA/iso2709/mrrctestbed--bibliographic-sample.mrc" # 386 records
XML=$(ls "$MP_TEST_DATA"/marcxml/*.xml | head -n1)
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
tl_keep_going # fail counts; tl_finish at the end

# run NAME WANT_RC CMD...: output in $W/NAME.out/.err, 60 s bound
run() {
  local name=$1 want=$2; shift 2
  timeout -k 5 60 "$@" >"$W/$name.out" 2>"$W/$name.err"
  local rc=$?
  [ $rc -eq 124 ] && fail "$name: hung (killed after 60 s)"
  [ $rc -ge 128 ] && fail "$name: crashed (exit $rc)"
  [ $rc -eq "$want" ] || { fail "$name: exit $rc, want $want"; sed 's/^/  /' "$W/$name.err" | head -n5; }
}
# has NAME PATTERN: stderr of NAME mentions PATTERN (fixed string)
has() { grep -qF -- "$2" "$W/$1.err" || { fail "$1: stderr does not mention '$2'"; sed 's/^/  /' "$W/$1.err" | head -n5; }; }
jobs_json() { "$MARCPIPE" jobs --json --tenant "$T" 2>/dev/null || echo '[]'; }
njobs() { jobs_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
IMP=("$MARCPIPE" import -q --tenant "$T" -w 1)

# --- usage errors: exit 2, no job
run unknown_cmd 2 "$MARCPIPE" no-such-command;   has unknown_cmd "no-such-command"
run unknown_opt 2 "$MARCPIPE" import --no-such-option "$F"; has unknown_opt "--no-such-option"
run no_file 2 "$MARCPIPE" import --tenant "$T";  has no_file "no FILE"
run bad_tenant 2 "$MARCPIPE" import --tenant 'x; drop' "$F"; has bad_tenant "--tenant"
run bad_tenant_jobs 2 "$MARCPIPE" jobs --tenant 'x; drop'
run bad_tenant_work 2 "$MARCPIPE" work -b 127.0.0.1:1 --tenant 'x; drop'
run bad_from 2 "$MARCPIPE" import --tenant "$T" --from nonsense "$F"
psql -XAtq -c "SELECT 1 FROM pg_namespace WHERE nspname LIKE 'x;%'" | grep -q . && fail "a schema named after a bad tenant exists"

# --- a bad database: exit 1, one message naming it, the password masked
CI_BAD="host=/nonexistent password=SeCrEt456"
run bad_db 1 "$MARCPIPE" import -q --tenant "$T" --db "$CI_BAD" "$F"
has bad_db "/nonexistent"
[ "$(grep -c . "$W/bad_db.err")" -eq 1 ] || fail "bad_db: more than one line on stderr"
run bad_db_jobs 1 "$MARCPIPE" jobs --tenant "$T" --db "$CI_BAD"; has bad_db_jobs "/nonexistent"
run bad_db_status 1 "$MARCPIPE" status --tenant "$T" --db "$CI_BAD" 1
run bad_db_work 1 "$MARCPIPE" work -b 127.0.0.1:1 --tenant "$T" --db "$CI_BAD" --exit-when-idle 2
has bad_db_work "/nonexistent"
# a malformed $MARCPIPE_KAFKA_PROPS is a usage error that does not echo it
run bad_env_props 2 env MARCPIPE_KAFKA_PROPS=SeCrEt789 "$MARCPIPE" work -b 127.0.0.1:1 --tenant "$T"
has bad_env_props "MARCPIPE_KAFKA_PROPS"
run bad_env_props_import 2 env MARCPIPE_KAFKA_PROPS=SeCrEt789 "${IMP[@]}" "$F"
[ "$(njobs)" -eq 0 ] || fail "jobs after the usage and database errors: $(njobs)"

# --- files that cannot be read: exit 1, message names the file, no job
run missing 1 "${IMP[@]}" "$W/missing.mrc";  has missing "$W/missing.mrc"
mkdir "$W/adir"
run directory 1 "${IMP[@]}" "$W/adir";       has directory "$W/adir"
# unreadable: root reads through chmod 000, so only when not root
if [ "$(id -u)" -ne 0 ]; then
  cp "$F" "$W/noread.mrc"; chmod 000 "$W/noread.mrc"
  run noread 1 "${IMP[@]}" "$W/noread.mrc"; has noread "$W/noread.mrc"
else
  echo "note: running as root, the unreadable-file case is covered by the directory case"
fi
[ "$(njobs)" -eq 0 ] || fail "jobs after unreadable files: $(njobs)"

# --- content problems: a final job each, nothing left IN_PROGRESS
: >"$W/empty.mrc"
run empty 0 "${IMP[@]}" --json "$W/empty.mrc"; has empty "no records"
python3 - "$W" 20000 <<'PY' # deterministic garbage: a linear congruential stream
import sys
x, out = 12345, bytearray()
for _ in range(int(sys.argv[2])):
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out.append((x >> 16) & 0xff)
open(sys.argv[1] + "/garbage.bin", "wb").write(bytes(out))
PY
run garbage 1 "${IMP[@]}" --json "$W/garbage.bin"
head -c 100000 "$F" >"$W/truncated.mrc"
run truncated 1 "${IMP[@]}" --json "$W/truncated.mrc"
# a --from the first bytes contradict: refused before a job exists
run wrong_from 1 "${IMP[@]}" --json --from iso2709 "$XML"
has wrong_from "--from iso2709, but this looks like MARCXML"
[ "$(njobs)" -eq 3 ] || fail "jobs after a wrong --from: $(njobs), want the 3 above"

# --- unreachable brokers: ends in seconds, job FAILED naming the reason
run no_broker 1 "${IMP[@]}" -b 127.0.0.1:1 -X message.timeout.ms=3000 -X socket.timeout.ms=2000 "$F"

J=$(jobs_json)
python3 - "$J" "$W" "$F" "$XML" <<'PY' || fail "journal of the bad files"
import json, sys
jobs, w, f, xml = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
by = {j["file_name"]: j for j in jobs}
bad = []
def last(name):
    lines = [l for l in open(f"{w}/{name}.out") if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {}
want_files = {w + "/empty.mrc", w + "/garbage.bin", w + "/truncated.mrc", f}
if set(by) != want_files or len(jobs) != 4:
    bad.append(f"jobs {sorted(by)} (want one each of {sorted(want_files)})")
for j in jobs:
    if j["status"] not in ("COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED"):
        bad.append(f"job {j['id']} ({j['file_name']}) left {j['status']}")
    if j["status"] == "FAILED" and not j["failure_reason"]:
        bad.append(f"job {j['id']} FAILED without a reason")
e = by.get(w + "/empty.mrc", {})
if (e.get("status"), e.get("total")) != ("COMPLETED", 0):
    bad.append(f"empty file: {e.get('status')} total {e.get('total')}")
g = by.get(w + "/garbage.bin", {})
if g.get("status") != "COMPLETED_WITH_ERRORS" or g.get("errors", 0) < 1 \
        or g.get("errors") != g.get("total") or g.get("created"):
    bad.append(f"garbage: {g}")
t = by.get(w + "/truncated.mrc", {})
# the first 100000 bytes hold whole records and a cut one: all but the
# last are created, the cut one is exactly one error
if t.get("status") != "COMPLETED_WITH_ERRORS" or t.get("errors") != 1 \
        or t.get("created", 0) + t.get("updated", 0) + t.get("duplicates", 0) != t.get("total", 0) - 1 \
        or not 0 < t.get("total", 0) < 386:
    bad.append(f"truncated: {t}")
b = by.get(f, {})
if b.get("status") != "FAILED" or "failed" not in (b.get("failure_reason") or ""):
    bad.append(f"unreachable brokers: {b}")
for name, key in (("garbage", w + "/garbage.bin"), ("truncated", w + "/truncated.mrc")):
    s = last(name)
    if s.get("job") != by.get(key, {}).get("id") or s.get("status") != by.get(key, {}).get("status"):
        bad.append(f"{name}: summary {s} does not match the job row")
for m in bad: print("FAIL " + m)
sys.exit(1 if bad else 0)
PY

# errors of the truncated job: one line naming the byte offset, exit 0
tj=$(jobs_json | python3 -c 'import json,sys; print([j["id"] for j in json.load(sys.stdin) if j["file_name"].endswith("truncated.mrc")][0])')
run errors_trunc 0 "$MARCPIPE" errors --tenant "$T" "$tj"
[ "$(grep -c . "$W/errors_trunc.out")" -ge 1 ] || fail "errors of the truncated job: nothing listed"
run status_none 1 "$MARCPIPE" status --tenant "$T" 999999
run errors_none 1 "$MARCPIPE" errors --tenant "$T" 999999
run status_bad 2 "$MARCPIPE" status --tenant "$T" not-a-number

# --- secrets: never in output, logs, job rows, nor a worker's command line
# watch PID DIR [--workers-only]: sample the process list (tests/lib/
# cmdline_watch.py) into DIR until PID exits: DIR/ps.worker when a worker of
# $T ran, DIR/ps.leak for command lines holding a secret (both secrets
# below start with SeCrEt)
watch() {
  local pid=$1 dir=$2; shift 2
  mkdir -p "$dir"
  WATCH_SECRET=SeCrEt python3 "$TL_LIB/cmdline_watch.py" "$dir" "$T" --until "$pid" "$@"
}
CI_OK="host=$PGHOST port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=${PGDATABASE:-postgres} password=SeCrEt456"
"$MARCPIPE" import --tenant "$T" -w 2 -X sasl.password=SeCrEt123 --db "$CI_OK" "$F" \
  >"$W/secret.out" 2>"$W/secret.err" &
ipid=$!
watch $ipid "$W/watch1" --workers-only
wait $ipid; rc=$?
[ $rc -eq 0 ] || fail "import with secrets: exit $rc"
[ -s "$W/watch1/ps.worker" ] || fail "no worker of the import seen in /proc"
[ -s "$W/watch1/ps.leak" ] && fail "a worker's command line holds a secret: $(head -c 300 "$W/watch1/ps.leak")"
# the same through the environment: no command line at all holds them
MARCPIPE_DB="$CI_OK" MARCPIPE_KAFKA_PROPS=$'sasl.password=SeCrEt123\nclient.id=bad_input' \
  "$MARCPIPE" import -q --tenant "$T" -w 1 "$F" >"$W/envsecret.out" 2>"$W/envsecret.err" &
ipid=$!
watch $ipid "$W/watch2"
wait $ipid; rc=$?
[ $rc -eq 0 ] || fail "import with secrets in the environment: exit $rc"
[ -s "$W/watch2/ps.worker" ] || fail "no worker of the second import seen in /proc"
[ -s "$W/watch2/ps.leak" ] && fail "a command line holds a secret: $(head -c 300 "$W/watch2/ps.leak")"
"$MARCPIPE" jobs --tenant "$T" >"$W/jobs.out" 2>&1
"$MARCPIPE" jobs --json --tenant "$T" >>"$W/jobs.out" 2>&1
"$MARCPIPE" status --tenant "$T" --json "$(jobs_json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" >>"$W/jobs.out" 2>&1
psql -XAtq -c "SELECT * FROM $S.jobs" >>"$W/jobs.out" 2>&1
if grep -l SeCrEt "$W"/*.out "$W"/*.err; then fail "a secret appears in the output above"; fi

tl_finish
echo "bad_input: ok"
