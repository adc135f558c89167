#!/usr/bin/env bash
# dump_yaz_flags.sh: `marcpipe dump` reads yaz-marcdump's short options as
# yaz-marcdump does (-o output format, -i input format, -n, -p, -O/-L, -r),
# compared with yaz-marcdump's own output on the same real file, and refuses
# the ones it does not have with a hint (exit 2, no output file created).
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end
command -v yaz-marcdump >/dev/null || { echo "FAIL: yaz-marcdump not installed"; exit 1; }

F="$D/iso2709/folio-mdi--100.mrc" # 100 records (SOURCES.md)
cd "$T" || exit 1

# -o FORMAT is the output format, never a file name
expect_rc 0 "$M" dump -o marcxml "$F"
[ ! -e "$T/marcxml" ] || fail "-o marcxml created a file named marcxml"
n=$(yaz-marcdump -i marcxml -n -r "$T/out" 2>&1 | sed -n 's/^records read: //p')
[ "$n" = 100 ] || fail "-o marcxml: yaz-marcdump read '$n' records, want 100"
expect_rc 0 "$M" dump -o json "$F"
[ "$(wc -l <"$T/out")" -eq 100 ] || fail "-o json: $(wc -l <"$T/out") lines, want 100"
expect_rc 0 "$M" dump -o marc "$F"
cmp -s "$T/out" <(yaz-marcdump -o marc "$F") || fail "-o marc differs from yaz-marcdump -o marc"
expect_rc 0 "$M" dump -o line -O 0 -L 1 "$F"
grep -q '^001 4347946' "$T/out" || fail "-o line: $(head -3 "$T/out")"

# the old meaning (an output file) is refused with the new spelling
expect_rc 2 "$M" dump -o out.xml "$F"
grep -q -- "-o wants an output format as in yaz-marcdump" "$T/err" || fail "-o FILE hint: $(cat "$T/err")"
grep -q -- "--output FILE" "$T/err" || fail "-o FILE: no pointer to --output: $(cat "$T/err")"
[ ! -e "$T/out.xml" ] || fail "-o out.xml created a file"
expect_rc 0 "$M" dump -o marcxml --output "$T/o.xml" "$F"
[ ! -s "$T/out" ] || fail "--output: records on stdout too"
n=$(yaz-marcdump -i marcxml -n -r "$T/o.xml" 2>&1 | sed -n 's/^records read: //p')
[ "$n" = 100 ] || fail "--output: $n records"

# -i FORMAT is the input format, like --from (and checked like it)
expect_rc 0 "$M" dump -i marc -o json "$F"
[ "$(wc -l <"$T/out")" -eq 100 ] || fail "-i marc: $(wc -l <"$T/out") records"
expect_rc 1 "$M" dump -i json "$F"
grep -q "this looks like ISO 2709" "$T/err" || fail "-i json on iso2709: $(cat "$T/err")"
expect_rc 2 "$M" dump -i turbomarc "$F"
grep -q -- "-i wants an input format" "$T/err" || fail "-i turbomarc: $(cat "$T/err")"

# -n: check only; -p: positions of every record read, as yaz-marcdump
expect_rc 0 "$M" dump -n "$F"
[ ! -s "$T/out" ] || fail "-n wrote records"
expect_rc 0 "$M" dump -n -p "$F"
cmp -s "$T/out" <(yaz-marcdump -n -p "$F") || fail "-n -p differs from yaz-marcdump: $(diff "$T/out" <(yaz-marcdump -n -p "$F") | head -3)"
[ "$(grep -c '^<!-- Record ' "$T/out")" -eq 100 ] || fail "-p lines"

# -O/-L: the same records (and position lines) as yaz-marcdump
expect_rc 0 "$M" dump -p -O 2 -L 3 "$F"
grep '^<!--\|^001' "$T/out" >"$T/ours"
yaz-marcdump -p -O 2 -L 3 "$F" | grep '^<!--\|^001' >"$T/yaz"
cmp -s "$T/ours" "$T/yaz" || fail "-O 2 -L 3 differs: $(diff "$T/ours" "$T/yaz" | head -4)"
[ "$(grep -c '^001' "$T/ours")" -eq 3 ] || fail "-L 3 wrote $(grep -c '^001' "$T/ours") records"
grep -q '^001 4347948' "$T/ours" || fail "-O 2: first record $(grep -m1 '^001' "$T/ours")"
expect_rc 0 "$M" dump -o json -O 98 "$F"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "-O 98: $(wc -l <"$T/out") records, want 2"

# -r: the summary on stderr
expect_rc 0 "$M" dump -n -r "$F"
grep -qxF "$F: 100 records, 0 rejected, 0 warnings" "$T/err" || fail "-r: $(cat "$T/err")"

# -t: UTF-8 only; yaz-marcdump options marcpipe lacks: refused with a hint
expect_rc 0 "$M" dump -t utf-8 -n "$F"
expect_rc 2 "$M" dump -t latin1 "$F"
grep -q "UTF-8 only" "$T/err" || fail "-t latin1: $(cat "$T/err")"
for o in -l -s -C -c -v -V; do
  expect_rc 2 "$M" dump "$o" "$F"
  grep -q -- "$o is a yaz-marcdump option that marcpipe dump does not have: " "$T/err" ||
    fail "$o: $(cat "$T/err")"
  [ ! -s "$T/out" ] || fail "$o: output written"
done
expect_rc 2 "$M" dump -O x "$F"
grep -q -- "-O wants a count (got 'x')" "$T/err" || fail "-O x: $(cat "$T/err")"

tl_finish
echo "dump_yaz_flags: ok"
