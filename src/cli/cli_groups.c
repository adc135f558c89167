/* cli_groups.c: the shared option groups' values, their environment
 * defaults and the checks made after parsing (see cli_groups.h).
 * Single-threaded; blocking (the database resolution may start the
 * managed PostgreSQL). */
#include "cli/cli_groups.h"

#include "cli/cli_util.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/pg.h"
#include "marcpipe/pgmanaged.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mp_cli_init(mp_cli_t *c, const char *cmd) {
  memset(c, 0, sizeof *c);
  c->cmd = cmd;
  c->env = MP_DEFAULT_ENV;
  c->ns = MP_DEFAULT_NAMESPACE;
  c->tenant = MP_DEFAULT_TENANT;
  const char *b = getenv("MARCPIPE_BROKERS");
  c->brokers = b && *b ? b : NULL;
  const char *d = getenv("MARCPIPE_DB");
  c->db = d && *d ? d : NULL;
  c->window = c->window_bytes = c->batch = c->sinks = MP_CLI_UNSET;
  c->sink_latency_ms = MP_CLI_UNSET;
  c->partitions = c->max_backlog = c->max_backlog_bytes = MP_CLI_UNSET;
  c->replication_factor = MP_CLI_UNSET;
  mp_profile_builder_init(&c->profile);
  /* an unreachable database server fails in seconds, not after the TCP
   * timeout (a conninfo's own connect_timeout wins); children inherit it */
  setenv("PGCONNECT_TIMEOUT", "10", 0);
}

void mp_cli_release(mp_cli_t *c) {
  free(c->envprops);
  c->envprops = NULL;
}

int mp__cli_opt_prop(const mp_opt_t *o, const char *arg, char *err,
                     size_t n) {
  mp_cli_t *c = o->value;
  if (c->nx == MP_CLI_MAX_PROPS || !strchr(arg, '=') || arg[0] == '=') {
    snprintf(err, n, "-X wants name=value (at most %d)", MP_CLI_MAX_PROPS);
    return -1;
  }
  c->xprops[c->nx++] = arg;
  return 0;
}

int mp__cli_opt_from(const mp_opt_t *o, const char *arg, char *err,
                     size_t n) {
  mp_cli_t *c = o->value;
  int f = mp_marc_format_parse(arg);
  if (f < 0) {
    snprintf(err, n, "--from wants iso2709, marcxml or json (got '%s')", arg);
    return -1;
  }
  c->from = arg;
  c->format = (mp_marc_format_t)f;
  return 0;
}

/* The matching group's options and the profile settings they make. */
static const struct {
  const char *name;
  mp_profile_opt_t opt;
} profile_opts[] = {{"match", MP_PROFILE_OPT_MATCH},
                    {"on-match", MP_PROFILE_OPT_ON_MATCH},
                    {"on-no-match", MP_PROFILE_OPT_ON_NO_MATCH},
                    {"profile", MP_PROFILE_OPT_NAMED}};

int mp__cli_opt_match(const mp_opt_t *o, const char *arg, char *err,
                      size_t n) {
  mp_cli_t *c = o->value;
  char name[64];
  snprintf(name, sizeof name, "--%s", o->long_name);
  for (size_t k = 0; k < sizeof profile_opts / sizeof *profile_opts; k++) {
    if (strcmp(profile_opts[k].name, o->long_name))
      continue;
    if (mp_profile_builder_set(&c->profile, profile_opts[k].opt, name, arg) < 0) {
      snprintf(err, n, "%s", c->profile.err);
      return -1;
    }
    return 0;
  }
  snprintf(err, n, "%s is not a matching option", name);
  return -1;
}

int mp_cli_parse(mp_cli_t *c, mp_opt_t *opts, const mp_opt_usage_t *u,
                 int argc, char **argv) {
  int rc = mp_opt_parse(c->cmd, opts, u, argc, argv, &c->nargs);
  if (rc >= 0)
    return rc;
  c->args = argv + 1;
  if (!mp_tenant_valid(c->tenant))
    return mp__cli_bad_usage(c->cmd, "--tenant wants [a-z][a-z0-9_]{0,30} "
                                     "(got '%s')", c->tenant);
  /* $MARCPIPE_KAFKA_PROPS first, so that -X overrides it */
  if (mp_opt_find(opts, "property")) {
    if (mp__cli_env_props(c->cmd, &c->envprops, c->props, &c->nprops,
                          MP_CLI_MAX_PROPS - c->nx))
      return 2;
    for (size_t i = 0; i < c->nx; i++)
      c->props[c->nprops++] = c->xprops[i];
  }
  return -1;
}

int mp_cli_db(const mp_cli_t *c, bool start, bool quiet, char *out,
              size_t n) {
  char err[1024] = "", dir[512] = "";
  if (c->db) {
    snprintf(out, n, "%s", c->db);
    return 0;
  }
  if (mp_pgmanaged_env_names_server()) {
    snprintf(out, n, "%s", "");
    return 0;
  }
  if (c->state_dir && *c->state_dir)
    snprintf(dir, sizeof dir, "%s", c->state_dir);
  else if (mp_pgmanaged_default_dir(dir, sizeof dir)) {
    fprintf(stderr, "marcpipe %s: no database: give --db, set PGHOST, or "
                    "give --state-dir for the managed PostgreSQL\n", c->cmd);
    return 1;
  }
  if (start) {
    if (mp_pgmanaged_ensure(dir, out, n, err, sizeof err)) {
      fprintf(stderr, "marcpipe %s: %s\n", c->cmd, err);
      return 1;
    }
  } else {
    bool running = false;
    int rc = mp_pgmanaged_status(dir, &running, out, n);
    if (rc == MP_ECONFIG || (!running && rc != MP_ENOTFOUND && rc)) {
      fprintf(stderr, "marcpipe %s: %s: %s\n", c->cmd, dir, mp_strerror(rc));
      return 1;
    }
    if (!running) {
      fprintf(stderr,
              "marcpipe %s: no database: the managed PostgreSQL in %s is %s "
              "(start it with 'marcpipe db start --state-dir %s', or give "
              "--db or PGHOST)\n",
              c->cmd, dir, rc == MP_ENOTFOUND ? "absent" : "not running", dir);
      return 1;
    }
  }
  if (!quiet)
    fprintf(stderr, "marcpipe %s: database: the managed PostgreSQL in %s\n",
            c->cmd, dir);
  return 0;
}

void mp_cli_backlog(const mp_cli_t *c, int *partitions, int64_t *records,
                    int64_t *bytes) {
  int64_t r, b;
  *partitions = c->partitions != MP_CLI_UNSET ? (int)c->partitions : 8;
  mp_producer_default_backlog(*partitions, &r, &b);
  *records = c->max_backlog == MP_CLI_UNSET ? r
             : c->max_backlog == 0          ? -1
                                            : c->max_backlog;
  *bytes = c->max_backlog_bytes == MP_CLI_UNSET ? b
           : c->max_backlog_bytes == 0          ? -1
                                                : c->max_backlog_bytes;
}

int mp_cli_topics_ensure(mp_cli_t *c, mp_topic_spec_t *ts, size_t n,
                         bool quiet, char *err, size_t errlen) {
  for (size_t i = 0; i < n; i++)
    ts[i].replication_factor = c->replication_factor == MP_CLI_UNSET
                                   ? 0
                                   : (int)c->replication_factor;
  mp_kafka_admin_opts_t ao = {.brokers = c->brokers, .props = c->props,
                              .nprops = c->nprops};
  int rc = mp_kafka_topics_ensure(&ao, ts, n, err, errlen);
  if (rc)
    return rc;
  for (size_t i = 0; i < n && !quiet; i++)
    if (ts[i].created)
      fprintf(stderr, "marcpipe %s: created topic %s (%d partitions, "
                      "replication %d)\n", c->cmd, ts[i].name,
              ts[i].partitions_found, ts[i].replication_found);
  if (n && !ts[0].created && ts[0].partitions_found != ts[0].partitions) {
    if (c->partitions != MP_CLI_UNSET)
      fprintf(stderr, "marcpipe %s: topic %s exists with %d partitions: "
                      "using it as it is (--partitions %d ignored)\n",
              c->cmd, ts[0].name, ts[0].partitions_found, ts[0].partitions);
    c->partitions = ts[0].partitions_found;
  }
  return 0;
}

int mp_cli_job_arg(const mp_cli_t *c, int64_t *id) {
  *id = c->nargs == 1 ? mp__cli_job_id(c->args[0]) : -1;
  return *id < 0 ? mp__cli_bad_usage(c->cmd, "%s", "expected one job id") : 0;
}

int mp_cli_parse_job(mp_cli_t *c, mp_opt_t *opts, const mp_opt_usage_t *u,
                     int argc, char **argv, int64_t *id) {
  int rc = mp_cli_parse(c, opts, u, argc, argv);
  if (rc >= 0)
    return rc;
  return mp_cli_job_arg(c, id) ? 2 : -1;
}

int mp_cli_db_open(const mp_cli_t *c, bool quiet, struct pg_conn **conn) {
  char ci[1024], err[1024];
  *conn = NULL;
  if (mp_cli_db(c, false, quiet, ci, sizeof ci))
    return 1;
  if (mp_pg_connect(ci, c->tenant, conn, err, sizeof err)) {
    fprintf(stderr, "marcpipe %s: database: %s\n", c->cmd, err);
    return 1;
  }
  return 0;
}

/* What the first bytes look like: a format, or MP_FMT_AUTO when they say
 * nothing for sure. ISO 2709: a leader whose record length (0-4) and base
 * address (12-16) are digits. */
static mp_marc_format_t looks_like(const unsigned char *p, size_t n) {
  size_t i = 0;
  if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
    i = 3;
  while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
    i++;
  if (i < n && p[i] == '<')
    return MP_FMT_MARCXML;
  if (i < n && (p[i] == '{' || p[i] == '['))
    return MP_FMT_JSON;
  if (n < 24)
    return MP_FMT_AUTO;
  for (size_t k = 0; k < 17; k++)
    if ((k < 5 || k >= 12) && (p[k] < '0' || p[k] > '9'))
      return MP_FMT_AUTO;
  return MP_FMT_ISO2709;
}

static const char *format_words(mp_marc_format_t f) {
  return f == MP_FMT_MARCXML ? "MARCXML"
         : f == MP_FMT_JSON  ? "MARC-in-JSON"
                             : "ISO 2709";
}

int mp_cli_check_input(const mp_cli_t *c, const char *path) {
  if (!strcmp(path, "-"))
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    fprintf(stderr, "marcpipe %s: %s: %s\n", c->cmd, path,
            mp_strerror(-errno));
    return 1;
  }
  struct stat st;
  unsigned char head[4096];
  ssize_t got = 0;
  const char *why = NULL;
  if (fstat(fd, &st))
    why = mp_strerror(-errno);
  else if (S_ISDIR(st.st_mode))
    why = "is a directory, not a MARC file";
  else if (S_ISREG(st.st_mode) && (got = read(fd, head, sizeof head)) < 0)
    why = mp_strerror(-errno);
  close(fd);
  if (why) {
    fprintf(stderr, "marcpipe %s: %s: %s\n", c->cmd, path, why);
    return 1;
  }
  mp_marc_format_t seen = looks_like(head, got > 0 ? (size_t)got : 0);
  if (c->format != MP_FMT_AUTO && seen != MP_FMT_AUTO && seen != c->format) {
    fprintf(stderr,
            "marcpipe %s: %s: --from %s, but this looks like %s (leave out "
            "--from to detect the format)\n",
            c->cmd, path, mp_marc_format_name(c->format), format_words(seen));
    return 1;
  }
  return 0;
}
