#!/usr/bin/env bash
# dump_vs_yaz.sh: `marcpipe dump --count` against `yaz-marcdump -n -r` on
# every file of tests/data/marc (format by directory and extension). The
# record counts must agree, except for the differences listed below, each
# for a stated reason; a listed file must still give exactly the listed
# counts, so a change on either side shows up. Env (from ctest): MARCPIPE,
# MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
command -v yaz-marcdump >/dev/null || { echo "FAIL: yaz-marcdump not installed" >&2; exit 1; }
tl_keep_going # fail counts; tl_finish at the end
files=0

# FILE|yaz records|marcpipe records|marcpipe rejected|why they differ
declare -A known=()
while IFS='|' read -r file yaz ours rej why; do
  known[$file]="$yaz|$ours|$rej"
done <<'LIST'
json/pymarc--batch.json|1|2|0|yaz reads one JSON object per file, not an array of records
json/traject--test_data.utf8.json|1|30|0|yaz reads one JSON object per file, not one per line (NDJSON)
malformed/marc4j--bad_hathi_records.mrc|3|5|0|yaz cannot frame the record longer than 99,999 bytes; marcpipe resynchronises on 0x1D
malformed/marc4j--chabon-missing-datafield-tag.xml|1|0|1|a data field without tag is an error (its meaning cannot be guessed); yaz keeps it
malformed/marc4j--chabon-missing-subfield-code.xml|1|0|1|a subfield without code is an error; yaz keeps it
malformed/pymarc--bad_records.mrc|8|6|2|a non-numeric directory entry and a record without fields are errors; yaz returns what it can
malformed/pymarc--test.json|1|0|1|not valid JSON (raw control character in a string); yaz's parser accepts it
LIST

for f in "$D"/iso2709/* "$D"/marcxml/* "$D"/json/* "$D"/malformed/*; do
  [ -f "$f" ] || continue
  rel=${f#"$D"/}
  case $f in
    *.xml) yf=marcxml ;;
    *.json) yf=json ;;
    *) yf=marc ;;
  esac
  files=$((files + 1))
  # "records read: N" goes to stderr, sometimes after a message without
  # its newline; none at all when yaz finds no record
  yaz=$(yaz-marcdump -i "$yf" -n -r "$f" 2>&1 | grep -ao 'records read: [0-9]*' | tail -n1)
  yaz=${yaz#records read: }
  yaz=${yaz:-0}
  out=$("$M" dump --count "$f" 2>/dev/null)
  rc=$?
  [ "$rc" -lt 128 ] || { fail "$rel: marcpipe crashed (exit $rc)"; continue; }
  ours=$(sed -nE 's/^.*: ([0-9]+) records, ([0-9]+) rejected, [0-9]+ warnings$/\1|\2/p' <<<"$out")
  [ -n "$ours" ] || { fail "$rel: no count line: $out"; continue; }
  if [ -n "${known[$rel]:-}" ]; then
    [ "$yaz|$ours" = "${known[$rel]}" ] ||
      fail "$rel: yaz $yaz, marcpipe ${ours/|/ + rejected }, listed as ${known[$rel]}"
  elif [ "${ours%|*}" != "$yaz" ]; then
    fail "$rel: yaz-marcdump reads $yaz records, marcpipe ${ours%|*} (${ours#*|} rejected)"
  fi
done
[ "$files" -ge 100 ] || fail "only $files files found in $D"
tl_finish
echo "dump_vs_yaz: $files files, counts agree with yaz-marcdump (${#known[@]} listed differences)"
