#!/usr/bin/env bash
# import_malformed.sh: every record of every malformed ISO 2709 file is
# accounted for. All ISO 2709 files of malformed/ are imported in one run
# (one job each, same workers) under a timeout (a stuck job fails the
# test). For each job: created + updated + duplicates + skipped + errors ==
# total == what the reader counts (records + rejected from `marcpipe dump
# --count`), the job reached a final state (COMPLETED_WITH_ERRORS exactly
# when errors > 0), errors >= the reader's rejected count (a record the
# reader accepts may still be refused: too large for Kafka, or no title for
# the mapping), no worker crashed, and one journal row per seq.
. "$(dirname "$0")/lib/import_lib.bash"
: "${MP_TEST_DATA:?}"
it_setup it_malformed
files=()
for f in "$MP_TEST_DATA"/malformed/*; do
  case $f in *.xml|*.json) ;; *) files+=("$f") ;; esac
done
"$MARCPIPE" dump --count "${files[@]}" >"$TMP/count.txt" 2>/dev/null || true
IT_TIMEOUT=85 it_import "${files[@]}"
[ "$IT_RC" -le 1 ] || it_fail "import exit $IT_RC"
it_sql "SELECT job_id, count(*), count(DISTINCT seq), coalesce(min(seq), 0),
               coalesce(max(seq), 0)
        FROM ${T}_marcpipe.journal GROUP BY job_id" >"$TMP/journal.txt"
python3 - "$TMP" "${#files[@]}" <<'PY'
import json, re, sys
tmp, nfiles = sys.argv[1], int(sys.argv[2])
reader = {}
for line in open(f"{tmp}/count.txt"):
    m = re.match(r"(.*): (\d+) records, (\d+) rejected", line)
    if m: reader[m[1]] = (int(m[2]), int(m[3]))
journal = {}
for line in open(f"{tmp}/journal.txt"):
    j, n, d, lo, hi = map(int, line.split("\t"))
    journal[j] = (n, d, lo, hi)
bad, jobs, total_all = [], 0, 0
for line in open(f"{tmp}/out.json"):
    if not line.startswith("{"): continue
    s = json.loads(line); jobs += 1
    name = s["file"].rsplit("/", 1)[-1]
    recs, rej = reader.get(s["file"], (-1, -1))
    total = s["records"]; total_all += total
    outcomes = sum(s[k] for k in ("created", "updated", "duplicates", "skipped", "errors"))
    want_status = "COMPLETED_WITH_ERRORS" if s["errors"] else "COMPLETED"
    want_journal = (total, total, 1, total) if total else None
    print(f"{name}: total {total} (reader {recs}+{rej}) outcomes {outcomes} "
          f"errors {s['errors']} {s['status']}")
    if total != recs + rej: bad.append(f"{name}: total {total} != reader {recs}+{rej}")
    if outcomes != total: bad.append(f"{name}: outcomes {outcomes} != total {total}")
    if s["errors"] < rej: bad.append(f"{name}: errors {s['errors']} < rejected {rej}")
    if s["status"] != want_status: bad.append(f"{name}: status {s['status']}, want {want_status}")
    if journal.get(s["job"]) != want_journal:
        bad.append(f"{name}: journal {journal.get(s['job'])}, want {want_journal}")
    if s["worker_restarts"]: bad.append(f"{name}: {s['worker_restarts']} worker crashes")
if jobs != nfiles: bad.append(f"{nfiles} files but {jobs} job summaries")
print(f"import_malformed: {jobs} jobs, {total_all} records accounted for")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
