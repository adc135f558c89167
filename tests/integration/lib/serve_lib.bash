# serve_lib.bash: shared set-up for the web console tests (sourced; it
# sources the shell test library's prelude.bash and db.bash: tests/lib).
#
# sv_npm             npm ci of tests/browser (package.json + lock) into
#                    $MP_BROWSER_DIR (default: ./browser-node under the
#                    build directory ctest runs in); reused while the lock
#                    is unchanged; the test scripts (tests/browser/*.mjs)
#                    are copied beside node_modules (ES modules resolve
#                    packages from their own directory); sets NODE_DIR.
#                    No browser download: playwright-core drives Debian's
#                    /usr/bin/chromium
# sv_start TENANT    `marcpipe serve` on 127.0.0.1, a free port, with
#                    --allow-control and $TOKEN; sets URL, SERVE_PID
#                    (stopped at exit by PID)
# sv_code PATH [curl args]  the HTTP status of GET $URL/PATH
set -euo pipefail
: "${MARCPIPE:?}" "${MP_SOURCE_DIR:?}"
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/prelude.bash"
. "$TL_LIB/db.bash"
TOKEN=test-token-0123456789abcdef
SERVE_PID=""

sv_npm() {
  local dir=${MP_BROWSER_DIR:-$PWD/browser-node}
  mkdir -p "$dir"
  if ! cmp -s "$MP_SOURCE_DIR/tests/browser/package-lock.json" "$dir/package-lock.json" ||
     [ ! -d "$dir/node_modules/playwright-core" ]; then
    cp "$MP_SOURCE_DIR/tests/browser/package.json" "$MP_SOURCE_DIR/tests/browser/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  cp "$MP_SOURCE_DIR"/tests/browser/*.mjs "$dir/"
  NODE_DIR=$dir
}

sv_stop() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null || true; }

sv_start() {
  local out=$TMP/serve.out
  "$MARCPIPE" serve --listen 127.0.0.1:0 --tenant "$1" --allow-control --token "$TOKEN" \
    >"$out" 2>"$TMP/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 1 100); do
    URL=$(head -1 "$out" 2>/dev/null | sed 's,/$,,')
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  fail "serve did not start: $(cat "$TMP/serve.err")"
}

sv_code() { local p=$1; shift; curl -s -o /dev/null -w '%{http_code}' "$@" "$URL$p"; }
