/* job.c: creating and advancing jobs (see job.h for the lifecycle).
 * Each call is its own transaction on a blocking libpq connection whose
 * search_path is the tenant schema; statements use text parameters, except
 * raw record bytes, which go as binary bytea parameters. */
#include "job_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/profile.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mp__job_query(PGconn *c, const char *sql, int n, const char *const *params,
                  const char *what, PGresult **res, char *errbuf, size_t errlen) {
  PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
    *res = r;
    return 0;
  }
  int rc = mp_pg_fail(c, r, what, errbuf, errlen);
  PQclear(r);
  *res = NULL;
  return rc;
}

int mp__job_rollback(PGconn *c, int rc) {
  if (PQtransactionStatus(c) != PQTRANS_IDLE) {
    PGresult *r = PQexec(c, "ROLLBACK");
    PQclear(r);
  }
  return rc;
}

int mp__job_query_id(PGconn *c, const char *sql, int64_t id, const char *arg,
                     bool require_row, const char *what, PGresult **res,
                     char *errbuf, size_t errlen) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", (long long)id);
  const char *p[2] = {ids, arg};
  PGresult *r;
  int rc = mp__job_query(c, sql, arg ? 2 : 1, p, what, &r, errbuf, errlen);
  if (rc)
    return rc;
  if (require_row && !strcmp(PQcmdTuples(r), "0")) {
    snprintf(errbuf, errlen, "%s: job %lld not found", what, (long long)id);
    rc = MP_ENOTFOUND;
  }
  if (rc || !res)
    PQclear(r);
  else
    *res = r;
  return rc;
}

static int exec_id(PGconn *c, const char *sql, int64_t id, const char *arg,
                   bool require_row, const char *what, char *errbuf, size_t errlen) {
  return mp__job_query_id(c, sql, id, arg, require_row, what, NULL, errbuf, errlen);
}

int mp_job_create(PGconn *c, const mp_job_spec_t *spec, int64_t *id,
                  char *errbuf, size_t errlen) {
  const char *p[4] = {spec->file_name, spec->file_format, spec->topic, spec->profile};
  mp_profile_t prof;
  int rc = mp_profile_parse(spec->profile, &prof, errbuf, errlen);
  if (rc)
    return rc;
  PGresult *r;
  rc = mp__job_query(c,
                         "INSERT INTO jobs (file_name, file_format, topic, profile) "
                         "VALUES ($1, $2, $3, $4::jsonb) RETURNING id",
                         4, p, "creating a job", &r, errbuf, errlen);
  if (rc)
    return rc;
  *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return 0;
}

int mp_job_set_status(PGconn *c, int64_t id, mp_job_status_t st,
                      char *errbuf, size_t errlen) {
  const char *status = mp_job_status_name(st);
  if (!mp_job_status_running(st)) {
    snprintf(errbuf, errlen, "job status '%s' cannot be set directly", status);
    return MP_EUSAGE;
  }
  return exec_id(c,
                 "UPDATE jobs SET status = CASE WHEN status IN "
                 "('COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED') THEN status "
                 "ELSE $2 END, started_at = CASE WHEN $2 = 'PRODUCING' "
                 "THEN coalesce(started_at, now()) ELSE started_at END "
                 "WHERE id = $1",
                 id, status, true, "setting job status", errbuf, errlen);
}

int mp_job_set_produced(PGconn *c, int64_t id, int64_t produced, char *errbuf,
                        size_t errlen) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)produced);
  return exec_id(c, "UPDATE jobs SET produced = greatest(produced, $2::bigint) WHERE id = $1",
                 id, v, true, "recording produced records", errbuf, errlen);
}

int mp_job_fail(PGconn *c, int64_t id, const char *reason, char *errbuf,
                size_t errlen) {
  int rc = exec_id(c, "SELECT 1 FROM jobs WHERE id = $1", id, NULL, true,
                   "failing a job", errbuf, errlen);
  if (rc)
    return rc;
  rc = exec_id(c, "UPDATE jobs SET status = 'FAILED', failure_reason = $2, "
                  "completed_at = now() WHERE id = $1 AND status NOT IN "
                  "('COMPLETED', 'COMPLETED_WITH_ERRORS')",
               id, reason ? reason : "", false, "failing a job", errbuf, errlen);
  return rc;
}

int mp_job_reject(PGconn *c, int64_t id, const mp_job_reject_t *recs, size_t n,
                  size_t *inserted, char *errbuf, size_t errlen) {
  size_t ins = 0;
  if (inserted)
    *inserted = 0;
  int rc = mp_pg_exec(c, "BEGIN", errbuf, errlen);
  if (rc)
    return rc;
  static const char sql[] =
      "INSERT INTO journal (job_id, seq, partition, outcome, error_class, reason, "
      "file_offset, raw) VALUES ($1, $2, -1, 'ERROR', $3, $4, $5, $6) "
      "ON CONFLICT (job_id, seq) DO NOTHING";
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", (long long)id);
  for (size_t i = 0; i < n; i++) {
    char seq[24], off[24];
    snprintf(seq, sizeof seq, "%lld", (long long)recs[i].seq);
    snprintf(off, sizeof off, "%lld", (long long)recs[i].file_offset);
    const char *p[6] = {ids, seq, recs[i].error_class, recs[i].reason,
                        recs[i].file_offset >= 0 ? off : NULL,
                        recs[i].raw ? recs[i].raw : ""};
    int lens[6] = {0, 0, 0, 0, 0, (int)recs[i].raw_len};
    int fmts[6] = {0, 0, 0, 0, 0, 1};
    if (!recs[i].raw)
      p[5] = NULL;
    PGresult *r = PQexecParams(c, sql, 6, NULL, p, lens, fmts, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = mp_pg_fail(c, r, "journaling a rejected record", errbuf, errlen);
    else
      ins += strtoul(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (rc)
      return mp__job_rollback(c, rc);
  }
  char cnt[24];
  snprintf(cnt, sizeof cnt, "%zu", ins);
  const char *p[2] = {ids, cnt};
  PGresult *r;
  rc = mp__job_query(c,
                     "INSERT INTO job_progress AS p (job_id, partition, processed, errors) "
                     "VALUES ($1, -1, $2, $2) ON CONFLICT (job_id, partition) DO UPDATE "
                     "SET processed = p.processed + EXCLUDED.processed, "
                     "errors = p.errors + EXCLUDED.errors, updated_at = now()",
                     2, p, "counting rejected records", &r, errbuf, errlen);
  if (rc)
    return mp__job_rollback(c, rc);
  PQclear(r);
  int nflip = 0;
  if ((rc = mp__job_complete_locked(c, &id, 1, NULL, 0, &nflip, errbuf, errlen)))
    return mp__job_rollback(c, rc);
  if ((rc = mp_pg_exec(c, "COMMIT", errbuf, errlen)))
    return mp__job_rollback(c, rc);
  if (inserted)
    *inserted = ins;
  return 0;
}

int mp_job_set_total(PGconn *c, int64_t id, int64_t total, bool *completed,
                     char *errbuf, size_t errlen) {
  if (completed)
    *completed = false;
  int rc = mp_pg_exec(c, "BEGIN", errbuf, errlen);
  if (rc)
    return rc;
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)total);
  /* FOR UPDATE conflicts with the writers' key-share locks: see complete.c */
  rc = exec_id(c, "SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", id, NULL, true,
               "setting the job total", errbuf, errlen);
  if (!rc)
    rc = exec_id(c,
               "UPDATE jobs SET total = $2::bigint, status = CASE WHEN status IN "
               "('NEW', 'PRODUCING') THEN 'IN_PROGRESS' ELSE status END, "
               "started_at = coalesce(started_at, now()) WHERE id = $1",
               id, v, true, "setting the job total", errbuf, errlen);
  if (!rc)
    rc = mp__job_flip(c, id, completed, errbuf, errlen);
  if (!rc)
    rc = mp_pg_exec(c, "COMMIT", errbuf, errlen);
  if (rc && completed)
    *completed = false;
  return rc ? mp__job_rollback(c, rc) : 0;
}

int mp_job_check_complete(PGconn *c, int64_t id, bool *completed,
                          char *errbuf, size_t errlen) {
  if (completed)
    *completed = false;
  int rc = mp_pg_exec(c, "BEGIN", errbuf, errlen);
  if (rc)
    return rc;
  int nflip = 0;
  rc = mp__job_complete_locked(c, &id, 1, NULL, 0, &nflip, errbuf, errlen);
  if (!rc)
    rc = mp_pg_exec(c, "COMMIT", errbuf, errlen);
  if (rc)
    return mp__job_rollback(c, rc);
  if (completed)
    *completed = nflip > 0;
  return 0;
}

int mp_job_processed(PGconn *c, int64_t id, int64_t *processed, char *errbuf,
                     size_t errlen) {
  PGresult *r;
  int rc = mp__job_query_id(c,
                            "SELECT (SELECT coalesce(sum(processed), 0) FROM job_progress "
                            "WHERE job_id = $1) FROM jobs WHERE id = $1",
                            id, NULL, true, "reading job progress", &r, errbuf, errlen);
  if (rc)
    return rc;
  *processed = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return 0;
}
