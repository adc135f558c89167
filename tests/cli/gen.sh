#!/usr/bin/env bash
# gen.sh: `marcpipe gen` from the command line: record counts in every
# format, determinism by seed, stdout output, the default sample and its
# override, and the usage / failure exit codes with their messages.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}"
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
# count of ISO 2709 record terminators
nrec() { tr -cd '\035' <"$1" | wc -c; }

# help
"$MARCPIPE" gen --help >"$T/help"
grep -q -- '--records N' "$T/help" || fail "help lacks --records"
grep -q 'MP_GEN_SAMPLE' "$T/help" || fail "help lacks the sample variable"

# ISO 2709 from the bundled sample: N records, 001s unique and in order
"$MARCPIPE" gen -q -n 5000 -o "$T/a.mrc"
[ "$(nrec "$T/a.mrc")" -eq 5000 ] || fail "iso2709: $(nrec "$T/a.mrc") records, want 5000"
grep -a -o 'gen0000[0-9]*' "$T/a.mrc" | sort | uniq -d >"$T/dups"
[ ! -s "$T/dups" ] || fail "duplicate 001: $(head -3 "$T/dups")"
[ "$(grep -a -o 'gen0000[0-9]*' "$T/a.mrc" | wc -l)" -eq 5000 ] || fail "001 count"
grep -a -q 'gen000005000' "$T/a.mrc" || fail "last 001 missing"
grep -a -q 'MPGEN' "$T/a.mrc" || fail "003 missing"

# determinism: same seed, same bytes; other seed, other bytes; stdout = file
"$MARCPIPE" gen -q -n 5000 -o "$T/b.mrc"
cmp -s "$T/a.mrc" "$T/b.mrc" || fail "same seed gave different bytes"
"$MARCPIPE" gen -q -n 5000 --seed 2 -o "$T/c.mrc"
! cmp -s "$T/a.mrc" "$T/c.mrc" || fail "seed 2 gave the same bytes as seed 1"
[ "$(nrec "$T/c.mrc")" -eq 5000 ] || fail "seed 2 count"
"$MARCPIPE" gen -q -n 5000 -o - >"$T/d.mrc"
cmp -s "$T/a.mrc" "$T/d.mrc" || fail "-o - differs from the file output"

# a run split by --first-id ranges gives the same records as one run
"$MARCPIPE" gen -q -n 1000 -o "$T/h1.mrc"
"$MARCPIPE" gen -q -n 4000 --first-id 1001 -o "$T/h2.mrc"
cat "$T/h1.mrc" "$T/h2.mrc" | cmp -s - "$T/a.mrc" || fail "split run differs"

# JSON: one record per line; MARCXML: one collection
"$MARCPIPE" gen -q -n 3000 --format json -o "$T/a.json"
[ "$(wc -l <"$T/a.json")" -eq 3000 ] || fail "json: $(wc -l <"$T/a.json") lines"
"$MARCPIPE" gen -q -n 3000 -f marcxml -o "$T/a.xml"
[ "$(grep -o '<record[ >]' "$T/a.xml" | wc -l)" -eq 3000 ] || fail "marcxml record count"
grep -q '</collection>' "$T/a.xml" || fail "marcxml not closed"
grep -q 'gen000003000' "$T/a.xml" || fail "marcxml last 001"

# N = 0: empty ISO 2709 and JSON, an empty collection in MARCXML
"$MARCPIPE" gen -q -n 0 -o "$T/z.mrc"
[ ! -s "$T/z.mrc" ] || fail "n=0 iso2709 not empty"
"$MARCPIPE" gen -q -n 0 -f json -o "$T/z.json"
[ ! -s "$T/z.json" ] || fail "n=0 json not empty"
"$MARCPIPE" gen -q -n 0 -f marcxml -o "$T/z.xml"
grep -q 'collection' "$T/z.xml" || fail "n=0 marcxml has no collection"
! grep -q '<record' "$T/z.xml" || fail "n=0 marcxml has records"

# every output reads back with the project's reader: all records, no
# rejects, no warnings
readback() { # readback FILE N
  "$MARCPIPE" dump --count "$1" >"$T/count"
  grep -q ": $2 records, 0 rejected, 0 warnings" "$T/count" ||
    fail "read back $1: $(cat "$T/count"), want $2 records"
}
readback "$T/a.mrc" 5000
readback "$T/c.mrc" 5000
readback "$T/a.json" 3000
readback "$T/a.xml" 3000
readback "$T/z.mrc" 0
readback "$T/z.json" 0
readback "$T/z.xml" 0

# options: prefix, first id, org code, explicit and MARC-8 sources
"$MARCPIPE" gen -q -n 10 --id-prefix bench- --first-id 500 --org XX-Test \
  --source "$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc" -o "$T/o.mrc"
grep -a -q 'bench-000000509' "$T/o.mrc" || fail "--first-id/--id-prefix"
! grep -a -q 'bench-000000510' "$T/o.mrc" || fail "one record too many"
grep -a -q 'XX-Test' "$T/o.mrc" || fail "--org"
# summary names the source count: 2000 UVA records, all bibliographic
"$MARCPIPE" gen -n 10 --source "$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc" \
  -o "$T/o.mrc" 2>"$T/err"
grep -q 'from 2000 sources' "$T/err" || fail "summary: $(cat "$T/err")"
# MARCXML and MARC-in-JSON sources (the same 30 traject records in each)
"$MARCPIPE" gen -n 10 --source "$MP_TEST_DATA/marcxml/traject--test_data.utf8.marc.xml" \
  --source "$MP_TEST_DATA/json/traject--test_data.utf8.json" -o "$T/o.mrc" 2>"$T/err"
grep -q 'from 60 sources' "$T/err" || fail "xml/json sources: $(cat "$T/err")"
[ "$(nrec "$T/o.mrc")" -eq 10 ] || fail "xml/json sources: count"
# MP_GEN_SAMPLE overrides the bundled sample (yaz collection: 19 records)
MP_GEN_SAMPLE="$MP_TEST_DATA/iso2709/yaz--marccol1.u8.marc" \
  "$MARCPIPE" gen -n 5 -o "$T/y.mrc" 2>"$T/err"
grep -q 'from 19 sources' "$T/err" || fail "MP_GEN_SAMPLE: $(cat "$T/err")"

# usage errors: exit 2 with a message
expect() { # expect CODE PATTERN args...
  local want=$1 pat=$2 rc=0
  shift 2
  "$MARCPIPE" gen "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "gen $*: exit $rc, want $want ($(cat "$T/err"))"
  grep -q -- "$pat" "$T/err" || fail "gen $*: message '$(cat "$T/err")' lacks '$pat'"
}
expect 2 'missing -o' -n 10
expect 2 'missing --records' -o "$T/x.mrc"
expect 2 "unknown --format 'pdf'" -n 10 --format pdf -o "$T/x.mrc"
expect 2 "wants a count" -n ten -o "$T/x.mrc"
expect 2 "wants a count" -n -5 -o "$T/x.mrc"
expect 2 "unexpected argument" -n 1 -o "$T/x.mrc" extra
expect 2 "longer than 16" -n 1 --org 01234567890123456 -o "$T/x.mrc"
[ ! -e "$T/x.mrc" ] || fail "usage error created the output"
# failures: exit 1 naming the file; the output is not created
expect 1 "cannot read $T/missing.mrc" -n 10 --source "$T/missing.mrc" -o "$T/x.mrc"
[ ! -e "$T/x.mrc" ] || fail "unreadable --source created the output"
expect 1 'no usable bibliographic record' -n 10 \
  --source "$MP_TEST_DATA/iso2709/mrrctestbed--authority-sample.mrc" -o "$T/x.mrc"
expect 1 "cannot create $T/nodir/x.mrc" -n 10 -o "$T/nodir/x.mrc"
if [ -w /dev/full ]; then
  expect 1 'writing /dev/full' -n 5000 -o /dev/full
fi
echo "gen.sh: ok"
