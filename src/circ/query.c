/* query.c: what the circulation services hold, for people and tests
 * (circ.h): a patron's block verdict, patrons' summaries, audit rows.
 * The SQL functions circ_block_report and circ_summary (006_circulation)
 * compute them; this file only runs and prints. Blocking libpq, caller's
 * thread.
 */
#include "marcpipe/circ.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int query(PGconn *c, const char *sql, int n, const char *const *p,
                 PGresult **out, const char *what, char *errbuf,
                 size_t errlen) {
  *out = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
  if (PQresultStatus(*out) == PGRES_TUPLES_OK)
    return 0;
  int rc = mp_pg_fail(c, *out, what, errbuf, errlen);
  PQclear(*out);
  *out = NULL;
  return rc;
}

int mp_circ_blocks_print(PGconn *c, const char *user, const char *at,
                         bool json, FILE *out, bool *blocked, char *errbuf,
                         size_t errlen) {
  const char *p[2] = {user, at};
  PGresult *r;
  int rc = query(c,
                 "SELECT condition, value::text, limit_value::text, blocked,"
                 " circ_time(coalesce($2::timestamptz, now()))"
                 " FROM circ_block_report($1, coalesce($2::timestamptz, now()))",
                 2, p, &r, "reading the blocks", errbuf, errlen);
  if (rc)
    return rc;
  int n = PQntuples(r);
  if (n == 0) {
    PQclear(r);
    snprintf(errbuf, errlen, "patron '%s' is unknown to the blocks service",
             user);
    return MP_ENOTFOUND;
  }
  *blocked = false;
  char why[512] = "";
  for (int i = 0; i < n; i++)
    if (*PQgetvalue(r, i, 3) == 't') {
      *blocked = true;
      size_t l = strlen(why);
      snprintf(why + l, sizeof why - l, "%s%s", l ? ", " : "",
               PQgetvalue(r, i, 0));
    }
  if (json) {
    json_t *o = json_pack("{s:s, s:s, s:b, s:[]}", "userId", user, "at",
                          PQgetvalue(r, 0, 4), "blocked", *blocked,
                          "conditions");
    json_t *conds = o ? json_object_get(o, "conditions") : NULL;
    for (int i = 0; conds && i < n; i++)
      json_array_append_new(
          conds, json_pack("{s:s, s:s, s:s, s:b}", "condition",
                           PQgetvalue(r, i, 0), "value", PQgetvalue(r, i, 1),
                           "limit", PQgetvalue(r, i, 2), "blocked",
                           *PQgetvalue(r, i, 3) == 't'));
    if (o)
      json_dumpf(o, out, JSON_COMPACT);
    fputc('\n', out);
    json_decref(o);
  } else {
    if (*blocked)
      fprintf(out, "%s: blocked (%s) at %s\n", user, why, PQgetvalue(r, 0, 4));
    else
      fprintf(out, "%s: not blocked at %s\n", user, PQgetvalue(r, 0, 4));
    for (int i = 0; i < n; i++)
      fprintf(out, "  %-24s %10s  limit %10s  %s\n", PQgetvalue(r, i, 0),
              PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
              *PQgetvalue(r, i, 3) == 't' ? "BLOCKED" : "ok");
  }
  PQclear(r);
  return 0;
}

/* Print column 0 of every row, one line each. */
static int print_rows(PGconn *c, const char *sql, int np, const char *const *p,
                      FILE *out, size_t *n, const char *what, char *errbuf,
                      size_t errlen) {
  PGresult *r;
  int rc = query(c, sql, np, p, &r, what, errbuf, errlen);
  if (rc)
    return rc;
  *n = (size_t)PQntuples(r);
  for (size_t i = 0; i < *n; i++)
    fprintf(out, "%s\n", PQgetvalue(r, (int)i, 0));
  PQclear(r);
  return 0;
}

int mp_circ_summary_print(PGconn *c, const char *user, FILE *out, size_t *n,
                          char *errbuf, size_t errlen) {
  const char *p[1] = {user};
  return print_rows(c,
                    "SELECT circ_summary(user_id) FROM circ_patrons"
                    " WHERE $1::text IS NULL OR user_id = $1 ORDER BY user_id",
                    1, p, out, n, "reading summaries", errbuf, errlen);
}

int mp_circ_audit_print(PGconn *c, const char *user, const char *item,
                        const char *since, FILE *out, size_t *n, char *errbuf,
                        size_t errlen) {
  const char *p[3] = {user, item, since};
  return print_rows(
      c,
      "SELECT jsonb_build_object('event', event, 'jobId', job_id, 'seq', seq,"
      " 'partition', partition, 'offset', kafka_offset,"
      " 'loggedAt', circ_time(logged_at))"
      " FROM circ_audit"
      " WHERE ($1::text IS NULL OR user_id = $1)"
      "  AND ($2::text IS NULL OR item_id = $2)"
      "  AND ($3::timestamptz IS NULL OR event_time >= $3::timestamptz)"
      " ORDER BY event_time, event_id",
      3, p, out, n, "reading the audit log", errbuf, errlen);
}
