#!/usr/bin/env bash
# import_memory.sh: worker memory is bounded by configuration, not by the
# input. The same import (-w 1, --window 500, --window-bytes 2M, --batch
# 200, librdkafka prefetch queue 1 MiB) of 4,000 and of 16,000 generated
# records: both jobs COMPLETED with exact counts, and the worker's
# peak_rss_kb for 16,000 is within 30% of that for 4,000 (4x the input; a
# bound proportional to the input would be +300%. Measured +9% to +17%:
# not yet flat, see bench/README.md;
# bench/ measures precisely. Both bounds must be reached by the smaller
# input, or the comparison measures how far an unfilled bound filled: the
# worker's default prefetch queue (half the byte window, at least 16 MiB)
# is larger than the 4,000-record file, so it is set here with -X. Each
# size runs
# in its own tenant so the second import does not find the first's records.
# Embedded broker only (IT_EMBEDDED): on the real cluster the same imports
# measured 20,136 -> 30,096 kB (+49%), to be understood before it is bounded
# there (bench/README.md).
IT_EMBEDDED=1
. "$(dirname "$0")/lib/import_lib.bash"
# ldd's whole output first: under pipefail, grep -q leaving early fails the
# pipeline by ldd's SIGPIPE, and a sanitizer build was measured (seen in CI)
if [[ $(ldd "$MARCPIPE" 2>/dev/null) == *libasan* ]]; then
  echo "import_memory: sanitizer build, RSS is not meaningful: not measured"
  exit 0
fi
it_setup it_mem_a
T2=it_mem_b
psql -XAtq -c "DROP SCHEMA IF EXISTS ${T2}_marcpipe CASCADE" >/dev/null 2>&1 || true
"$MARCPIPE" gen --records 16000 --seed 11 -q -o "$TMP/g16k.mrc"
"$MARCPIPE" gen --records 4000 --seed 11 -q -o "$TMP/g4k.mrc"
peak=()
for run in "4000 $T g4k" "16000 $T2 g16k"; do
  read -r n T f <<<"$run"
  IT_TIMEOUT=85 it_import -w 1 --window 500 --window-bytes 2M --batch 200 \
    -X queued.max.messages.kbytes=1024 -X fetch.max.bytes=1048576 "$TMP/$f.mrc"
  [ "$IT_RC" = 0 ] || it_fail "import of $n records: exit $IT_RC"
  rows=$(it_sql "SELECT count(*) FROM ${T}_marcpipe.instances")
  [ "$rows" = "$n" ] || it_fail "$n records: $rows instances"
  peak+=("$(python3 - "$TMP/out.json" "$n" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
n = int(sys.argv[2])
assert s["status"] == "COMPLETED" and s["records"] == n and s["created"] == n, s["status"]
w = s["workers"][0]
assert w["max_records_held"] <= 500, w["max_records_held"]
print(w["peak_rss_kb"])
PY
)") || it_fail "summary of $n records"
done
echo "worker peak RSS: 4k ${peak[0]} kB, 16k ${peak[1]} kB"
python3 -c "
import sys; a, b = int(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if a > 0 and b <= a * 1.30 else 1)" "${peak[0]}" "${peak[1]}" ||
  it_fail "peak RSS grew from ${peak[0]} kB to ${peak[1]} kB"
psql -XAtq -c "DROP SCHEMA IF EXISTS ${T2}_marcpipe CASCADE" >/dev/null 2>&1 || true
