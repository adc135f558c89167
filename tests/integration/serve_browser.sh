#!/usr/bin/env bash
# serve_browser.sh: the web console in headless Chromium (Debian's
# chromium, driven by playwright-core from tests/browser, `npm ci`, no
# browser download): see tests/browser/console.mjs. Input: 20,000
# generated records (`marcpipe gen`) with 2 malformed records from the
# repository's pymarc file and 1 hostile record (a 245 holding <script>)
# spliced in; then a second 20,000-record file whose job is cancelled from
# the page. Screenshots: browser-artefacts/ in the build directory.
# Needs PG*, MARCPIPE, MP_TEST_DATA, node/npm, /usr/bin/chromium.
set -euo pipefail
. "$(dirname "$0")/lib/serve_lib.bash"
: "${MP_TEST_DATA:?}"
[ -x /usr/bin/chromium ] || { echo "FAIL /usr/bin/chromium missing (scripts/deps.sh)"; exit 1; }
T=it_browser
tl_tmpdir TMP
tl_tenant "$T"
tl_at_exit sv_stop
export MARCPIPE_HEARTBEAT_MS=500
"$MARCPIPE" gen --records 20000 --seed 11 -q -o "$TMP/g1.mrc"
"$MARCPIPE" gen --records 20000 --seed 12 --first-id 500000 -q -o "$TMP/g2.mrc"
cat >"$TMP/x.json" <<'J'
[{"leader":"00000nam a2200000 a 4500","fields":[{"001":"xss1"},{"008":"200101s2020    xx            000 0 eng d"},{"245":{"ind1":"1","ind2":"0","subfields":[{"a":"<script>window.__xss=1</script>Hostile"}]}}]}]
J
"$MARCPIPE" dump --from json --to iso2709 "$TMP/x.json" >"$TMP/x.mrc"
python3 - "$TMP" "$MP_TEST_DATA" <<'PY'
import sys
tmp, data = sys.argv[1:]
recs = [r + b"\x1d" for r in open(f"{tmp}/g1.mrc", "rb").read().split(b"\x1d") if r.strip()]
assert len(recs) == 20000
bad = [r + b"\x1d" for r in open(f"{data}/malformed/pymarc--bad_records.mrc", "rb").read().split(b"\x1d")[:8]]
x = open(f"{tmp}/x.mrc", "rb").read()
out = recs[:5000] + [bad[4]] + recs[5000:12000] + [x] + recs[12000:15000] + [bad[6]] + recs[15000:]
open(f"{tmp}/in1.mrc", "wb").write(b"".join(out))
PY
sv_npm
sv_start "$T"
OUT=$PWD/browser-artefacts
rm -rf "$OUT"
URL=$URL MARCPIPE=$MARCPIPE TENANT=$T FILE1=$TMP/in1.mrc FILE1_ERRORS=2 FILE1_RECORDS=20003 FILE2=$TMP/g2.mrc \
  OUT=$OUT node "$NODE_DIR/console.mjs"
