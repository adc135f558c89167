/* cmd_jobs.c: `marcpipe jobs [--limit N] [--json] [--db CONNINFO]
 * [--tenant T]`: the tenant's jobs, newest first, one line each. */
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

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe jobs [--limit N] [--json] [--db CONNINFO] [--tenant T]\n\n"
          "List import jobs, newest first: id, status, processed/total, errors, file.\n\n"
          "options:\n"
          "  --limit N       at most N jobs (default 50, 0 = all)\n"
          "  --json          a JSON array of job objects on stdout\n"
          "  --db CONNINFO   PostgreSQL conninfo (default: PG* environment, else the\n"
          "                  managed local PostgreSQL of 'marcpipe db' when running)\n"
          "  --tenant T      tenant (default %s)\n"
          "  -h, --help      this help\n",
          MP_DEFAULT_TENANT);
}

int cmd_jobs(int argc, char **argv) {
  mp_job_cli_t o = {.tenant = MP_DEFAULT_TENANT};
  long limit = 50;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (mp_job_cli_opt(argc, argv, &i, &o)) {
    } else if (!strcmp(argv[i], "--limit") && i + 1 < argc &&
               (limit = strtol(argv[i + 1], &end, 10)) >= 0 && !*end) {
      i++;
    } else {
      fprintf(stderr, "marcpipe jobs: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!mp_tenant_valid(o.tenant))
    return mp__cli_bad_usage("jobs", "%s", "--tenant wants [a-z][a-z0-9_]{0,30}");
  PGconn *c = NULL;
  char err[1024];
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  int rc = mp_job_db_open(o.db, o.tenant, &c, err, sizeof err);
  if (!rc)
    rc = mp_job_list(c, (size_t)limit, &v, &n, err, sizeof err);
  PQfinish(c);
  if (rc) {
    fprintf(stderr, "marcpipe jobs: %s\n", err);
    return 1;
  }
  if (o.json) {
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
      printf("%-8lld %-22s %21s %8lld  %s\n", (long long)v[i].id, v[i].status, prog,
             (long long)v[i].errors, file[0] ? file : "-");
    }
  }
  free(v);
  return 0;
}
