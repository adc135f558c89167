#!/usr/bin/env bash
# pgtmp.sh: a throwaway PostgreSQL for the test suite.
#   eval "$(scripts/pgtmp.sh start)"   # prints export lines (PGHOST ...) and MP_PGTMP
#   scripts/pgtmp.sh stop "$MP_PGTMP"
#   scripts/pgtmp.sh start --listen ADDR/BITS   # also on ADDR (see below)
#   scripts/pgtmp.sh restart "$MP_PGTMP" [--listen ADDR/BITS]
# initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` user (created by the postgresql package) and runs through runuser.
# Unix socket in the temp dir, plus 127.0.0.1 on a free port; fsync off:
# the data is thrown away.
# --listen ADDR/BITS: the server also listens on ADDR (same port) and trusts
# clients from ADDR/BITS, e.g. the simulated hosts of scripts/netns.bash on
# their bridge. `restart` restarts the cluster of DIR on its port with the
# same settings, listening on ADDR as well (--listen) or on 127.0.0.1 alone
# (without); the sessions of other clients end with it.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$BIN/initdb" ] || { echo "pgtmp: PostgreSQL server binaries not found" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

LISTEN=
listen_opt() { # ARGS...: sets LISTEN from --listen ADDR/BITS
  while [ $# -gt 0 ]; do
    case $1 in
      --listen) LISTEN=${2:?--listen ADDR/BITS}; shift 2 ;;
      *) echo "pgtmp: unknown argument $1" >&2; exit 2 ;;
    esac
  done
  case $LISTEN in ''|*.*.*.*/*) ;; *) echo "pgtmp: --listen wants ADDR/BITS (IPv4)" >&2; exit 2 ;; esac
}

# pg_start DIR PORT: start the cluster; with LISTEN also on its address, and
# its clients trusted (pg_hba.conf lines marked "# pgtmp --listen",
# replaced on each start)
pg_start() {
  local D=$1 port=$2 addrs=127.0.0.1
  as_pg sed -i '/# pgtmp --listen$/d' "$D/data/pg_hba.conf"
  if [ -n "$LISTEN" ]; then
    addrs+=,${LISTEN%/*}
    echo "host all all $LISTEN trust # pgtmp --listen" | as_pg tee -a "$D/data/pg_hba.conf" >/dev/null
  fi
  as_pg "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 60 \
    -o "-c listen_addresses=$addrs -p $port -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$D/server.log" >&2; exit 1; }
}

case "${1:-}" in
start)
  shift; listen_opt "$@"
  D=$(mktemp -d -t mppg.XXXXXX)
  chmod 755 "$D"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$D"
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  as_pg "$BIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --no-locale \
    --no-sync >"$D/initdb.log" 2>&1 || { cat "$D/initdb.log" >&2; exit 1; }
  pg_start "$D" "$port"
  echo "export PGHOST=$D PGPORT=$port PGUSER=postgres PGDATABASE=postgres MP_PGTMP=$D"
  ;;
restart)
  D=${2:?usage: pgtmp.sh restart DIR [--listen ADDR/BITS]}
  shift 2; listen_opt "$@"
  # the port it runs on: line 4 of postmaster.pid
  port=$(sed -n 4p "$D/data/postmaster.pid" 2>/dev/null) || true
  [ -n "$port" ] || { echo "pgtmp: no server running in $D" >&2; exit 1; }
  as_pg "$BIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null
  pg_start "$D" "$port"
  ;;
stop)
  D=${2:?usage: pgtmp.sh stop DIR}
  as_pg "$BIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$D"
  ;;
*)
  echo "usage: pgtmp.sh start [--listen ADDR/BITS] | restart DIR [--listen ADDR/BITS] | stop DIR" >&2; exit 2 ;;
esac
