#!/usr/bin/env bash
# secrets_masked.sh: no secret reaches stderr or stdout. The conninfo's
# password and sslpassword (keyword form and URI, plus a URI's user:password)
# and librdkafka's secret properties (sasl.password, ssl.key.password,
# ssl.keystore.password) given to status, jobs, produce and work against
# unreachable servers: every message must name the keyword with "***" and
# never the value. Before the fix `sslpassword=` was printed as given.
# Needs only the binary (nothing listens on port 1). Env: MARCPIPE.
set -uo pipefail
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
SECRETS='S3cret|Pw1x|K4fka|K3yp|K5st'
# run NAME CMD...: all output to $T/NAME; no secret value in it
run() {
  local name=$1; shift
  timeout -k 5 20 "$@" >"$T/$name" 2>&1
  ! grep -Eq "$SECRETS" "$T/$name" || fail "$name printed a secret: $(grep -E "$SECRETS" "$T/$name" | head -n 2)"
}
run status "$M" status 1 --db "host=127.0.0.1 port=1 sslpassword=S3cret password=Pw1x"
grep -q "sslpassword=\*\*\* password=\*\*\*" "$T/status" || fail "status: $(cat "$T/status")"
run jobs "$M" jobs --db "postgresql://u:Pw1x@127.0.0.1:1/db?sslpassword=S3cret"
grep -q "postgresql://u:\*\*\*@127.0.0.1:1/db?sslpassword=\*\*\*" "$T/jobs" || fail "jobs: $(cat "$T/jobs")"
run produce "$M" produce -b 127.0.0.1:1 --db "host=127.0.0.1 port=1 sslpassword=S3cret" \
  -X sasl.password=K4fka -X ssl.key.password=K3yp -X ssl.keystore.password=K5st /dev/null
grep -q "sslpassword=\*\*\*" "$T/produce" || fail "produce: $(cat "$T/produce")"
run work "$M" work -b 127.0.0.1:1 --db "host=127.0.0.1 port=1 sslpassword=S3cret" \
  -X sasl.password=K4fka -X ssl.key.password=K3yp -X ssl.keystore.password=K5st --exit-when-idle 1
echo "secrets_masked: ok"
