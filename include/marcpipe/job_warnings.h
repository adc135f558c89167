/* job_warnings.h: the reader's warnings of a job (what it repaired), kept
 * in the job_warnings table (schemas/sql/008_job_warnings.sql) and counted
 * by kind for the job's summary.
 *
 * A collector buffers warnings as the reader raises them and writes them
 * in multi-row INSERTs of up to MP_JOB_WARNINGS_BATCH rows (ON CONFLICT DO
 * NOTHING: reading the same file again adds nothing). Blocking calls on
 * the caller's connection, which must not be inside another transaction;
 * one thread. The counts are of every warning added, whether or not its
 * row could be written (a write error is kept in err and returned by
 * mp_job_warnings_flush, and later rows are still counted).
 */
#ifndef MARCPIPE_JOB_WARNINGS_H
#define MARCPIPE_JOB_WARNINGS_H

#include "marcpipe/marc.h"

#include <libpq-fe.h>
#include <stdint.h>

#define MP_JOB_WARNINGS_BATCH 200
#define MP_JOB_WARNINGS_KINDS 32

typedef struct mp_job_warnings_s {
  PGconn *conn; /* not owned */
  int64_t job;
  mp_marc_diag_t buf[MP_JOB_WARNINGS_BATCH];
  uint32_t ord[MP_JOB_WARNINGS_BATCH];
  size_t n;
  uint64_t last_recno;
  uint32_t next_ord;
  struct {
    int code;
    uint64_t count;
  } kinds[MP_JOB_WARNINGS_KINDS]; /* the last slot also takes any overflow */
  size_t nkinds;
  uint64_t total;
  int rc;
  char err[256];
} mp_job_warnings_t;

void mp_job_warnings_init(mp_job_warnings_t *w, PGconn *conn, int64_t job);
/* Count d (a warning) and buffer its row; writes the buffer when full. */
void mp_job_warnings_add(mp_job_warnings_t *w, const mp_marc_diag_t *d);
/* Write what is buffered. 0, or the first write error (w->err says it). */
int mp_job_warnings_flush(mp_job_warnings_t *w);

#endif
