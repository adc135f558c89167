#!/usr/bin/env bash
# dump_amplification.sh: a legal-looking 99,905-byte ISO 2709 record whose
# 7,490 directory entries all point at one 9,999-byte field used to expand
# to 75 MB (three of them: 225 MB of JSON from `dump --to json`, 85 MB RSS).
# The fields of a record may now total at most twice its data area: such a record
# is rejected with a positioned reason, a sound record after it is read,
# and the output stays small. Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -euo pipefail
M=${MARCPIPE:?}
D=${MP_TEST_DATA:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
python3 - "$T/amp.mrc" <<'PY'
import sys
n = 7490
data = b"a" * 9998 + b"\x1e"
dirn = b"".join(b"500" + b"9999" + b"00000" for _ in range(n))
base = 24 + len(dirn) + 1
ln = base + len(data) + 1
rec = b"%05dnam a22%05d   4500" % (ln, base) + dirn + b"\x1e" + data + b"\x1d"
assert len(rec) == ln == 99905
open(sys.argv[1], "wb").write(rec * 3)
PY
IN=$D/iso2709/folio-mdi--100.mrc # 100 records (SOURCES.md)
cat "$T/amp.mrc" "$IN" >"$T/mixed.mrc"
rc=0; timeout 60 "$M" dump --count "$T/mixed.mrc" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
[ "$(cat "$T/out")" = "$T/mixed.mrc: 100 records, 3 rejected, 6 warnings" ] || fail "stdout: $(cat "$T/out")"
[ "$(grep -c "error: directory entries overlap: fields 1..3 total 29997 bytes, more than twice the 9999-byte data area; record rejected" "$T/err")" -eq 3 ] ||
  fail "stderr: $(head -c 600 "$T/err")"
grep -q "^$T/mixed.mrc: record 2 at byte 99953, field 500: error" "$T/err" || fail "position: $(head -c 600 "$T/err")"
rc=0; timeout 60 "$M" dump --to json "$T/mixed.mrc" >"$T/json" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "dump --to json exit $rc"
size=$(stat -c %s "$T/json")
[ "$size" -lt $((2 * $(stat -c %s "$IN"))) ] || fail "JSON output $size bytes: amplified"
echo "dump_amplification: ok ($size bytes of JSON)"
