#!/usr/bin/env bash
# import.sh: the main job in one command, on a fresh Debian 12 machine.
#   scripts/import.sh [FILE] [-- extra `marcpipe import` options]
# Installs what is missing, builds marcpipe (release), and imports FILE
# (default: the 2,000-record UVA catalogue sample in tests/data/marc) with the embedded Kafka broker and the managed local
# PostgreSQL, which keeps running afterwards so the job can be inspected:
#   build/marcpipe status JOB ; build/marcpipe jobs ; build/marcpipe db stop
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

FILE=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then FILE=$1; shift; fi
[ "${1:-}" = "--" ] && shift
if [ -z "$FILE" ]; then
  FILE=$ROOT/tests/data/marc/iso2709/solrmarc--uva_001_2000.mrc
fi
[ -r "$FILE" ] || { echo "import.sh: cannot read $FILE" >&2; exit 1; }

bash scripts/deps.sh
if [ ! -x build/marcpipe ] || [ -n "$(find src include schemas CMakeLists.txt -newer build/marcpipe -print -quit)" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build marcpipe >/dev/null
fi
exec build/marcpipe import "$@" "$FILE"
