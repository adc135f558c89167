#!/usr/bin/env bash
# pgtmp.sh: a throwaway PostgreSQL for the test suite.
#   eval "$(scripts/pgtmp.sh start)"   # prints export lines (PGHOST ...) and MP_PGTMP
#   scripts/pgtmp.sh stop "$MP_PGTMP"
# initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` user (created by the postgresql package) and runs through runuser.
# Unix socket in the temp dir, plus 127.0.0.1 on a free port; fsync off:
# the data is thrown away.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$BIN/initdb" ] || { echo "pgtmp: PostgreSQL server binaries not found" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  D=$(mktemp -d -t mppg.XXXXXX)
  chmod 755 "$D"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$D"
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  as_pg "$BIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --no-locale \
    --no-sync >"$D/initdb.log" 2>&1 || { cat "$D/initdb.log" >&2; exit 1; }
  as_pg "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$D/server.log" >&2; exit 1; }
  echo "export PGHOST=$D PGPORT=$port PGUSER=postgres PGDATABASE=postgres MP_PGTMP=$D"
  ;;
stop)
  D=${2:?usage: pgtmp.sh stop DIR}
  as_pg "$BIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$D"
  ;;
*)
  echo "usage: pgtmp.sh start | stop DIR" >&2; exit 2 ;;
esac
