# verdict.bash: THE exactly-once verdict of the record pipeline, used by
# the fault scenarios (fl_check) and the import integration tests
# (it_verdict). Sourced after prelude.bash and db.bash (tl_tenant: a fresh
# tenant, so every Instance comes from this test's jobs).
#
# tl_verdict [-q] [-c CREATED] RUNS SENT JOB [ERRORS]
#   SENT = the records of the input file, ERRORS = the error outcomes
#   expected (default 0), CREATED = the CREATED outcomes expected (default:
#   not checked), RUNS = faults injected (kills, restarts, re-reads), for
#   the line. Prints one line (not with -q: an intermediate check)
#     scenario NAME: runs R, records sent S, stored T, lost L, duplicated D
#   and fails unless all of these hold:
#   - lost = 0: every seq 1..SENT of JOB has its journal row
#   - duplicated = 0, the sum of: journal rows outside 1..SENT, the
#     difference between the processed counter and the journal rows,
#     source records stored twice, and versions of Instances beyond one
#     per CREATED or UPDATED outcome (an Instance applied twice)
#   - the job is COMPLETED (COMPLETED_WITH_ERRORS when ERRORS > 0), total SENT
#   - each outcome counter of the job equals its journal rows, and
#     created + updated + duplicates + skipped + errors = SENT
#   - ERRORS error outcomes (and CREATED created ones with -c)
#   - one source record per journal row but errors and profile skips
#     (error_class matched / no-match: the sink stores no source for them)
#   - the tenant holds one Instance per CREATED outcome, no more
tl_verdict() {
  local quiet=0 want_created=
  while :; do
    case $1 in
      -q) quiet=1; shift ;;
      -c) want_created=$2; shift 2 ;;
      *) break ;;
    esac
  done
  local runs=$1 sent=$2 job=$3 want_err=${4:-0}
  local row
  row=$(tl_q "select
      (select status from jobs where id = $job),
      (select coalesce(total, -1) from jobs where id = $job),
      (select count(*) from journal where job_id = $job),
      (select count(distinct seq) from journal where job_id = $job and seq between 1 and $sent),
      (select coalesce(sum(processed), 0) from job_progress where job_id = $job),
      (select count(*) - count(distinct seq) from source_records where job_id = $job),
      (select count(*) from source_records where job_id = $job),
      (select count(*) from journal where job_id = $job and outcome <> 'ERROR'
         and coalesce(error_class, '') not in ('matched', 'no-match')),
      (select coalesce(sum(created), 0) || ' ' || coalesce(sum(updated), 0) || ' ' ||
              coalesce(sum(duplicates), 0) || ' ' || coalesce(sum(skipped), 0) || ' ' ||
              coalesce(sum(errors), 0) from job_progress where job_id = $job),
      (select count(*) filter (where outcome = 'CREATED') || ' ' ||
              count(*) filter (where outcome = 'UPDATED') || ' ' ||
              count(*) filter (where outcome = 'DUPLICATE') || ' ' ||
              count(*) filter (where outcome = 'SKIPPED') || ' ' ||
              count(*) filter (where outcome = 'ERROR') from journal where job_id = $job),
      (select count(*) from instances),
      (select coalesce(sum(version), 0) from instances),
      (select count(*) filter (where outcome = 'CREATED' and instance_id is not null) || ' ' ||
              count(*) filter (where outcome in ('CREATED', 'UPDATED') and instance_id is not null)
         from journal)") || fail "verdict query for job $job"
  local st total journal inrange progress dupsrc src want_src ctr jnl inst versions tenant
  IFS='|' read -r st total journal inrange progress dupsrc src want_src ctr jnl inst versions tenant <<<"$row"
  local c=($ctr) j=($jnl) t=($tenant)
  local lost=$((sent - inrange))
  local d1=$((journal - inrange)) d2=$((progress - journal)) d3=$((versions - t[1]))
  local dup=$((${d1#-} + ${d2#-} + dupsrc + ${d3#-}))
  [ $quiet -eq 1 ] ||
    echo "scenario $TL_NAME: runs $runs, records sent $sent, stored $journal, lost $lost, duplicated $dup"
  local why=""
  [ "$lost" -eq 0 ] || why+=" lost=$lost"
  [ "$dup" -eq 0 ] || why+=" duplicated=$dup (outside 1..$sent $d1, counter-journal $d2, source twice $dupsrc, versions-changes $d3)"
  [ "$total" -eq "$sent" ] || why+=" total=$total"
  local want_st=COMPLETED
  [ "$want_err" -gt 0 ] && want_st=COMPLETED_WITH_ERRORS
  [ "$st" = "$want_st" ] || why+=" status=$st"
  local i names=(created updated duplicates skipped errors)
  for i in 0 1 2 3 4; do
    [ "${c[$i]}" -eq "${j[$i]}" ] || why+=" ${names[$i]}=${c[$i]}/journal=${j[$i]}"
  done
  local sum=$((c[0] + c[1] + c[2] + c[3] + c[4]))
  [ "$sum" -eq "$sent" ] || why+=" outcomes=$sum"
  [ "${j[4]}" -eq "$want_err" ] || why+=" errors=${j[4]} (want $want_err)"
  [ -z "$want_created" ] || [ "${j[0]}" -eq "$want_created" ] || why+=" created=${j[0]} (want $want_created)"
  [ "$src" -eq "$want_src" ] || why+=" source_records=$src (want $want_src)"
  [ "$inst" -eq "${t[0]}" ] || why+=" instances=$inst/created=${t[0]}"
  [ -z "$why" ] || fail "job $job:$why"
}
