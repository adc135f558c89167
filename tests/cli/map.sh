#!/usr/bin/env bash
# map.sh: `marcpipe map` on the real files: one line per record with its
# family, target and mapped record, per-file summaries with the counts of
# SOURCES.md (bib, holdings, authority), identical output from the ISO 2709
# / MARCXML / MARC-in-JSON twins, --explain, --family, positioned errors,
# FOLIO's own rules file accepted, bad rules files named, usage.
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end

# summaries and line counts (records and types from SOURCES.md)
while IFS='|' read -r rel lines summary; do
  expect_rc 0 "$M" map "$D/$rel"
  [ "$(wc -l <"$T/out")" -eq "$lines" ] || fail "$rel: $(wc -l <"$T/out") lines, want $lines"
  grep -qxF "$D/$rel: $summary" "$T/err" || fail "$rel summary: $(tail -1 "$T/err")"
done <<'LIST'
iso2709/pymarc--test.dat|10|10 records, 10 mapped (10 bib, 0 holdings, 0 authority), 0 skipped, 0 failed
iso2709/solrmarc--uva_001_2000.mrc|2000|2000 records, 2000 mapped (2000 bib, 0 holdings, 0 authority), 0 skipped, 0 failed
iso2709/mrrctestbed--bibliographic-sample.mrc|386|386 records, 386 mapped (386 bib, 0 holdings, 0 authority), 0 skipped, 0 failed
iso2709/mrrctestbed--authority-sample.mrc|150|150 records, 150 mapped (0 bib, 0 holdings, 150 authority), 0 skipped, 0 failed
iso2709/stanfordsolrmarc--summaryHld_1-1000.mrc|49|49 records, 49 mapped (0 bib, 49 holdings, 0 authority), 0 skipped, 0 failed
marcxml/traject--test_data.utf8.marc.xml|30|30 records, 30 mapped (30 bib, 0 holdings, 0 authority), 0 skipped, 0 failed
LIST

# every line is a bib Instance with source, title and instanceTypeId
"$M" map -q "$D/iso2709/mrrctestbed--bibliographic-sample.mrc" >"$T/lc.jsonl" 2>/dev/null
bad=$(jq -c 'select(.family != "bib" or .target != "Instance" or .record.source != "MARC" or (.record.title | length) == 0 or (.record.instanceTypeId | test("^[0-9a-f-]{36}$") | not))' "$T/lc.jsonl" | wc -l)
[ "$bad" -eq 0 ] || fail "$bad lines without family/target/source/title/instanceTypeId"
[ "$(jq -r 'select(.record.hrid == "18700326") | .record.publication[0].role' "$T/lc.jsonl")" = "Publication" ] ||
  fail "264 role of 18700326"

# authority and holdings records: their family and target
"$M" map -q "$D/iso2709/mrrctestbed--authority-sample.mrc" >"$T/auth.jsonl" || fail "map authorities"
[ "$(jq -r '[.family, .target] | join(" ")' "$T/auth.jsonl" | sort -u)" = "authority Authority" ] || fail "authority family"
[ "$(jq -r '.record.personalName // empty' "$T/auth.jsonl" | sed -n 2p)" = "Sorensen-Smith, Lucie" ] || fail "authority heading"
"$M" map -q "$D/iso2709/stanfordsolrmarc--summaryHld_1-1000.mrc" >"$T/hold.jsonl" || fail "map holdings"
[ "$(jq -r '[.family, .target] | join(" ")' "$T/hold.jsonl" | sort -u)" = "holdings Holdings" ] || fail "holdings family"
# --family forces one: the authorities mapped as bib records have no 245
expect_rc 1 "$M" map --family bib "$D/iso2709/mrrctestbed--authority-sample.mrc"
grep -q "record 2 at byte 308: error: no title: the record has no 245" "$T/err" || fail "--family bib: $(head -3 "$T/err")"

# --explain: which rule gave which value, for one record
expect_rc 0 "$M" map --explain 1 "$D/iso2709/pymarc--test.dat"
grep -qxF '245 rule 1 -> title = "ActivePerl with ASP and ADO / Tobias Martinsson."' "$T/out" || fail "--explain title: $(head -5 "$T/out")"
grep -qxF '100 rule 1 entity 1 -> contributors.name = "Martinsson, Tobias, 1976-"' "$T/out" || fail "--explain contributor"
grep -qxF 'record 1: bib -> Instance' "$T/out" || fail "--explain family line"

# FOLIO's own rules file is read unchanged
expect_rc 0 "$M" map -q --rules "${MP_SCHEMAS:?}/mapping/marc_bib_rules.json" "$D/iso2709/pymarc--test.dat"
[ "$(wc -l <"$T/out")" -eq 10 ] || fail "FOLIO rules file: $(wc -l <"$T/out") lines"

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
head -1 "$T/ru" | jq -r .record.title | grep -q '^Основы гидравлического расчета инженерных сетей' ||
  fail "cp1251 title: $(head -1 "$T/ru" | jq -r .record.title)"

# a record without 245: positioned error, exit 1, the other record still mapped
printf '%s\n' '{"leader":"00000nam a2200000 a 4500","fields":[{"001":"x1"}]}' \
  '{"leader":"00000nam a2200000 a 4500","fields":[{"001":"x2"},{"008":"000107s2000    nyua          001 0 eng  "},{"245":{"ind1":"0","ind2":"0","subfields":[{"a":"Kept"}]}}]}' >"$T/nt.json"
expect_rc 1 "$M" map "$T/nt.json"
grep -qxF "$T/nt.json: record 1 at byte 0: error: no title: the record has no 245" "$T/err" || fail "no-title message: $(cat "$T/err")"
[ "$(jq -r .record.title "$T/out")" = "Kept" ] || fail "second record not mapped: $(cat "$T/out")"

# a record the reader rejects: exit 1
expect_rc 1 "$M" map "$D/malformed/pymarc--test.json"

# bad rules: file, tag, rule and reason; nothing mapped
printf '{"245": [{"target": "title", "subfield": ["a"], "rules": [{"conditions": [{"type": "trim, nope"}]}]}]}' >"$T/bad.json"
expect_rc 1 "$M" map --rules "$T/bad.json" "$D/iso2709/pymarc--test.dat"
grep -qxF "marcpipe map: $T/bad.json: tag 245 rule 1: unknown function \"nope\"" "$T/err" || fail "bad rules message: $(cat "$T/err")"
printf '{"245": [{"target": "title", "subfields": ["a"]}]}' >"$T/bad2.json"
expect_rc 1 "$M" map --rules "holdings=$T/bad2.json" "$D/iso2709/pymarc--test.dat"
grep -qF "bad2.json: tag 245 rule 1: unknown key \"subfields\" in a rule" "$T/err" || fail "unknown key message: $(cat "$T/err")"
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

tl_finish
echo "map.sh: ok"
