/* job_impl.h: internals shared by the files of src/job. */
#ifndef MP_JOB_IMPL_H
#define MP_JOB_IMPL_H

#include "job/complete.h"
#include "marcpipe/job.h"

/* Flip one job if complete, without taking locks (the caller holds the row
 * exclusively or accepts a later re-check). */
int mp__job_flip(PGconn *c, int64_t id, bool *completed, char *errbuf,
                 size_t errlen);

/* PQexecParams with text parameters; expects tuples or command ok. On
 * success *res is set (caller PQclear()s); on failure it is cleared and the
 * error classified as mp_pg_fail() does. */
int mp__job_query(PGconn *c, const char *sql, int n, const char *const *params,
                  const char *what, PGresult **res, char *errbuf, size_t errlen);

/* Run sql with $1 = id and, when arg != NULL, $2 = arg. With require_row,
 * a statement that returns or touches no row is MP_ENOTFOUND ("what: job N
 * not found"). res NULL = clear the result, else the caller PQclear()s. */
int mp__job_query_id(PGconn *c, const char *sql, int64_t id, const char *arg,
                     bool require_row, const char *what, PGresult **res,
                     char *errbuf, size_t errlen);

/* SQL: true when job row `j` is in a running state (NEW, PRODUCING,
 * IN_PROGRESS) but the process it waits for is gone: while its total is
 * unknown, its producer (no live producer lease of the job); once known,
 * its workers (no live worker lease on its topic). A NEW job gets a short
 * grace (its creator takes the lease right after creating it). Leases:
 * lease.h, migration 004. */
#define MP__JOB_STALLED_SQL                                                    \
  "(j.status IN ('NEW', 'PRODUCING', 'IN_PROGRESS') "                          \
  "AND NOT (j.status = 'NEW' AND j.created_at > now() - interval '30 s') "     \
  "AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.expires_at > now() AND "     \
  "((l.role = 'producer' AND l.job_id = j.id) OR (j.total IS NOT NULL AND "    \
  "l.role = 'worker' AND l.topic = j.topic))))"

/* Roll back after a failure (ignores errors) and return rc. */
int mp__job_rollback(PGconn *c, int rc);

#endif
