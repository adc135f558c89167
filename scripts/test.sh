#!/usr/bin/env bash
# test.sh: run every marcpipe test on a fresh Debian 12 machine.
# Installs what is missing, builds three trees (release, ASan+UBSan, libFuzzer),
# starts a throwaway PostgreSQL, runs ctest in the release and sanitizer
# trees, runs each fuzz target for a bounded time, and exits non-zero on any
# failure. Environment: MP_FUZZ_SECONDS (default 20 per target),
# MP_TEST_JOBS (ctest parallelism, default 2).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/deps.sh || { echo "test.sh: dependency install failed" >&2; exit 1; }

DATA=${MP_TEST_DATA:-$ROOT/../shared/data/marc}
[ -d "$DATA" ] || { echo "test.sh: real MARC data not found at $DATA (set MP_TEST_DATA)" >&2; exit 1; }
DATA=$(cd "$DATA" && pwd)
JOBS=${MP_TEST_JOBS:-2}
FUZZ_SECONDS=${MP_FUZZ_SECONDS:-20}

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DMP_TEST_DATA="$DATA" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; return 1; }
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -n 60 "$dir.build.log" >&2; return 1; }
}

fail=0
mkdir -p build-asan build-fuzz build
echo "== build (release)"; build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 1
echo "== build (asan+ubsan)"; build build-asan -DCMAKE_BUILD_TYPE=Debug -DMP_SANITIZE=ON || exit 1
echo "== build (libfuzzer)"
CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_FUZZ=ON -DMP_SANITIZE=ON || exit 1

eval "$(bash scripts/pgtmp.sh start)" || { echo "test.sh: cannot start PostgreSQL" >&2; exit 1; }
trap 'bash scripts/pgtmp.sh stop "$MP_PGTMP"' EXIT

echo "== ctest (release)"
(cd build && ctest --output-on-failure -j "$JOBS") || fail=1
echo "== ctest (asan+ubsan)"
(cd build-asan && ctest --output-on-failure -j "$JOBS" -LE faults) || fail=1

# Seed corpora: the real files of the target's format plus the malformed
# set (read only; new inputs go to a scratch corpus), and
# tests/fuzz/seeds/<target> when present.
fuzz_seeds() { # target name -> seed directories, one per line
  case $1 in
    fuzz_iso2709) echo "$DATA/iso2709"; echo "$DATA/malformed" ;;
    fuzz_iso2709_parse) echo "$DATA/iso2709"; echo "$DATA/malformed" ;;
    fuzz_marcxml) echo "$DATA/marcxml"; echo "$DATA/malformed" ;;
    fuzz_json) echo "$DATA/json"; echo "$DATA/malformed" ;;
  esac
  [ -d "$ROOT/tests/fuzz/seeds/$1" ] && echo "$ROOT/tests/fuzz/seeds/$1"
  return 0
}

echo "== fuzz (${FUZZ_SECONDS}s per target)"
for fz in build-fuzz/fuzz_*; do
  [ -x "$fz" ] && [ -f "$fz" ] || continue
  name=$(basename "$fz")
  corpus=$(mktemp -d)
  mapfile -t seeds < <(fuzz_seeds "$name")
  args=(-max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=200000)
  if "$fz" "${args[@]}" "$corpus" "${seeds[@]}" >"build-fuzz/$name.log" 2>&1; then
    echo "$name: $(grep -Eo 'Done [0-9]+ runs' "build-fuzz/$name.log" | tail -n1), no crash"
  else
    echo "$name: FAILED"; tail -n 40 "build-fuzz/$name.log"; fail=1
  fi
  rm -rf "$corpus"
done

if [ $fail -ne 0 ]; then echo "test.sh: FAILED"; exit 1; fi
echo "test.sh: all tests passed"
