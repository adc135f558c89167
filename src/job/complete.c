/* complete.c: the job completion check, shared by the batch sink and the
 * job API.
 *
 * A job completes when total IS NOT NULL, status = IN_PROGRESS and the sum
 * of processed over its partitions reaches total; one conditional UPDATE
 * flips it, so exactly one transaction sees RETURNING id. A job asked to
 * cancel (its producer stopped reading and set the total to what it had
 * produced) flips to CANCELLED instead.
 *
 * Why locks: under READ COMMITTED two transactions that each add the last
 * records of a job cannot see each other's uncommitted progress, so both
 * could conclude "not yet" and the job would stay IN_PROGRESS forever. So:
 *  - while total is unknown, writers take FOR KEY SHARE on the job row: it
 *    blocks neither other writers (no hot row) nor the producer's plain
 *    UPDATEs of the row (status, produced), only mp_job_set_total(), which
 *    takes the row FOR UPDATE before setting the total;
 *  - once total is known (the tail of the job: at most the producer's
 *    credit of records remains), writers take FOR NO KEY UPDATE, so their
 *    checks run one after another and the last one sees everything.
 * The flip statement runs after the lock is granted; READ COMMITTED gives
 * it a snapshot that includes every transaction that held the row before.
 * A writer that read "total unknown", then found it set once its key-share
 * lock was granted, upgrades to FOR NO KEY UPDATE, which does not conflict
 * with key-share locks, so upgrading writers queue instead of deadlocking.
 * Rows are locked in id order. A deadlock in some unforeseen interleaving
 * would be resolved by PostgreSQL aborting one transaction (40P01 ->
 * MP_ETRANSIENT, the batch is retried). Blocking libpq. */
#include "job/complete.h"
#include "marcpipe/job.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int id_array(mp_buf_t *b, const int64_t *ids, size_t n) {
  int rc = mp_buf_putc(b, '{');
  for (size_t i = 0; i < n && !rc; i++)
    rc = mp_buf_printf(b, "%s%lld", i ? "," : "", (long long)ids[i]);
  return rc ? rc : mp_buf_putc(b, '}');
}

/* Run sql with one bigint[] parameter; collect column 0 of rows whose
 * column 1 (when present) is "t" into *out (an array literal). */
static int query_ids(PGconn *c, const char *sql, const char *arr, mp_buf_t *out,
                     size_t *nout, const char *what, char *errbuf, size_t errlen) {
  const char *p[1] = {arr};
  PGresult *r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(c, r, what, errbuf, errlen);
    goto out;
  }
  *nout = 0;
  mp_buf_clear(out);
  if ((rc = mp_buf_putc(out, '{')))
    goto out;
  for (int i = 0; i < PQntuples(r); i++) {
    if (PQnfields(r) > 1 && strcmp(PQgetvalue(r, i, 1), "t"))
      continue;
    if ((rc = mp_buf_printf(out, "%s%s", *nout ? "," : "", PQgetvalue(r, i, 0))))
      goto out;
    (*nout)++;
  }
  rc = mp_buf_putc(out, '}');
out:
  PQclear(r);
  return rc;
}

/* The conditional flip over the ids in arr (array literal). A job with no
 * progress rows counts as 0 processed: an empty input (total 0) completes
 * when its total is set, instead of waiting for a batch that never comes. */
static int flip(PGconn *c, const char *arr, int64_t *flipped, size_t max,
                int *nflipped, char *errbuf, size_t errlen) {
  static const char sql[] =
      "UPDATE jobs j SET status = CASE WHEN j.cancel_requested_at IS NOT NULL "
      "THEN 'CANCELLED' WHEN p.errors > 0 "
      "THEN 'COMPLETED_WITH_ERRORS' ELSE 'COMPLETED' END, completed_at = now() "
      "FROM (SELECT i.id AS job_id, coalesce(sum(g.processed), 0) AS processed, "
      "             coalesce(sum(g.errors), 0) AS errors "
      "      FROM unnest($1::bigint[]) AS i(id) "
      "      LEFT JOIN job_progress g ON g.job_id = i.id GROUP BY i.id) p "
      "WHERE j.id = p.job_id AND j.status = 'IN_PROGRESS' "
      "AND j.total IS NOT NULL AND p.processed >= j.total RETURNING j.id";
  const char *p[1] = {arr};
  PGresult *r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(c, r, "completion check", errbuf, errlen);
  } else {
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
      if ((size_t)i < max && flipped)
        flipped[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    *nflipped += n;
  }
  PQclear(r);
  return rc;
}

int mp__job_complete_locked(PGconn *c, const int64_t *ids, size_t n,
                            int64_t *flipped, size_t max, int *nflipped,
                            char *errbuf, size_t errlen) {
  *nflipped = 0;
  if (!n)
    return 0;
  mp_buf_t all, known, rest, upgrade;
  mp_buf_init(&all);
  mp_buf_init(&known);
  mp_buf_init(&rest);
  mp_buf_init(&upgrade);
  size_t nknown = 0, nrest = 0, nup = 0;
  int rc = id_array(&all, ids, n);
  if (rc)
    goto out;
  /* 1. which jobs already have a total (no lock) */
  if ((rc = query_ids(c, "SELECT id FROM jobs WHERE id = ANY($1::bigint[]) "
                         "AND total IS NOT NULL ORDER BY id",
                      all.data, &known, &nknown, "reading job totals", errbuf, errlen)))
    goto out;
  /* 2. tail phase: exclusive, in id order */
  if (nknown &&
      (rc = query_ids(c, "SELECT id FROM jobs WHERE id = ANY($1::bigint[]) "
                         "ORDER BY id FOR NO KEY UPDATE",
                      known.data, &upgrade, &nup, "locking jobs", errbuf, errlen)))
    goto out;
  /* 3. the others: key-share (rows locked in 2 are ours already); upgrade
   * those whose total appeared while we waited */
  if (nknown < n &&
      (rc = query_ids(c, "SELECT id, total IS NOT NULL FROM jobs "
                         "WHERE id = ANY($1::bigint[]) ORDER BY id FOR KEY SHARE",
                      all.data, &rest, &nrest, "locking jobs", errbuf, errlen)))
    goto out;
  if (nrest > nknown &&
      (rc = query_ids(c, "SELECT id FROM jobs WHERE id = ANY($1::bigint[]) "
                         "ORDER BY id FOR NO KEY UPDATE",
                      rest.data, &upgrade, &nup, "locking jobs", errbuf, errlen)))
    goto out;
  rc = flip(c, all.data, flipped, max, nflipped, errbuf, errlen);
out:
  mp_buf_release(&all);
  mp_buf_release(&known);
  mp_buf_release(&rest);
  mp_buf_release(&upgrade);
  return rc;
}

/* For mp_job_set_total / mp_job_check_complete: the caller holds the row
 * exclusively already (or needs no lock), flip only. */
int mp__job_flip(PGconn *c, int64_t id, bool *completed, char *errbuf,
                 size_t errlen);
int mp__job_flip(PGconn *c, int64_t id, bool *completed, char *errbuf,
                 size_t errlen) {
  char arr[32];
  snprintf(arr, sizeof arr, "{%lld}", (long long)id);
  int n = 0;
  int rc = flip(c, arr, NULL, 0, &n, errbuf, errlen);
  if (completed)
    *completed = !rc && n > 0;
  return rc;
}
