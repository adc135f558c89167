#!/usr/bin/env bash
# dump.sh: `marcpipe dump` on the real files of tests/data/marc: record
# counts (SOURCES.md), exit codes, the positioned error message of a
# malformed file, and conversions re-read by marcpipe and by yaz-marcdump.
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end

# --count lines for every MARCXML and JSON file (counts from SOURCES.md)
while IFS='|' read -r rel want rc; do
  expect_rc "$rc" "$M" dump --count "$D/$rel"
  grep -qxF "$D/$rel: $want" "$T/out" || fail "count $rel: got '$(cat "$T/out")', want '$want'"
done <<'LIST'
marcxml/traject--test_data.utf8.marc.xml|30 records, 0 rejected, 0 warnings|0
marcxml/solrmarc--specTestRecs_withBOM.xml|76 records, 0 rejected, 0 warnings|0
marcxml/stanfordsolrmarc--3195846.xml|9 records, 0 rejected, 0 warnings|0
marcxml/marcperl--batch-ns.xml|10 records, 0 rejected, 0 warnings|0
marcxml/marc4j--1474920681_KOHA_LFL_6_with_comment.xml|1 records, 0 rejected, 0 warnings|0
malformed/catmandu--broken.xml|10 records, 0 rejected, 1 warnings|0
malformed/marc4j--chabon-missing-subfield-code.xml|0 records, 1 rejected, 0 warnings|1
malformed/rubymarc--three-records-second-bad.xml|1 records, 1 rejected, 0 warnings|1
json/traject--test_data.utf8.json|30 records, 0 rejected, 0 warnings|0
json/pymarc--batch.json|2 records, 0 rejected, 0 warnings|0
json/marc4j--marc-in-json.json|1 records, 0 rejected, 0 warnings|0
malformed/pymarc--test.json|0 records, 1 rejected, 0 warnings|1
LIST

# --strict rejects what lenient mode repairs
expect_rc 1 "$M" dump --count --strict "$D/malformed/catmandu--broken.xml"
grep -qxF "$D/malformed/catmandu--broken.xml: 9 records, 1 rejected, 0 warnings" "$T/out" ||
  fail "strict broken.xml: $(cat "$T/out")"

# positioned error message for malformed XML, after the good record
bad="$D/malformed/rubymarc--three-records-second-bad.xml"
expect_rc 1 "$M" dump "$bad"
grep -Eq "^$bad: record 2 at byte [0-9]+: error: malformed xml at line 72 column [0-9]+: " "$T/err" ||
  fail "malformed xml message: $(cat "$T/err")"
grep -q "^001 afc99990058366" "$T/out" || fail "good record before the bad one not printed"
expect_rc 1 "$M" dump --count "$D/malformed/marc4j--chabon-missing-datafield-tag.xml"
grep -Eq "chabon-missing-datafield-tag.xml: record 1 at byte [0-9]+: error: field without tag \(line 61\)$" "$T/err" ||
  fail "missing tag message: $(cat "$T/err")"
expect_rc 1 "$M" dump --from json "$D/malformed/pymarc--test.json"
grep -Eq "pymarc--test.json: record 1 at byte [0-9]+: error: malformed json at line 170 column [0-9]+" "$T/err" ||
  fail "malformed json message: $(cat "$T/err")"

# usage errors and unreadable files
expect_rc 2 "$M" dump
expect_rc 2 "$M" dump --to bogus "$D/json/pymarc--one.json"
grep -q "unknown output format 'bogus'" "$T/err" || fail "bad --to message: $(cat "$T/err")"
expect_rc 2 "$M" dump --max-errors x "$D/json/pymarc--one.json"
expect_rc 0 "$M" dump --help
grep -q "^usage: marcpipe dump" "$T/out" || fail "--help"
expect_rc 1 "$M" dump --count "$T/no-such-file.mrc" "$D/json/pymarc--one.json"
grep -q "$T/no-such-file.mrc: " "$T/err" || fail "unreadable file not named: $(cat "$T/err")"
grep -q "pymarc--one.json: 1 records" "$T/out" || fail "files after an unreadable one not read"

# MARCXML output is read back by yaz-marcdump and by marcpipe
expect_rc 0 "$M" dump --to marcxml --output "$T/t.xml" "$D/json/traject--test_data.utf8.json"
if command -v yaz-marcdump >/dev/null; then
  n=$(yaz-marcdump -i marcxml -n -r "$T/t.xml" 2>&1 | sed -n 's/^records read: //p')
  [ "$n" = 30 ] || fail "yaz-marcdump read '$n' records from --to marcxml output, want 30"
else
  fail "yaz-marcdump not installed"
fi
expect_rc 0 "$M" dump --count "$T/t.xml"
grep -q ": 30 records, 0 rejected, 0 warnings" "$T/out" || fail "re-read xml: $(cat "$T/out")"

# JSON output: one line per record, and the same records as from MARCXML
expect_rc 0 "$M" dump --to json --output "$T/a.json" "$D/marcxml/traject--test_data.utf8.marc.xml"
[ "$(wc -l <"$T/a.json")" -eq 30 ] || fail "json output is not 30 lines"
expect_rc 0 "$M" dump --to json --output "$T/b.json" "$D/json/traject--test_data.utf8.json"
cmp -s "$T/a.json" "$T/b.json" || fail "traject xml and json differ after conversion"
expect_rc 0 "$M" dump --to json --output "$T/c.json" "$D/marcxml/pymarc--batch.xml" "$D/json/pymarc--batch.json"
[ "$(sed -n 1p "$T/c.json")" = "$(sed -n 3p "$T/c.json")" ] || fail "pymarc batch xml/json differ"

# stdin, format detected
expect_rc 0 "$M" dump --count - <"$D/json/pymarc--batch.json"
grep -qxF -- "-: 2 records, 0 rejected, 0 warnings" "$T/out" || fail "stdin: $(cat "$T/out")"

# ISO 2709 output: round trip, and a record too large for ISO 2709
iso="$D/iso2709/traject--test_data.utf8.mrc"
expect_rc 0 "$M" dump --to iso2709 --output "$T/t.mrc" "$D/json/traject--test_data.utf8.json"
cmp -s "$T/t.mrc" "$iso" || fail "json -> iso2709 differs from $iso"
big=$(head -c 120000 /dev/zero | tr '\0' 'x')
printf '{"leader":"00000nam a2200000 a 4500","fields":[{"001":"small"}]}\n{"leader":"00000nam a2200000 a 4500","fields":[{"001":"big"},{"500":{"ind1":" ","ind2":" ","subfields":[{"a":"%s"}]}}]}\n' "$big" >"$T/big.json"
expect_rc 1 "$M" dump --to iso2709 --output "$T/big.mrc" "$T/big.json"
grep -Eq "big.json: record 2 at byte 65: error: record too large for iso 2709 .*--to json" "$T/err" ||
  fail "too-big message: $(cat "$T/err")"
[ "$(head -c 5 "$T/big.mrc")" -gt 0 ] 2>/dev/null || fail "the small record was not written"

tl_finish
echo "dump.sh: ok"
