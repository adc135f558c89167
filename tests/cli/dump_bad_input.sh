#!/usr/bin/env bash
# dump_bad_input.sh: `marcpipe dump` on input it cannot use: a missing, an
# unreadable, an empty file, a directory, binary garbage (4096 bytes from a
# fixed-seed generator, the same on every run), short non-XML bytes read
# as MARCXML from a file, stdin and a pipe, truncated ISO 2709 /
# MARCXML / JSON files, the wrong --from, and bad options. Each case must
# give its message naming the file (with record number and byte offset for
# data problems), exit 1 on failure or 2 on a usage error, and never crash
# (an exit status >= 128 is a signal). Run by ctest in the release and the
# ASan trees. Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
D=${MP_TEST_DATA:?}
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T # removed at exit, unreadable files too
tl_keep_going # fail counts; tl_finish at the end

# expect_rc WANT_RC CMD... (prelude.bash): stdout to $T/out, stderr to
# $T/err; an exit by a signal is named as a crash
# err_is TEXT: stderr is exactly TEXT (one line per line of TEXT)
err_is() { [ "$(cat "$T/err")" = "$1" ] || fail "stderr: '$(cat "$T/err")', want '$1'"; }
out_is() { [ "$(cat "$T/out")" = "$1" ] || fail "stdout: '$(cat "$T/out")', want '$1'"; }
# positioned FILE: every stderr line is "FILE: record N at byte M: LEVEL: msg"
positioned() {
  local bad
  bad=$(grep -vcE "^$(printf '%s' "$1" | sed 's/[][\.*^$/]/\\&/g'): record [1-9][0-9]* at byte [0-9]+(, field [^:]+)?: (error|warning): [^ ]" "$T/err")
  [ "$bad" -eq 0 ] || fail "$bad unpositioned lines for $1: $(grep -vE ': record [1-9]' "$T/err" | head -n 3)"
}

# missing file: one line, and the next file is still read
expect_rc 1 "$M" dump --count "$T/missing.mrc" "$D/json/pymarc--one.json"
err_is "marcpipe dump: $T/missing.mrc: no such file or directory"
out_is "$D/json/pymarc--one.json: 1 records, 0 rejected, 0 warnings"

# unreadable file: permissions do not stop root, so that case needs another
# user; a read that fails (EIO from /proc/self/mem at offset 0) is checked
# for every format instead, as root or not: refused before reading, in one
# line
if [ "$(id -u)" -ne 0 ]; then
  printf 'x' >"$T/locked.mrc" && chmod 000 "$T/locked.mrc"
  expect_rc 1 "$M" dump "$T/locked.mrc"
  err_is "marcpipe dump: $T/locked.mrc: permission denied"
else
  echo "dump_bad_input: running as root: chmod 000 cannot make a file unreadable, case skipped"
fi
if [ -r /proc/self/mem ]; then
  for f in iso2709 marcxml json; do
    expect_rc 1 "$M" dump --count --from "$f" /proc/self/mem
    err_is "marcpipe dump: /proc/self/mem: i/o error"
    out_is ""
  done
  expect_rc 1 "$M" dump /proc/self/mem # auto-detection reads first
  err_is "marcpipe dump: /proc/self/mem: i/o error"
fi

# empty file: no records is not a failure, but it is said
: >"$T/empty.mrc"
for f in auto iso2709 marcxml json; do
  expect_rc 0 "$M" dump --from "$f" "$T/empty.mrc"
  err_is "marcpipe dump: $T/empty.mrc: no records"
  expect_rc 0 "$M" dump --count --from "$f" "$T/empty.mrc"
  out_is "$T/empty.mrc: 0 records, 0 rejected, 0 warnings"
done

# a directory as FILE
mkdir "$T/dir.mrc"
expect_rc 1 "$M" dump "$T/dir.mrc"
err_is "marcpipe dump: $T/dir.mrc: is a directory, not a MARC file"

# binary garbage: 4096 bytes from a linear congruential generator (seed
# 12345), so the same bytes on every run
perl -e 'my $x = 12345; my $s = "";
  for (1 .. 4096) { $x = ($x * 1103515245 + 12345) % 2147483648; $s .= chr(($x >> 16) & 255) }
  binmode STDOUT; print $s' >"$T/garbage.bin"
[ "$(wc -c <"$T/garbage.bin")" -eq 4096 ] || fail "garbage generator"
expect_rc 1 "$M" dump --count "$T/garbage.bin"
positioned "$T/garbage.bin"
grep -qE "^$T/garbage.bin: 0 records, [1-9][0-9]* rejected, [0-9]+ warnings$" "$T/out" ||
  fail "garbage count: $(cat "$T/out")"
grep -qE ": error: truncated record: [0-9]+ bytes without a record terminator at the end of input$" "$T/err" ||
  fail "garbage: no truncation error for the tail"
expect_rc 1 "$M" dump --count - <"$T/garbage.bin" # the same from stdin
positioned "-"
expect_rc 1 "$M" dump --to marcxml --output "$T/garbage.xml" "$T/garbage.bin"
expect_rc 0 "$M" dump --count "$T/garbage.xml" # an empty collection, well formed
out_is "$T/garbage.xml: 0 records, 0 rejected, 0 warnings"
expect_rc 1 "$M" dump --count --from marcxml "$T/garbage.bin"
err_is "$T/garbage.bin: record 1 at byte 0: error: malformed xml at line 1 column 1: Document is empty"
expect_rc 1 "$M" dump --count --from json "$T/garbage.bin"
positioned "$T/garbage.bin"
grep -q "error: expected a json object, found " "$T/err" || fail "garbage as json: $(cat "$T/err")"

# short non-XML input as MARCXML: libxml2 reads the first bytes when it
# starts, which once made stdin and pipes (always read by libxml2) end with
# no records and no error; they must fail like the same bytes in a file
for bytes in '< 5' 'abc' '<a>  '; do
  printf '%s' "$bytes" >"$T/short.xml"
  expect_rc 1 "$M" dump --count --from marcxml "$T/short.xml"
  want=$(sed "s|^$T/short.xml: |-: |" "$T/err")
  case $want in
    "-: record 1 at byte "[0-9]*": error: malformed xml at line 1 column "[0-9]*": "?*) ;;
    *) fail "short '$bytes' in a file: $(cat "$T/err")" ;;
  esac
  out_is "$T/short.xml: 0 records, 1 rejected, 0 warnings"
  expect_rc 1 "$M" dump --count --from marcxml - <"$T/short.xml" # stdin
  err_is "$want"
  out_is "-: 0 records, 1 rejected, 0 warnings"
  printf '%s' "$bytes" | "$M" dump --from marcxml - >"$T/out" 2>"$T/err" # pipe
  rc=$?
  [ "$rc" -eq 1 ] || fail "short '$bytes' from a pipe: exit $rc, want 1"
  err_is "$want"
  out_is ""
done

# truncated files: the complete records are delivered, then one positioned
# error for the cut one
head -c 3000 "$D/iso2709/marc4j--brkrtest.mrc" >"$T/cut.mrc"
expect_rc 1 "$M" dump --count "$T/cut.mrc"
err_is "$T/cut.mrc: record 2 at byte 1201: error: truncated record: 1799 bytes without a record terminator at the end of input"
out_is "$T/cut.mrc: 1 records, 1 rejected, 0 warnings"
head -c 5000 "$D/marcxml/pymarc--batch.xml" >"$T/cut.xml"
expect_rc 1 "$M" dump --count "$T/cut.xml"
positioned "$T/cut.xml"
grep -qE "^$T/cut.xml: record 2 at byte [0-9]+: error: malformed xml at line 99 column [0-9]+: " "$T/err" ||
  fail "cut xml: $(cat "$T/err")"
out_is "$T/cut.xml: 1 records, 1 rejected, 0 warnings"
head -c 4000 "$D/json/pymarc--batch.json" >"$T/cut.json"
expect_rc 1 "$M" dump --count "$T/cut.json"
err_is "$T/cut.json: record 2 at byte 3139: error: end of input inside a json object at line 194 column 3"
out_is "$T/cut.json: 1 records, 1 rejected, 0 warnings"

# the wrong --from: one line naming the file and what it looks like,
# nothing printed
for c in "iso2709 marcxml/pymarc--batch.xml MARCXML" \
         "marcxml iso2709/yaz--marc1.marc ISO 2709" \
         "json iso2709/yaz--marc1.marc ISO 2709" \
         "marcxml json/pymarc--one.json MARC-in-JSON" \
         "json marcxml/pymarc--batch.xml MARCXML"; do
  read -r fmt rel looks <<<"$c"
  expect_rc 1 "$M" dump --from "$fmt" "$D/$rel"
  err_is "marcpipe dump: $D/$rel: --from $fmt, but this looks like $looks (leave out --from to detect the format)"
  out_is ""
done
# the same with yaz-marcdump's -i
expect_rc 1 "$M" dump -i marcxml "$D/iso2709/yaz--marc1.marc"
err_is "marcpipe dump: $D/iso2709/yaz--marc1.marc: --from marcxml, but this looks like ISO 2709 (leave out --from to detect the format)"

# usage errors: exit 2, the offending word, a pointer to --help
f="$D/json/pymarc--one.json"
expect_rc 2 "$M" dump --bogus "$f"
err_is "marcpipe dump: unknown option '--bogus'
(see marcpipe dump --help)"
expect_rc 2 "$M" dump --bogus=1 "$f"
err_is "marcpipe dump: unknown option '--bogus'
(see marcpipe dump --help)"
expect_rc 2 "$M" dump -x "$f"
err_is "marcpipe dump: unknown option '-x'
(see marcpipe dump --help)"
expect_rc 2 "$M" dump "$f" --to
err_is "marcpipe dump: option '--to' needs a value
(see marcpipe dump --help)"
expect_rc 2 "$M" dump --to yaml "$f"
err_is "marcpipe dump: unknown output format 'yaml'
(see marcpipe dump --help)"
expect_rc 2 "$M" dump --from yaml "$f"
err_is "marcpipe dump: --from wants iso2709, marcxml or json (got 'yaml')
(see marcpipe dump --help)"
out_is ""

tl_finish
echo "dump_bad_input: all checks passed"
