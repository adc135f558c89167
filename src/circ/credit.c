/* credit.c: the job operations of a circulation run (circ.h): those of a
 * MARC job (producer_pg.c), with processed() counting a message only once
 * every registered consumer service has committed it. The services'
 * progress is per (service, job, partition) in circ_progress, idempotent
 * by (job, seq); the slowest service bounds the run's backlog in Kafka.
 * set_total() also runs the run's completion check (006_circulation.sql).
 * Thread pool, one call at a time, like every producer job operation.
 */
#include "marcpipe/circ.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int circ_processed(void *ctx, int64_t job, int64_t *processed) {
  mp_producer_pg_t *pg = ctx;
  mp_producer_job_ops_t base;
  int64_t rejected = 0;
  mp_producer_pg_ops(pg, &base);
  /* the job's own counter holds only the journaled rejects of a
   * circulation run; this call also reconnects a broken connection */
  int rc = base.processed(pg, job, &rejected);
  if (rc)
    return rc;
  char jobs[24];
  snprintf(jobs, sizeof jobs, "%" PRId64, job);
  const char *params[1] = {jobs};
  PGresult *r = PQexecParams(
      pg->conn,
      "SELECT coalesce(min(n), 0) FROM ("
      " SELECT s.service, coalesce(sum(p.processed), 0) AS n"
      " FROM circ_services s LEFT JOIN circ_progress p"
      "   ON p.service = s.service AND p.job_id = $1::bigint"
      " GROUP BY s.service) x",
      1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(pg->conn, r, "reading the services' progress", pg->errmsg,
                    sizeof pg->errmsg);
  } else {
    *processed = rejected + strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  }
  PQclear(r);
  return rc;
}

/* The total as for a MARC job, then the circulation completion check: the
 * services may have committed every message before the total was known.
 * The check is best effort (a later batch checks again); the total is not. */
static int circ_total(void *ctx, int64_t job, int64_t total) {
  mp_producer_pg_t *pg = ctx;
  mp_producer_job_ops_t base;
  mp_producer_pg_ops(pg, &base);
  int rc = base.set_total(pg, job, total);
  if (rc)
    return rc;
  char jobs[24];
  snprintf(jobs, sizeof jobs, "%" PRId64, job);
  const char *params[1] = {jobs};
  PGresult *r = PQexecParams(pg->conn,
                             "SELECT circ_complete_after_total($1::bigint)", 1,
                             NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    mp_pg_fail(pg->conn, r, "completion check", pg->errmsg, sizeof pg->errmsg);
  PQclear(r);
  return 0;
}

void mp_circ_producer_ops(mp_producer_pg_t *pg, mp_producer_job_ops_t *ops) {
  mp_producer_pg_ops(pg, ops);
  ops->processed = circ_processed;
  ops->set_total = circ_total;
}
