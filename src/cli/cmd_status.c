/* cmd_status.c: `marcpipe status JOB [--json] [--db CONNINFO] [--tenant T]`:
 * one job's state and counters (summed over its partitions). */
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe status JOB [--json] [--db CONNINFO] [--tenant T]\n\n"
          "Show the status and counters of import job JOB: records processed of the\n"
          "total (known once the producer has delivered every record), created,\n"
          "updated, duplicates, skipped, errors, timing.\n\n"
          "options:\n"
          "  --json          one JSON object on stdout\n"
          "  --db CONNINFO   PostgreSQL conninfo (default: PG* environment, else the\n"
          "                  managed local PostgreSQL of 'marcpipe db' when running)\n"
          "  --tenant T      tenant (default %s); data lives in schema T_marcpipe\n"
          "  -h, --help      this help\n"
          "exit status: 0 ok, 1 failure (job not found, database error), 2 usage\n",
          MP_DEFAULT_TENANT);
}

int cmd_status(int argc, char **argv) {
  const char *jobarg = NULL;
  mp_job_cli_t o = {.tenant = MP_DEFAULT_TENANT};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (mp_job_cli_opt(argc, argv, &i, &o)) {
    } else if (argv[i][0] != '-' && !jobarg) {
      jobarg = argv[i];
    } else {
      fprintf(stderr, "marcpipe status: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  int64_t id = mp_job_cli_id(jobarg);
  if (id < 0) {
    fprintf(stderr, "marcpipe status: expected a job id\n");
    usage(stderr);
    return 2;
  }
  if (!mp_tenant_valid(o.tenant))
    return mp__cli_bad_usage("status", "%s", "--tenant wants [a-z][a-z0-9_]{0,30}");
  PGconn *c = NULL;
  char err[1024];
  mp_job_summary_t s;
  mp_job_self_matches_t self = {0};
  int rc = mp_job_db_open(o.db, o.tenant, &c, err, sizeof err);
  if (!rc)
    rc = mp_job_get(c, id, &s, err, sizeof err);
  if (!rc && !o.json)
    rc = mp_job_self_matches(c, id, &self, err, sizeof err);
  PQfinish(c);
  if (rc) {
    fprintf(stderr, "marcpipe status: %s\n", err);
    return 1;
  }
  if (o.json) {
    json_t *o = mp_job_summary_json(&s);
    if (!o || json_dumpf(o, stdout, JSON_COMPACT) < 0) {
      json_decref(o);
      return 1;
    }
    json_decref(o);
    fputc('\n', stdout);
  } else {
    mp_job_summary_print(stdout, &s);
    char line[400];
    mp_job_self_matches_line(&self, line, sizeof line);
    if (line[0])
      printf("  note       %s\n", line);
  }
  return 0;
}
