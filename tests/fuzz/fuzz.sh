#!/usr/bin/env bash
# fuzz.sh: the long fuzzing run, recorded in the "Fuzzing" section of
# tests/fuzz/README.md (scripts/test.sh runs the same targets for a few
# seconds each; this is the long run, with the fast and asan passes).
#
# Usage: tests/fuzz/fuzz.sh [TOTAL_SECONDS]
#        tests/fuzz/fuzz.sh --table   (rewrite the section, no run)
#
# Every tests/fuzz/fuzz_*.c target (or those named in MP_FUZZ_TARGETS), one
# at a time, each in two passes before the next target starts:
#  1. fast: libFuzzer build without sanitizers (build-fuzz-fast/), up to
#     MP_FUZZ_RUNS executions (default 10,000,000);
#  2. asan: libFuzzer build with ASan+UBSan (build-fuzz/), a shorter pass
#     starting from the corpus the fast pass grew, which replays every
#     input found so far under the sanitizers.
# With TOTAL_SECONDS the whole run is bounded: 80% of it is shared by the
# fast passes and 20% by the asan passes, evenly per target; a pass stops at
# its executions or its time, whichever comes first. Without it, the fast
# pass runs to the executions and the asan pass gets MP_FUZZ_ASAN_SECONDS
# (default 120).
# Seeds come from tests/fuzz/seeds.sh (real files cut into small pieces);
# inputs are capped at 64 KiB (MP_FUZZ_MAX_LEN bytes for the fast pass:
# lower it for a target whose executions slow as libFuzzer grows its
# inputs; the asan pass keeps 64 KiB), RSS at 2 GiB, one input at 25 s. The fast
# pass gets the pieces of at most 4 KiB (SEED_MAX): libFuzzer starts its
# input length limit at the largest seed and raises it towards 64 KiB as
# coverage stalls, and an execution's cost grows with its input (one 41 KB
# record in the seeds cut fuzz_iso2709's executions per second by a third
# at the same coverage); the larger pieces (single records of up to about
# 1 MB, truncated to 64 KiB) are replayed in the asan pass. A pass stopped
# by SIGINT (kill -INT of the fuzzer) keeps its row, marked as such. The corpus
# lives in a scratch directory (on /dev/shm when there is one: libFuzzer
# writes a file per new input, and a disk file system made file creation a
# quarter of the early run time), removed at the end. A crash, leak, timeout
# or sanitizer report fails that target: its reproducer is kept in
# build-fuzz*/artifacts/ and the log in build-fuzz*/<target>.log.
# Writes the table to tests/fuzz/README.md (replacing only its "## Fuzzing"
# section, or appending it): the rows of the targets run now replace their
# earlier rows, the other targets keep theirs, so targets can be run one by
# one (MP_FUZZ_TARGETS=fuzz_json tests/fuzz/fuzz.sh). Exits non-zero when any
# target failed.
# Environment: MP_TEST_DATA (real MARC files, default tests/data/marc),
# MP_FUZZ_RUNS, MP_FUZZ_TARGETS, MP_FUZZ_ASAN_SECONDS. Runs on the 2-core
# machine: no parallel jobs.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
table_only=
if [ "${1:-}" = --table ]; then table_only=1; shift; fi
total=${1:-}
if [ -n "$total" ] && ! [[ $total =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/fuzz.sh [TOTAL_SECONDS] | --table" >&2
  exit 2
fi
DATA=${MP_TEST_DATA:-$ROOT/tests/data/marc}
[ -d "$DATA" ] || { echo "fuzz.sh: real MARC data not found at $DATA (set MP_TEST_DATA)" >&2; exit 1; }
DATA=$(cd "$DATA" && pwd)
RUNS=${MP_FUZZ_RUNS:-10000000}
MAX_LEN=${MP_FUZZ_MAX_LEN:-65536}
[[ $MAX_LEN =~ ^[0-9]+$ ]] && [ "$MAX_LEN" -ge 1 ] || { echo "fuzz.sh: MP_FUZZ_MAX_LEN must be a positive number of bytes" >&2; exit 2; }
SEED_MAX=4096 # larger seed pieces (single big records) go to the asan pass only

mapfile -t all < <(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
[ ${#all[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets" >&2; exit 1; }
if [ -n "${MP_FUZZ_TARGETS:-}" ]; then
  read -ra targets <<<"$MP_FUZZ_TARGETS"
  for t in "${targets[@]}"; do
    [ -f "tests/fuzz/$t.c" ] || { echo "fuzz.sh: no target $t (tests/fuzz/$t.c)" >&2; exit 2; }
  done
else
  targets=("${all[@]}")
fi
n=${#targets[@]}
if [ -n "$total" ]; then
  fast_s=$((total * 8 / 10 / n)) asan_s=$((total * 2 / 10 / n))
  [ "$fast_s" -ge 1 ] || fast_s=1
  [ "$asan_s" -ge 1 ] || asan_s=1
else
  fast_s=0 asan_s=${MP_FUZZ_ASAN_SECONDS:-120} # 0: no time bound
fi
inv="tests/fuzz/fuzz.sh${total:+ $total}"
[ "$RUNS" = 10000000 ] || inv="MP_FUZZ_RUNS=$RUNS $inv"
[ -n "$total" ] || [ -z "${MP_FUZZ_ASAN_SECONDS:-}" ] || inv="MP_FUZZ_ASAN_SECONDS=$asan_s $inv"
[ "$MAX_LEN" = 65536 ] || inv="MP_FUZZ_MAX_LEN=$MAX_LEN $inv"
[ -z "${MP_FUZZ_TARGETS:-}" ] || inv="MP_FUZZ_TARGETS='${targets[*]}' $inv"

build() { # dir, cmake args...
  local dir=$1; shift
  mkdir -p "$dir"
  CC=clang cmake -S . -B "$dir" -G Ninja -DMP_TEST_DATA="$DATA" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_FUZZ=ON "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; return 1; }
  ninja -j2 -C "$dir" "${targets[@]}" >"$dir.build.log" 2>&1 ||
    { tail -n 40 "$dir.build.log" >&2; return 1; }
}
if [ -z "$table_only" ]; then
  echo "== build (fuzzer, no sanitizer)"; build build-fuzz-fast -DMP_SANITIZE=OFF || exit 1
  echo "== build (fuzzer, asan+ubsan)"; build build-fuzz -DMP_SANITIZE=ON || exit 1
fi

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  work=$(mktemp -d /dev/shm/marcpipe-fuzz.XXXXXX)
else
  work=$(mktemp -d)
fi
trap 'rm -rf "$work"' EXIT
rows=()
fail=0
# run PASS DIR TARGET SECONDS RUNS: one libFuzzer run, appends a table row
run() {
  local pass=$1 dir=$2 t=$3 secs=$4 runs=$5
  local corpus=$work/corpus-$t seeds=$work/seeds-$t big=$work/big-$t
  local log=$dir/$t.log
  mkdir -p "$corpus" "$dir/artifacts"
  if [ ! -d "$seeds" ]; then
    bash tests/fuzz/seeds.sh "$t" "$DATA" "$seeds" || return 1
    mkdir -p "$big"
    find "$seeds" -type f -size +${SEED_MAX}c -exec mv -t "$big" {} +
  fi
  local dirs=("$corpus" "$seeds")
  [ "$pass" = fast ] || dirs+=("$big")
  local start end rc cpu maxlen=65536
  [ "$pass" = asan ] || maxlen=$MAX_LEN
  start=$(date +%s.%N)
  { TIMEFORMAT='%U %S'; time {
    "$dir/$t" -runs="$runs" -max_total_time="$secs" -max_len="$maxlen" \
      -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/$t-" "${dirs[@]}" >"$log" 2>&1
    echo $? >"$work/rc"
  }; } 2>"$work/cpu"
  rc=$(cat "$work/rc")
  end=$(date +%s.%N)
  cpu=$(awk '{ print $1 + $2 }' "$work/cpu")
  local execs wall result
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n1)
  wall=$(echo "$end - $start" | bc)
  if [ $rc -eq 0 ]; then
    result="no crash"
  elif [ $rc -eq 72 ]; then # libFuzzer's exit code after SIGINT
    result="no crash (stopped by SIGINT)"
  else
    result="FAILED: $(grep -Eo 'ERROR: [A-Za-z]+: [a-z-]+|SUMMARY: [A-Za-z]+: [a-z-]+|deadly signal|timeout' "$log" | head -n1)"
    fail=1
  fi
  execs=${execs:-0}
  local rate cpurate
  rate=$(echo "$execs / $wall" | bc)
  cpurate=$(echo "$execs / ($cpu + 0.001)" | bc)
  printf '%s %s: %s executions in %.0f s (%s/s; %.0f CPU s, %s/CPU s), %s\n' \
    "$pass" "$t" "$execs" "$wall" "$rate" "$cpu" "$cpurate" "$result"
  local cov ft
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
  ft=${cov##* } cov=${cov#cov: } cov=${cov%% *}
  rows+=("| \`$t\` | $pass | $execs | $(printf '%.0f' "$wall") | $rate | $(printf '%.0f' "$cpu") | $cpurate | $(ls "$corpus" | wc -l) | ${cov:-?} | ${ft:-?} | $result | $(date -u '+%Y-%m-%d %H:%M') | \`$inv\` |")
  write_readme
}

# Rows kept from the current section: those of targets that still exist
# and were not run now, in the same column layout.
old_rows() {
  [ -f "$readme" ] || return 0
  local line t a keep
  perl -0777 -ne 'print $1 if /^## Fuzzing\n(.*?)(?=^## |\z)/ms' "$readme" |
    grep -E '^\| `fuzz_[a-z0-9_]+` \| (fast|asan) \|' |
    while IFS= read -r line; do
      [ "$(tr -cd '|' <<<"$line" | wc -c)" -eq 14 ] || continue
      t=$(cut -d'`' -f2 <<<"$line")
      keep=0
      for a in "${all[@]}"; do [ "$a" = "$t" ] && keep=1; done
      for a in "${targets[@]}"; do [ "$a" = "$t" ] && keep=0; done
      [ $keep -eq 0 ] || printf '%s\n' "$line"
    done
}

# write_readme: rewrites the "## Fuzzing" section; called after every pass,
# so an interrupted run still leaves the rows of the passes it finished.
write_readme() {
  local merged=() kept=() line t p short load section
  mapfile -t kept < <(old_rows)
  for t in "${all[@]}"; do # target order, fast before asan
    for p in fast asan; do
      for line in "${rows[@]}" "${kept[@]}"; do
        [[ $line == "| \`$t\` | $p |"* ]] && merged+=("$line")
      done
    done
  done
  short=$(printf '%s\n' "${merged[@]}" | awk -F' [|] ' -v runs="$RUNS" '
    $2 == "fast" && $3 + 0 < runs + 0 && $11 ~ /^no crash/ {
      t = $1; sub(/^[|] /, "", t)
      need = $3 > 0 ? runs * $6 / $3 : 0
      printf "%s%s %s in %s CPU s (%d CPU s for %d at that rate)", sep, t, $3, $6, need, runs
      sep = ", " }')
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  section=$(cat <<EOF
## Fuzzing

What: every libFuzzer target in \`tests/fuzz/\`: the three stream readers
with the writers' round trip (\`fuzz_iso2709\`, \`fuzz_marcxml\`,
\`fuzz_json\`), the single-record ISO 2709 parser with the reader in
strict mode (\`fuzz_iso2709_parse\`), the mapping engine on one ISO 2709
record (\`fuzz_mapping\`), and the MARCXML fast scanner against libxml2
alone (\`fuzz_marcxml_fast\`, differential: any difference aborts),
started from the real files of \`tests/data/marc\` cut into small seed
pieces by \`tests/fuzz/seeds.sh\`. Inputs are capped at 64 KiB; the fast
pass starts from the pieces of at most 4 KiB (libFuzzer raises its length
limit from the largest seed towards 64 KiB as coverage stalls, and small
inputs run faster), the asan pass also replays the larger ones (single
records up to about 1 MB, truncated to 64 KiB).

Command (from the repository root; needs clang):

    [MP_FUZZ_TARGETS="fuzz_a fuzz_b"] [MP_FUZZ_RUNS=N] tests/fuzz/fuzz.sh [TOTAL_SECONDS]

Each target runs a fast pass, in a fuzzer build without sanitizers
(\`build-fuzz-fast/\`), to MP_FUZZ_RUNS executions (default 10,000,000) or
its share of TOTAL_SECONDS (80% of it, split evenly), then an asan pass
(ASan+UBSan, \`build-fuzz/\`) that starts from the corpus the fast pass
grew, so every input it found is replayed under the sanitizers (the other
20%, or MP_FUZZ_ASAN_SECONDS, default 120 s, without TOTAL_SECONDS).
libFuzzer runs as \`TARGET -runs=N -max_total_time=S -max_len=65536
-rss_limit_mb=2048 -timeout=25 CORPUS SEEDS\`. A crash, leak, timeout or
sanitizer report fails the target and keeps the reproducer in
\`build-fuzz*/artifacts/\`.

A target's rows come from the run named in its "run" column (targets may
be run separately; \`bench/fuzz.sh\` there is this script before it moved
to \`tests/fuzz/\`). The machine has 2 cores shared with other work (load
average at the last write: $load), so a fuzzer often gets a fraction of a
core and executions per CPU second (user + sys of the fuzzer process) is
the steadier speed figure. libFuzzer first replays the whole corpus (seeds,
and in the asan pass everything the fast pass found) before it checks the
clock, so a short asan pass can run longer than its share. "corpus" is the
number of inputs kept (seed pieces that added coverage plus new inputs);
"cov" and "ft" are libFuzzer's covered edges and features at the end.

| target | pass | executions | wall s | executions/s | CPU s | executions/CPU s | corpus | cov | ft | result | ended (UTC) | run |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|
$(printf '%s\n' "${merged[@]}")
$([ -z "$short" ] || printf '\nFast passes short of %s executions: %s.\n' "$RUNS" "$short")
EOF
)
  [ -f "$readme" ] || printf '# Fuzz targets\n' >"$readme"
  SECTION=$section perl -0777 -i -pe '
    my $s = $ENV{SECTION} . "\n";
    if (/^## Fuzzing\n/m) { s/^## Fuzzing\n.*?(?=^## |\z)/$s\n/ms }
    else { s/\n*\z/\n\n$s/ }
  ' "$readme"
}

readme=tests/fuzz/README.md
if [ -n "$table_only" ]; then # every row is kept as it is
  targets=()
  write_readme
  echo "fuzz.sh: section rewritten in $readme"
  exit 0
fi
echo "== per target: fast pass ($([ "$fast_s" -gt 0 ] && echo "${fast_s} s or " )$RUNS executions), then asan pass (${asan_s} s)"
for t in "${targets[@]}"; do
  run fast build-fuzz-fast "$t" "$fast_s" "$RUNS"
  run asan build-fuzz "$t" "$asan_s" "$RUNS"
done
echo "fuzz.sh: results written to $readme"
[ $fail -eq 0 ] || { echo "fuzz.sh: FAILED"; exit 1; }
