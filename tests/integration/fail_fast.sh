#!/usr/bin/env bash
# fail_fast.sh: what cannot work fails at once, in one line, and leaves no
# job behind. A dead database (a closed TCP port, a socket directory that
# does not exist) for import, jobs, status, errors and produce; bad values,
# a missing file, a directory and a wrong --from for import against the
# real database: exit 2 / 1 and no job row; a Kafka property the workers
# refuse is a usage error found before the job exists; --max-backlog 0
# (off, as in produce) imports every record.
# Env (from ctest): MARCPIPE, MP_TEST_DATA, PG*.
source "$(dirname "$0")/lib/import_lib.bash"
it_setup cli_failfast
F="$MP_TEST_DATA/iso2709/folio-mdi--100.mrc"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
jobs_of() { # the tenant's jobs, 0 when its schema does not exist
  it_sql "SELECT CASE WHEN to_regclass('${T}_marcpipe.jobs') IS NULL THEN 0
          ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ${T}_marcpipe.jobs', false, true, '')))[1]::text::int END"
}

# one_line WANT_RC PATTERN ARGS...: exit code, exactly one stderr line
# matching PATTERN (a usage error adds the pointer to --help), within the
# timeout (a hang fails)
one_line() {
  local want=$1 pat=$2; shift 2
  local rc=0
  timeout -k 5 30 "$MARCPIPE" "$@" >"$TMP/out" 2>"$TMP/err.log" || rc=$?
  [ "$rc" -eq "$want" ] || it_fail "exit $rc, want $want: $*"
  [ "$(grep -vc '^(see marcpipe [a-z]* --help)$' "$TMP/err.log")" -eq 1 ] ||
    it_fail "not one line: $*"
  grep -Eq -- "$pat" "$TMP/err.log" || it_fail "stderr of $* lacks '$pat'"
}

# a dead database: refused at once
for db in "host=127.0.0.1 port=$port" "host=/nonexistent/mp"; do
  one_line 1 "database: cannot connect to PostgreSQL" import --tenant "$T" --db "$db" "$F"
  for cmd in jobs "status 1" "errors 1"; do
    # shellcheck disable=SC2086
    one_line 1 "^marcpipe ${cmd%% *}: database: cannot connect to PostgreSQL" $cmd --tenant "$T" --db "$db"
  done
  MARCPIPE_DB="$db" one_line 1 "^marcpipe produce: .*cannot connect to PostgreSQL" \
    produce -b 127.0.0.1:1 --tenant "$T" "$F"
  PGHOST=/nonexistent/mp one_line 1 "cannot connect to PostgreSQL" import --tenant "$T" --db "$db" "$F"
done
[ "$(jobs_of)" = 0 ] || it_fail "jobs after a dead database: $(jobs_of)"

# usage errors and unreadable input, with the database up: no job
while IFS='|' read -r rc pat args; do
  # shellcheck disable=SC2086
  one_line "$rc" "$pat" import --tenant "$T" $args
done <<EOF
2|--batch wants 1..1000000 \(got '0'\)|--batch 0 $F
2|--sinks wants 1..64 \(got '65'\)|--sinks 65 $F
2|--window-bytes wants a size|--window-bytes 1X $F
2|--db-connections wants 1..1000|--db-connections 0 $F
1|missing.mrc: no such file or directory|$F $TMP/missing.mrc
1|is a directory, not a MARC file|$F $TMP
1|--from json, but this looks like ISO 2709|--from json $F
EOF
[ "$(jobs_of)" = 0 ] || it_fail "jobs after usage errors: $(jobs_of)"

# a property the workers manage: their own check refuses it before the job
one_line 2 "^marcpipe work: property 'enable.auto.commit' is managed by the worker$" \
  import -q --tenant "$T" -X enable.auto.commit=true "$F"
[ "$(jobs_of)" = 0 ] || it_fail "a job exists after a refused worker property"

# --max-backlog 0: off, as in produce; every record imported
it_import --max-backlog 0 --max-backlog-bytes 0 "$F"
[ "$IT_RC" -eq 0 ] || it_fail "--max-backlog 0: exit $IT_RC"
python3 - "$IT_LIB" "$TMP/out.json" <<'PY' || it_fail "--max-backlog 0 summary"
import sys
sys.path.insert(0, sys.argv[1])
import import_summary as s
bad = s.completed_exactly(s.load(sys.argv[2]), 100, 2)
print("; ".join(bad)) if bad else None
sys.exit(1 if bad else 0)
PY
[ "$(jobs_of)" = 1 ] || it_fail "jobs: $(jobs_of)"
echo "fail_fast: ok"
