#!/usr/bin/env bash
# import_families.sh: `marcpipe import` of every sound file of the real data
# set (ISO 2709, MARCXML, MARC-in-JSON) in one run (one job per file, same
# workers). For each job, from the --json summary and from PostgreSQL:
#   total == the record count SOURCES.md gives for the file,
#   created + updated + duplicates + skipped + errors == total,
#   exactly one journal row per seq 1..total, job COMPLETED,
#   and no record of a sound file is an error.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_families
out=$(mktemp); journal=$(mktemp); trap 'rm -f "$out" "$journal"' EXIT

files=()
for d in iso2709 marcxml json; do
  for f in "$MP_TEST_DATA/$d"/*; do files+=("$f"); done
done
psql -XAtq -c "DROP SCHEMA IF EXISTS ${T}_marcpipe CASCADE" 2>/dev/null || true

"$MARCPIPE" import -q --json --tenant "$T" "${files[@]}" >"$out" 2>/dev/null || true

psql -XAtq -F ' ' -c "SELECT job_id, count(*), count(DISTINCT seq), min(seq), max(seq)
                      FROM ${T}_marcpipe.journal GROUP BY job_id" >"$journal"

python3 - "$MP_TEST_DATA" "$out" "$journal" "${#files[@]}" <<'PY'
import json, sys
data, out, journal, nfiles = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
counts = {}
for line in open(f"{data}/SOURCES.md", encoding="utf-8"):
    cols = [c.strip() for c in line.split("|")]
    if len(cols) > 4 and cols[1].startswith("`") and cols[3].isdigit():
        counts[cols[1].strip("`")] = int(cols[3])
jr = {}
for line in open(journal):
    j, n, d, lo, hi = map(int, line.split())
    jr[j] = (n, d, lo, hi)
fail, jobs, records = 0, 0, 0
for line in open(out):
    if not line.startswith("{"):
        continue
    s = json.loads(line)
    jobs += 1
    rel = s["file"][len(data) + 1:]
    total = s["records"]
    records += total
    outcomes = sum(s[k] for k in ("created", "updated", "duplicates", "skipped", "errors"))
    want_j = (total, total, 1, total) if total else None
    problems = []
    if counts.get(rel) != total: problems.append(f"total {total}, SOURCES.md {counts.get(rel)}")
    if outcomes != total: problems.append(f"outcomes {outcomes}")
    if s["status"] != "COMPLETED": problems.append(f"status {s['status']}")
    if s["errors"]: problems.append(f"{s['errors']} errors")
    if jr.get(s["job"]) != want_j: problems.append(f"journal {jr.get(s['job'])}")
    if problems:
        fail = 1
        print(f"FAIL {rel}: " + "; ".join(problems))
if jobs != nfiles:
    fail = 1
    print(f"FAIL: {nfiles} files but {jobs} job summaries")
print(f"import_families: {jobs} jobs, {records} records accounted for")
sys.exit(fail)
PY
