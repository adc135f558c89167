# import_lib.bash: the `marcpipe import` integration tests' names for the
# shell test library (tests/lib: prelude, db, verdict). Sourced, not a test
# itself: ctest runs tests/integration/*.sh only.
#
# it_setup TENANT     T=TENANT, a fresh $TMP (removed at exit, kept with
#                     IT_KEEP=1), the tenant's schema dropped now (every run
#                     starts empty) and at exit
# it_import ARGS...   runs `marcpipe import -q --json --tenant $T ARGS`
#                     (on the real cluster of MP_KAFKA_BOOTSTRAP when set)
#                     under a timeout (a stuck job fails the test instead of
#                     hanging ctest); sets IT_RC, stdout in $TMP/out.json,
#                     stderr in $TMP/err.log
# it_sql SQL          one psql query, unaligned, tab-separated (tl_sql)
# it_verdict N [ERRORS]  the exactly-once verdict (tests/lib/verdict.bash,
#                     the fault scenarios' fl_check) on the tenant's last
#                     job: N records, every one CREATED but ERRORS
# IT_LIB              this directory (for lib/import_summary.py)
# it_fail MSG         fail: prints MSG, the import's stderr tail, exits 1
set -euo pipefail
: "${MARCPIPE:?}"
TL_KEEP=${IT_KEEP:-${TL_KEEP:-}}
IT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$IT_LIB/../../lib/prelude.bash"
. "$TL_LIB/db.bash"
. "$TL_LIB/verdict.bash"

it_import_log() {
  [ -s "${TMP:-}/err.log" ] || return 0
  echo "--- import stderr (tail)" >&2
  tail -n 20 "$TMP/err.log" >&2
}
TL_ON_FAIL+=(it_import_log)

it_setup() {
  T=$1
  tl_tmpdir TMP
  tl_tenant "$T"
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

it_sql() { tl_sql "$@"; }

it_verdict() {
  local n=$1 errors=${2:-0}
  tl_verdict -c $((n - errors)) 0 "$n" "$(tl_q "select max(id) from jobs")" "$errors"
}

it_fail() { fail "$@"; }
