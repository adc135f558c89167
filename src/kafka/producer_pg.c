/* producer_pg.c: the producer's job operations over PostgreSQL (job.h).
 *
 * Runs on the libuv thread pool, one call at a time (producer.h), on a
 * blocking connection owned by the caller. Each call is its own
 * transaction; mp_job_reject is idempotent by (job, seq), so a batch that
 * failed is simply sent again.
 */
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/producer.h"

#include <stdlib.h>

static int pg_journal(void *ctx, int64_t job, const mp_producer_reject_t *r,
                      size_t n) {
  mp_producer_pg_t *pg = ctx;
  mp_job_reject_t *v = calloc(n, sizeof *v);
  if (!v)
    return MP_ENOMEM;
  for (size_t i = 0; i < n; i++)
    v[i] = (mp_job_reject_t){.seq = r[i].seq,
                             .file_offset = (int64_t)r[i].offset,
                             .error_class = mp_err_name(r[i].error),
                             .reason = r[i].reason,
                             .raw = r[i].raw,
                             .raw_len = r[i].raw_len};
  int rc = mp_job_reject(pg->conn, job, v, n, NULL, pg->errmsg,
                         sizeof pg->errmsg);
  free(v);
  return rc;
}

static int pg_processed(void *ctx, int64_t job, int64_t *processed) {
  mp_producer_pg_t *pg = ctx;
  return mp_job_processed(pg->conn, job, processed, pg->errmsg,
                          sizeof pg->errmsg);
}

static int pg_total(void *ctx, int64_t job, int64_t total) {
  mp_producer_pg_t *pg = ctx;
  return mp_job_set_total(pg->conn, job, total, NULL, pg->errmsg,
                          sizeof pg->errmsg);
}

static int pg_produced(void *ctx, int64_t job, int64_t produced) {
  mp_producer_pg_t *pg = ctx;
  return mp_job_set_produced(pg->conn, job, produced, pg->errmsg,
                             sizeof pg->errmsg);
}

static int pg_fail(void *ctx, int64_t job, const char *reason) {
  mp_producer_pg_t *pg = ctx;
  return mp_job_fail(pg->conn, job, reason, pg->errmsg, sizeof pg->errmsg);
}

void mp_producer_pg_ops(mp_producer_pg_t *pg, mp_producer_job_ops_t *ops) {
  *ops = (mp_producer_job_ops_t){.ctx = pg,
                                 .journal_rejected = pg_journal,
                                 .processed = pg_processed,
                                 .set_total = pg_total,
                                 .fail = pg_fail,
                                 .set_produced = pg_produced,
                                 .processed_includes_rejected = true};
}
