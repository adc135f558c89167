#!/usr/bin/env bash
# import_families.sh: `marcpipe import` of every sound file of the real data
# set (ISO 2709, MARCXML, MARC-in-JSON) in one run (one job per file, same
# workers). For each job, from PostgreSQL and from the --json summary:
#   total == the record count SOURCES.md gives for the file,
#   created + updated + duplicates + skipped + errors == total,
#   exactly one journal row per seq 1..total, job COMPLETED.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_families
SRC="$MP_TEST_DATA/SOURCES.md"
out=$(mktemp); trap 'rm -f "$out"' EXIT

files=()
for d in iso2709 marcxml json; do
  for f in "$MP_TEST_DATA/$d"/*; do files+=("$f"); done
done

"$MARCPIPE" import -q --json --tenant "$T" \
  "${files[@]}" >"$out" || true

expected() { # rel path -> record count from SOURCES.md
  awk -F'|' -v f="\`$1\`" '{g=$2; gsub(/^ +| +$/,"",g)} g==f {c=$4; gsub(/ /,"",c); print c; exit}' "$SRC"
}

fail=0; njobs=0; nrec=0
while IFS= read -r line; do
  case $line in \{*) ;; *) continue ;; esac
  read -r job file status total created updated dups skipped errors < <(
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["job"], d["file"], d["status"], d["records"], d["created"], d["updated"], d["duplicates"], d["skipped"], d["errors"])' "$line")
  rel=${file#"$MP_TEST_DATA/"}
  want=$(expected "$rel")
  journal=$(psql -XAtq -c "SELECT count(*), count(DISTINCT seq), coalesce(min(seq),0), coalesce(max(seq),0) FROM ${T}_marcpipe.journal WHERE job_id=$job")
  sum=$((created + updated + dups + skipped + errors))
  njobs=$((njobs + 1)); nrec=$((nrec + total))
  if [ "$total" != "$want" ] || [ "$sum" != "$total" ] || [ "$status" != COMPLETED ] ||
     [ "$journal" != "$total|$total|$([ "$total" -gt 0 ] && echo 1 || echo 0)|$total" ]; then
    echo "FAIL $rel: status $status total $total (SOURCES.md $want) outcomes $sum journal $journal"
    fail=1
  fi
done <"$out"

if [ "$njobs" -ne "${#files[@]}" ]; then
  echo "FAIL: ${#files[@]} files but $njobs job summaries"; fail=1
fi
echo "import_families: $njobs jobs, $nrec records accounted for"
exit $fail
