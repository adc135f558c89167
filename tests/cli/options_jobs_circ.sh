#!/usr/bin/env bash
# options_jobs_circ.sh: log, cancel, delete, serve and the circ subcommands
# on the shared option layer, without a database or broker. A bad value is
# a usage error (exit 2): the first stderr line names the option and the
# value, the second points to --help, nothing else. A shared option
# (tenant, -X, window and batches, backlog) refuses a value with the same
# words as in import/produce/work; --help lists the shared options with
# the same text as import, produce and work, and fits 80 columns; each
# command reads the managed PostgreSQL of its --state-dir (or of
# $MARCPIPE_STATE_DIR) and names it when it is not there, in one line
# (exit 1), never falling back to another server.
# Env (from ctest): MARCPIPE.
set -u
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end
nusage=0
unset MARCPIPE_DB MARCPIPE_BROKERS MARCPIPE_KAFKA_PROPS MARCPIPE_STATE_DIR
unset PGHOST PGPORT PGDATABASE PGSERVICE XDG_STATE_HOME
export PGCONNECT_TIMEOUT=2

# usage 'CMD WORDS' 'message' ARGS...: exit 2 and stderr exactly
# "marcpipe CMD: message" and "(see marcpipe CMD --help)"
usage() {
  local cmd=$1 msg=$2; shift 2
  nusage=$((nusage + 1))
  # shellcheck disable=SC2086
  timeout -k 5 30 "$M" $cmd "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "$cmd $*: exit $rc, want 2 ($(head -c 300 "$T/err"))"
  printf 'marcpipe %s: %s\n(see marcpipe %s --help)\n' "$cmd" "$msg" "$cmd" >"$T/want"
  cmp -s "$T/err" "$T/want" || fail "$cmd $*: stderr '$(cat "$T/err")', want '$(cat "$T/want")'"
  [ ! -s "$T/out" ] || fail "$cmd $*: stdout '$(head -c 200 "$T/out")'"
}

# ---- the job commands ----
for cmd in log cancel delete; do
  usage "$cmd" "expected one job id"
  usage "$cmd" "expected one job id" 0
  usage "$cmd" "expected one job id" x
  usage "$cmd" "expected one job id" 1 2
  usage "$cmd" "unknown option '--frob'" 1 --frob
  usage "$cmd" "option '--db' needs a value" 1 --db
  usage "$cmd" "option '--state-dir' needs a value" 1 --state-dir
  usage "$cmd" "--tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" 1 --tenant Bad
done
usage log "--record wants a count of at least 1 (got '0')" 1 --record 0
usage log "--record wants a count of at least 1 (got '-2')" 1 --record -2
usage log "--record wants a count of at least 1 (got '3x')" 1 --record=3x
usage log "option '--record' needs a value" 1 --record
usage log "--outcome wants created, updated, duplicate, skipped or error (got 'ok')" 1 --outcome ok
usage log "option '--json' takes no value" 1 --json=yes
usage delete "unknown option '--json'" 1 --json
usage delete "not a terminal: confirm with --yes" 1 </dev/null

# ---- serve ----
usage serve "--threads wants 1..64 (got '0')" --threads 0
usage serve "--threads wants 1..64 (got '65')" --threads 65
usage serve "--threads wants 1..64 (got '-1')" --threads -1
usage serve "option '--threads' needs a value" --threads
usage serve "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080 (got '8080')" --listen 8080
usage serve "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080 (got '127.0.0.1:65536')" --listen 127.0.0.1:65536
usage serve "--token wants 16+ characters of [A-Za-z0-9_-]" --allow-control --token short
usage serve "unexpected argument 'now'" now
usage serve "unknown option '--json'" --json
usage serve "--tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" --tenant Bad

# ---- circ ----
usage circ "a subcommand is required"
usage circ "unknown subcommand 'lend'" lend
usage "circ gen" "--events wants a count (got '-1')" --events -1 -o -
usage "circ gen" "--patrons wants 1..10000000 (got '0')" --events 1 --patrons 0 -o -
usage "circ gen" "--duplicates wants 0..50 (got '51')" --events 1 --duplicates 51 -o -
usage "circ gen" "--seed wants a count (got '-1')" --events 1 --seed -1 -o -
usage "circ gen" "option '-o' needs a value" --events 1 -o
usage "circ gen" "--events and -o are required" --events 1
usage "circ gen" "--events and -o are required" -o -
usage "circ gen" "unexpected argument 'x'" --events 1 -o - x
usage "circ gen" "--tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" --events 1 -o - --tenant Bad
# the largest seed still is one
"$M" circ gen --events 3 --seed 18446744073709551615 -o "$T/s.ndjson" || fail "circ gen --seed 2^64-1"
[ "$(wc -l <"$T/s.ndjson")" -eq 3 ] || fail "circ gen --events 3: $(wc -l <"$T/s.ndjson") lines"
for sub in blocks summary audit limits; do
  usage "circ $sub" "--tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" --tenant Bad
  usage "circ $sub" "option '--db' needs a value" --db
  usage "circ $sub" "unknown option '--brokers'" --brokers 127.0.0.1:1
done
usage "circ blocks" "USER is required"
usage "circ blocks" "unexpected argument 'v'" u v
usage "circ blocks" "unknown option '--user'" u --user u
usage "circ summary" "unexpected argument 'v'" u v
usage "circ summary" "unknown option '--json'" --json
usage "circ audit" "give exactly one of --user and --item"
usage "circ audit" "give exactly one of --user and --item" --user u --item i
usage "circ audit" "unexpected argument 'u'" u
usage "circ limits" "give GROUP CONDITION VALUE, or nothing" staff max-lost-items
usage "circ limits" "unexpected argument 'x'" a b c x

W=(-b 127.0.0.1:1 --service blocks)
usage "circ work" "--service is required" -b 127.0.0.1:1
usage "circ work" "unknown service 'notices'" -b 127.0.0.1:1 --service notices
usage "circ work" "no brokers: give -b or set MARCPIPE_BROKERS" --service blocks
usage "circ work" "unexpected argument 'x'" "${W[@]}" x
usage "circ work" "--exit-when-idle wants 1..86400 (got '0')" "${W[@]}" --exit-when-idle 0
usage "circ work" "--status-ms wants 0..3600000 (got 'x')" "${W[@]}" --status-ms x
usage "circ work" "unknown option '--sink-latency-ms'" "${W[@]}" --sink-latency-ms 5
usage "circ produce" "a FILE is required" -b 127.0.0.1:1
usage "circ produce" "exactly one FILE expected" -b 127.0.0.1:1 a b
usage "circ produce" "no brokers: give -b or set MARCPIPE_BROKERS" x.ndjson
usage "circ produce" "--tenant wants [a-z][a-z0-9_]{0,30} (got 'Bad')" -b 127.0.0.1:1 --tenant Bad x.ndjson

# a shared option refuses a value in the same words as the command it
# comes from: circ work as work, circ produce as produce
for args in "--batch 0" "--sinks 65" "--window -1" "--window-bytes 12Q" "-X novalue" "--tenant Bad"; do
  # shellcheck disable=SC2086
  "$M" work -b 127.0.0.1:1 $args >/dev/null 2>"$T/w.err"
  sed 's/^marcpipe work: //;1!d' "$T/w.err" >"$T/w.msg"
  # shellcheck disable=SC2086
  usage "circ work" "$(cat "$T/w.msg")" "${W[@]}" $args
  [ -s "$T/w.msg" ] || fail "work $args said nothing"
done
for args in "--max-backlog x" "--max-backlog-bytes 1Q" "--partitions 0" "-X novalue"; do
  # shellcheck disable=SC2086
  "$M" produce -b 127.0.0.1:1 $args x.mrc >/dev/null 2>"$T/p.err"
  sed 's/^marcpipe produce: //;1!d' "$T/p.err" >"$T/p.msg"
  # shellcheck disable=SC2086
  usage "circ produce" "$(cat "$T/p.msg")" -b 127.0.0.1:1 $args x.ndjson
  [ -s "$T/p.msg" ] || fail "produce $args said nothing"
done

# ---- help: generated from the shared table, the same text everywhere ----
# block FILE OPT: OPT's help entry (its line and the indented lines after it)
block() {
  awk -v o="$2" '
    $0 ~ "^  (-., )?--" o "( |$)" || $0 ~ "^      --" o "( |$)" { on = 1; print; next }
    on && /^                          / { print; next }
    { on = 0 }' "$1"
}
# jobs has the database group as cli_groups.h defines it (import says it
# starts the managed one), work the plain -b, produce the backlog group
"$M" jobs --help >"$T/h.jobs"; "$M" produce --help >"$T/h.produce"; "$M" work --help >"$T/h.work"
for c in log cancel delete serve "circ blocks" "circ summary" "circ audit" "circ limits" \
         "circ produce" "circ work" "circ gen" circ; do
  f="$T/h.${c// /_}"
  # shellcheck disable=SC2086
  "$M" $c --help >"$f" 2>"$T/err" || fail "$c --help: exit $?"
  [ ! -s "$T/err" ] || fail "$c --help wrote to stderr"
  head -1 "$f" | grep -q "^usage: marcpipe $c" || fail "$c --help: first line '$(head -1 "$f")'"
  awk -v c="$c" 'length > 80 { print c " --help line " NR ": " length " columns"; bad = 1 } END { exit bad }' "$f" ||
    fail "$c --help wider than 80 columns"
  case $c in "circ gen"|circ) continue ;; esac
  for o in db state-dir tenant; do
    a=$(block "$T/h.jobs" "$o"); b=$(block "$f" "$o")
    [ -n "$b" ] && [ "$a" = "$b" ] || fail "$c --help: --$o differs from jobs': '$b'"
  done
  grep -q "^  -h, --help  " "$f" || fail "$c --help lacks -h, --help"
done
for o in env namespace tenant max-backlog max-backlog-bytes; do
  a=$(block "$T/h.produce" "$o"); b=$(block "$T/h.circ_produce" "$o")
  [ -n "$b" ] && [ "$a" = "$b" ] || fail "circ produce --help: --$o differs from produce's: '$b'"
done
for o in brokers property topic; do
  a=$(block "$T/h.circ_work" "$o"); b=$(block "$T/h.circ_produce" "$o")
  [ -n "$b" ] && [ "$a" = "$b" ] || fail "circ produce --help: --$o differs from circ work's: '$b'"
done
for o in brokers env namespace batch sinks exit-when-idle verbose db state-dir; do
  a=$(block "$T/h.work" "$o"); b=$(block "$T/h.circ_work" "$o")
  [ -n "$a" ] && [ -n "$b" ] || fail "circ work --help or work --help lacks --$o"
  case $o in exit-when-idle) a=$(head -1 <<<"$a" | cut -c1-26); b=$(head -1 <<<"$b" | cut -c1-26) ;; esac
  [ "$a" = "$b" ] || fail "circ work --help: --$o differs from work's: '$b'"
done
grep -q "^  -G, --group GROUP .*offsets stored$" "$T/h.circ_work" || fail "circ work --help: -G"
grep -q "(default marcpipe.circ.SERVICE)" "$T/h.circ_work" || fail "circ work --help: its default group"
grep -q "^  -t, --topic TOPIC       events topic (default ENV.NS.TENANT.CIRCULATION)$" "$T/h.circ_produce" ||
  fail "circ produce --help: -t"
grep -q "^      --record N  " "$T/h.log" || fail "log --help: --record"
grep -q "^  -y, --yes  " "$T/h.delete" || fail "delete --help: -y, --yes"
grep -q "^      --threads N  " "$T/h.serve" || fail "serve --help: --threads"
grep -q "^      --seed S  " "$T/h.circ_gen" || fail "circ gen --help: --seed"
grep -q "^  -o FILE  " "$T/h.circ_gen" || fail "circ gen --help: -o"
for sub in produce work blocks summary audit limits gen; do
  grep -q "^  $sub  " "$T/h.circ" || fail "circ --help lacks $sub"
done

# ---- the database of --state-dir, named; never another one ----
# nodb 'CMD WORDS' DIR ARGS...: exit 1 and the one line naming DIR
nodb() {
  local cmd=$1 dir=$2; shift 2
  # shellcheck disable=SC2086
  timeout -k 5 30 "$M" $cmd "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq 1 ] || fail "$cmd $*: exit $rc, want 1 ($(head -c 300 "$T/err"))"
  printf "marcpipe %s: no database: the managed PostgreSQL in %s is absent (start it with 'marcpipe db start --state-dir %s', or give --db or PGHOST)\n" \
    "$cmd" "$dir" "$dir" >"$T/want"
  cmp -s "$T/err" "$T/want" || fail "$cmd $*: stderr '$(cat "$T/err")', want '$(cat "$T/want")'"
}
A=$T/a; B=$T/b
printf '{}\n' >"$T/ev.ndjson"
for d in "$A" "$B"; do
  nodb log "$d" 1 --state-dir "$d"
  nodb cancel "$d" 1 --state-dir "$d"
  nodb delete "$d" 1 --yes --state-dir "$d"
  nodb serve "$d" --listen 127.0.0.1:0 --state-dir "$d"
  nodb "circ blocks" "$d" u --state-dir "$d"
  nodb "circ summary" "$d" --state-dir "$d"
  nodb "circ audit" "$d" --user u --state-dir "$d"
  nodb "circ limits" "$d" --state-dir "$d"
  nodb "circ produce" "$d" -b 127.0.0.1:1 --state-dir "$d" "$T/ev.ndjson"
  nodb "circ work" "$d" "${W[@]}" --state-dir "$d"
done
# the environment's spelling, and --state-dir over it
MARCPIPE_STATE_DIR=$A nodb log "$A" 1
MARCPIPE_STATE_DIR=$A nodb "circ limits" "$A"
MARCPIPE_STATE_DIR=$A nodb serve "$B" --listen 127.0.0.1:0 --state-dir "$B"
MARCPIPE_STATE_DIR=$A nodb "circ work" "$B" "${W[@]}" --state-dir "$B"
# nothing was created in either directory
[ ! -e "$A" ] && [ ! -e "$B" ] || fail "a state directory was created: $(ls -d "$A" "$B" 2>/dev/null)"
# --db wins: the named server is the one that fails
for c in "log 1" "cancel 1" "circ limits"; do
  # shellcheck disable=SC2086
  timeout -k 5 30 "$M" $c --state-dir "$A" --db "host=$T/nosrv" >/dev/null 2>"$T/err"
  grep -q "$T/nosrv" "$T/err" || fail "$c --db: $(cat "$T/err")"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$c --db: more than one line: $(cat "$T/err")"
done

tl_finish
echo "options_jobs_circ: ok ($nusage usage errors)"
