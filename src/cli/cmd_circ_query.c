/* cmd_circ_query.c: what the circulation services hold: `circ blocks`,
 * `circ summary`, `circ audit` and `circ limits` (the block limits per
 * patron group). Each opens one connection on the tenant (migrating it)
 * and prints; data on stdout, diagnostics on stderr. Options: the shared
 * option layer (cli_groups.h: database, state dir, tenant) and, per
 * subcommand, a few of its own from one table.
 */
#include "cli/cmd_circ.h"
#include "cli/cli_util.h"

#include "marcpipe/circ.h"
#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of a query beside the database group: a subcommand has the
 * ones its mask names (Q_*). */
enum { Q_AT = 1, Q_JSON = 2, Q_USER = 4, Q_ITEM = 8, Q_SINCE = 16 };

typedef struct q_args_s {
  mp_cli_t c;
  bool json;
  const char *at, *user, *item, *since;
  char **pos; /* the operands */
  int npos;
} q_args_t;

/* A subcommand's work on an open connection: its exit code (0, 3), or -1
 * with err set (printed, exit 1). */
typedef int (*q_fn)(PGconn *c, const q_args_t *q, char *err, size_t errlen);

/* A usage check beyond the operand count: NULL when fine, else what is
 * wrong (exit 2). */
typedef const char *(*q_check)(const q_args_t *q);

typedef struct q_cmd_s {
  const char *cmd;                /* "circ blocks" */
  unsigned opts;                  /* Q_* */
  int maxpos;                     /* operands at most */
  const char *missing;            /* the usage error without an operand
                                     when one is required, else NULL */
  const char *synopsis, *description;
  q_check check;                  /* may be NULL */
  q_fn fn;
} q_cmd_t;

/* Parse (the table: the mask's options, then the database group), check
 * the operands (at most maxpos; one when missing is set), connect (naming a managed database), run fn, report. */
static int run(const q_cmd_t *qc, int argc, char **argv) {
  q_args_t q;
  memset(&q, 0, sizeof q);
  mp_cli_init(&q.c, qc->cmd);
  const mp_opt_t own[] = {
      MP_OPT_STRING(0, "at", &q.at, "TIME",
                    "judge overdue at TIME (a PostgreSQL timestamp;\n"
                    "default now)"),
      MP_OPT_FLAG(0, "json", &q.json, "one JSON object on stdout"),
      MP_OPT_STRING(0, "user", &q.user, "U", "the rows of patron U"),
      MP_OPT_STRING(0, "item", &q.item, "I", "the rows of item I"),
      MP_OPT_STRING(0, "since", &q.since, "TIME",
                    "from event time TIME on (a PostgreSQL timestamp)")};
  const mp_opt_t shared[] = {MP_OPT_HELP(), MP_OPT_GROUP("PostgreSQL:"),
                             MP_CLI_DB(&q.c), MP_CLI_TENANT(&q.c),
                             MP_OPT_END()};
  mp_opt_t opts[sizeof own / sizeof *own + sizeof shared / sizeof *shared + 1];
  size_t n = 0;
  opts[n++] = (mp_opt_t)MP_OPT_GROUP("Options:");
  for (size_t i = 0; i < sizeof own / sizeof *own; i++)
    if (qc->opts & (1u << i))
      opts[n++] = own[i];
  memcpy(opts + n, shared, sizeof shared);
  const mp_opt_usage_t u = {qc->synopsis, qc->description, NULL};
  int rc = mp_cli_parse(&q.c, opts, &u, argc, argv);
  if (rc >= 0)
    return rc;
  q.pos = q.c.args;
  q.npos = q.c.nargs;
  if (q.npos > qc->maxpos)
    return mp__cli_bad_usage(qc->cmd, "unexpected argument '%s'",
                             q.pos[qc->maxpos]);
  if (qc->missing && q.npos == 0)
    return mp__cli_bad_usage(qc->cmd, "%s", qc->missing);
  const char *bad = qc->check ? qc->check(&q) : NULL;
  if (bad)
    return mp__cli_bad_usage(qc->cmd, "%s", bad);
  PGconn *c = NULL;
  char err[512];
  if (mp_cli_db_open(&q.c, false, &c)) {
    PQfinish(c);
    return 1;
  }
  rc = qc->fn(c, &q, err, sizeof err);
  PQfinish(c);
  if (rc < 0) {
    fprintf(stderr, "marcpipe %s: %s\n", qc->cmd, err);
    return 1;
  }
  return rc;
}

static const char blocks_help[] =
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

static const q_cmd_t blocks_cmd = {
    "circ blocks", Q_AT | Q_JSON, 1, "USER is required",
    "marcpipe circ blocks USER [--at TIME] [--json] [options]", blocks_help,
    NULL, do_blocks};

int circ_blocks(int argc, char **argv) { return run(&blocks_cmd, argc, argv); }

static const char summary_help[] =
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

static const q_cmd_t summary_cmd = {
    "circ summary", 0, 1, NULL, "marcpipe circ summary [USER] [options]",
    summary_help, NULL, do_summary};

int circ_summary(int argc, char **argv) {
  return run(&summary_cmd, argc, argv);
}

static const char audit_help[] =
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

static const q_cmd_t audit_cmd = {
    "circ audit", Q_USER | Q_ITEM | Q_SINCE, 0, NULL,
    "marcpipe circ audit --user U | --item I [--since TIME] [options]",
    audit_help, audit_check, do_audit};

int circ_audit(int argc, char **argv) { return run(&audit_cmd, argc, argv); }

static const char limits_help[] =
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
                     3, NULL, (const char *const *)q->pos, NULL, NULL, 0)
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

static const q_cmd_t limits_cmd = {
    "circ limits", 0, 3, NULL,
    "marcpipe circ limits [GROUP CONDITION VALUE] [options]", limits_help,
    limits_check, do_limits};

int circ_limits(int argc, char **argv) { return run(&limits_cmd, argc, argv); }
