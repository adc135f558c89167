#!/usr/bin/env bash
# kafka_sasl.sh: marcpipe against a SASL_PLAINTEXT (PLAIN) listener of the
# real Kafka cluster, authenticated through $MARCPIPE_KAFKA_PROPS only.
# `import -b` (producer and two worker processes) must complete the job with
# every record, and the password must appear in no process list (ps, sampled
# while the import runs, workers included), in no output of marcpipe, in no
# table of the tenant (pg_dump) and in no broker log. A wrong password fails
# in bounded time with one line that says why and does not show it.
# Needs MP_KAFKA_DIR and MP_KAFKA_SASL_BOOTSTRAP (scripts/test.sh starts the
# cluster with `scripts/kafka.sh start --sasl`); skipped (77) without them.
set -uo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
if [ -z "${MP_KAFKA_SASL_BOOTSTRAP:-}" ] || [ ! -r "${MP_KAFKA_DIR:-}/sasl.password" ]; then
  echo "SKIP: no SASL listener (MP_KAFKA_SASL_BOOTSTRAP, MP_KAFKA_DIR)"; exit 77
fi
T=it_sasl_$$
S=${T}_marcpipe
F="$MP_TEST_DATA/iso2709/mrrctestbed--bibliographic-sample.mrc" # 386 records
PW=$(cat "$MP_KAFKA_DIR/sasl.password")
USER_=$(cat "$MP_KAFKA_DIR/sasl.user")
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
WATCH=
tl_at_exit '[ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null'
tl_keep_going # fail counts; tl_finish at the end
[ ${#PW} -ge 8 ] || { echo "FAIL password too short to search for"; exit 1; }

props() { # PASSWORD: the client properties, one K=V a line
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=%s\nsasl.password=%s\n' "$USER_" "$1"
}

# the process list, sampled every 10 ms until the import ends (a worker of
# this small import may live for well under a second): every command line
# holding the password, and whether a worker of the import was seen (so the
# sampling saw something). The sampler says it is ready before the import
# starts; it takes the password from its environment, not its arguments.
WATCH_SECRET="$PW" python3 "$TL_LIB/cmdline_watch.py" "$W" "$T" &
WATCH=$!
for _ in $(seq 100); do [ -e "$W/ps.ready" ] && break; sleep 0.05; done
[ -e "$W/ps.ready" ] || fail "the process list sampler did not start"

MARCPIPE_KAFKA_PROPS=$(props "$PW") timeout -k 5 120 "$MARCPIPE" import --json \
  --tenant "$T" --env "sasl$$" -G "it.sasl.$$" -w 2 -b "$MP_KAFKA_SASL_BOOTSTRAP" "$F" \
  >"$W/import.out" 2>"$W/import.err"
rc=$?
kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null; WATCH=
[ $rc -eq 0 ] || { fail "import over SASL: exit $rc"; tail -n 5 "$W/import.err"; }
[ -s "$W/ps.worker" ] || fail "no worker of the import seen in the process list"
[ -s "$W/ps.leak" ] && fail "the password is in the process list: $(head -c 200 "$W/ps.leak")"

python3 - "$W/import.out" <<'PY' || fail "import summary"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
want = {"status": "COMPLETED", "records": 386, "processed": 386}
got = {k: s.get(k) for k in want}
if got != want:
    print(f"summary {got}, want {want}"); sys.exit(1)
PY
n=$(psql -XAtq -c "SELECT count(DISTINCT seq) FROM $S.journal")
[ "$n" = 386 ] || fail "journal: $n distinct records, want 386"

# no output, table or broker log holds the password
grep -lF -- "$PW" "$W/import.out" "$W/import.err" && fail "the password is in marcpipe's output"
pg_dump -X -n "$S" >"$W/dump.sql" 2>/dev/null || pg_dump -n "$S" >"$W/dump.sql"
[ -s "$W/dump.sql" ] || fail "pg_dump of $S is empty"
grep -qF -- "$PW" "$W/dump.sql" && fail "the password is in a table of $S"
for log in "$MP_KAFKA_DIR"/node*/server.log; do
  grep -qF -- "$PW" "$log" && fail "the password is in $log"
done

# a wrong password: one line, the reason, bounded, not shown
WRONG="wrong-$PW"
MARCPIPE_KAFKA_TIMEOUT=5 MARCPIPE_KAFKA_PROPS=$(props "$WRONG") timeout -k 5 60 "$MARCPIPE" produce -q \
  --tenant "$T" --env "sasl$$" -b "$MP_KAFKA_SASL_BOOTSTRAP" "$F" >"$W/wrong.out" 2>"$W/wrong.err"
rc=$?
[ $rc -eq 1 ] || fail "wrong password: exit $rc, want 1"
[ "$(grep -c '' "$W/wrong.err")" = 1 ] || { fail "wrong password: not one line"; head -n 5 "$W/wrong.err"; }
grep -qi "authentication" "$W/wrong.err" || fail "wrong password: no reason: $(cat "$W/wrong.err")"
grep -qF -- "$WRONG" "$W/wrong.err" && fail "wrong password shown"
st=$(psql -XAtq -c "SELECT status FROM $S.jobs ORDER BY id DESC LIMIT 1")
[ "$st" = FAILED ] || fail "wrong password: job $st, want FAILED"

tl_finish
echo "kafka_sasl: 386 records over SASL_PLAINTEXT/PLAIN; password in no ps sample, output, table or broker log; wrong password: one line"
