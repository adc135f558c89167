/* cmd_db.c: `marcpipe db start|stop|status|env [--state-dir DIR]`, the
 * managed local PostgreSQL (src/embed/pgmanaged.c). Data on stdout,
 * diagnostics on stderr; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/pgmanaged.h"

#include <stdio.h>
#include <string.h>

int cmd_db(int argc, char **argv) {
  mp_cli_t c;
  mp_cli_init(&c, "db");
  mp_opt_t opts[] = {
      MP_OPT_TEXT("\n"
                  "  start    initdb on first use, then start (no-op when running)\n"
                  "  stop     fast shutdown (no-op when stopped)\n"
                  "  status   print 'running' or 'stopped' and the conninfo; exit 1 when\n"
                  "           not running\n"
                  "  env      print export lines (PGHOST PGPORT PGUSER PGDATABASE) for a shell:\n"
                  "           eval \"$(marcpipe db env)\""),
      MP_OPT_GROUP("options:"),
      MP_CLI_STATE_DIR(&c),
      MP_OPT_HELP(),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe db start|stop|status|env [--state-dir DIR]",
      "Manage a local PostgreSQL for marcpipe: one cluster per state directory.\n"
      "It listens on a unix socket inside the state directory only (port "
      MP_CLI_STR(MP_PGMANAGED_PORT) ",\nno TCP) with trust authentication, and "
      "survives between runs. As root it runs\nas the 'postgres' system user. "
      "Every command that uses the managed\ndatabase (import, jobs, status, "
      "errors, log, cancel, delete, work, produce,\nserve, circ) takes the "
      "same --state-dir and $MARCPIPE_STATE_DIR.\n",
      NULL};
  int prc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  if (c.nargs != 1)
    return mp__cli_bad_usage("db", "%s",
                             c.nargs ? "one action expected"
                                     : "no action: start, stop, status or env");
  const char *action = c.args[0], *dir = c.state_dir;
  char dflt[512];
  if (!dir && !mp_pgmanaged_default_dir(dflt, sizeof dflt))
    dir = dflt;
  char err[1024] = "", ci[1024] = "";
  bool running = false;
  if (!strcmp(action, "start")) {
    bool started = false;
    if (mp_pgmanaged_start(dir, ci, sizeof ci, &started, err, sizeof err)) {
      fprintf(stderr, "marcpipe db: %s\n", err);
      return 1;
    }
    fprintf(stderr, "marcpipe db: %s\n", started ? "started" : "already running");
    printf("%s\n", ci);
    return 0;
  }
  if (!strcmp(action, "stop")) {
    if (mp_pgmanaged_stop(dir, err, sizeof err)) {
      fprintf(stderr, "marcpipe db: %s\n", err);
      return 1;
    }
    return 0;
  }
  if (!strcmp(action, "status") || !strcmp(action, "env")) {
    int rc = mp_pgmanaged_status(dir, &running, ci, sizeof ci);
    if (rc && rc != MP_ENOTFOUND) {
      fprintf(stderr, "marcpipe db: %s\n", mp_strerror(rc));
      return 1;
    }
    if (!strcmp(action, "status")) {
      printf("%s\t%s\n", running ? "running" : (rc ? "absent" : "stopped"), ci);
      return running ? 0 : 1;
    }
    char host[1024] = "";
    sscanf(ci, "host=%1023s", host);
    if (!running)
      fprintf(stderr, "marcpipe db: not running (start it with 'marcpipe db start')\n");
    printf("export PGHOST='%s' PGPORT=%d PGUSER=postgres PGDATABASE=postgres\n", host,
           MP_PGMANAGED_PORT);
    return running ? 0 : 1;
  }
  return mp__cli_bad_usage("db", "unknown action '%s'", action);
}
