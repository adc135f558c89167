#!/usr/bin/env bash
# dump_not_marc.sh: input that is not MARC ends within a bounded amount of
# it. `dump --count /dev/zero` used to loop forever (the ISO 2709 reader
# skipped NUL "junk" without limit). Now: more than MP_MARC_MAX_JUNK
# (65,536) junk bytes in a row, or no record terminator within
# max_record_bytes after a record without one, is one fatal positioned
# error and exit 1, under a timeout; 30,000 NUL bytes of padding between
# two real files stay a warning with every record read.
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -euo pipefail
M=${MARCPIPE:?}
D=${MP_TEST_DATA:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T

# expect_rc -t 30 WANT_RC CMD... (prelude.bash): under a 30 s timeout;
# stdout $T/out, stderr $T/err

expect_rc -t 30 1 "$M" dump --count /dev/zero
[ "$(cat "$T/out")" = "/dev/zero: 0 records, 1 rejected, 0 warnings" ] || fail "stdout: $(cat "$T/out")"
[ "$(cat "$T/err")" = "/dev/zero: record 1 at byte 0: error: not MARC: more than 65536 bytes of NUL, whitespace or control bytes without a record; giving up" ] ||
  fail "stderr: $(cat "$T/err")"

# a real file, then 100,000 NUL bytes, then the same file again: the first
# 100 records are read, then the stream ends at the junk
IN=$D/iso2709/folio-mdi--100.mrc # 100 records (SOURCES.md)
{ cat "$IN"; head -c 100000 /dev/zero; cat "$IN"; } >"$T/junk.mrc"
expect_rc -t 30 1 "$M" dump --count "$T/junk.mrc"
[ "$(cat "$T/out")" = "$T/junk.mrc: 100 records, 1 rejected, 0 warnings" ] || fail "stdout: $(cat "$T/out")"
grep -q "record 101 at byte $(stat -c %s "$IN"): error: not MARC" "$T/err" || fail "stderr: $(cat "$T/err")"

# padding below the bound stays a warning
{ cat "$IN"; head -c 30000 /dev/zero; cat "$IN"; } >"$T/pad.mrc"
expect_rc -t 30 0 "$M" dump --count "$T/pad.mrc"
[ "$(cat "$T/out")" = "$T/pad.mrc: 200 records, 0 rejected, 1 warnings" ] || fail "stdout: $(cat "$T/out")"
grep -q "warning: skipped 30000 bytes between records" "$T/err" || fail "stderr: $(cat "$T/err")"

# 40 MB of text without a record terminator: bounded by max_record_bytes
yes abcdefgh | head -c 40000000 >"$T/text.txt" || true
expect_rc -t 30 1 "$M" dump --count --from iso2709 "$T/text.txt"
[ "$(cat "$T/out")" = "$T/text.txt: 0 records, 2 rejected, 0 warnings" ] || fail "stdout: $(cat "$T/out")"
grep -q "record 2 at byte [0-9]*: error: not MARC: no record terminator within 16777216 bytes" "$T/err" ||
  fail "stderr: $(cat "$T/err")"

# SIGTERM ends a dump reading an endless stream
"$M" dump --count /dev/urandom >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "dump ignored SIGTERM"; fi
wait "$pid" 2>/dev/null || true
echo "dump_not_marc: ok"
