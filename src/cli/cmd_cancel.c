/* cmd_cancel.c: `marcpipe cancel JOB`: ask a running job to stop (its
 * producer stops reading, the workers finish what was produced, the job
 * ends CANCELLED with exact counters), or cancel at once a job nobody runs
 * (NEW or stalled). Works from any terminal: the request is a column of
 * the job row, seen by the producer's lease (lease.h). --wait waits until
 * the job is CANCELLED and prints its summary. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/job_args.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe cancel JOB [--wait] [--json] [--db CONNINFO] [--tenant T]\n\n"
          "Cancel job JOB. A running job's producer stops reading; the workers\n"
          "finish the records already produced and the job ends CANCELLED with\n"
          "exact counters. A job nobody runs (NEW, or STALLED: its processes are\n"
          "gone) is CANCELLED at once. Resume it with `marcpipe import --resume JOB`.\n\n"
          "options:\n"
          "  --wait          wait until the job is CANCELLED, then print its summary\n"
          "  --json          the summary as JSON (with --wait)\n"
          "  --db CONNINFO   PostgreSQL conninfo (default: PG* environment, else the\n"
          "                  managed local PostgreSQL of 'marcpipe db' when running)\n"
          "  --tenant T      tenant (default %s)\n"
          "  -h, --help      this help\n",
          MP_DEFAULT_TENANT);
}

int cmd_cancel(int argc, char **argv) {
  bool wait = false;
  mp_job_cli_t o = {.tenant = MP_DEFAULT_TENANT};
  const mp_job_argopt_t opts[] = {{"--wait", NULL, &wait, NULL}};
  int64_t id;
  int prc = mp__job_args("cancel", argc, argv, usage, opts, 1, &o, &id);
  if (prc >= 0)
    return prc;
  PGconn *c = NULL;
  char err[1024] = "";
  mp_cancel_result_t res = 0;
  int rc = mp_job_db_open(o.db, o.tenant, &c, err, sizeof err);
  if (!rc)
    rc = mp_job_cancel(c, id, &res, err, sizeof err);
  if (!rc)
    fprintf(stderr, "marcpipe cancel: job %lld %s\n", (long long)id,
            res == MP_CANCEL_DONE ? "CANCELLED (nobody was running it)"
                                  : "asked to cancel: the producer stops reading");
  mp_job_summary_t s;
  while (!rc && wait) {
    if ((rc = mp_job_get(c, id, &s, err, sizeof err)))
      break;
    if (!strcmp(s.status, "CANCELLED") || !strncmp(s.status, "COMPLETED", 9) ||
        !strcmp(s.status, "FAILED") || s.stalled) {
      if (o.json) {
        json_t *j = mp_job_summary_json(&s);
        json_dumpf(j, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(j);
      } else {
        mp_job_summary_print(stdout, &s);
      }
      break;
    }
    usleep(200 * 1000);
  }
  PQfinish(c);
  return mp__job_cmd_exit("cancel", rc, err);
}
