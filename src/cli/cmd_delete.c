/* cmd_delete.c: `marcpipe delete JOB [--yes]`: remove a finished (or
 * stalled) job's log, journal, source records, progress and the job row.
 * Instances stay: they belong to the inventory. Without --yes, asks on the
 * terminal; with no terminal and no --yes, refuses (exit 2). Options: the
 * shared option layer (cli_groups.h: database, state dir, tenant). */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_delete(int argc, char **argv) {
  bool yes = false;
  mp_cli_t cl;
  mp_cli_init(&cl, "delete");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Options:"),
      MP_OPT_FLAG('y', "yes", &yes, "do not ask for confirmation"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe delete JOB [--yes] [options]",
      "Delete job JOB's log, journal and source records (Instances stay).\n"
      "Only a job that is not running: finished, cancelled, failed or stalled.\n"
      "Without --yes, asks on the terminal; with no terminal, refuses (exit 2).\n",
      "exit status: 0 deleted, 1 failure (job not found or running, not\n"
      "confirmed, database error), 2 usage\n"};
  int64_t id;
  int prc = mp_cli_parse_job(&cl, opts, &u, argc, argv, &id);
  if (prc >= 0)
    return prc;
  if (!yes) {
    if (!isatty(STDIN_FILENO))
      return mp__cli_bad_usage("delete", "%s", "not a terminal: confirm with --yes");
    fprintf(stderr, "delete job %lld's log, journal and source records? [y/N] ",
            (long long)id);
    char line[16];
    if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y')) {
      fprintf(stderr, "marcpipe delete: nothing deleted\n");
      return 1;
    }
  }
  PGconn *c = NULL;
  char err[1024] = "";
  int64_t rows = 0;
  if (mp_cli_db_open(&cl, false, &c)) {
    PQfinish(c);
    return 1;
  }
  int rc = mp_job_delete(c, id, &rows, err, sizeof err);
  PQfinish(c);
  if (rc)
    return mp__cli_fail("delete", rc, err);
  printf("job %lld deleted: %lld journal rows; Instances kept\n", (long long)id,
         (long long)rows);
  return 0;
}
