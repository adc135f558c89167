#!/usr/bin/env bash
# db_state_dir.sh: the managed PostgreSQL's state directory (it holds the
# unix socket, which trusts local connections as the superuser) belongs to
# the service user with mode 0700. Before the fix a pre-existing 0777
# directory kept its mode (any local user could connect as the superuser)
# and, as root, `db start` appended to the target of a planted initdb.log
# symlink. Checked here:
#   - a pre-existing 0777 directory is narrowed to 0700 and owned by the
#     service user (postgres as root, else the caller);
#   - a state directory that is a symbolic link is refused;
#   - an initdb.log symlink planted in the directory is not followed: its
#     target stays as it was and db start fails with the log named;
#   - as root, a directory owned by another user (nobody) is refused.
set -euo pipefail
: "${MARCPIPE:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir D
chmod 755 "$D"
tl_at_exit '"$MARCPIPE" db stop --state-dir "$D/open" >/dev/null 2>&1'
svc=$(id -un); [ "$(id -u)" -eq 0 ] && svc=postgres

mkdir "$D/open"; chmod 777 "$D/open"
"$MARCPIPE" db start --state-dir "$D/open" >/dev/null 2>"$D/err" || fail "start: $(cat "$D/err")"
[ "$(stat -c %a "$D/open")" = 700 ] || fail "mode $(stat -c %a "$D/open"), want 700"
[ "$(stat -c %U "$D/open")" = "$svc" ] || fail "owner $(stat -c %U "$D/open"), want $svc"
"$MARCPIPE" db stop --state-dir "$D/open" || fail "stop"

mkdir "$D/real"; ln -s "$D/real" "$D/link"
rc=0; "$MARCPIPE" db start --state-dir "$D/link" >/dev/null 2>"$D/err" || rc=$?
[ "$rc" -ne 0 ] || fail "a symlinked state directory was used"
grep -q "is a symbolic link: refusing" "$D/err" || fail "message: $(cat "$D/err")"

mkdir -m 700 "$D/planted"; [ "$(id -u)" -eq 0 ] && chown postgres "$D/planted"
echo "precious" >"$D/target"
ln -s "$D/target" "$D/planted/initdb.log"
rc=0; "$MARCPIPE" db start --state-dir "$D/planted" >/dev/null 2>"$D/err" || rc=$?
[ "$rc" -ne 0 ] || fail "db start wrote through a planted initdb.log"
[ "$(cat "$D/target")" = precious ] || fail "the link target was written: $(head -c 200 "$D/target")"
grep -q "initdb failed" "$D/err" || fail "message: $(cat "$D/err")"

if [ "$(id -u)" -eq 0 ]; then
  mkdir -m 700 "$D/foreign"; chown nobody "$D/foreign"
  rc=0; "$MARCPIPE" db start --state-dir "$D/foreign" >/dev/null 2>"$D/err" || rc=$?
  [ "$rc" -ne 0 ] || fail "a directory of nobody was used"
  grep -q "belongs to uid $(id -u nobody), not to postgres: refusing" "$D/err" || fail "message: $(cat "$D/err")"
fi
echo "db_state_dir: ok"
