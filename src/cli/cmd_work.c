/* cmd_work.c: `marcpipe work`, the inventory role: a long-running Kafka
 * consumer-group member that writes records into PostgreSQL through the
 * batch sink (sink.h), with a bounded window (worker.h). SIGINT/SIGTERM
 * drain the batches in flight, commit and leave the group (exit 0).
 * Everything runs on one uv loop; sinks run on the libuv thread pool.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/work_metrics.h"
#include "cli/worker_report.h"
#include "marcpipe/alloc.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/kafka_admin.h"
#include "marcpipe/mapping.h"
#include "marcpipe/pg.h"
#include "marcpipe/sink.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

/* ---- options ---- */

typedef struct run_s {
  mp_worker_t *w;
  const mp_sink_config_t *sink;
  uv_signal_t sigint, sigterm;
  int status;
  bool stats_json;
  bool quiet_stop; /* an import's worker: its SIGTERM is the normal end */
  mp_work_metrics_t metrics; /* lease and metrics for `serve` */
} run_t;


static void on_signal(uv_signal_t *h, int signum) {
  run_t *r = h->data;
  if (!r->quiet_stop || signum != SIGTERM)
    fprintf(stderr, "marcpipe work: %s: finishing the batches in flight\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
  mp_worker_stop(r->w);
}

/* A SIGTERM before the loop handles signals (the database and broker probes
 * can take their whole timeouts): remembered, and the worker stops cleanly
 * (exit 0, nothing consumed) instead of dying by the default action, which
 * a supervisor stopping a just-restarted worker would read as a failure.
 * SIGINT keeps its default until then: Ctrl-C ends a slow start at once. */
static volatile sig_atomic_t early_sigterm;
static void on_early_sigterm(int signum) { early_sigterm = signum; }

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
  mp__cli_worker_report("work", w, status, r->stats_json, print_summary, &st);
  if (status == MP_ELOST && st.lost_job > 0)
    fail_lost_job(r->sink, &st);
  mp__work_metrics_stop(&r->metrics);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

static const char work_description[] =
"Consume MARC record messages from Kafka as a member of a consumer group (or,\n"
"with --member, a fixed share of the partitions) and\n"
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
"leave the group, exit 0.\n";

static const char work_footer[] =
"  $MARCPIPE_IMPORT_PID    set by `marcpipe import`: stop (as on SIGTERM) when\n"
"                          that process dies\n"
"\n"
"Transient database errors are retried with backoff (100 ms doubling to 10 s)\n"
"and never turn records into errors. A message with missing or invalid headers\n"
"is logged with its partition and offset, copied to the dead-letter topic,\n"
"counted as invalid and skipped. A record that cannot be decoded or mapped\n"
"is journaled as an ERROR with its reason (the rest of its batch is written)\n"
"and, once its batch is committed, copied to the dead-letter topic with the\n"
"headers job-id, seq, source (partition/offset), error-class and error.\n"
"Exit codes: 0 ok, 1 failure (lost records, fatal Kafka error, database\n"
"unreachable at start), 2 usage.\n";

int cmd_work(int argc, char **argv) {
  struct sigaction sa = {.sa_handler = on_early_sigterm};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  /* memory bounded by the window, not the job's length (alloc.h) */
  mp_alloc_bound_retention();
  mp_worker_config_t cfg;
  mp_sink_config_t sink = {.conninfo = ""};
  mp_cli_t c;
  char topic[256], dlq[256], err[512], threads[16], conninfo[1024];
  int rc = 2;
  run_t r = {.status = 0};
  mp_mapping_t *mapping = NULL;
  uv_loop_t *loop = NULL;
  int64_t low = MP_CLI_UNSET, batch_ms = MP_CLI_UNSET, idle = MP_CLI_UNSET;
  int64_t max_records = MP_CLI_UNSET, status_ms = MP_CLI_UNSET;
  int64_t stall_ms = MP_CLI_UNSET;
  bool verbose = false, check = false;
  const char *member = NULL;

  mp_worker_config_defaults(&cfg);
  mp_cli_init(&c, "work");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Kafka:"),
      MP_CLI_KAFKA(&c),
      MP_CLI_TOPIC(&c),
      MP_CLI_GROUP_ID(&c),
      MP_OPT_STRING(0, "dlq-topic", &cfg.dlq_topic, "TOPIC",
                    "dead-letter topic for messages with missing or\n"
                    "invalid headers and for records journaled as\n"
                    "errors (default ENV.NS.TENANT." MP_EVENT_ERROR ";\n"
                    "'' = none: they are only logged and counted)"),
      MP_OPT_STRING(0, "member", &member, "I/N",
                    "join no consumer group: read the partitions p with\n"
                    "p mod N = I (0 <= I < N), taken once at start, and\n"
                    "commit offsets under -G. No rebalance wait, but\n"
                    "nothing takes over while this worker is down: for\n"
                    "a supervisor that keeps N workers running (import\n"
                    "on its embedded broker). Default: join -G"),
      MP_CLI_TENANT(&c),
      MP_OPT_GROUP("PostgreSQL:"),
      MP_CLI_DB(&c),
      MP_CLI_MAPPING(&c),
      MP_OPT_GROUP("Window and batches:"),
      MP_CLI_WINDOW(&c),
      MP_OPT_COUNT(0, "low-water", &low, 0, 99, "PCT",
                   "resume when held records and bytes are at or below\n"
                   "PCT% of the window (default 50). Resuming costs\n"
                   "~0.4-1 s before data flows again: keep --window at\n"
                   "or above ~1 s of sink throughput (measured by\n"
                   "bench_window: the low water mark matters little)"),
      MP_OPT_COUNT(0, "batch-ms", &batch_ms, 0, 60000, "MS",
                   "a partial batch is written after at most MS, as\n"
                   "soon as a sink is free (default 50); while every\n"
                   "sink is busy, batches keep growing up to --batch"),
      MP_OPT_COUNT(0, "stall-ms", &stall_ms, 0, 3600000, "MS",
                   "a partition whose log has records this worker has\n"
                   "not read, and that delivered nothing for MS while\n"
                   "not paused, has its fetch restarted at its next\n"
                   "offset, logged and counted as fetch_restarts\n"
                   "(default 10000; 0 = never)"),
      MP_OPT_GROUP("Running:"),
      MP_OPT_COUNT(0, "exit-when-idle", &idle, 1, 86400, "S",
                   "exit 0 once the assignment had no message for S\n"
                   "seconds and nothing is held (default: run forever)"),
      MP_OPT_COUNT(0, "max-records", &max_records, 0, INT64_MAX, "N",
                   "stop after consuming N records (default: no limit)"),
      MP_OPT_FLAG(0, "stats-json", &r.stats_json,
                  "print the counters as one JSON object on stdout at\n"
                  "exit (default: a summary on stderr)"),
      MP_OPT_COUNT(0, "status-ms", &status_ms, 0, 3600000, "MS",
                   "also print a JSON counters line to stdout every MS"),
      MP_OPT_FLAG('v', "verbose", &verbose,
                  "log assignments, pauses, resumes and stall checks"),
      MP_OPT_FLAG(0, "check-options", &check,
                  "check the options, the Kafka properties and the\n"
                  "rules, then exit (0 ok, 2 usage) without joining\n"
                  "the group or touching the database (import does\n"
                  "this before a job exists)"),
      MP_OPT_HELP(),
      MP_OPT_END()};
  mp_opt_find(opts, "property")->help =
      "librdkafka property (repeatable); group.id,\n"
      "enable.auto.commit and enable.auto.offset.store are\n"
      "managed by the worker. Defaults set by the worker:\n"
      "auto.offset.reset=error, range,roundrobin assignor,\n"
      "queued.max.messages.kbytes and fetch.max.bytes =\n"
      "half of --window-bytes (16-64 MiB and 1-50 MiB),\n"
      "queued.min.messages = --window\n"
      "$MARCPIPE_KAFKA_PROPS: more properties, one K=V a\n"
      "line, applied before the -X ones; secrets given\n"
      "there (sasl.password, ssl.key.password, ...) do\n"
      "not show in the process list";
  mp_opt_find(opts, "window")->help =
      "records held at most (default 20000); 0 = unbounded,\n"
      "and also no byte bound unless --window-bytes is given\n"
      "(a push-style baseline for benchmarks)";
  mp_opt_find(opts, "window-bytes")->help =
      "bytes held at most (value bytes; may exceed by less\n"
      "than one message); K/M/G suffixes; 0 = unbounded\n"
      "(default 64M). Held records are copied out of\n"
      "Kafka's fetch buffers, so this is their memory";
  const mp_opt_usage_t u = {"marcpipe work [options]", work_description,
                            work_footer};
  int prc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (prc >= 0) {
    mp_cli_release(&c);
    return prc;
  }
  if (c.nargs > 0) {
    rc = mp__cli_bad_usage("work", "unexpected argument '%s'", c.args[0]);
    goto out;
  }
  cfg.brokers = c.brokers;
  cfg.topic = c.topic;
  if (c.group)
    cfg.group = c.group;
  if (member) {
    int i = -1, n = 0, end = 0;
    if (sscanf(member, "%d/%d%n", &i, &n, &end) != 2 || member[end] ||
        n < 1 || n > 1024 || i < 0 || i >= n) {
      rc = mp__cli_bad_usage("work", "--member '%s': expected I/N with "
                             "0 <= I < N <= 1024", member);
      goto out;
    }
    cfg.member_index = i;
    cfg.member_count = n;
  }
  cfg.props = c.props;
  cfg.nprops = c.nprops;
  cfg.verbose = verbose;
  sink.tenant = c.tenant;
  if (c.window != MP_CLI_UNSET)
    cfg.window_records = (uint64_t)c.window;
  if (c.window_bytes != MP_CLI_UNSET)
    cfg.window_bytes = (uint64_t)c.window_bytes;
  if (c.batch != MP_CLI_UNSET)
    cfg.batch_records = (size_t)c.batch;
  if (c.sinks != MP_CLI_UNSET)
    cfg.nsinks = (int)c.sinks;
  if (c.sink_latency_ms != MP_CLI_UNSET)
    sink.sink_latency_ms = (int)c.sink_latency_ms;
  if (low != MP_CLI_UNSET)
    cfg.low_water_pct = (unsigned)low;
  if (batch_ms != MP_CLI_UNSET)
    cfg.batch_ms = (unsigned)batch_ms;
  if (idle != MP_CLI_UNSET)
    cfg.exit_when_idle_ms = (unsigned)idle * 1000;
  if (max_records != MP_CLI_UNSET)
    cfg.max_records = (uint64_t)max_records;
  if (status_ms != MP_CLI_UNSET)
    cfg.status_ms = (unsigned)status_ms;
  if (stall_ms != MP_CLI_UNSET)
    cfg.stall_ms = (unsigned)stall_ms;
  const char *env = c.env, *ns = c.ns;
  bool bytes_given = c.window_bytes != MP_CLI_UNSET;
  /* a worker of `marcpipe import` must not outlive it (a crashed or
   * killed import would leave it polling forever): SIGTERM on its death */
  const char *parent = getenv("MARCPIPE_IMPORT_PID");
  if (parent && *parent) {
    r.quiet_stop = !cfg.verbose;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != (pid_t)strtol(parent, NULL, 10)) {
      fprintf(stderr, "marcpipe work: the import that started it is gone\n");
      rc = 1;
      goto out;
    }
  }
  if (cfg.window_records == 0 && !bytes_given)
    cfg.window_bytes = 0; /* --window 0 alone: fully unbounded (push-style) */
  if (!cfg.brokers || !*cfg.brokers) {
    rc = mp__cli_bad_usage("work", "%s",
                           "no brokers: give -b or set MARCPIPE_BROKERS");
    goto out;
  }
  if (!cfg.topic) {
    if (mp_topic_name(topic, sizeof topic, env, ns, sink.tenant,
                      MP_EVENT_RECORD)) {
      fprintf(stderr, "marcpipe work: invalid topic parts '%s.%s.%s'\n", env,
              ns, sink.tenant);
      goto out;
    }
    cfg.topic = topic;
  }
  if (!cfg.dlq_topic) {
    if (mp_topic_name(dlq, sizeof dlq, env, ns, sink.tenant, MP_EVENT_ERROR)) {
      fprintf(stderr, "marcpipe work: invalid topic parts '%s.%s.%s'\n", env,
              ns, sink.tenant);
      goto out;
    }
    cfg.dlq_topic = dlq;
  }
  sink.group = cfg.group;
  /* one pool thread per sink, plus one for libuv's own work; read by libuv
   * when the pool starts (first uv_queue_work) */
  snprintf(threads, sizeof threads, "%d", cfg.nsinks + 1);
  if (cfg.nsinks + 1 > 4)
    setenv("UV_THREADPOOL_SIZE", threads, 0);

  rc = 1;
  mapping = mp_mapping_load(c.rules, c.refdata, err, sizeof err);
  if (!mapping) { /* a configuration error: restarting cannot mend it */
    fprintf(stderr, "marcpipe work: %s\n", err);
    rc = 2;
    goto out;
  }
  sink.mapping = mapping;
  cfg.sink = &mp_worker_pg_sink_ops;
  cfg.sink_ctx = &sink;
  mp__work_metrics_wrap(&r.metrics, &cfg);
  cfg.data = &r;
  r.sink = &sink;
  /* a usage error is said before any connection is tried */
  int e = mp_worker_check_config(&cfg, err, sizeof err);
  if (e) {
    fprintf(stderr, "marcpipe work: %s\n", err);
    rc = 2;
    goto out;
  }
  if (check) { /* no client is created: nothing connects */
    rc = 0;
    goto out;
  }
  {
    /* after every usage check: read by the sinks when the worker starts */
    if (mp_cli_db(&c, false, false, conninfo, sizeof conninfo))
      goto out;
    sink.conninfo = conninfo;
    /* wrong or unreachable brokers: one line within the Kafka timeout, not a
     * consumer waiting forever; the database first, so its error names it at
     * once. A worker of `import` skips it: import has probed, and a restarted
     * worker waits out a broker outage instead. */
    if (!(parent && *parent)) {
      mp_kafka_admin_opts_t ao = {.brokers = cfg.brokers, .props = cfg.props,
                                  .nprops = cfg.nprops};
      PGconn *db = NULL;
      int dbrc = mp_pg_connect(sink.conninfo, sink.tenant, &db, err, sizeof err);
      if (db)
        PQfinish(db);
      if (dbrc) {
        fprintf(stderr, "marcpipe work: %s\n", err);
        goto out;
      }
      e = mp_kafka_probe(&ao, NULL, err, sizeof err);
      if (e) {
        fprintf(stderr, "marcpipe work: %s\n", err);
        rc = e == MP_ECONFIG ? 2 : 1;
        goto out;
      }
    }
  }
  if (early_sigterm) {
    if (!r.quiet_stop)
      fprintf(stderr, "marcpipe work: SIGTERM before the start: nothing "
                      "consumed\n");
    rc = 0;
    goto out;
  }
  loop = uv_default_loop();
  e = mp_worker_new(loop, &cfg, &r.w, err, sizeof err);
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
  mp__work_metrics_start(&r.metrics, loop, r.w, sink.conninfo, sink.tenant,
                         cfg.topic, cfg.group);
  uv_signal_init(loop, &r.sigint);
  uv_signal_init(loop, &r.sigterm);
  r.sigint.data = r.sigterm.data = &r;
  uv_signal_start(&r.sigint, on_signal, SIGINT);
  uv_signal_start(&r.sigterm, on_signal, SIGTERM);
  if (early_sigterm) /* came after the check above, before libuv's handler */
    on_signal(&r.sigterm, SIGTERM);
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
  mp_cli_release(&c);
  return rc;
}
