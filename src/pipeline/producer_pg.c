/* producer_pg.c: the producer's job operations over PostgreSQL (job.h),
 * declared in pipeline.h.
 *
 * Runs on the libuv thread pool, one call at a time (producer.h), on a
 * blocking connection owned by the caller. Each call is its own
 * transaction; mp_job_reject is idempotent by (job, seq), so a batch that
 * failed is simply sent again.
 * PostgreSQL restarts: a call that finds the connection broken resets it
 * (PQreset keeps the PGconn, which the caller owns) and, when the tenant is
 * known, sets the session up again (search_path via mp_pg_migrate). A
 * credit read that fails is simply retried on the next tick; the final
 * total (or failure) is retried with backoff for up to ~2 minutes, since a
 * job without its total never completes.
 */
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/pipeline.h"

#include "marcpipe/pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Reconnect a broken connection; 0 when usable, else MP_ETRANSIENT. */
static int pg_ready(mp_producer_pg_t *pg) {
  return mp_pg_ready((PGconn *)pg->conn, pg->tenant, pg->errmsg,
                     sizeof pg->errmsg);
}

/* The job's last word: retried while the database is unreachable. */
typedef int (*final_fn)(mp_producer_pg_t *pg, int64_t job, const void *arg);
static int retry_final(mp_producer_pg_t *pg, int64_t job, const void *arg,
                       final_fn fn) {
  unsigned ms = 100, waited = 0;
  for (;;) {
    int rc = pg_ready(pg);
    if (!rc)
      rc = fn(pg, job, arg);
    if (rc != MP_ETRANSIENT || waited >= 120000 || pg->give_up)
      return rc;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    waited += ms;
    ms = ms * 2 > 5000 ? 5000 : ms * 2;
  }
}

static int pg_journal(void *ctx, int64_t job, const mp_producer_reject_t *r,
                      size_t n) {
  mp_producer_pg_t *pg = ctx;
  int rc = pg_ready(pg);
  if (rc)
    return rc;
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
  rc = mp_job_reject(pg->conn, job, v, n, NULL, pg->errmsg,
                         sizeof pg->errmsg);
  free(v);
  return rc;
}

static int pg_processed(void *ctx, int64_t job, int64_t *processed) {
  mp_producer_pg_t *pg = ctx;
  int rc = pg_ready(pg);
  if (rc)
    return rc;
  return mp_job_processed(pg->conn, job, processed, pg->errmsg,
                          sizeof pg->errmsg);
}

static int set_total(mp_producer_pg_t *pg, int64_t job, const void *arg) {
  return mp_job_set_total(pg->conn, job, *(const int64_t *)arg, NULL,
                          pg->errmsg, sizeof pg->errmsg);
}

static int pg_total(void *ctx, int64_t job, int64_t total) {
  return retry_final(ctx, job, &total, set_total);
}

static int set_failed(mp_producer_pg_t *pg, int64_t job, const void *arg) {
  return mp_job_fail(pg->conn, job, arg, pg->errmsg, sizeof pg->errmsg);
}

static int pg_produced(void *ctx, int64_t job, int64_t produced) {
  mp_producer_pg_t *pg = ctx;
  return mp_job_set_produced(pg->conn, job, produced, pg->errmsg,
                             sizeof pg->errmsg);
}

static int pg_fail(void *ctx, int64_t job, const char *reason) {
  return retry_final(ctx, job, reason, set_failed);
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
