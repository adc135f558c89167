/* cmd_circ.c: `marcpipe circ <subcommand>`: circulation events through the
 * pull pipeline (include/marcpipe/circ.h): the dispatch table, what the
 * Kafka subcommands share after parsing (circ_kafka_args), and `circ
 * produce`. Options: the shared option layer (cli_groups.h). */
#include "cli/cmd_circ.h"
#include "cli/cli_util.h"
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
               "ENV.NS.TENANT.%s keyed by\npatron, one consumer group "
               "per service, state in the tenant's schema.\n\nsubcommands:\n",
          MP_EVENT_CIRCULATION);
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    fprintf(out, "  %-8s %s\n", subs[i].name, subs[i].summary);
  fprintf(out, "\n'marcpipe circ <subcommand> --help' explains one.\n");
}

int cmd_circ(int argc, char **argv) {
  if (argc < 2)
    return mp__cli_bad_usage("circ", "%s", "a subcommand is required");
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    if (!strcmp(argv[1], subs[i].name))
      return subs[i].fn(argc - 1, argv + 1);
  return mp__cli_bad_usage("circ", "unknown subcommand '%s'", argv[1]);
}

/* ---- what produce and work share ---- */

int circ_kafka_args(mp_cli_t *c, char *buf, size_t n) {
  if (!c->brokers || !*c->brokers)
    return mp__cli_bad_usage(c->cmd, "%s",
                             "no brokers: give -b or set MARCPIPE_BROKERS");
  if (c->topic)
    return 0;
  if (mp_topic_name(buf, n, c->env, c->ns, c->tenant, MP_EVENT_CIRCULATION))
    return mp__cli_bad_usage(c->cmd, "invalid topic parts '%s' (see --env "
                                     "and --namespace)", c->env);
  c->topic = buf;
  return 0;
}

/* ---- circ produce ---- */

static const char produce_description[] =
"Stream circulation events from FILE (NDJSON, one event a line; - = stdin)\n"
"into the circulation topic with the import's producer: idempotent, acks=all,\n"
"key = userId, and credit-bounded: at most --max-backlog events of the run\n"
"are in Kafka but not yet committed by every registered consumer service.\n"
"The run is a job (jobs row, format " MP_CIRC_FILE_FORMAT "): its id is printed on\n"
"stdout first. A line that is not a valid event is not sent: it is journaled\n"
"as an error of the job with its line and byte offset (`marcpipe errors JOB`).\n"
"Events of another tenant than --tenant are rejected.\n";

int circ_produce(int argc, char **argv) {
  mp_cli_t c;
  char topic[256];
  mp_cli_init(&c, "circ produce");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Kafka:"), MP_CLI_KAFKA(&c), MP_CLI_TOPIC(&c),
      MP_CLI_TENANT(&c),
      MP_CLI_REPLICATION(&c),
      MP_OPT_GROUP("Backlog:"), MP_CLI_BACKLOG(&c),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&c),
      MP_OPT_HELP(), MP_OPT_END()};
  mp_opt_find(opts, "topic")->help = CIRC_TOPIC_HELP;
  mp_opt_find(opts, "partitions")->help =
      "partitions of the events topic when it is created\n"
      "(default 8); an existing topic keeps its own, and\n"
      "its count sizes the default backlog";
  const mp_opt_usage_t u = {
      "marcpipe circ produce -b BROKERS [options] FILE", produce_description,
      "exit status: 0 every event delivered or journaled, 1 failure, 2 usage\n"};
  int rc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (rc >= 0)
    goto done;
  rc = 2;
  if (c.nargs != 1) {
    mp__cli_bad_usage(c.cmd, "%s", c.nargs ? "exactly one FILE expected"
                                           : "a FILE is required");
    goto done;
  }
  if (circ_kafka_args(&c, topic, sizeof topic))
    goto done;
  const char *file = c.args[0];
  int partitions;
  int64_t backlog, backlog_bytes;
  mp_cli_backlog(&c, &partitions, &backlog, &backlog_bytes);

  char err[1024];
  rc = 1;
  int64_t job = 0;
  PGconn *conn = NULL;
  mp_producer_input_t in = {0};
  mp_producer_pg_t pg = {0};
  mp_producer_job_ops_t ops;
  mp_producer_stats_t st = {0};
  if (mp_cli_db_open(&c, false, &conn))
    goto out;
  if (mp_circ_input_open(file, c.tenant, &in, err, sizeof err)) {
    fprintf(stderr, "marcpipe circ produce: %s\n", err);
    goto out;
  }
  mp_job_spec_t spec = {.file_name = file,
                        .file_format = MP_CIRC_FILE_FORMAT,
                        .topic = c.topic};
  if (mp_job_create(conn, &spec, &job, err, sizeof err) ||
      mp_job_set_status(conn, job, MP_JOB_PRODUCING, err, sizeof err)) {
    fprintf(stderr, "marcpipe circ produce: %s\n", err);
    in.close(in.ctx);
    goto out;
  }
  printf("%" PRId64 "\n", job);
  fflush(stdout);
  { /* the events topic, created when missing (a real cluster creates
     * none by itself); an existing one sizes the default backlog */
    mp_topic_spec_t ts = {.name = c.topic, .partitions = partitions};
    if (mp_cli_topics_ensure(&c, &ts, 1, false, err, sizeof err)) {
      char e2[256];
      fprintf(stderr, "marcpipe circ produce: %s\n", err);
      mp_job_fail(conn, job, err, e2, sizeof e2);
      in.close(in.ctx);
      goto out;
    }
    mp_cli_backlog(&c, &partitions, &backlog, &backlog_bytes);
  }
  pg.conn = conn;
  pg.tenant = c.tenant;
  mp_circ_producer_ops(&pg, &ops);
  mp_producer_opts_t po = {
      .brokers = c.brokers, .props = c.props, .nprops = c.nprops,
      .topic = c.topic, .tenant = c.tenant, .job_id = job,
      .max_backlog = backlog, .max_backlog_bytes = backlog_bytes,
      .ops = &ops};
  int prc = mp_producer_run(&po, &in, &st, err, sizeof err);
  if (prc == 0) {
    fprintf(stderr, "marcpipe circ produce: job %" PRId64 ": %" PRId64
                    " events read, %" PRId64 " delivered, %" PRId64
                    " rejected to %s; total recorded; backlog at most %"
                    PRId64 " (credit waits %" PRId64 ")\n",
            job, st.read, st.delivered, st.rejected, c.topic,
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
done:
  mp_cli_release(&c);
  return rc;
}
