/* cmd_db.c: `marcpipe db start|stop|status|env [--state-dir DIR]`, the
 * managed local PostgreSQL (src/embed/pgmanaged.c). Data on stdout,
 * diagnostics on stderr; exit 0 ok, 1 failure, 2 usage. */
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/pgmanaged.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe db start|stop|status|env [--state-dir DIR]\n\n"
          "Manage a local PostgreSQL for marcpipe: one cluster per state directory\n"
          "(default $XDG_STATE_HOME/marcpipe/pg, else ~/.local/state/marcpipe/pg;\n"
          "/var/lib/marcpipe/pg as root). It listens on a unix socket inside the\n"
          "state directory only (port %d, no TCP) with trust authentication, and\n"
          "survives between runs. As root it runs as the 'postgres' system user.\n\n"
          "  start    initdb on first use, then start (no-op when running)\n"
          "  stop     fast shutdown (no-op when stopped)\n"
          "  status   print 'running' or 'stopped' and the conninfo; exit 1 when\n"
          "           not running\n"
          "  env      print export lines (PGHOST PGPORT PGUSER PGDATABASE) for a shell:\n"
          "           eval \"$(marcpipe db env)\"\n\n"
          "options:\n"
          "  --state-dir DIR   cluster directory\n"
          "  -h, --help        this help\n",
          MP_PGMANAGED_PORT);
}

int cmd_db(int argc, char **argv) {
  const char *action = NULL, *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc) {
      dir = argv[++i];
    } else if (!strncmp(argv[i], "--state-dir=", 12)) {
      dir = argv[i] + 12;
    } else if (argv[i][0] != '-' && !action) {
      action = argv[i];
    } else {
      fprintf(stderr, "marcpipe db: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!action) {
    usage(stderr);
    return 2;
  }
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
  fprintf(stderr, "marcpipe db: unknown action '%s'\n", action);
  usage(stderr);
  return 2;
}
