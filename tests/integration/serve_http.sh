#!/usr/bin/env bash
# serve_http.sh: `marcpipe serve` over HTTP without a browser. A job made
# of hostile MARC (a 245 holding <script>, a 001 holding an <img onerror>)
# plus 386 real records: every value shows escaped in the log and record
# pages (the raw markup never appears), bad requests get 400, unknown
# paths/jobs/records 404, a wrong method 405, control actions without the
# token 403, a resume of a completed job 409, a foreign Host header 400;
# /api/jobs/ID equals `status --json`; /metrics, parsed by a Prometheus
# text-format parser (npm parse-prometheus-text-format), carries the job's
# exact counters; a delete from the console removes the job's journal and
# keeps its Instances. Needs PG*, MARCPIPE, MP_TEST_DATA, node/npm.
set -euo pipefail
. "$(dirname "$0")/lib/serve_lib.bash"
: "${MP_TEST_DATA:?}"
T=it_serve
tl_tmpdir TMP
tl_tenant "$T"
tl_at_exit sv_stop
cat >"$TMP/x.json" <<'J'
[{"leader":"00000nam a2200000 a 4500","fields":[{"001":"xss<img src=x onerror=alert(1)>"},{"008":"200101s2020    xx            000 0 eng d"},{"245":{"ind1":"1","ind2":"0","subfields":[{"a":"<script>window.__xss=1</script>Hostile title & \"quotes\""}]}}]}]
J
"$MARCPIPE" dump --from json --to iso2709 "$TMP/x.json" >"$TMP/x.mrc"
cat "$TMP/x.mrc" "$MP_TEST_DATA/iso2709/mrrctestbed--bibliographic-sample.mrc" >"$TMP/in.mrc"
"$MARCPIPE" import -q --tenant "$T" "$TMP/in.mrc" >/dev/null 2>"$TMP/imp.err" || fail "import: $(tail -3 "$TMP/imp.err")"
"$MARCPIPE" status 1 --tenant "$T" --json >"$TMP/status.json"
sv_npm
sv_start "$T"

curl -s "$URL/jobs/1/records/1" >"$TMP/rec.html"
curl -s "$URL/jobs/1" >"$TMP/job.html"
for f in rec job; do
  grep -qF '<script>window.__xss' "$TMP/$f.html" && fail "$f page carries the raw <script>"
  grep -qF '<img src=x' "$TMP/$f.html" && fail "$f page carries the raw <img>"
done
grep -qF '&lt;script&gt;window.__xss=1&lt;/script&gt;Hostile title &amp; &quot;quotes&quot;' "$TMP/rec.html" ||
  fail "record page: 245 not shown escaped"
grep -qF 'xss&lt;img src=x onerror=alert(1)&gt;' "$TMP/job.html" || fail "log page: 001 not shown escaped"

expect() { local want=$1; shift; local got; got=$(sv_code "$@"); [ "$got" = "$want" ] || fail "$* -> $got, want $want"; }
expect 200 /
expect 200 /jobs/1
expect 200 "/jobs/1?outcome=created&after=10"
expect 200 /jobs/1/records/2
expect 200 /jobs/1/chart.svg
expect 200 /api/jobs
expect 400 /jobs/abc
expect 400 "/jobs/1?outcome=%3Cscript%3E"
expect 400 "/jobs/1?after=-5"
expect 400 "/jobs/1?after=1'%20OR%201=1"
expect 400 /jobs/1/records/x
expect 400 /api/jobs/0
expect 404 /jobs/999
expect 404 /jobs/1/records/388
expect 404 /api/jobs/999
expect 404 /nope
expect 404 /jobs/1/nope
expect 405 /jobs/1 -X PUT
expect 403 /jobs/1/cancel -X POST
expect 403 /jobs/1/cancel -X POST -H "X-Marcpipe-Token: wrong-token-0123456789"
expect 409 /jobs/1/resume -X POST -H "X-Marcpipe-Token: $TOKEN"
expect 409 /jobs/1/cancel -X POST -H "X-Marcpipe-Token: $TOKEN"
expect 400 / -H "Host: attacker.example"
kill -0 "$SERVE_PID" || fail "serve died"

curl -s "$URL/api/jobs/1" >"$TMP/api.json"
python3 - "$TMP/api.json" "$TMP/status.json" <<'PY'
import json, sys
a, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
keys = ["id", "status", "processed", "created", "updated", "duplicates", "skipped", "errors", "total"]
bad = [k for k in keys if a[k] != s[k]]
if bad or s["processed"] != 387 or a["percent"] != 100.0:
    print(f"FAIL api {bad} {a}"); sys.exit(1)
PY
node "$NODE_DIR/metrics.mjs" "$URL" "$TMP/status.json" "$T" || fail "metrics"
# delete from the console: journal and job gone, Instances stay
inst=$(psql -XAtq -c "SELECT count(*) FROM ${T}_marcpipe.instances")
expect 200 /jobs/1/delete -X POST -H "X-Marcpipe-Token: $TOKEN"
expect 404 /api/jobs/1
[ "$(psql -XAtq -c "SELECT count(*) FROM ${T}_marcpipe.journal")" = 0 ] || fail "journal left after delete"
[ "$(psql -XAtq -c "SELECT count(*) FROM ${T}_marcpipe.instances")" = "$inst" ] || fail "delete touched Instances"
# the job list pages by id: 120 more jobs (ids 2..121): 100 newest, then the rest
psql -XAtq -c "INSERT INTO ${T}_marcpipe.jobs (status, file_name) SELECT 'COMPLETED', 'f' || g FROM generate_series(1, 120) g" >/dev/null
curl -s "$URL/" >"$TMP/p1.html"
curl -s "$URL/?before=22" >"$TMP/p2.html"
[ "$(grep -o 'id="job-[0-9]*"' "$TMP/p1.html" | wc -l)" = 100 ] && grep -q 'id="job-121"' "$TMP/p1.html" &&
  grep -q 'id="job-22"' "$TMP/p1.html" && grep -q 'href="/?before=22"' "$TMP/p1.html" || fail "job list page 1"
[ "$(grep -o 'id="job-[0-9]*"' "$TMP/p2.html" | wc -l)" = 20 ] && grep -q 'id="job-2"' "$TMP/p2.html" &&
  ! grep -q 'id="older"' "$TMP/p2.html" || fail "job list page 2"
expect 400 "/?before=x"
echo "serve_http: ok (escaping, 400/403/404/405/409, api = status, metrics = counters)"
