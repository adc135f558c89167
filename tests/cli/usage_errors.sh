#!/usr/bin/env bash
# usage_errors.sh: the shared option layer, without a database or broker.
# A shared option has the same help line and the same range message in
# every command that has it; bad values are usage errors (exit 2) naming
# the option and the value; --max-backlog 0 is accepted by produce and
# import alike; input that cannot be read is refused in one line (exit 1)
# before anything else happens; broker's cluster size is --nodes.
# Env (from ctest): MARCPIPE, MP_TEST_DATA.
set -u
M=${MARCPIPE:?}
D=${MP_TEST_DATA:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end
# no database or broker may be reached by accident
export PGHOST=/nonexistent PGCONNECT_TIMEOUT=2
unset MARCPIPE_DB MARCPIPE_BROKERS MARCPIPE_KAFKA_PROPS

# expect WANT_RC 'stderr line' ARGS...: exit code and the first stderr line
expect() {
  local want=$1 line=$2; shift 2
  timeout -k 5 30 "$M" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: $* ($(head -c 300 "$T/err"))"
  [ "$(head -n1 "$T/err")" = "$line" ] || fail "$*: stderr '$(head -n1 "$T/err")', want '$line'"
}
F="$D/iso2709/folio-mdi--100.mrc"

# the same option, the same range and message in import and work
for cmd in import work; do
  extra=(); [ "$cmd" = import ] && extra=("$F")
  expect 2 "marcpipe $cmd: --batch wants 1..1000000 (got '0')" "$cmd" --batch 0 "${extra[@]}"
  expect 2 "marcpipe $cmd: --sinks wants 1..64 (got '65')" "$cmd" --sinks 65 "${extra[@]}"
  expect 2 "marcpipe $cmd: --window wants a count (got '-1')" "$cmd" --window -1 "${extra[@]}"
  expect 2 "marcpipe $cmd: --window-bytes wants a size (bytes, or with K, M or G) (got '12Q')" \
    "$cmd" --window-bytes 12Q "${extra[@]}"
  expect 2 "marcpipe $cmd: --sink-latency-ms wants 0..600000 (got '600001')" \
    "$cmd" --sink-latency-ms 600001 "${extra[@]}"
  expect 2 "marcpipe $cmd: -X wants name=value (at most 64)" "$cmd" -X novalue "${extra[@]}"
  expect 2 "marcpipe $cmd: --tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" "$cmd" --tenant Bad "${extra[@]}"
  expect 2 "marcpipe $cmd: unknown option '--frob'" "$cmd" --frob "${extra[@]}"
  expect 2 "marcpipe $cmd: option '--batch' needs a value" "$cmd" "${extra[@]}" --batch
  "$M" "$cmd" --help >"$T/help.$cmd" || fail "$cmd --help"
done
for opt in --batch --sink-latency-ms --tenant --state-dir; do
  a=$(grep -A2 -- "^ *$opt " "$T/help.import"); b=$(grep -A2 -- "^ *$opt " "$T/help.work")
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "$opt help differs: import '$a' work '$b'"
done

# import and produce share the backlog options: 0 = off in both
for cmd in import produce; do
  expect 2 "marcpipe $cmd: --max-backlog wants a count (got 'x')" "$cmd" --max-backlog x "$F"
  expect 2 "marcpipe $cmd: --partitions wants 1..1000 (got '0')" "$cmd" --partitions 0 "$F"
  expect 2 "marcpipe $cmd: --from wants iso2709, marcxml or json (got 'pdf')" "$cmd" --from pdf "$F"
  expect 2 "marcpipe $cmd: match key 'bogus' is not one of 001, 035, isbn, issn, none" \
    "$cmd" --match bogus "$F"
  grep -q -- "--max-backlog N .*" <("$M" "$cmd" --help) || fail "$cmd --help lacks --max-backlog"
  grep -q "0 = off" <("$M" "$cmd" --help) || fail "$cmd --help: 0 = off"
done
expect 2 "marcpipe import: no FILE given" import --max-backlog 0 --max-backlog-bytes 0
expect 2 "marcpipe produce: -b BROKERS is required" produce --max-backlog 0 --max-backlog-bytes 0 "$F"
expect 2 "marcpipe import: --workers wants 1..64 (got '65')" import -w 65 "$F"
expect 2 "marcpipe import: --mode wants pull or push (got 'pushy')" import --mode pushy "$F"
expect 2 "marcpipe import: --assign wants share or group (got 'static')" import --assign static "$F"
for m in 2/2 -1/2 1/0 1 1/2x 0/1025; do
  expect 2 "marcpipe work: --member '$m': expected I/N with 0 <= I < N <= 1024" \
    work -b 127.0.0.1:1 -t t --member "$m"
done

# produce reads $MARCPIPE_KAFKA_PROPS like the others (a bad line is refused
# without printing its value, which may be a secret)
MARCPIPE_KAFKA_PROPS=$'sasl.password' expect 2 \
  "marcpipe produce: \$MARCPIPE_KAFKA_PROPS wants K=V lines (at most 64 properties with -X)" \
  produce -b 127.0.0.1:1 "$F"
# ... and $MARCPIPE_DB: the dead server it names is what fails
MARCPIPE_DB="host=/nonexistent/mpdb" timeout 30 "$M" produce -b 127.0.0.1:1 "$F" >/dev/null 2>"$T/err"
grep -q "host=/nonexistent/mpdb" "$T/err" || fail "produce ignores MARCPIPE_DB: $(cat "$T/err")"

# input refused before anything happens: one line, exit 1
mkdir "$T/dir.mrc"
for cmd in import produce dump; do
  b=(); [ "$cmd" = produce ] && b=(-b 127.0.0.1:1)
  expect 1 "marcpipe $cmd: $T/missing.mrc: no such file or directory" "$cmd" "${b[@]}" "$T/missing.mrc"
  expect 1 "marcpipe $cmd: $T/dir.mrc: is a directory, not a MARC file" "$cmd" "${b[@]}" "$T/dir.mrc"
  expect 1 "marcpipe $cmd: $F: --from marcxml, but this looks like ISO 2709 (leave out --from to detect the format)" \
    "$cmd" "${b[@]}" --from marcxml "$F"
  expect 1 "marcpipe $cmd: $D/marcxml/pymarc--batch.xml: --from json, but this looks like MARCXML (leave out --from to detect the format)" \
    "$cmd" "${b[@]}" --from json "$D/marcxml/pymarc--batch.xml"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$cmd: more than one line: $(cat "$T/err")"
done
# a file checked before the first job: the second FILE is missing
expect 1 "marcpipe import: $T/missing.mrc: no such file or directory" import "$F" "$T/missing.mrc"
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null &&
   runuser -u nobody -- test -x "$M"; then # a checkout under a 0700 directory: nobody cannot run it
  chmod 755 "$T"; printf x >"$T/locked.mrc"; chmod 000 "$T/locked.mrc"
  runuser -u nobody -- "$M" import "$T/locked.mrc" >/dev/null 2>"$T/err"
  [ "$(cat "$T/err")" = "marcpipe import: $T/locked.mrc: permission denied" ] || fail "unreadable: $(cat "$T/err")"
fi

# commands that read the database: their own spellings
expect 2 "marcpipe status: expected one job id" status
expect 2 "marcpipe jobs: --limit wants a count (got 'x')" jobs --limit x
expect 2 "marcpipe errors: expected one job id" errors 1 2
expect 2 "marcpipe db: unknown action 'frob'" db frob

# broker: the cluster size is --nodes; --brokers N still works, with a note
expect 2 "marcpipe broker: --nodes wants 1..32 (got '0')" broker --nodes 0
expect 2 "marcpipe broker: --brokers is deprecated: use --nodes N (-b/--brokers is the bootstrap list of every other command)" \
  broker --brokers 0
grep -q -- "--nodes N" <("$M" broker --help) || fail "broker --help lacks --nodes"
grep -q -- "--brokers" <("$M" broker --help) && fail "broker --help still shows --brokers"

# gen's source files are --source (--from is an input format elsewhere);
# the old spelling still works, with a note
"$M" gen -n 2 --from "$F" -o "$T/g.mrc" 2>"$T/err" || fail "gen --from: exit $?"
grep -qx "marcpipe gen: --from is deprecated: use --source FILE (--from is the input format in every other command)" "$T/err" ||
  fail "gen --from note: $(cat "$T/err")"
"$M" gen -q -n 2 --source "$F" -o "$T/g2.mrc" || fail "gen --source"
cmp -s "$T/g.mrc" "$T/g2.mrc" || fail "gen --from and --source differ"
"$M" dump --count "$T/g2.mrc" | grep -q ": 2 records, 0 rejected" || fail "gen --source output"
expect 2 "marcpipe map: --from wants iso2709, marcxml or json (got 'nope')" map --from nope "$F"
"$M" map -q --reference "$(cd "$(dirname "$0")/../.." && pwd)/schemas/mapping/reference-data" "$F" >/dev/null 2>"$T/err" ||
  fail "map --reference: $(cat "$T/err")"
grep -q "^marcpipe map: --reference is deprecated: use --refdata PATH" "$T/err" || fail "map --reference note"

# every generated --help fits 80 columns
for cmd in import produce work broker db status jobs errors dump map gen bench; do
  "$M" "$cmd" --help >"$T/h" || fail "$cmd --help: exit $?"
  awk -v c="$cmd" 'length > 80 { print c " --help line " NR ": " length " columns"; bad = 1 } END { exit bad }' "$T/h" ||
    fail "$cmd --help wider than 80 columns"
done

tl_finish
echo "usage_errors: ok"
