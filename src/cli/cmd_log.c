/* cmd_log.c: `marcpipe log JOB [--outcome O] [--json] [--record N]`: the
 * job's per-record log in sequence order: outcome, record number, match
 * key, the Instance written and why (journal rows, joblog.h); --record N
 * shows one record in full (its bytes as `dump` prints them, the Instance
 * JSON, the journal row). Options: the shared option layer (cli_groups.h:
 * database, state dir, tenant); data on stdout, diagnostics on stderr;
 * exit 0 ok, 1 failure, 2 usage. */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --outcome: one of the journal's outcomes, stored as joblog.h spells it */
static int opt_outcome(const mp_opt_t *o, const char *arg, char *err,
                       size_t n) {
  const char *v = mp_joblog_outcome(arg);
  if (!v) {
    snprintf(err, n, "--outcome wants created, updated, duplicate, skipped "
                     "or error (got '%s')", arg);
    return -1;
  }
  *(const char **)o->value = v;
  return 0;
}

typedef struct {
  bool json;
  int64_t last; /* seq of the last row printed: the next page's bound */
  size_t rows;
} list_t;

static int print_row(void *ud, const mp_joblog_row_t *r) {
  list_t *x = ud;
  x->last = r->seq;
  x->rows++;
  if (x->json) {
    json_t *o = mp_joblog_row_json(r);
    if (!o)
      return MP_ENOMEM;
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    return 0;
  }
  char why[1024], where[48], inst[128];
  mp_joblog_why(r, why, sizeof why);
  if (r->partition < 0)
    snprintf(where, sizeof where, "byte %lld", (long long)r->file_offset);
  else
    snprintf(where, sizeof where, "p%d@%lld", r->partition, (long long)r->kafka_offset);
  snprintf(inst, sizeof inst, "%s%s%s%s", r->instance_id[0] ? r->instance_id : "-",
           r->hrid[0] ? " (" : "", r->hrid, r->hrid[0] ? ")" : "");
  printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)r->seq, r->outcome, where,
         r->match_key[0] ? r->match_key : "-", inst, why);
  return 0;
}

static int show_record(PGconn *c, int64_t job, int64_t seq, bool json, char *err,
                       size_t errlen) {
  mp_joblog_record_t rec;
  int rc = mp_joblog_record(c, job, seq, &rec, err, errlen);
  if (rc)
    return rc;
  char *text = NULL;
  rc = mp_joblog_record_text(&rec, &text);
  if (!rc && json) {
    json_t *row = json_loads(rec.row_json, 0, NULL);
    json_t *inst = rec.instance_json ? json_loads(rec.instance_json, 0, NULL) : NULL;
    json_t *o = json_pack("{s:I s:o s:s s:o}", "seq", (json_int_t)seq, "journal",
                          row ? row : json_null(), "source", text, "instance",
                          inst ? inst : json_null());
    if (!o) {
      rc = MP_ENOMEM;
    } else {
      json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      fputc('\n', stdout);
      json_decref(o);
    }
  } else if (!rc) {
    printf("job %lld record %lld: %s\n\n", (long long)job, (long long)seq, rec.why);
    printf("source MARC:\n%s\n", text);
    printf("Instance:\n%s\n\n", rec.instance_json ? rec.instance_json : "(none)");
    printf("journal row:\n%s\n", rec.row_json);
  }
  if (rc == MP_ENOMEM)
    snprintf(err, errlen, "out of memory");
  free(text);
  mp_joblog_record_release(&rec);
  return rc;
}

int cmd_log(int argc, char **argv) {
  const char *outcome = NULL;
  int64_t seq = 0;
  bool json = false;
  mp_cli_t cl;
  mp_cli_init(&cl, "log");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_FN(0, "outcome", "O", opt_outcome, &outcome,
                "only created, updated, duplicate, skipped or error"),
      MP_OPT_COUNT(0, "record", &seq, 1, INT64_MAX, "N",
                   "record N in full: its bytes as `marcpipe dump`\n"
                   "prints them, the Instance as stored, its journal row"),
      MP_OPT_FLAG(0, "json", &json,
                  "one JSON object per line (with --record: one object)"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe log JOB [--outcome O] [--json] [options]\n"
      "marcpipe log JOB --record N [--json] [options]",
      "The job's log, one line per record in sequence order: record number,\n"
      "outcome, where it came from (partition@offset, or the file byte offset\n"
      "of a record the reader rejected), match key, the Instance created or\n"
      "updated (id and hrid) and why: the match step and key that matched, the\n"
      "profile rule that skipped it, or the error class and reason.\n",
      "exit status: 0 ok, 1 failure (job not found, database error), 2 usage\n"};
  int64_t id;
  int prc = mp_cli_parse_job(&cl, opts, &u, argc, argv, &id);
  if (prc >= 0)
    return prc;
  PGconn *c = NULL;
  char err[1024] = "";
  if (mp_cli_db_open(&cl, json, &c)) {
    PQfinish(c);
    return 1;
  }
  int rc = 0;
  if (seq)
    rc = show_record(c, id, seq, json, err, sizeof err);
  else { /* pages of PAGE rows: memory does not grow with the job */
    enum { PAGE = 5000 };
    list_t x = {.json = json};
    size_t before;
    do {
      before = x.rows;
      rc = mp_joblog_page(c, id, outcome, x.last, 0, PAGE, print_row, &x, err,
                          sizeof err);
    } while (!rc && x.rows - before == PAGE);
  }
  mp_job_summary_t sum; /* a job still running (or stalled) is said so */
  if (!rc && !seq && !mp_job_get(c, id, &sum, err, sizeof err) &&
      (sum.stalled || sum.total < 0 || sum.processed < sum.total))
    fprintf(stderr, "marcpipe log: job %lld is %s: %lld records in the log so far%s\n",
            (long long)id, mp_job_display_status(&sum), (long long)sum.processed,
            sum.stalled ? " (its processes are gone: `marcpipe import --resume`)" : "");
  PQfinish(c);
  return mp__cli_fail("log", rc, err);
}
