/* cmd_work.c: `marcpipe work`, the inventory role: a long-running Kafka
 * consumer-group member that writes records into PostgreSQL through the
 * batch sink (sink.h), with a bounded window (worker.h). SIGINT/SIGTERM
 * drain the batches in flight, commit and leave the group (exit 0).
 * Everything runs on one uv loop; sinks run on the libuv thread pool.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "marcpipe/alloc.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/mapping.h"
#include "marcpipe/pg.h"
#include "marcpipe/sink.h"
#include "marcpipe/worker.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MAX_PROPS 64

static void usage(FILE *out) {
  fprintf(out,
"usage: marcpipe work [options]\n"
"\n"
"Consume MARC record messages from Kafka as a member of a consumer group and\n"
"write them into PostgreSQL in batches (one transaction per batch). The worker\n"
"pulls only what its window can hold: at most --window records and\n"
"--window-bytes bytes are polled but not yet committed to PostgreSQL; at the\n"
"high-water mark it pauses its partitions (staying in the group) and resumes\n"
"at the low-water mark. Kafka offsets are committed only after PostgreSQL\n"
"committed every earlier record of the partition. On assignment a partition\n"
"starts at the larger of Kafka's committed offset and the one stored in\n"
"PostgreSQL. If the log lost records the worker has not read (the log start\n"
"moved past its position), it stops with exit code 1 naming the partition and\n"
"offsets, and marks the job FAILED when it knows the job (a record after the\n"
"gap). SIGINT/SIGTERM: stop fetching, finish the batches in flight, commit,\n"
"leave the group, exit 0.\n"
"\n"
"Kafka:\n"
"  -b, --brokers LIST      bootstrap servers (default $MARCPIPE_BROKERS)\n"
"  -t, --topic TOPIC       records topic (default ENV.NS.TENANT.%s)\n"
"  -G, --group GROUP       consumer group, also the key of the offsets stored in\n"
"                          PostgreSQL (default %s)\n"
"  -X, --property K=V      librdkafka property (repeatable); group.id,\n"
"                          enable.auto.commit and enable.auto.offset.store are\n"
"                          managed by the worker. Defaults set by the worker:\n"
"                          auto.offset.reset=error, range,roundrobin assignor,\n"
"                          queued.max.messages.kbytes and fetch.max.bytes =\n"
"                          half of --window-bytes (16-64 MiB and 1-50 MiB),\n"
"                          queued.min.messages = --window\n"
"                          $MARCPIPE_KAFKA_PROPS: more properties, one K=V a\n"
"                          line, applied before the -X ones; secrets given\n"
"                          there (sasl.password, ssl.key.password, ...) do\n"
"                          not show in the process list\n"
"      --dlq-topic TOPIC   dead-letter topic for messages with missing or\n"
"                          invalid headers and for records journaled as\n"
"                          errors (default ENV.NS.TENANT.%s;\n"
"                          '' = none: they are only logged and counted)\n"
"      --env ENV           topic environment (default %s)\n"
"      --namespace NS      topic namespace (default %s)\n"
"      --tenant TENANT     tenant, also the database schema (default %s)\n"
"\n"
"PostgreSQL:\n"
"  -d, --db CONNINFO       libpq connection string (default $MARCPIPE_DB, else\n"
"                          the PG* environment); $MARCPIPE_DB keeps a\n"
"                          password out of the process list\n"
"      --rules SPEC        FOLIO rules: FILE (bib) or bib=F,holdings=F,authority=F\n"
"                          (default: FOLIO's rules in schemas/mapping/)\n"
"      --refdata PATH      reference data directory or file (default:\n"
"                          schemas/mapping/reference-data/)\n"
"      --sink-latency-ms L extra delay per batch inside the transaction, for\n"
"                          benchmarks (default 0)\n"
"\n"
"Window and batches:\n"
"      --window N          records held at most (default 20000); 0 = unbounded,\n"
"                          and also no byte bound unless --window-bytes is given\n"
"                          (a push-style baseline for benchmarks)\n"
"      --window-bytes SIZE bytes held at most (value bytes; may exceed by less\n"
"                          than one message); K/M/G suffixes; 0 = unbounded\n"
"                          (default 64M). Held records are copied out of\n"
"                          Kafka's fetch buffers, so this is their memory\n"
"      --low-water PCT     resume when held records and bytes are at or below\n"
"                          PCT%% of the window (default 50). Resuming costs\n"
"                          ~0.4-1 s before data flows again: keep --window at\n"
"                          or above ~1 s of sink throughput (measured by\n"
"                          bench_window: the low water mark matters little)\n"
"      --batch N           most records per batch / PostgreSQL transaction\n"
"                          (default 1000; at most half of --window)\n"
"      --batch-ms MS       a partial batch is written after at most MS, as\n"
"                          soon as a sink is free (default 50); while every\n"
"                          sink is busy, batches keep growing up to --batch\n"
"      --sinks N           batches in flight, one connection each (default 2)\n"
"\n"
"Running:\n"
"      --exit-when-idle S  exit 0 once the assignment had no message for S\n"
"                          seconds and nothing is held (default: run forever)\n"
"      --max-records N     stop after consuming N records (default: no limit)\n"
"      --stats-json        print the counters as one JSON object on stdout at\n"
"                          exit (default: a summary on stderr)\n"
"      --status-ms MS      also print a JSON counters line to stdout every MS\n"
"  -v, --verbose           log assignments, pauses and resumes\n"
"  $MARCPIPE_IMPORT_PID    set by `marcpipe import`: stop (as on SIGTERM) when\n"
"                          that process dies\n"
"  -h, --help              this help\n"
"\n"
"Transient database errors are retried with backoff (100 ms doubling to 10 s)\n"
"and never turn records into errors. A message with missing or invalid headers\n"
"is logged with its partition and offset, copied to the dead-letter topic,\n"
"counted as invalid and skipped. A record that cannot be decoded or mapped\n"
"is journaled as an ERROR with its reason (the rest of its batch is written)\n"
"and, once its batch is committed, copied to the dead-letter topic with the\n"
"headers job-id, seq, source (partition/offset), error-class and error.\n"
"Exit codes: 0 ok, 1 failure (lost records, fatal Kafka error, database\n"
"unreachable at start), 2 usage.\n",
          MP_EVENT_RECORD, MP_WORKER_DEFAULT_GROUP, MP_EVENT_ERROR,
          MP_DEFAULT_ENV,
          MP_DEFAULT_NAMESPACE, MP_DEFAULT_TENANT);
}

/* ---- options ---- */

typedef struct run_s {
  mp_worker_t *w;
  const mp_sink_config_t *sink;
  uv_signal_t sigint, sigterm;
  int status;
  bool stats_json;
  bool quiet_stop; /* an import's worker: its SIGTERM is the normal end */
} run_t;


static void on_signal(uv_signal_t *h, int signum) {
  run_t *r = h->data;
  if (!r->quiet_stop || signum != SIGTERM)
    fprintf(stderr, "marcpipe work: %s: finishing the batches in flight\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
  mp_worker_stop(r->w);
}

static void print_summary(const mp_worker_stats_t *s) {
  fprintf(stderr,
          "marcpipe work: consumed %" PRIu64 ", committed %" PRIu64
          " (created %" PRIu64 ", updated %" PRIu64 ", duplicates %" PRIu64
          ", errors %" PRIu64 ", replayed %" PRIu64 "), invalid %" PRIu64
          ", batches %" PRIu64 " (%" PRIu64 " sinks), pauses %" PRIu64
          ", resumes %" PRIu64
          ", max held %" PRIu64 " records / %" PRIu64 " bytes (window %" PRIu64
          " / %" PRIu64 "), retries %" PRIu64 ", peak rss %" PRIu64 " KiB\n",
          s->consumed, s->committed, s->created, s->updated, s->duplicates,
          s->errors, s->replayed, s->invalid, s->batches, s->sinks, s->pauses,
          s->resumes, s->max_records_held, s->max_bytes_held, s->window_records,
          s->window_bytes, s->retries, s->peak_rss_kb);
}

/* Records of a job were lost from the log: the job cannot complete, say so
 * in its row (when the job is known: the first record after the gap). */
static void fail_lost_job(const mp_sink_config_t *sink,
                          const mp_worker_stats_t *st) {
  PGconn *c = NULL;
  char err[512], reason[256];
  snprintf(reason, sizeof reason,
           "records lost from the log: partition %" PRId32 " offsets %" PRId64
           "..%" PRId64,
           st->lost_partition, st->lost_from, st->lost_to);
  if (mp_pg_connect(sink->conninfo, sink->tenant, &c, err, sizeof err) ||
      mp_job_fail(c, st->lost_job, reason, err, sizeof err))
    fprintf(stderr, "marcpipe work: cannot mark job %" PRId64 " failed: %s\n",
            st->lost_job, err);
  else
    fprintf(stderr, "marcpipe work: job %" PRId64 " marked FAILED\n",
            st->lost_job);
  if (c)
    PQfinish(c);
}

static void on_done(mp_worker_t *w, int status) {
  run_t *r = mp_worker_data(w);
  mp_worker_stats_t st;
  r->status = status;
  mp_worker_get_stats(w, &st);
  if (r->stats_json) {
    mp_worker_stats_json(&st, stdout);
    fputc('\n', stdout);
    fflush(stdout);
  } else {
    print_summary(&st);
  }
  if (status)
    fprintf(stderr, "marcpipe work: stopped: %s\n", mp_strerror(status));
  if (status == MP_ELOST && st.lost_job > 0)
    fail_lost_job(r->sink, &st);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

enum {
  O_ENV = 256, O_NS, O_TENANT, O_RULES, O_REFDATA, O_LATENCY, O_WINDOW,
  O_WBYTES, O_LOW, O_BATCH, O_BATCH_MS, O_SINKS, O_IDLE, O_MAX, O_JSON,
  O_STATUS, O_DLQ,
};

static const struct option longopts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, 't'},
    {"group", required_argument, NULL, 'G'},
    {"property", required_argument, NULL, 'X'},
    {"dlq-topic", required_argument, NULL, O_DLQ},
    {"env", required_argument, NULL, O_ENV},
    {"namespace", required_argument, NULL, O_NS},
    {"tenant", required_argument, NULL, O_TENANT},
    {"db", required_argument, NULL, 'd'},
    {"rules", required_argument, NULL, O_RULES},
    {"refdata", required_argument, NULL, O_REFDATA},
    {"sink-latency-ms", required_argument, NULL, O_LATENCY},
    {"window", required_argument, NULL, O_WINDOW},
    {"window-bytes", required_argument, NULL, O_WBYTES},
    {"low-water", required_argument, NULL, O_LOW},
    {"batch", required_argument, NULL, O_BATCH},
    {"batch-ms", required_argument, NULL, O_BATCH_MS},
    {"sinks", required_argument, NULL, O_SINKS},
    {"exit-when-idle", required_argument, NULL, O_IDLE},
    {"max-records", required_argument, NULL, O_MAX},
    {"stats-json", no_argument, NULL, O_JSON},
    {"status-ms", required_argument, NULL, O_STATUS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_work(int argc, char **argv) {
  /* memory bounded by the window, not the job's length (alloc.h) */
  mp_alloc_bound_retention();
  mp_worker_config_t cfg;
  mp_sink_config_t sink = {.conninfo = ""};
  const char *props[MAX_PROPS], *xprops[MAX_PROPS];
  size_t nx = 0;
  char *envprops = NULL;
  const char *env = MP_DEFAULT_ENV, *ns = MP_DEFAULT_NAMESPACE;
  const char *rules = NULL, *refdata = NULL;
  char topic[256], dlq[256], err[512], threads[16];
  uint64_t v;
  int c, rc = 2;
  run_t r = {.status = 0};
  mp_mapping_t *mapping = NULL;
  uv_loop_t *loop = NULL;
  bool bytes_given = false;

  mp_worker_config_defaults(&cfg);
  cfg.brokers = getenv("MARCPIPE_BROKERS");
  cfg.props = props;
  sink.tenant = MP_DEFAULT_TENANT;
  if (getenv("MARCPIPE_DB"))
    sink.conninfo = getenv("MARCPIPE_DB");
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":b:t:G:X:d:vh", longopts, NULL)) != -1) {
    const char *bad = NULL;
    switch (c) {
    case 'b': cfg.brokers = optarg; break;
    case 't': cfg.topic = optarg; break;
    case 'G': cfg.group = optarg; break;
    case 'X':
      if (nx == MAX_PROPS || !strchr(optarg, '='))
        bad = "-X wants name=value (at most 64)";
      else
        xprops[nx++] = optarg;
      break;
    case O_DLQ: cfg.dlq_topic = optarg; break;
    case O_ENV: env = optarg; break;
    case O_NS: ns = optarg; break;
    case O_TENANT: sink.tenant = optarg; break;
    case 'd': sink.conninfo = optarg; break;
    case O_RULES: rules = optarg; break;
    case O_REFDATA: refdata = optarg; break;
    case O_LATENCY:
      if (mp__cli_count(optarg, 600000, &v)) bad = "--sink-latency-ms wants 0..600000";
      else sink.sink_latency_ms = (int)v;
      break;
    case O_WINDOW:
      if (mp__cli_count(optarg, UINT32_MAX, &v)) bad = "--window wants a count";
      else cfg.window_records = v;
      break;
    case O_WBYTES:
      if (mp__cli_size(optarg, &cfg.window_bytes)) bad = "--window-bytes wants a size";
      bytes_given = true;
      break;
    case O_LOW:
      if (mp__cli_count(optarg, 99, &v)) bad = "--low-water wants 0..99";
      else cfg.low_water_pct = (unsigned)v;
      break;
    case O_BATCH:
      if (mp__cli_count(optarg, 1000000, &v) || !v) bad = "--batch wants 1..1000000";
      else cfg.batch_records = v;
      break;
    case O_BATCH_MS:
      if (mp__cli_count(optarg, 60000, &v)) bad = "--batch-ms wants 0..60000";
      else cfg.batch_ms = (unsigned)v;
      break;
    case O_SINKS:
      if (mp__cli_count(optarg, 64, &v) || !v) bad = "--sinks wants 1..64";
      else cfg.nsinks = (int)v;
      break;
    case O_IDLE:
      if (mp__cli_count(optarg, 86400, &v) || !v) bad = "--exit-when-idle wants 1..86400 seconds";
      else cfg.exit_when_idle_ms = (unsigned)v * 1000;
      break;
    case O_MAX:
      if (mp__cli_count(optarg, UINT64_MAX, &v)) bad = "--max-records wants a count";
      else cfg.max_records = v;
      break;
    case O_JSON: r.stats_json = true; break;
    case O_STATUS:
      if (mp__cli_count(optarg, 3600000, &v)) bad = "--status-ms wants milliseconds";
      else cfg.status_ms = (unsigned)v;
      break;
    case 'v': cfg.verbose = 1; break;
    case 'h': usage(stdout); return 0;
    case ':':
      fprintf(stderr, "marcpipe work: option '%s' needs a value\n", argv[optind - 1]);
      return 2;
    default:
      fprintf(stderr, "marcpipe work: unknown option '%s'\n", argv[optind - 1]);
      usage(stderr);
      return 2;
    }
    if (bad) {
      fprintf(stderr, "marcpipe work: %s (got '%s')\n", bad, optarg);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "marcpipe work: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  /* a worker of `marcpipe import` must not outlive it (a crashed or
   * killed import would leave it polling forever): SIGTERM on its death */
  const char *parent = getenv("MARCPIPE_IMPORT_PID");
  if (parent && *parent) {
    r.quiet_stop = !cfg.verbose;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != (pid_t)strtol(parent, NULL, 10)) {
      fprintf(stderr, "marcpipe work: the import that started it is gone\n");
      return 1;
    }
  }
  if (cfg.window_records == 0 && !bytes_given)
    cfg.window_bytes = 0; /* --window 0 alone: fully unbounded (push-style) */
  if (!cfg.brokers || !*cfg.brokers) {
    fprintf(stderr, "marcpipe work: no brokers: give -b or set MARCPIPE_BROKERS\n");
    return 2;
  }
  if (!mp_tenant_valid(sink.tenant)) {
    fprintf(stderr, "marcpipe work: invalid tenant '%s' (want [a-z][a-z0-9_]{0,30})\n",
            sink.tenant);
    return 2;
  }
  if (!cfg.topic) {
    if (mp_topic_name(topic, sizeof topic, env, ns, sink.tenant,
                      MP_EVENT_RECORD)) {
      fprintf(stderr, "marcpipe work: invalid topic parts '%s.%s.%s'\n", env,
              ns, sink.tenant);
      return 2;
    }
    cfg.topic = topic;
  }
  if (!cfg.dlq_topic) {
    if (mp_topic_name(dlq, sizeof dlq, env, ns, sink.tenant, MP_EVENT_ERROR)) {
      fprintf(stderr, "marcpipe work: invalid topic parts '%s.%s.%s'\n", env,
              ns, sink.tenant);
      return 2;
    }
    cfg.dlq_topic = dlq;
  }
  sink.group = cfg.group;
  /* one pool thread per sink, plus one for libuv's own work; read by libuv
   * when the pool starts (first uv_queue_work) */
  snprintf(threads, sizeof threads, "%d", cfg.nsinks + 1);
  if (cfg.nsinks + 1 > 4)
    setenv("UV_THREADPOOL_SIZE", threads, 0);

  /* $MARCPIPE_KAFKA_PROPS first, so that -X overrides it */
  if (mp__cli_env_props("work", &envprops, props, &cfg.nprops,
                        MAX_PROPS - nx))
    goto out;
  for (size_t i = 0; i < nx; i++)
    props[cfg.nprops++] = xprops[i];

  rc = 1;
  mapping = mp_mapping_load(rules, refdata, err, sizeof err);
  if (!mapping) {
    fprintf(stderr, "marcpipe work: %s\n", err);
    goto out;
  }
  sink.mapping = mapping;
  cfg.sink = &mp_worker_pg_sink_ops;
  cfg.sink_ctx = &sink;
  cfg.data = &r;
  r.sink = &sink;
  loop = uv_default_loop();
  int e = mp_worker_new(loop, &cfg, &r.w, err, sizeof err);
  if (e) {
    fprintf(stderr, "marcpipe work: %s\n", err);
    rc = e == MP_EUSAGE || e == MP_ECONFIG ? 2 : 1;
    goto out;
  }
  e = mp_worker_start(r.w, on_done, err, sizeof err);
  if (e) {
    fprintf(stderr, "marcpipe work: %s\n", err);
    goto out;
  }
  uv_signal_init(loop, &r.sigint);
  uv_signal_init(loop, &r.sigterm);
  r.sigint.data = r.sigterm.data = &r;
  uv_signal_start(&r.sigint, on_signal, SIGINT);
  uv_signal_start(&r.sigterm, on_signal, SIGTERM);
  if (cfg.verbose)
    fprintf(stderr, "marcpipe work: group %s, topic %s, window %" PRIu64
                    " records / %" PRIu64 " bytes, batch %zu, %d sinks\n",
            cfg.group, cfg.topic, cfg.window_records, cfg.window_bytes,
            cfg.batch_records, cfg.nsinks);
  uv_run(loop, UV_RUN_DEFAULT);
  rc = r.status ? 1 : 0;
out:
  mp_worker_destroy(r.w);
  if (loop)
    uv_loop_close(loop);
  mp_mapping_free(mapping);
  free(envprops);
  return rc;
}
