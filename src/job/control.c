/* control.c: cancel, delete and resume of jobs (joblog.h).
 *
 * Each call is one transaction holding the job row FOR UPDATE, so a cancel
 * and a resume, or two deletes, cannot interleave; the producer's and the
 * sink's own locks on the row (complete.c) order them with running work.
 * "Running" = NEW, PRODUCING or IN_PROGRESS and not stalled (a live lease
 * of the process the job waits for, job_impl.h). Blocking libpq, text
 * parameters only. */
#include "job_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/joblog.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  mp_job_status_t status;
  bool running; /* running state and not stalled */
  bool stalled;
} state_t;

/* BEGIN, then lock the job row and read its state. */
static int lock_job(PGconn *c, int64_t job, const char *what, state_t *st,
                    char *errbuf, size_t errlen) {
  int rc = mp_pg_exec(c, "BEGIN", errbuf, errlen);
  if (rc)
    return rc;
  PGresult *r;
  rc = mp__job_query_id(c, "SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", job, NULL,
                        true, what, NULL, errbuf, errlen);
  if (!rc)
    rc = mp__job_query_id(c,
                          "SELECT j.status, " MP__JOB_STALLED_SQL
                          " FROM jobs j WHERE j.id = $1",
                          job, NULL, true, what, &r, errbuf, errlen);
  if (rc)
    return mp__job_rollback(c, rc);
  rc = mp_job_status_parse(PQgetvalue(r, 0, 0), &st->status);
  if (rc) {
    snprintf(errbuf, errlen, "%s: job %lld has an unknown status '%s'", what,
             (long long)job, PQgetvalue(r, 0, 0));
    PQclear(r);
    return mp__job_rollback(c, MP_EPG);
  }
  st->stalled = !strcmp(PQgetvalue(r, 0, 1), "t");
  st->running = !st->stalled && mp_job_status_running(st->status);
  PQclear(r);
  return 0;
}

static int commit(PGconn *c, int rc, char *errbuf, size_t errlen) {
  if (!rc)
    rc = mp_pg_exec(c, "COMMIT", errbuf, errlen);
  return rc ? mp__job_rollback(c, rc) : 0;
}

int mp_job_cancel(PGconn *c, int64_t job, mp_cancel_result_t *res, char *errbuf,
                  size_t errlen) {
  state_t st;
  int rc = lock_job(c, job, "cancelling a job", &st, errbuf, errlen);
  if (rc)
    return rc;
  if (mp_job_status_final(st.status)) {
    snprintf(errbuf, errlen, "job %lld is %s: nothing to cancel", (long long)job,
             mp_job_status_name(st.status));
    return mp__job_rollback(c, MP_EUSAGE);
  }
  /* nobody will finish it: cancelled now, with the counters it has */
  bool now = st.stalled || st.status == MP_JOB_NEW;
  rc = mp__job_query_id(c,
                        now ? "UPDATE jobs SET status = 'CANCELLED', completed_at = now(), "
                              "cancel_requested_at = coalesce(cancel_requested_at, now()) "
                              "WHERE id = $1"
                            : "UPDATE jobs SET cancel_requested_at = "
                              "coalesce(cancel_requested_at, now()) WHERE id = $1",
                        job, NULL, true, "cancelling a job", NULL, errbuf, errlen);
  /* a job whose total is already reached flips at once */
  if (!rc && !now)
    rc = mp__job_flip(c, job, NULL, errbuf, errlen);
  if ((rc = commit(c, rc, errbuf, errlen)))
    return rc;
  *res = now ? MP_CANCEL_DONE : MP_CANCEL_REQUESTED;
  return 0;
}

int mp_job_delete(PGconn *c, int64_t job, int64_t *rows, char *errbuf,
                  size_t errlen) {
  state_t st;
  int rc = lock_job(c, job, "deleting a job", &st, errbuf, errlen);
  if (rc)
    return rc;
  if (st.running) {
    snprintf(errbuf, errlen, "job %lld is %s: cancel it first (`marcpipe cancel %lld`)",
             (long long)job, mp_job_status_name(st.status), (long long)job);
    return mp__job_rollback(c, MP_EUSAGE);
  }
  static const char *const sql[] = {
      "DELETE FROM journal WHERE job_id = $1",
      "DELETE FROM source_records WHERE job_id = $1",
      "DELETE FROM job_progress WHERE job_id = $1",
      "DELETE FROM job_samples WHERE job_id = $1",
      "DELETE FROM jobs WHERE id = $1"};
  for (size_t i = 0; i < sizeof sql / sizeof *sql && !rc; i++) {
    PGresult *r;
    rc = mp__job_query_id(c, sql[i], job, NULL, false, "deleting a job", &r, errbuf,
                          errlen);
    if (!rc && i == 0 && rows)
      *rows = strtoll(PQcmdTuples(r), NULL, 10);
    if (!rc)
      PQclear(r);
  }
  return commit(c, rc, errbuf, errlen);
}

int mp_job_resume_prepare(PGconn *c, int64_t job, int64_t *skip, char *errbuf,
                          size_t errlen) {
  state_t st;
  int rc = lock_job(c, job, "resuming a job", &st, errbuf, errlen);
  if (rc)
    return rc;
  if (st.running || (st.status != MP_JOB_CANCELLED && !st.stalled)) {
    snprintf(errbuf, errlen,
             st.running ? "job %lld is %s and its processes are alive: "
                          "only a cancelled or stalled job can be resumed"
                        : "job %lld is %s: only a cancelled or stalled job can be resumed",
             (long long)job, mp_job_status_name(st.status));
    return mp__job_rollback(c, MP_EUSAGE);
  }
  /* the longest journaled prefix 1..n: the first seq whose successor is
   * missing, or 0 when seq 1 itself is missing */
  PGresult *r;
  rc = mp__job_query_id(c,
                        "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM journal"
                        "  WHERE job_id = $1 AND seq = 1) THEN 0"
                        " ELSE (SELECT min(a.seq) FROM journal a WHERE a.job_id = $1"
                        "  AND NOT EXISTS (SELECT 1 FROM journal b WHERE b.job_id = $1"
                        "   AND b.seq = a.seq + 1)) END",
                        job, NULL, false, "resuming a job", &r, errbuf, errlen);
  if (rc)
    return mp__job_rollback(c, rc);
  *skip = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)*skip);
  rc = mp__job_query_id(c,
                        "UPDATE jobs SET status = 'PRODUCING', total = NULL,"
                        " cancel_requested_at = NULL, completed_at = NULL,"
                        " failure_reason = NULL, produced = $2::bigint,"
                        " resumes = resumes + 1 WHERE id = $1",
                        job, v, true, "resuming a job", NULL, errbuf, errlen);
  return commit(c, rc, errbuf, errlen);
}

int mp_job_interrupt(PGconn *c, int64_t job, const char *reason, char *errbuf,
                     size_t errlen) {
  return mp__job_query_id(c,
                          "UPDATE jobs SET status = 'CANCELLED', failure_reason = $2,"
                          " completed_at = now(),"
                          " cancel_requested_at = coalesce(cancel_requested_at, now())"
                          " WHERE id = $1 AND status IN ('NEW', 'PRODUCING', 'IN_PROGRESS')",
                          job, reason ? reason : "interrupted", false,
                          "interrupting a job", NULL, errbuf, errlen);
}
