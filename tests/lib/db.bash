# db.bash: PostgreSQL for the shell tests (sourced after prelude.bash).
# The server is the one of the PG* environment (scripts/pgtmp.sh; ctest
# and scripts/test.sh set it); a test works in a tenant of its own.
#
#   tl_tenant TENANT  TL_TENANT, TL_SCHEMA (TENANT_marcpipe): the schema is
#                     dropped now (every run starts empty) and at exit
#   tl_q SQL          one query in the tenant's schema: unaligned, tuples
#                     only, '|' between columns, stops at the first error
#   tl_sql SQL        one query with no schema set: unaligned, tab-separated
#   tl_pg_setup       for tests that stop or restart the server of
#                     scripts/pgtmp.sh (MP_PGTMP: data in $MP_PGTMP/data):
#                     sets PGTMP, BIN and PGOPTS (the options pgtmp.sh
#                     started it with)
#   tl_as_pg CMD...   CMD as the postgres user when root
#   tl_pg_up          start that server again (fails the test if it does not)
: "${PGHOST:?PG* not set (eval \"\$(bash scripts/pgtmp.sh start)\")}"

tl_tenant() {
  TL_TENANT=$1
  TL_SCHEMA=${1}_marcpipe
  psql -XAtq -c "DROP SCHEMA IF EXISTS $TL_SCHEMA CASCADE" >/dev/null 2>&1 || true
  tl_at_exit 'psql -XAtq -c "DROP SCHEMA IF EXISTS $TL_SCHEMA CASCADE" >/dev/null 2>&1'
}

tl_q() {
  PGOPTIONS="-c search_path=$TL_SCHEMA" psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

tl_sql() { psql -XAtq -F $'\t' -c "$1"; }

tl_pg_setup() {
  PGTMP=${MP_PGTMP:?MP_PGTMP not set: this test restarts the cluster of scripts/pgtmp.sh}
  [ -d "$PGTMP/data" ] || fail "no cluster at $PGTMP/data"
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  PGOPTS="-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
}
tl_as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
tl_pg_up() {
  tl_as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 -o "$PGOPTS" start >/dev/null ||
    fail "PostgreSQL did not start again"
}
