#!/usr/bin/env bash
# test.sh: run every marcpipe test on a fresh Debian 12 machine.
# Installs what is missing, builds three trees (release, ASan+UBSan, libFuzzer),
# starts a throwaway PostgreSQL and a 3-node Apache Kafka cluster
# (scripts/kafka.sh, with a SASL_PLAINTEXT listener) once for the whole run,
# runs ctest in the release and sanitizer trees, runs each fuzz target for a
# bounded time, stops both servers, and exits non-zero on any failure.
# The tests find the cluster in MP_KAFKA_BOOTSTRAP, MP_KAFKA_SASL_BOOTSTRAP
# and MP_KAFKA_DIR. Environment: MP_FUZZ_SECONDS (default 20 per target),
# MP_TEST_JOBS (ctest parallelism, default 2), MP_TEST_KAFKA=0 (no real
# cluster: the Kafka tests use the embedded broker or skip).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/deps.sh || { echo "test.sh: dependency install failed" >&2; exit 1; }

DATA=${MP_TEST_DATA:-$ROOT/tests/data/marc}
[ -d "$DATA" ] || { echo "test.sh: real MARC data not found at $DATA (MP_TEST_DATA)" >&2; exit 1; }
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
KAFKA_DIR=
stop_servers() {
  [ -z "$KAFKA_DIR" ] || { bash scripts/kafka.sh stop --dir "$KAFKA_DIR"; rm -rf "$KAFKA_DIR"; }
  bash scripts/pgtmp.sh stop "$MP_PGTMP"
}
trap stop_servers EXIT
if [ "${MP_TEST_KAFKA:-1}" != 0 ]; then
  echo "== kafka (3 nodes)"
  KAFKA_DIR=$(mktemp -d -t mpkafka.XXXXXX)
  MP_KAFKA_BOOTSTRAP=$(bash scripts/kafka.sh start --brokers 3 --sasl --dir "$KAFKA_DIR") ||
    { echo "test.sh: cannot start the Kafka cluster" >&2; exit 1; }
  MP_KAFKA_SASL_BOOTSTRAP=$(cat "$KAFKA_DIR/bootstrap-sasl")
  export MP_KAFKA_BOOTSTRAP MP_KAFKA_SASL_BOOTSTRAP MP_KAFKA_DIR=$KAFKA_DIR
fi

echo "== ctest (release)"
(cd build && ctest --output-on-failure -j "$JOBS") || fail=1
echo "== ctest (asan+ubsan)"
(cd build-asan && ctest --output-on-failure -j "$JOBS" -LE 'faults|browser') || fail=1

# Seed corpora: the real files of the target's format and the malformed
# set, cut into small pieces by tests/fuzz/seeds.sh (new inputs go to a
# scratch corpus). Inputs are capped at 64 KiB: enough for any real record,
# small enough for thousands of runs per second under ASan.
echo "== fuzz (${FUZZ_SECONDS}s per target)"
# fuzz_marcxml_fast is a differential target (fast MARCXML scanner against
# libxml2 alone); it runs like the others.
for fz in build-fuzz/fuzz_*; do
  [ -x "$fz" ] && [ -f "$fz" ] || continue
  name=$(basename "$fz")
  corpus=$(mktemp -d) seeds=$(mktemp -d)
  bash tests/fuzz/seeds.sh "$name" "$DATA" "$seeds" || fail=1
  args=(-max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=65536)
  if "$fz" "${args[@]}" "$corpus" "$seeds" >"build-fuzz/$name.log" 2>&1; then
    echo "$name: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "build-fuzz/$name.log" | tail -n1)s, no crash"
  else
    echo "$name: FAILED"; tail -n 40 "build-fuzz/$name.log"; fail=1
  fi
  rm -rf "$corpus" "$seeds"
done

if [ $fail -ne 0 ]; then echo "test.sh: FAILED"; exit 1; fi
echo "test.sh: all tests passed"
