# prelude.bash: the first file every shell test sources (directly, or
# through tests/faults/lib.bash or tests/integration/lib/import_lib.bash).
# Sourced, never run: ctest registers only tests/{cli,integration,faults}/*.sh.
#
# It sets no shell options: a test keeps its own (set -euo pipefail, or
# set -u when it counts its failures). It gives:
#   TL_LIB          this directory (db.bash, processes.bash, verdict.bash)
#   TL_NAME         the test's name (its file name without .sh)
#   tl_at_exit CMD  run CMD (eval) at exit; the last registered runs first.
#                   The EXIT trap is the prelude's: a test registers here
#                   instead of setting its own.
#   tl_tmpdir [VAR] a fresh directory in TL_TMP (and in VAR), removed at exit
#   fail MSG        prints "FAIL: MSG" on stderr, runs the TL_ON_FAIL
#                   functions (log dumps) and exits 1; after tl_keep_going
#                   it counts the failure in TL_FAILS and returns instead
#   tl_keep_going   fail counts and returns: the test reports every check
#   tl_finish       after tl_keep_going: exit 1 if anything failed
#   expect_rc [-t S] WANT CMD...  run CMD (under a timeout of S seconds
#                   when given), stdout to $TL_TMP/out, stderr to
#                   $TL_TMP/err; fail unless it exits WANT; an exit by a
#                   signal (>= 128, or the timeout) is named as such
TL_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TL_NAME=${TL_NAME:-$(basename "$0" .sh)}
TL_TMP=
TL_FAILS=0
TL_KEEP_GOING=0
TL_FAIL_PREFIX=  # put before every FAIL message (e.g. "scenario NAME: ")
TL_ON_FAIL=()    # functions run after a FAIL message, before the exit
TL_AT_EXIT=()
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the checkout

tl_exit() {
  local i
  for ((i = ${#TL_AT_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${TL_AT_EXIT[$i]}" || true
  done
}
trap tl_exit EXIT

tl_at_exit() { TL_AT_EXIT+=("$*"); }

tl_tmpdir() {
  TL_TMP=$(mktemp -d -t "mp.$TL_NAME.XXXXXX")
  # chmod: a test may leave an unreadable file or directory behind
  tl_at_exit '[ -n "${TL_KEEP:-}" ] || { chmod -R u+rwx "$TL_TMP" 2>/dev/null; rm -rf "$TL_TMP"; }'
  [ $# -eq 0 ] || printf -v "$1" %s "$TL_TMP"
}

fail() {
  echo "FAIL: $TL_FAIL_PREFIX$*" >&2
  local f
  for f in "${TL_ON_FAIL[@]}"; do "$f" || true; done
  if [ "$TL_KEEP_GOING" = 1 ]; then
    TL_FAILS=$((TL_FAILS + 1))
    return 0
  fi
  exit 1
}

tl_keep_going() { TL_KEEP_GOING=1; }

tl_finish() {
  [ "$TL_FAILS" -eq 0 ] || { echo "$TL_NAME: $TL_FAILS failure(s)" >&2; exit 1; }
}

expect_rc() {
  local t=()
  [ "$1" = -t ] && { t=(timeout -k 5 "$2"); shift 2; }
  local want=$1 rc=0; shift
  "${t[@]}" "$@" >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
  [ "$rc" -eq "$want" ] && return 0
  if [ ${#t[@]} -gt 0 ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; }; then
    fail "still running after ${t[3]} s: $*"
  elif [ "$rc" -ge 128 ]; then
    fail "crashed (exit $rc): $* ($(tail -n 5 "$TL_TMP/err"))"
  else
    fail "exit $rc, want $want: $* ($(head -c 300 "$TL_TMP/err"))"
  fi
}
