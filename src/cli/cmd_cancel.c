/* cmd_cancel.c: `marcpipe cancel JOB`: ask a running job to stop (its
 * producer stops reading, the workers finish what was produced, the job
 * ends CANCELLED with exact counters), or cancel at once a job nobody runs
 * (NEW or stalled). Works from any terminal: the request is a column of
 * the job row, seen by the producer's lease (lease.h). --wait waits until
 * the job is CANCELLED and prints its summary. Options: the shared option
 * layer (cli_groups.h: database, state dir, tenant). */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_cancel(int argc, char **argv) {
  bool wait = false, json = false;
  mp_cli_t cl;
  mp_cli_init(&cl, "cancel");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_FLAG(0, "wait", &wait,
                  "wait until the job is CANCELLED, then print its\n"
                  "summary"),
      MP_OPT_FLAG(0, "json", &json, "the summary as JSON (with --wait)"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe cancel JOB [--wait] [--json] [options]",
      "Cancel job JOB. A running job's producer stops reading; the workers\n"
      "finish the records already produced and the job ends CANCELLED with\n"
      "exact counters. A job nobody runs (NEW, or STALLED: its processes are\n"
      "gone) is CANCELLED at once. Resume it with\n"
      "`marcpipe import --resume JOB`.\n",
      "exit status: 0 ok, 1 failure (job not found or finished, database\n"
      "error), 2 usage\n"};
  int64_t id;
  int prc = mp_cli_parse_job(&cl, opts, &u, argc, argv, &id);
  if (prc >= 0)
    return prc;
  PGconn *c = NULL;
  char err[1024] = "";
  mp_cancel_result_t res = 0;
  if (mp_cli_db_open(&cl, json, &c)) {
    PQfinish(c);
    return 1;
  }
  int rc = mp_job_cancel(c, id, &res, err, sizeof err);
  if (!rc)
    fprintf(stderr, "marcpipe cancel: job %lld %s\n", (long long)id,
            res == MP_CANCEL_DONE ? "CANCELLED (nobody was running it)"
                                  : "asked to cancel: the producer stops reading");
  mp_job_summary_t s;
  while (!rc && wait) {
    if ((rc = mp_job_get(c, id, &s, err, sizeof err)))
      break;
    if (mp_job_status_final(s.status) || s.stalled) {
      if (json) {
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
  return mp__cli_fail("cancel", rc, err);
}
