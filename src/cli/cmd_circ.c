/* cmd_circ.c: `marcpipe circ <subcommand>`: circulation events through the
 * pull pipeline (include/marcpipe/circ.h): the dispatch table, the options
 * the subcommands share, and `circ produce`. */
#include "cli/cmd_circ.h"
#include "cli/commands.h"

#include "marcpipe/circ.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} sub_t;

static const sub_t subs[] = {
    {"produce", circ_produce, "stream an NDJSON events file into Kafka"},
    {"work", circ_work, "consume events for one service (blocks, audit)"},
    {"blocks", circ_blocks, "say whether a patron is blocked, and why"},
    {"summary", circ_summary, "a patron's summary (or every patron's) as JSON"},
    {"audit", circ_audit, "audit log rows of a user or an item"},
    {"limits", circ_limits, "show or set block limits per patron group"},
    {"gen", circ_gen, "generate a realistic event stream and its oracle"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: marcpipe circ <subcommand> [options]\n\n"
               "Circulation events (schemas/events/circulation-event-v1.md) "
               "through the same\npull pipeline as MARC imports: one topic "
               "ENV.Default.TENANT.%s keyed by\npatron, one consumer group "
               "per service, state in the tenant's schema.\n\nsubcommands:\n",
          MP_EVENT_CIRCULATION);
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    fprintf(out, "  %-8s %s\n", subs[i].name, subs[i].summary);
  fprintf(out, "\n'marcpipe circ <subcommand> --help' explains one.\n");
}

int cmd_circ(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    if (!strcmp(argv[1], subs[i].name))
      return subs[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "marcpipe circ: unknown subcommand '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}

/* ---- shared options ---- */

void circ_opts_init(circ_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->brokers = getenv("MARCPIPE_BROKERS");
  o->db = getenv("MARCPIPE_DB") ? getenv("MARCPIPE_DB") : "";
  o->tenant = MP_DEFAULT_TENANT;
  o->env = MP_DEFAULT_ENV;
}

const char *circ_value(const char *cmd, int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    fprintf(stderr, "marcpipe circ %s: option '%s' needs a value\n", cmd,
            argv[*i]);
    return NULL;
  }
  return argv[++*i];
}

int circ_count(const char *cmd, const char *opt, const char *v, uint64_t max,
               uint64_t *out) {
  char *end;
  unsigned long long x = strtoull(v, &end, 10);
  if (!*v || *end || *v == '-' || x > max) {
    fprintf(stderr, "marcpipe circ %s: %s wants a count 0..%" PRIu64
                    " (got '%s')\n", cmd, opt, max, v);
    return -1;
  }
  *out = x;
  return 0;
}

int circ_opts_take(const char *cmd, int argc, char **argv, int *i,
                   circ_opts_t *o) {
  const char *a = argv[*i], *v;
  const char **slot = !strcmp(a, "-b") || !strcmp(a, "--brokers") ? &o->brokers
                      : !strcmp(a, "-d") || !strcmp(a, "--db")     ? &o->db
                      : !strcmp(a, "--tenant")                     ? &o->tenant
                      : !strcmp(a, "--env")                        ? &o->env
                      : !strcmp(a, "-t") || !strcmp(a, "--topic")  ? &o->topic
                                                                   : NULL;
  bool prop = !strcmp(a, "-X") || !strcmp(a, "--property");
  if (!slot && !prop)
    return 0;
  if (!(v = circ_value(cmd, argc, argv, i)))
    return -1;
  if (slot) {
    *slot = v;
    return 1;
  }
  if (!strchr(v, '=') || o->nprops == sizeof o->props / sizeof *o->props) {
    fprintf(stderr, "marcpipe circ %s: -X wants name=value (at most 64)\n",
            cmd);
    return -1;
  }
  o->props[o->nprops++] = v;
  return 1;
}

int circ_opts_finish(const char *cmd, circ_opts_t *o) {
  if (!mp_tenant_valid(o->tenant)) {
    fprintf(stderr, "marcpipe circ %s: invalid tenant '%s' (want "
                    "[a-z][a-z0-9_]{0,30})\n", cmd, o->tenant);
    return 2;
  }
  if (!o->topic) {
    if (mp_topic_name(o->topic_buf, sizeof o->topic_buf, o->env,
                      MP_DEFAULT_NAMESPACE, o->tenant, MP_EVENT_CIRCULATION)) {
      fprintf(stderr, "marcpipe circ %s: invalid --env '%s'\n", cmd, o->env);
      return 2;
    }
    o->topic = o->topic_buf;
  }
  return 0;
}

/* ---- circ produce ---- */

static void produce_usage(FILE *out) {
  fprintf(out,
"usage: marcpipe circ produce -b BROKERS [options] FILE\n"
"\n"
"Stream circulation events from FILE (NDJSON, one event a line; - = stdin)\n"
"into the circulation topic with the import's producer: idempotent, acks=all,\n"
"key = userId, and credit-bounded: at most --max-backlog events of the run\n"
"are in Kafka but not yet committed by every registered consumer service.\n"
"The run is a job (jobs row, format %s): its id is printed on stdout\n"
"first. A line that is not a valid event is not sent: it is journaled as an\n"
"error of the job with its line and byte offset (`marcpipe errors JOB`).\n"
"\n"
"  -b, --brokers LIST      bootstrap servers (default $MARCPIPE_BROKERS)\n"
"  -d, --db CONNINFO       PostgreSQL (default $MARCPIPE_DB, else PG*)\n"
"      --tenant TENANT     tenant (default %s); events of another are rejected\n"
"      --env ENV           topic environment (default %s)\n"
"  -t, --topic TOPIC       topic (default ENV.Default.TENANT.%s)\n"
"  -X, --property K=V      librdkafka property (repeatable)\n"
"      --max-backlog N     credit in events (default 2500 per partition of 8;\n"
"                          0 = no credit)\n"
"  -h, --help              this help\n"
"\n"
"Exit codes: 0 every event delivered or journaled, 1 failure, 2 usage.\n",
          MP_CIRC_FILE_FORMAT, MP_DEFAULT_TENANT, MP_DEFAULT_ENV,
          MP_EVENT_CIRCULATION);
}

int circ_produce(int argc, char **argv) {
  circ_opts_t o;
  const char *file = NULL, *v;
  uint64_t backlog = UINT64_MAX;
  circ_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    int t = circ_opts_take("produce", argc, argv, &i, &o);
    if (t < 0)
      return 2;
    if (t)
      continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      produce_usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--max-backlog")) {
      if (!(v = circ_value("produce", argc, argv, &i)) ||
          circ_count("produce", "--max-backlog", v, INT64_MAX, &backlog))
        return 2;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "marcpipe circ produce: unknown option '%s'\n", argv[i]);
      return 2;
    } else if (file) {
      fprintf(stderr, "marcpipe circ produce: exactly one FILE expected\n");
      return 2;
    } else {
      file = argv[i];
    }
  }
  if (!file || !o.brokers || !*o.brokers) {
    fprintf(stderr, "marcpipe circ produce: %s\n",
            !file ? "a FILE is required" : "no brokers: give -b or set "
                                           "MARCPIPE_BROKERS");
    return 2;
  }
  if (circ_opts_finish("produce", &o))
    return 2;

  char err[1024];
  int rc = 1;
  int64_t job = 0;
  PGconn *conn = NULL;
  mp_producer_input_t in = {0};
  mp_producer_pg_t pg = {0};
  mp_producer_job_ops_t ops;
  mp_producer_stats_t st = {0};
  if (mp_pg_connect(o.db, o.tenant, &conn, err, sizeof err)) {
    fprintf(stderr, "marcpipe circ produce: %s\n", err);
    goto out;
  }
  if (mp_circ_input_open(file, o.tenant, &in, err, sizeof err)) {
    fprintf(stderr, "marcpipe circ produce: %s\n", err);
    goto out;
  }
  mp_job_spec_t spec = {.file_name = file,
                        .file_format = MP_CIRC_FILE_FORMAT,
                        .topic = o.topic};
  if (mp_job_create(conn, &spec, &job, err, sizeof err) ||
      mp_job_set_status(conn, job, "PRODUCING", err, sizeof err)) {
    fprintf(stderr, "marcpipe circ produce: %s\n", err);
    in.close(in.ctx);
    goto out;
  }
  printf("%" PRId64 "\n", job);
  fflush(stdout);
  pg.conn = conn;
  pg.tenant = o.tenant;
  mp_circ_producer_ops(&pg, &ops);
  int64_t drec, dbytes;
  mp_producer_default_backlog(8, &drec, &dbytes);
  mp_producer_opts_t po = {
      .brokers = o.brokers, .props = o.props, .nprops = o.nprops,
      .topic = o.topic, .tenant = o.tenant, .job_id = job,
      .max_backlog = backlog == UINT64_MAX ? drec
                     : backlog == 0        ? -1
                                           : (int64_t)backlog,
      .max_backlog_bytes = backlog == 0 ? -1 : dbytes, .ops = &ops};
  int prc = mp_producer_run(&po, &in, &st, err, sizeof err);
  if (prc == 0) {
    fprintf(stderr, "marcpipe circ produce: job %" PRId64 ": %" PRId64
                    " events read, %" PRId64 " delivered, %" PRId64
                    " rejected to %s; total recorded; backlog at most %"
                    PRId64 " (credit waits %" PRId64 ")\n",
            job, st.read, st.delivered, st.rejected, o.topic,
            st.max_outstanding, st.credit_waits);
    rc = 0;
  } else {
    fprintf(stderr, "marcpipe circ produce: job %" PRId64 " FAILED: %s (%"
                    PRId64 " read, %" PRId64 " delivered)\n",
            job, err, st.read, st.delivered);
  }
out:
  if (conn)
    PQfinish(conn);
  return rc;
}
