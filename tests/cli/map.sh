#!/usr/bin/env bash
# map.sh: `marcpipe map` on the real files: one Instance per line with the
# required properties, per-file summaries with the counts of SOURCES.md,
# identical output from the ISO 2709 / MARCXML / MARC-in-JSON twins,
# non-bib records skipped, positioned errors, bad rules files, usage.
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_rc WANT CMD...: run CMD (stdout to $T/out, stderr to $T/err)
expect_rc() {
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: $* ($(head -c 300 "$T/err"))"
}

# summaries and line counts (records and types from SOURCES.md)
while IFS='|' read -r rel lines summary; do
  expect_rc 0 "$M" map "$D/$rel"
  [ "$(wc -l <"$T/out")" -eq "$lines" ] || fail "$rel: $(wc -l <"$T/out") lines, want $lines"
  grep -qxF "$D/$rel: $summary" "$T/err" || fail "$rel summary: $(tail -1 "$T/err")"
done <<'LIST'
iso2709/pymarc--test.dat|10|10 records, 10 mapped, 0 skipped (not bibliographic), 0 failed
iso2709/solrmarc--uva_001_2000.mrc|2000|2000 records, 2000 mapped, 0 skipped (not bibliographic), 0 failed
iso2709/mrrctestbed--bibliographic-sample.mrc|386|386 records, 386 mapped, 0 skipped (not bibliographic), 0 failed
iso2709/mrrctestbed--authority-sample.mrc|0|150 records, 0 mapped, 150 skipped (not bibliographic), 0 failed
iso2709/stanfordsolrmarc--summaryHld_1-1000.mrc|0|49 records, 0 mapped, 49 skipped (not bibliographic), 0 failed
marcxml/traject--test_data.utf8.marc.xml|30|30 records, 30 mapped, 0 skipped (not bibliographic), 0 failed
LIST

# every line is an Instance with source, title and instanceTypeId
"$M" map -q "$D/iso2709/mrrctestbed--bibliographic-sample.mrc" >"$T/lc.jsonl" 2>/dev/null
bad=$(jq -c 'select(.source != "MARC" or (.title | length) == 0 or (.instanceTypeId | test("^[0-9a-f-]{36}$") | not))' "$T/lc.jsonl" | wc -l)
[ "$bad" -eq 0 ] || fail "$bad instances without source/title/instanceTypeId"
[ "$(jq -r 'select(.hrid == "18700326") | .publication[0].role' "$T/lc.jsonl")" = "Publication" ] ||
  fail "264 role of 18700326"

# the not-bibliographic warning is positioned
grep -qxF "$D/iso2709/mrrctestbed--authority-sample.mrc: record 2 at byte 308: warning: not a bibliographic record (leader/06 'z'), skipped" \
  <("$M" map "$D/iso2709/mrrctestbed--authority-sample.mrc" 2>&1 >/dev/null) || fail "authority warning"

# the same 30 records in three formats map to the same Instances
"$M" map -q "$D/iso2709/traject--test_data.utf8.mrc" >"$T/a" || fail "map mrc"
"$M" map -q "$D/marcxml/traject--test_data.utf8.marc.xml" >"$T/b" || fail "map xml"
"$M" map -q --from json "$D/json/traject--test_data.utf8.json" >"$T/c" || fail "map json"
cmp -s "$T/a" "$T/b" || fail "mrc and marcxml twins map differently"
cmp -s "$T/a" "$T/c" || fail "mrc and json twins map differently"
[ "$(wc -l <"$T/a")" -eq 30 ] || fail "traject twins: $(wc -l <"$T/a") lines"

# MARC-8 and its UTF-8 twin; cp1251 given with --charset
"$M" map -q "$D/iso2709/marc4j--brkrtest.mrc" >"$T/m8" && "$M" map -q "$D/iso2709/marc4j--brkrtest_UTF8.mrc" >"$T/u8" ||
  fail "map brkrtest"
cmp -s "$T/m8" "$T/u8" || fail "MARC-8 brkrtest maps differently from its UTF-8 twin"
"$M" map -q --charset cp1251 "$D/iso2709/pymarc--1251.dat" >"$T/ru" || fail "map cp1251"
head -1 "$T/ru" | jq -r .title | grep -q '^Основы гидравлического расчета инженерных сетей' ||
  fail "cp1251 title: $(head -1 "$T/ru" | jq -r .title)"

# a record without 245: positioned error, exit 1, the other record still mapped
printf '%s\n' '{"leader":"00000nam a2200000 a 4500","fields":[{"001":"x1"}]}' \
  '{"leader":"00000nam a2200000 a 4500","fields":[{"001":"x2"},{"245":{"ind1":"0","ind2":"0","subfields":[{"a":"Kept"}]}}]}' >"$T/nt.json"
expect_rc 1 "$M" map "$T/nt.json"
grep -qxF "$T/nt.json: record 1 at byte 0: error: no title: the record has no 245" "$T/err" || fail "no-title message: $(cat "$T/err")"
[ "$(jq -r .title "$T/out")" = "Kept" ] || fail "second record not mapped: $(cat "$T/out")"

# a record the reader rejects: exit 1
expect_rc 1 "$M" map "$D/malformed/pymarc--test.json"

# bad rules: file, tag, rule and reason; nothing mapped
printf '{"245": [{"target": "title", "subfields": "a", "functions": ["nope"]}]}' >"$T/bad.json"
expect_rc 1 "$M" map --rules "$T/bad.json" "$D/iso2709/pymarc--test.dat"
grep -qxF "marcpipe map: $T/bad.json: tag 245 rule 1: unknown function \"nope\"" "$T/err" || fail "bad rules message: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "output despite bad rules"
printf '{"245": [' >"$T/notjson.json"
expect_rc 1 "$M" map --rules "$T/notjson.json" "$D/iso2709/pymarc--test.dat"
grep -q "notjson.json: not JSON: line 1 column" "$T/err" || fail "not-JSON message: $(cat "$T/err")"

# usage
expect_rc 0 "$M" map --help
grep -q "usage: marcpipe map" "$T/out" || fail "--help text"
expect_rc 2 "$M" map
expect_rc 2 "$M" map --from nope "$D/iso2709/pymarc--test.dat"
expect_rc 1 "$M" map "$T/does-not-exist.mrc"

[ "$fails" -eq 0 ] || { echo "map.sh: $fails failure(s)" >&2; exit 1; }
echo "map.sh: ok"
