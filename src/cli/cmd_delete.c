/* cmd_delete.c: `marcpipe delete JOB [--yes]`: remove a finished (or
 * stalled) job's log, journal, source records, progress and the job row.
 * Instances stay: they belong to the inventory. Without --yes, asks on the
 * terminal; with no terminal and no --yes, refuses (exit 2). */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/job_args.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe delete JOB [--yes] [--db CONNINFO] [--tenant T]\n\n"
          "Delete job JOB's log, journal and source records (Instances stay).\n"
          "Only a job that is not running: finished, cancelled, failed or stalled.\n\n"
          "options:\n"
          "  -y, --yes       do not ask for confirmation\n"
          "  --db CONNINFO   PostgreSQL conninfo (default: PG* environment, else the\n"
          "                  managed local PostgreSQL of 'marcpipe db' when running)\n"
          "  --tenant T      tenant (default %s)\n"
          "  -h, --help      this help\n",
          MP_DEFAULT_TENANT);
}

int cmd_delete(int argc, char **argv) {
  bool yes = false;
  mp_job_cli_t o = {.tenant = MP_DEFAULT_TENANT};
  const mp_job_argopt_t opts[] = {{"--yes", "-y", &yes, NULL}};
  int64_t id;
  int prc = mp__job_args("delete", argc, argv, usage, opts, 1, &o, &id);
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
  int rc = mp_job_db_open(o.db, o.tenant, &c, err, sizeof err);
  if (!rc)
    rc = mp_job_delete(c, id, &rows, err, sizeof err);
  PQfinish(c);
  if (rc)
    return mp__job_cmd_exit("delete", rc, err);
  printf("job %lld deleted: %lld journal rows; Instances kept\n", (long long)id,
         (long long)rows);
  return 0;
}
