/* warnings.c: the reader's warnings of a job, counted by kind and written
 * to job_warnings in batches (see job_warnings.h). */
#include "marcpipe/job_warnings.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define COLS 7

void mp_job_warnings_init(mp_job_warnings_t *w, PGconn *conn, int64_t job) {
  memset(w, 0, sizeof *w);
  w->conn = conn;
  w->job = job;
}

static void count(mp_job_warnings_t *w, int code) {
  size_t i = 0;
  while (i < w->nkinds && w->kinds[i].code != code)
    i++;
  if (i == w->nkinds) {
    if (w->nkinds == MP_JOB_WARNINGS_KINDS)
      i = MP_JOB_WARNINGS_KINDS - 1; /* more kinds than slots: the last */
    else
      w->kinds[w->nkinds++].code = code;
  }
  w->kinds[i].count++;
  w->total++;
}

void mp_job_warnings_add(mp_job_warnings_t *w, const mp_marc_diag_t *d) {
  count(w, d->code);
  if (d->recno != w->last_recno) {
    w->last_recno = d->recno;
    w->next_ord = 0;
  }
  w->buf[w->n] = *d;
  w->ord[w->n] = w->next_ord++;
  if (++w->n == MP_JOB_WARNINGS_BATCH)
    mp_job_warnings_flush(w);
}

int mp_job_warnings_flush(mp_job_warnings_t *w) {
  if (w->n == 0 || !w->conn)
    return w->rc;
  static char nums[MP_JOB_WARNINGS_BATCH][4][24];
  const char *vals[MP_JOB_WARNINGS_BATCH * COLS];
  char sql[MP_JOB_WARNINGS_BATCH * 48 + 256];
  size_t len = (size_t)snprintf(sql, sizeof sql,
                                "INSERT INTO job_warnings (job_id, recno, "
                                "ordinal, file_offset, kind, tag, message) "
                                "VALUES ");
  for (size_t i = 0; i < w->n; i++) {
    const mp_marc_diag_t *d = &w->buf[i];
    snprintf(nums[i][0], 24, "%" PRId64, w->job);
    snprintf(nums[i][1], 24, "%" PRIu64, d->recno);
    snprintf(nums[i][2], 24, "%" PRIu32, w->ord[i]);
    snprintf(nums[i][3], 24, "%" PRIu64, d->offset);
    const char **v = &vals[i * COLS];
    v[0] = nums[i][0];
    v[1] = nums[i][1];
    v[2] = nums[i][2];
    v[3] = nums[i][3];
    v[4] = mp_err_name(d->code);
    v[5] = d->tag[0] ? d->tag : NULL;
    v[6] = d->msg;
    size_t p = i * COLS;
    len += (size_t)snprintf(sql + len, sizeof sql - len,
                            "%s($%zu,$%zu,$%zu,$%zu,$%zu,$%zu,$%zu)",
                            i ? "," : "", p + 1, p + 2, p + 3, p + 4, p + 5,
                            p + 6, p + 7);
  }
  snprintf(sql + len, sizeof sql - len, " ON CONFLICT DO NOTHING");
  PGresult *r = PQexecParams(w->conn, sql, (int)(w->n * COLS), NULL, vals,
                             NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK && !w->rc) {
    snprintf(w->err, sizeof w->err, "job %" PRId64 ": writing reader "
             "warnings: %s", w->job, PQerrorMessage(w->conn));
    w->rc = MP_EPG;
  }
  PQclear(r);
  w->n = 0;
  return w->rc;
}
