#!/usr/bin/env bash
# import_file_names.sh: a file name with control characters cannot forge
# output lines. A real file (folio-mdi--100.mrc, 100 records) is imported
# under a name holding a newline followed by a fake `marcpipe jobs` row;
# before the fix `jobs` printed that row as a second job. Now `jobs` has
# exactly one row, with the newline shown as \n, `status` one file line,
# and the import summary one "job N" line.
. "$(dirname "$0")/lib/import_lib.bash"
: "${MP_TEST_DATA:?}"
it_setup it_fnames
name="$TMP/x.mrc"$'\n'"999      COMPLETED                  100:100        0  forged.mrc"
cp "$MP_TEST_DATA/iso2709/folio-mdi--100.mrc" "$name"
IT_RC=0
timeout -k 10 80 "$MARCPIPE" import -q --tenant "$T" "$name" >"$TMP/out.txt" 2>"$TMP/err.log" || IT_RC=$?
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"
[ "$(grep -c '^job ' "$TMP/out.txt")" = 1 ] || it_fail "summary: $(cat "$TMP/out.txt")"
grep -qF 'x.mrc\n999' "$TMP/out.txt" || it_fail "summary does not escape the newline: $(cat "$TMP/out.txt")"
"$MARCPIPE" jobs --tenant "$T" >"$TMP/jobs.txt"
[ "$(wc -l <"$TMP/jobs.txt")" = 2 ] || it_fail "jobs printed $(wc -l <"$TMP/jobs.txt") lines: $(cat "$TMP/jobs.txt")"
! grep -q '^999 ' "$TMP/jobs.txt" || it_fail "a forged row: $(cat "$TMP/jobs.txt")"
grep -qF 'x.mrc\n999      COMPLETED' "$TMP/jobs.txt" || it_fail "jobs: $(cat "$TMP/jobs.txt")"
job=$(tail -n 1 "$TMP/jobs.txt" | awk '{print $1}')
"$MARCPIPE" status "$job" --tenant "$T" >"$TMP/status.txt"
[ "$(grep -c '^  file ' "$TMP/status.txt")" = 1 ] && [ "$(grep -c 'forged' "$TMP/status.txt")" = 1 ] ||
  it_fail "status: $(cat "$TMP/status.txt")"
[ "$(it_sql "SELECT total FROM ${T}_marcpipe.jobs WHERE id = $job")" = 100 ] || it_fail "total"
echo "import_file_names: ok"
