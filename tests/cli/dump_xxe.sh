#!/usr/bin/env bash
# dump_xxe.sh: MARCXML with external entities (XXE). They are never loaded
# (no file or network access from data: the text of the file they name
# must not appear), internal entities are expanded, and each reference to
# an external one is a warning naming the entity and its line (before the
# fix its text vanished silently). Env (from ctest): MARCPIPE.
set -euo pipefail
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
echo "SECRET-CONTENT-$$" >"$T/secret.txt"
cat >"$T/xxe.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE collection [ <!ENTITY ext SYSTEM "file://$T/secret.txt"> <!ENTITY int "internal text"> ]>
<collection xmlns="http://www.loc.gov/MARC21/slim">
<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">x1&ext;</controlfield>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Title &ext; and &int; end</subfield></datafield></record>
</collection>
XML
"$M" dump --to text "$T/xxe.xml" >"$T/out" 2>"$T/err" || fail "dump exit $?"
! grep -q "SECRET-CONTENT" "$T/out" "$T/err" || fail "an external entity was loaded"
grep -qx '245 00 \$a Title  and internal text end' "$T/out" || fail "text: $(cat "$T/out")"
[ "$(grep -c "warning: external entity &ext; not resolved" "$T/err")" = 2 ] || fail "warnings: $(cat "$T/err")"
grep -q "(line 5): its text is left out" "$T/err" || fail "line: $(cat "$T/err")"
echo "dump_xxe: ok"
