/* cmd_status.c: `marcpipe status JOB [--json] [--db CONNINFO] [--tenant T]`:
 * one job's state and counters (summed over its partitions). */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_status(int argc, char **argv) {
  mp_cli_t c;
  bool json = false;
  mp_cli_init(&c, "status");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_FLAG(0, "json", &json, "one JSON object on stdout"),
      MP_OPT_HELP(),
  MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&c), MP_CLI_TENANT(&c),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe status JOB [options]",
      "Show the status and counters of import job JOB: records processed of the\n"
      "total (known once the producer has delivered every record; until then\n"
      "the share of the input file its producer has read, JSON input_read),\n"
      "created, updated, duplicates, skipped, errors, timing.\n",
      "exit status: 0 ok, 1 failure (job not found, database error), 2 usage\n"};
  int prc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  int64_t id;
  if (mp_cli_job_arg(&c, &id))
    return 2;
  PGconn *conn = NULL;
  char err[1024];
  mp_job_summary_t s;
  mp_job_self_matches_t self = {0};
  int rc = mp_cli_db_open(&c, json, &conn) ? MP_EIO : 0;
  if (rc) {
    PQfinish(conn);
    return 1;
  }
  rc = mp_job_get(conn, id, &s, err, sizeof err);
  if (!rc && !json)
    rc = mp_job_self_matches(conn, id, &self, err, sizeof err);
  PQfinish(conn);
  if (rc) {
    fprintf(stderr, "marcpipe status: %s\n", err);
    return 1;
  }
  if (json) {
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
