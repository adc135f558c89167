/* cmd_serve.c: `marcpipe serve [--listen 127.0.0.1:8080] [--db ...]`: the
 * web console and /metrics (serve.h) until SIGINT or SIGTERM. Prints the
 * URL on stdout once listening (port 0 = a free port, printed). Signals
 * are blocked before the server's threads start, so they all inherit the
 * mask and the main thread alone takes them (sigwait). */
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pgmanaged.h"
#include "marcpipe/serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe serve [--listen ADDR:PORT] [--db CONNINFO] [--tenant T]\n"
          "                      [--allow-control [--token TOKEN]] [--threads N]\n\n"
          "The web console: jobs with live progress, each job's counters, rate chart,\n"
          "log (outcome filter, paging), records, error export; /metrics for\n"
          "Prometheus; /api/jobs and /api/jobs/ID as JSON.\n\n"
          "options:\n"
          "  --listen ADDR:PORT  IPv4 address and port (default 127.0.0.1:8080; port 0\n"
          "                      = any free port; the URL is printed on stdout)\n"
          "  --allow-control     enable cancel, resume and delete (POST, with the token\n"
          "                      in the X-Marcpipe-Token header; the pages carry it)\n"
          "  --token TOKEN       the token ([A-Za-z0-9_-], at least 16; default\n"
          "                      $MARCPIPE_SERVE_TOKEN, else a random one, printed on\n"
          "                      stderr)\n"
          "  --threads N         server threads and database connections (default 4)\n"
          "  --db CONNINFO       PostgreSQL conninfo (default: PG* environment, else the\n"
          "                      managed local PostgreSQL of 'marcpipe db' when running)\n"
          "  --tenant T          tenant (default %s)\n"
          "  -h, --help          this help\n",
          MP_DEFAULT_TENANT);
}

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
  int threads = 4;
  mp_job_cli_t o = {.tenant = MP_DEFAULT_TENANT};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--json") && mp_job_cli_opt(argc, argv, &i, &o)) {
    } else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
      listen = argv[++i];
    } else if (!strcmp(argv[i], "--token") && i + 1 < argc) {
      token = argv[++i];
    } else if (!strcmp(argv[i], "--allow-control")) {
      control = true;
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      uint64_t v;
      if (mp__cli_count(argv[++i], 64, &v) || !v)
        return mp__cli_bad_usage("serve", "%s", "--threads wants 1..64");
      threads = (int)v;
    } else {
      char msg[128];
      snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[i]);
      return mp__cli_bad_usage("serve", "%s", msg);
    }
  }
  if (!mp_tenant_valid(o.tenant))
    return mp__cli_bad_usage("serve", "%s", "--tenant wants [a-z][a-z0-9_]{0,30}");
  char host[64];
  const char *colon = strrchr(listen, ':');
  uint64_t port = 0;
  if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
      mp__cli_count(colon + 1, 65535, &port))
    return mp__cli_bad_usage("serve", "%s", "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080");
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
  if (o.db)
    snprintf(ci, sizeof ci, "%s", o.db);
  else
    mp_pgmanaged_default_conninfo(ci, sizeof ci);
  if (uv_exepath(self, &selflen))
    self[0] = 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  mp_serve_opts_t so = {.conninfo = ci, .tenant = o.tenant, .host = host,
                        .port = (int)port, .allow_control = control,
                        .token = control ? token : NULL,
                        .self_exe = self[0] ? self : NULL, .threads = threads};
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
