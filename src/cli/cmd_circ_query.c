/* cmd_circ_query.c: what the circulation services hold: `circ blocks`,
 * `circ summary`, `circ audit` and `circ limits` (the block limits per
 * patron group). Each opens one connection on the tenant (migrating it)
 * and prints; data on stdout, diagnostics on stderr.
 */
#include "cli/cmd_circ.h"

#include "marcpipe/circ.h"
#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct q_args_s {
  circ_opts_t o;
  bool json;
  const char *at, *user, *item, *since;
  const char *pos[3];
  int npos;
} q_args_t;

/* Parse argv: the common options (the database ones are used), --json,
 * --at/--user/--item/--since, and at most maxpos positionals. 0, 1 = help
 * printed, 2 = usage error (printed). */
static int parse(const char *cmd, int argc, char **argv, int maxpos,
                 const char *help, q_args_t *q) {
  memset(q, 0, sizeof *q);
  circ_opts_init(&q->o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int t = circ_opts_take(cmd, argc, argv, &i, &q->o);
    if (t < 0)
      return 2;
    if (t)
      continue;
    const char **slot = !strcmp(a, "--at")      ? &q->at
                        : !strcmp(a, "--user")  ? &q->user
                        : !strcmp(a, "--item")  ? &q->item
                        : !strcmp(a, "--since") ? &q->since
                                                : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(help, stdout);
      return 1;
    } else if (!strcmp(a, "--json")) {
      q->json = true;
    } else if (slot) {
      if (!(*slot = circ_value(cmd, argc, argv, &i)))
        return 2;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "marcpipe circ %s: unknown option '%s'\n", cmd, a);
      return 2;
    } else if (q->npos == maxpos) {
      fprintf(stderr, "marcpipe circ %s: unexpected argument '%s'\n", cmd, a);
      return 2;
    } else {
      q->pos[q->npos++] = a;
    }
  }
  return circ_opts_finish(cmd, &q->o);
}

/* A subcommand's work on an open connection: its exit code (0, 3), or -1
 * with err set (printed, exit 1). */
typedef int (*q_fn)(PGconn *c, const q_args_t *q, char *err, size_t errlen);

/* A usage check beyond the positional count: NULL when fine, else what
 * is wrong (exit 2). */
typedef const char *(*q_check)(const q_args_t *q);

/* Parse, check the positionals (want: -1 = 0..maxpos, else exactly that
 * many) and check (may be NULL), connect, run fn, report. */
static int run(const char *cmd, int argc, char **argv, int maxpos, int want,
               q_check check, const char *help, q_fn fn) {
  q_args_t q;
  int rc = parse(cmd, argc, argv, maxpos, help, &q);
  if (rc)
    return rc == 1 ? 0 : rc;
  if (want >= 0 && q.npos != want) {
    fprintf(stderr, "marcpipe circ %s: %d argument%s expected (see --help)\n",
            cmd, want, want == 1 ? "" : "s");
    return 2;
  }
  const char *bad = check ? check(&q) : NULL;
  if (bad) {
    fprintf(stderr, "marcpipe circ %s: %s\n", cmd, bad);
    return 2;
  }
  PGconn *c = NULL;
  char err[512];
  if (mp_pg_connect(q.o.db, q.o.tenant, &c, err, sizeof err)) {
    fprintf(stderr, "marcpipe circ %s: %s\n", cmd, err);
    if (c)
      PQfinish(c);
    return 1;
  }
  rc = fn(c, &q, err, sizeof err);
  PQfinish(c);
  if (rc < 0) {
    fprintf(stderr, "marcpipe circ %s: %s\n", cmd, err);
    return 1;
  }
  return rc;
}

static const char blocks_help[] =
"usage: marcpipe circ blocks USER [--at TIME] [--json] [--db C] [--tenant T]\n"
"\n"
"Whether patron USER is blocked, and why: for each condition of the patron\n"
"group's limits (max-items-charged-out, max-lost-items, max-overdue-items,\n"
"max-overdue-recalls, max-outstanding-balance, max-recall-overdue-days) the\n"
"patron's value, the limit, and BLOCKED when the value is above it. Overdue\n"
"is judged at --at (a PostgreSQL timestamp, default now). Items charged out\n"
"are all open loans (lost and claimed-returned ones included).\n"
"Exit codes: 0 not blocked, 3 blocked, 1 failure (unknown patron), 2 usage.\n";

static int do_blocks(PGconn *c, const q_args_t *q, char *err, size_t n) {
  bool blocked = false;
  if (mp_circ_blocks_print(c, q->pos[0], q->at, q->json, stdout, &blocked, err,
                           n))
    return -1;
  return blocked ? 3 : 0;
}

int circ_blocks(int argc, char **argv) {
  return run("blocks", argc, argv, 1, 1, NULL, blocks_help, do_blocks);
}

static const char summary_help[] =
"usage: marcpipe circ summary [USER] [--db C] [--tenant T]\n"
"\n"
"The blocks service's summary of USER (every patron, by userId, without\n"
"one) as JSON lines: userId, patronGroup, openLoans (loanId, itemId,\n"
"dueDate, recall, lost, claimedReturned), feesFines, outstandingBalance.\n"
"The same shape as the patrons of `circ gen --oracle`.\n";

static int do_summary(PGconn *c, const q_args_t *q, char *err, size_t n) {
  size_t rows = 0;
  if (mp_circ_summary_print(c, q->npos ? q->pos[0] : NULL, stdout, &rows, err,
                            n))
    return -1;
  if (q->npos && rows == 0) {
    snprintf(err, n, "patron '%s' is unknown", q->pos[0]);
    return -1;
  }
  return 0;
}

int circ_summary(int argc, char **argv) {
  return run("summary", argc, argv, 1, -1, NULL, summary_help, do_summary);
}

static const char audit_help[] =
"usage: marcpipe circ audit --user U | --item I [--since TIME] [--db C]\n"
"                           [--tenant T]\n"
"\n"
"The audit log's rows (one per event, append-only) of patron U or item I,\n"
"from event time TIME on (a PostgreSQL timestamp), in event time order, as\n"
"JSON lines: the event and where it was first delivered (jobId, seq,\n"
"partition, offset). The row count is on stderr.\n";

static int do_audit(PGconn *c, const q_args_t *q, char *err, size_t n) {
  size_t rows = 0;
  if (mp_circ_audit_print(c, q->user, q->item, q->since, stdout, &rows, err, n))
    return -1;
  fprintf(stderr, "marcpipe circ audit: %zu events\n", rows);
  return 0;
}

static const char *audit_check(const q_args_t *q) {
  return !q->user == !q->item ? "give exactly one of --user and --item" : NULL;
}

int circ_audit(int argc, char **argv) {
  return run("audit", argc, argv, 0, 0, audit_check, audit_help, do_audit);
}

static const char limits_help[] =
"usage: marcpipe circ limits [GROUP CONDITION VALUE] [--db C] [--tenant T]\n"
"\n"
"Without arguments: the block limits, one 'GROUP CONDITION VALUE' a line.\n"
"With them: set the limit of CONDITION for patron group GROUP (a patron\n"
"whose group has no limit for a condition gets group 'default''s).\n"
"Conditions: max-items-charged-out, max-lost-items, max-overdue-items,\n"
"max-overdue-recalls, max-outstanding-balance, max-recall-overdue-days.\n";

static int do_limits(PGconn *c, const q_args_t *q, char *err, size_t n) {
  PGresult *r = q->npos
      ? PQexecParams(c, "INSERT INTO circ_block_limits VALUES ($1, $2,"
                        " $3::numeric) ON CONFLICT (patron_group, condition)"
                        " DO UPDATE SET limit_value = excluded.limit_value"
                        " RETURNING patron_group, condition, limit_value",
                     3, NULL, q->pos, NULL, NULL, 0)
      : PQexec(c, "SELECT patron_group, condition, limit_value"
                  " FROM circ_block_limits ORDER BY 1, 2");
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    mp_pg_fail(c, r, "block limits", err, n);
    rc = -1;
  } else {
    for (int i = 0; i < PQntuples(r); i++)
      printf("%s %s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
             PQgetvalue(r, i, 2));
  }
  PQclear(r);
  return rc;
}

static const char *limits_check(const q_args_t *q) {
  return q->npos != 0 && q->npos != 3 ? "give GROUP CONDITION VALUE, or nothing"
                                      : NULL;
}

int circ_limits(int argc, char **argv) {
  return run("limits", argc, argv, 3, -1, limits_check, limits_help, do_limits);
}
