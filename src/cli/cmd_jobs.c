/* cmd_jobs.c: `marcpipe jobs [--limit N] [--json] [--db CONNINFO]
 * [--tenant T]`: the tenant's jobs, newest first, one line each. */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/text.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_jobs(int argc, char **argv) {
  mp_cli_t cl;
  bool json = false;
  int64_t limit = 50;
  mp_cli_init(&cl, "jobs");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_COUNT(0, "limit", &limit, 0, INT64_MAX, "N",
                   "at most N jobs (default 50, 0 = all)"),
      MP_OPT_FLAG(0, "json", &json, "a JSON array of job objects on stdout"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe jobs [options]",
      "List import jobs, newest first: id, status, processed/total, errors, file.\n",
      NULL};
  int prc = mp_cli_parse(&cl, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  if (cl.nargs)
    return mp__cli_bad_usage("jobs", "unexpected argument '%s'", cl.args[0]);
  PGconn *c = NULL;
  char err[1024];
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  if (mp_cli_db_open(&cl, json, &c)) {
    PQfinish(c);
    return 1;
  }
  int rc = mp_job_list(c, (size_t)limit, &v, &n, err, sizeof err);
  PQfinish(c);
  if (rc) {
    fprintf(stderr, "marcpipe jobs: %s\n", err);
    return 1;
  }
  if (json) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, mp_job_summary_json(&v[i]));
    json_dumpf(a, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(a);
  } else {
    printf("%-8s %-22s %21s %8s  %s\n", "ID", "STATUS", "PROCESSED/TOTAL", "ERRORS", "FILE");
    for (size_t i = 0; i < n; i++) {
      char prog[48];
      if (v[i].total >= 0)
        snprintf(prog, sizeof prog, "%lld/%lld", (long long)v[i].processed,
                 (long long)v[i].total);
      else
        snprintf(prog, sizeof prog, "%lld/?", (long long)v[i].processed);
      char file[3 * sizeof v[i].file_name]; /* a newline must not forge a row */
      mp_text_shown(v[i].file_name, file, sizeof file);
      printf("%-8lld %-22s %21s %8lld  %s\n", (long long)v[i].id,
             mp_job_display_status(&v[i]), prog, (long long)v[i].errors,
             file[0] ? file : "-");
    }
  }
  free(v);
  return 0;
}
