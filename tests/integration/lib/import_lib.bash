# import_lib.bash: shared set-up for the `marcpipe import` integration tests
# (sourced, not a test itself: ctest runs tests/integration/*.sh only).
#
# it_setup TENANT     checks the environment, makes $TMP (removed at exit),
#                     drops the tenant's schema so every run starts empty
# it_import ARGS...   runs `marcpipe import -q --json --tenant $T ARGS`
#                     (on the real cluster of MP_KAFKA_BOOTSTRAP when set)
#                     under a timeout (a stuck job fails the test instead of
#                     hanging ctest); sets IT_RC, stdout in $TMP/out.json,
#                     stderr in $TMP/err.log
# it_sql SQL          one psql query, unaligned, tab-separated
# it_journal          instances, journal rows, distinct seqs, min and max seq
#                     of tenant $T (tab-separated; checked by
#                     lib/import_summary.py journal_once)
# IT_LIB              this directory (for lib/import_summary.py)
# it_fail MSG         prints MSG, the import's stderr tail, and exits 1
set -euo pipefail
: "${MARCPIPE:?}" "${PGHOST:?PostgreSQL required (PG* variables)}"

it_setup() {
  T=$1
  TMP=$(mktemp -d)
  trap '[ -n "${IT_KEEP:-}" ] || rm -rf "$TMP"' EXIT
  psql -XAtq -c "DROP SCHEMA IF EXISTS ${T}_marcpipe CASCADE" >/dev/null 2>&1 || true
}

# With MP_KAFKA_BOOTSTRAP (scripts/test.sh starts a real Kafka cluster),
# it_import runs against it, with a topic environment and a group of this
# test process's own (tests run in parallel); IT_EMBEDDED=1 keeps a test on
# the embedded broker (the smoke set).
IT_KAFKA=()
if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ] && [ "${IT_EMBEDDED:-0}" != 1 ]; then
  IT_KAFKA=(-b "$MP_KAFKA_BOOTSTRAP" --env "it$$" -G "it.$$")
fi

it_import() {
  IT_RC=0
  timeout -k 10 "${IT_TIMEOUT:-80}" "$MARCPIPE" import -q --json --tenant "$T" "${IT_KAFKA[@]}" "$@" \
    >"$TMP/out.json" 2>"$TMP/err.log" || IT_RC=$?
  if [ "$IT_RC" -ge 124 ]; then
    it_fail "import did not finish within ${IT_TIMEOUT:-80} s (exit $IT_RC)"
  fi
}

it_sql() { psql -XAtq -F $'\t' -c "$1"; }

it_journal() {
  it_sql "SELECT (SELECT count(*) FROM ${T}_marcpipe.instances),
                 count(*), count(DISTINCT seq), min(seq), max(seq)
          FROM ${T}_marcpipe.journal"
}

IT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the checkout

it_fail() {
  echo "FAIL: $*"
  if [ -s "$TMP/err.log" ]; then
    echo "--- import stderr (tail)"
    tail -n 20 "$TMP/err.log"
  fi
  exit 1
}
