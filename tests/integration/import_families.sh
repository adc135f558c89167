#!/usr/bin/env bash
# import_families.sh: `marcpipe import` of every sound file of the real data
# set (ISO 2709, MARCXML, MARC-in-JSON) in one run (one job per file, same
# workers). For each job, from the --json summary and from PostgreSQL:
#   total == the record count SOURCES.md gives for the file,
#   created + updated + duplicates + skipped + errors == total,
#   exactly one journal row per seq 1..total, job COMPLETED,
#   no record of a sound file is an error unless `marcpipe map` refuses it
#   too (FOLIO's rules make no Instance of a record without 008 and 336),
#   the journal's holdings and authority records are those `marcpipe map`
#   finds in the file, and there is one Holdings / Authority row per
#   distinct record.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_families
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
out=$W/out journal=$W/journal fams=$W/fams mapped=$W/mapped

files=()
for d in iso2709 marcxml json; do
  for f in "$MP_TEST_DATA/$d"/*; do files+=("$f"); done
done

"$MARCPIPE" import -q --json --tenant "$T" "${files[@]}" >"$out" 2>/dev/null || true

psql -XAtq -F ' ' -c "SELECT job_id, count(*), count(DISTINCT seq), min(seq), max(seq)
                      FROM ${T}_marcpipe.journal GROUP BY job_id" >"$journal"

psql -XAtq -F ' ' -c "SELECT j.job_id, coalesce(family, '-'), count(*)
                      FROM ${T}_marcpipe.journal j GROUP BY 1, 2" >"$fams"
# the families `marcpipe map` gives each file ("file family count") and the
# records it refuses ("file failed count")
for f in "${files[@]}"; do
  { "$MARCPIPE" map "$f" 2>"$mapped.err" || true; } | jq -r .family | sort | uniq -c |
    while read -r n fam; do echo "$f $fam $n"; done
  echo "$f failed $(tail -1 "$mapped.err" | sed -E 's/.* ([0-9]+) failed$/\1/')"
done >"$mapped"; rm -f "$mapped.err"
rows=$(psql -XAtq -c "SELECT (SELECT count(*) FROM ${T}_marcpipe.holdings) || ' ' ||
                             (SELECT count(*) FROM ${T}_marcpipe.authorities) || ' ' ||
                             (SELECT count(DISTINCT match_key) FROM ${T}_marcpipe.journal
                               WHERE family = 'holdings') || ' ' ||
                             (SELECT count(DISTINCT record_id) FROM ${T}_marcpipe.journal
                               WHERE family = 'authority')")

python3 - "$MP_TEST_DATA" "$out" "$journal" "${#files[@]}" "$fams" "$mapped" "$rows" <<'PY'
import json, sys
data, out, journal, nfiles = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fams, mapped = {}, {}
for line in open(sys.argv[5]):
    j, fam, n = line.split()
    fams.setdefault(int(j), {})[fam] = int(n)
for line in open(sys.argv[6]):
    f, fam, n = line.rsplit(" ", 2)
    mapped.setdefault(f, {})[fam] = int(n)
nh, na, dh, da = map(int, sys.argv[7].split())
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
    if s["status"] != ("COMPLETED_WITH_ERRORS" if s["errors"] else "COMPLETED"):
        problems.append(f"status {s['status']}")
    refused = mapped.get(s["file"], {}).get("failed", 0)
    if s["errors"] > refused: problems.append(f"{s['errors']} errors, map refuses {refused}")
    if jr.get(s["job"]) != want_j: problems.append(f"journal {jr.get(s['job'])}")
    nonbib = lambda d: {k: v for k, v in d.items() if k in ("holdings", "authority")}
    got, want = nonbib(fams.get(s["job"], {})), nonbib(mapped.get(s["file"], {}))
    if got != want: problems.append(f"holdings/authority {got}, map {want}")
    if problems:
        fail = 1
        print(f"FAIL {rel}: " + "; ".join(problems))
if (nh, na) != (dh, da) or nh == 0 or na == 0:
    fail = 1
    print(f"FAIL: {nh} holdings rows for {dh} holdings records, {na} authority rows for {da}")
if jobs != nfiles:
    fail = 1
    print(f"FAIL: {nfiles} files but {jobs} job summaries")
print(f"import_families: {jobs} jobs, {records} records accounted for, {nh} holdings, {na} authorities")
sys.exit(fail)
PY
