#!/usr/bin/env bash
# db_managed.sh: `marcpipe db start/status/env/stop` on a temp --state-dir
# (works as root: the cluster then belongs to the postgres user), and the
# started server accepts the tenant migrations over its unix socket only.
set -euo pipefail
: "${MARCPIPE:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir D
chmod 755 "$D"
S="$D/pg"
tl_at_exit '"$MARCPIPE" db stop --state-dir "$S" >/dev/null 2>&1'

grep -q "state-dir" <<<"$("$MARCPIPE" db --help)" || fail "--help lacks --state-dir"
if "$MARCPIPE" db status --state-dir "$S" >/dev/null 2>&1; then fail "status succeeded before start"; fi
out=$("$MARCPIPE" db start --state-dir "$S" 2>"$D/err")
grep -q "^marcpipe db: started" "$D/err" || fail "first start did not start: $(cat "$D/err")"
[ "$out" = "host=$S port=5432 user=postgres dbname=postgres" ] || fail "unexpected conninfo: $out"
"$MARCPIPE" db start --state-dir "$S" 2>"$D/err" >/dev/null
grep -q "already running" "$D/err" || fail "second start was not a no-op"
st=$("$MARCPIPE" db status --state-dir "$S") || fail "status failed while running"
[ "${st%%$'\t'*}" = running ] || fail "status says: $st"
[ -S "$S/.s.PGSQL.5432" ] || fail "no unix socket in the state directory"
(
  unset PGHOST PGPORT PGUSER PGDATABASE
  eval "$("$MARCPIPE" db env --state-dir "$S")"
  [ "$PGHOST" = "$S" ] || fail "env PGHOST=$PGHOST"
  [ "$(psql -Atc 'show listen_addresses')" = "" ] || fail "server listens on TCP"
  [ "$(psql -Atc 'show wal_level')" = minimal ] || fail "wal_level not minimal"
  [ "$(psql -Atc 'show synchronous_commit')" = on ] || fail "synchronous_commit not on"
  if [ "$(id -u)" -eq 0 ]; then
    [ "$(stat -c %U "$S/data")" = postgres ] || fail "data dir not owned by postgres"
  fi
)
"$MARCPIPE" db stop --state-dir "$S" || fail "stop failed"
if "$MARCPIPE" db status --state-dir "$S" >/dev/null; then fail "status succeeded after stop"; fi
"$MARCPIPE" db stop --state-dir "$S" || fail "second stop was not a no-op"
# restart keeps the cluster (no second initdb)
"$MARCPIPE" db start --state-dir "$S" >/dev/null 2>&1 || fail "restart failed"
[ "$(grep -c 'marcpipe managed cluster' "$S/data/postgresql.conf")" = 1 ] || fail "cluster re-initialised"
echo "db_managed: ok"
