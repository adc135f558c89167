/* cmd_serve.c: `marcpipe serve [--listen 127.0.0.1:8080] [--db ...]`: the
 * web console and /metrics (serve.h) until SIGINT or SIGTERM. Prints the
 * URL on stdout once listening (port 0 = a free port, printed). Signals
 * are blocked before the server's threads start, so they all inherit the
 * mask and the main thread alone takes them (sigwait). Options: the shared
 * option layer (cli_groups.h: database, state dir, tenant); the database
 * is resolved (and named when it is the managed one) before listening. */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static bool token_chars_ok(const char *t) {
  for (; *t; t++)
    if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
          (*t >= '0' && *t <= '9') || *t == '-' || *t == '_'))
      return false;
  return true;
}

static int random_token(char *out, size_t n) {
  unsigned char raw[16];
  FILE *f = fopen("/dev/urandom", "rb");
  size_t got = f ? fread(raw, 1, sizeof raw, f) : 0;
  if (f)
    fclose(f);
  if (got != sizeof raw || n < 2 * sizeof raw + 1)
    return MP_EIO;
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

int cmd_serve(int argc, char **argv) {
  const char *listen = "127.0.0.1:8080", *token = getenv("MARCPIPE_SERVE_TOKEN");
  bool control = false;
  int64_t threads = 4;
  mp_cli_t cl;
  mp_cli_init(&cl, "serve");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Server:"),
      MP_OPT_STRING(0, "listen", &listen, "ADDR:PORT",
                    "IPv4 address and port (default 127.0.0.1:8080;\n"
                    "port 0 = any free port; the URL is printed on stdout)"),
      MP_OPT_FLAG(0, "allow-control", &control,
                  "enable cancel, resume and delete (POST, with the\n"
                  "token in the X-Marcpipe-Token header; the pages\n"
                  "carry it)"),
      MP_OPT_STRING(0, "token", &token, "TOKEN",
                    "the token ([A-Za-z0-9_-], at least 16; default\n"
                    "$MARCPIPE_SERVE_TOKEN, else a random one, printed\n"
                    "on stderr)"),
      MP_OPT_COUNT(0, "threads", &threads, 1, 64, "N",
                   "server threads and database connections (default 4)"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe serve [--listen ADDR:PORT] [--allow-control [--token TOKEN]]\n"
      "[options]",
      "The web console: jobs with live progress, each job's counters, rate chart,\n"
      "log (outcome filter, paging), records, error export; /metrics for\n"
      "Prometheus; /api/jobs and /api/jobs/ID as JSON. Runs until SIGINT or\n"
      "SIGTERM.\n",
      "exit status: 0 stopped by a signal, 1 failure (database, address in\n"
      "use), 2 usage\n"};
  int prc = mp_cli_parse(&cl, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  if (cl.nargs)
    return mp__cli_bad_usage("serve", "unexpected argument '%s'", cl.args[0]);
  char host[64];
  const char *colon = strrchr(listen, ':');
  uint64_t port = 0;
  if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
      mp__cli_count(colon + 1, 65535, &port))
    return mp__cli_bad_usage("serve", "--listen wants ADDR:PORT, e.g. "
                             "127.0.0.1:8080 (got '%s')", listen);
  snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
  char gen[40];
  if (control && !token) {
    if (random_token(gen, sizeof gen)) {
      fprintf(stderr, "marcpipe serve: cannot make a token\n");
      return 1;
    }
    token = gen;
    fprintf(stderr, "marcpipe serve: control token %s\n", token);
  }
  if (control && (strlen(token) < 16 || !token_chars_ok(token)))
    return mp__cli_bad_usage("serve", "%s", "--token wants 16+ characters of [A-Za-z0-9_-]");
  if (strcmp(host, "127.0.0.1"))
    fprintf(stderr, "marcpipe serve: listening on %s, not loopback: anyone who can "
                    "reach it reads the jobs\n", host);
  char ci[1024], self[4096];
  size_t selflen = sizeof self;
  if (mp_cli_db(&cl, false, false, ci, sizeof ci))
    return 1;
  if (uv_exepath(self, &selflen))
    self[0] = 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  mp_serve_opts_t so = {.conninfo = ci, .tenant = cl.tenant, .host = host,
                        .port = (int)port, .allow_control = control,
                        .token = control ? token : NULL,
                        .self_exe = self[0] ? self : NULL, .threads = (int)threads};
  mp_serve_t *srv = NULL;
  char err[1024];
  if (mp_serve_start(&so, &srv, err, sizeof err)) {
    fprintf(stderr, "marcpipe serve: %s\n", err);
    return 1;
  }
  printf("http://%s:%d/\n", host, mp_serve_port(srv));
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "marcpipe serve: stopping (signal %d)\n", sig);
  mp_serve_stop(srv);
  return 0;
}
