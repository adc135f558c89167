#!/usr/bin/env bash
# fuzz.sh: the long fuzzing run, recorded in the "Fuzzing" section of
# bench/README.md.
#
# Usage: bench/fuzz.sh [TOTAL_SECONDS]
#
# Two passes over every tests/fuzz/fuzz_*.c target, one target at a time:
#  1. fast: libFuzzer build without sanitizers (build-fuzz-fast/), up to
#     MP_FUZZ_RUNS executions per target (default 10,000,000);
#  2. asan: libFuzzer build with ASan+UBSan (build-fuzz/), a shorter pass
#     starting from the corpus the fast pass grew, which replays every
#     input found so far under the sanitizers.
# With TOTAL_SECONDS the whole run is bounded: 80% of it is shared by the
# fast pass and 20% by the asan pass, evenly per target; a target stops at
# its executions or its time, whichever comes first. Without it, the fast
# pass runs to the executions and the asan pass gives each target 120 s.
# Seeds come from tests/fuzz/seeds.sh (real files cut into small pieces);
# inputs are capped at 64 KiB, RSS at 2 GiB, one input at 25 s. A crash,
# leak, timeout or sanitizer report fails that target: its reproducer is
# kept in build-fuzz*/artifacts/ and the log in build-fuzz*/<target>.log.
# Writes the table to bench/README.md (replacing only its "## Fuzzing"
# section, or appending it) and exits non-zero when any target failed.
# Environment: MP_TEST_DATA (real MARC files, default ../shared/data/marc),
# MP_FUZZ_RUNS. Runs on the 2-core machine: no parallel jobs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
total=${1:-}
if [ -n "$total" ] && ! [[ $total =~ ^[0-9]+$ ]]; then
  echo "usage: bench/fuzz.sh [TOTAL_SECONDS]" >&2
  exit 2
fi
DATA=${MP_TEST_DATA:-$ROOT/../shared/data/marc}
[ -d "$DATA" ] || { echo "fuzz.sh: real MARC data not found at $DATA (set MP_TEST_DATA)" >&2; exit 1; }
DATA=$(cd "$DATA" && pwd)
RUNS=${MP_FUZZ_RUNS:-10000000}

mapfile -t targets < <(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets" >&2; exit 1; }
n=${#targets[@]}
if [ -n "$total" ]; then
  fast_s=$((total * 8 / 10 / n)) asan_s=$((total * 2 / 10 / n))
  [ "$fast_s" -ge 1 ] || fast_s=1
  [ "$asan_s" -ge 1 ] || asan_s=1
else
  fast_s=0 asan_s=120 # 0: no time bound (libFuzzer's default)
fi

build() { # dir, cmake args...
  local dir=$1; shift
  mkdir -p "$dir"
  CC=clang cmake -S . -B "$dir" -G Ninja -DMP_TEST_DATA="$DATA" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_FUZZ=ON "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; return 1; }
  ninja -j2 -C "$dir" "${targets[@]}" >"$dir.build.log" 2>&1 ||
    { tail -n 40 "$dir.build.log" >&2; return 1; }
}
echo "== build (fuzzer, no sanitizer)"; build build-fuzz-fast -DMP_SANITIZE=OFF || exit 1
echo "== build (fuzzer, asan+ubsan)"; build build-fuzz -DMP_SANITIZE=ON || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=() short=()
fail=0
# run PASS DIR TARGET SECONDS RUNS: one libFuzzer run, appends a table row
run() {
  local pass=$1 dir=$2 t=$3 secs=$4 runs=$5
  local corpus=$work/corpus-$t seeds=$work/seeds-$t log=$dir/$t.log
  mkdir -p "$corpus" "$dir/artifacts"
  [ -d "$seeds" ] || bash tests/fuzz/seeds.sh "$t" "$DATA" "$seeds" || return 1
  local start end rc cpu
  start=$(date +%s.%N)
  { TIMEFORMAT='%U %S'; time {
    "$dir/$t" -runs="$runs" -max_total_time="$secs" -max_len=65536 \
      -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/$t-" "$corpus" "$seeds" >"$log" 2>&1
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
  [ "$pass" != fast ] || [ "$execs" -ge "$runs" ] || [ "$rc" -ne 0 ] ||
    short+=("\`$t\` $execs in $(printf '%.0f' "$cpu") CPU s")
  rows+=("| \`$t\` | $pass | $execs | $(printf '%.0f' "$wall") | $rate | $(printf '%.0f' "$cpu") | $cpurate | $(ls "$corpus" | wc -l) | $result |")
}

echo "== fast pass ($([ "$fast_s" -gt 0 ] && echo "${fast_s} s or " )$RUNS executions per target)"
for t in "${targets[@]}"; do run fast build-fuzz-fast "$t" "$fast_s" "$RUNS"; done
echo "== asan pass (${asan_s} s per target)"
for t in "${targets[@]}"; do run asan build-fuzz "$t" "$asan_s" "$RUNS"; done

load=$(cut -d' ' -f1-3 /proc/loadavg)
section=$(cat <<EOF
## Fuzzing

What: every libFuzzer target in \`tests/fuzz/\` (the three stream readers
with the writers' round trip, the single-record ISO 2709 parser in strict
mode, and the mapping engine on one ISO 2709 record), started from the real
files of \`shared/data/marc\` cut into small seed pieces by
\`tests/fuzz/seeds.sh\`. Inputs are capped at 64 KiB.

Command (from the repository root; needs clang):

    bench/fuzz.sh [TOTAL_SECONDS]

The fast pass uses a fuzzer build without sanitizers (\`build-fuzz-fast/\`)
and stops each target at $RUNS executions or at its share of
TOTAL_SECONDS (80% of it, split evenly); the asan pass (ASan+UBSan,
\`build-fuzz/\`) gets the other 20% and starts from the corpus the fast pass
grew, so every input it found is replayed under the sanitizers. A crash,
leak, timeout (25 s) or sanitizer report fails the target and keeps the
reproducer in \`build-fuzz*/artifacts/\`.

Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/fuzz.sh ${total:-}\` on the
2-core machine shared with other work (load average at the end: $load).
With that load a fuzzer gets a fraction of a core, so executions per CPU
second (user + sys of the fuzzer process) is the steadier speed figure.
The time bound counts from the start of a run, but libFuzzer first replays
the whole corpus (seeds, and in the asan pass everything the fast pass
found) before it checks the clock, so a short asan pass can run longer
than its share and consist of that replay alone. "corpus" is the number
of inputs kept (seed pieces that added coverage plus new inputs).

| target | pass | executions | wall s | executions/s | CPU s | executions/CPU s | corpus | result |
|---|---|---:|---:|---:|---:|---:|---:|---|
$(printf '%s\n' "${rows[@]}")
$([ ${#short[@]} -eq 0 ] || printf '\nStopped by the time bound short of %s executions: %s.\n' "$RUNS" "$(printf '%s, ' "${short[@]}" | sed 's/, $//')")
EOF
)
readme=bench/README.md
[ -f "$readme" ] || printf '# Benchmarks\n' >"$readme"
SECTION=$section perl -0777 -i -pe '
  my $s = $ENV{SECTION} . "\n";
  if (/^## Fuzzing\n/m) { s/^## Fuzzing\n.*?(?=^## |\z)/$s\n/ms }
  else { s/\n*\z/\n\n$s/ }
' "$readme"
echo "fuzz.sh: results written to $readme"
[ $fail -eq 0 ] || { echo "fuzz.sh: FAILED"; exit 1; }
