/* cmd_circ_work.c: `marcpipe circ work --service NAME`: one member of a
 * circulation service's consumer group. It is the inventory worker
 * (worker.h: window, pause/resume, batches on the thread pool, offsets to
 * Kafka only after PostgreSQL) with the circulation sink (circ.h) in place
 * of the MARC one; SIGINT/SIGTERM drain, commit and leave (exit 0).
 * Options: the shared option layer (cli_groups.h: Kafka, consumer group,
 * database, state dir, window and batches); the database is resolved (and
 * named when it is the managed one) before the Kafka consumer is made.
 */
#include "cli/cmd_circ.h"
#include "cli/cli_util.h"
#include "cli/worker_report.h"

#include "marcpipe/alloc.h"
#include "marcpipe/circ.h"
#include "marcpipe/error.h"
#include "marcpipe/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char footer[] =
"Counters: created = events applied, duplicates = events applied before,\n"
"replayed = redelivered messages, errors = messages that are not events.\n"
"exit status: 0 ok, 1 failure, 2 usage\n";

/* The description names the services, from their table (circ.h). */
static void describe(char *buf, size_t n) {
  size_t k, l = 0;
  const mp_circ_service_t *sv = mp_circ_services(&k);
  l += (size_t)snprintf(buf, n,
"Consume circulation events for one service as a member of its consumer group\n"
"(default " MP_CIRC_GROUP_PREFIX "SERVICE), with the worker's bounded window and\n"
"one PostgreSQL transaction per batch: the service's effects, its progress\n"
"and the offsets. Offsets reach Kafka only after that transaction. Each event\n"
"is applied once per service, by eventId: redeliveries, replays and\n"
"duplicated events change nothing. Services:\n");
  for (size_t i = 0; i < k && l < n; i++)
    l += (size_t)snprintf(buf + l, n - l, "  %-8s %s\n", sv[i].name,
                          sv[i].summary);
}

typedef struct run_s {
  mp_worker_t *w;
  uv_signal_t sigint, sigterm;
  int status;
  bool stats_json;
} run_t;

static void on_signal(uv_signal_t *h, int signum) {
  run_t *r = h->data;
  fprintf(stderr, "marcpipe circ work: %s: finishing the batches in flight\n",
          signum == SIGINT ? "SIGINT" : "SIGTERM");
  mp_worker_stop(r->w);
}

static void print_summary(const mp_worker_stats_t *st) {
  fprintf(stderr, "marcpipe circ work: consumed %" PRIu64 ", applied %"
                  PRIu64 ", duplicates %" PRIu64 ", replayed %" PRIu64
                  ", invalid events %" PRIu64 ", batches %" PRIu64
                  ", peak rss %" PRIu64 " KiB\n",
          st->consumed, st->created, st->duplicates, st->replayed, st->errors,
          st->batches, st->peak_rss_kb);
}

static void on_done(mp_worker_t *w, int status) {
  run_t *r = mp_worker_data(w);
  mp_worker_stats_t st;
  r->status = status;
  mp__cli_worker_report("circ work", w, status, r->stats_json, print_summary,
                        &st);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

int circ_work(int argc, char **argv) {
  mp_alloc_bound_retention(); /* memory bounded by the window (alloc.h) */
  mp_cli_t c;
  mp_worker_config_t cfg;
  mp_circ_sink_config_t sink = {0};
  run_t r = {0};
  const char *service = NULL;
  char group[128], topic[256], conninfo[1024], err[512], desc[2048];
  int64_t idle = MP_CLI_UNSET, status_ms = MP_CLI_UNSET;
  bool verbose = false;
  mp_worker_config_defaults(&cfg);
  mp_cli_init(&c, "circ work");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Service:"),
      MP_OPT_STRING(0, "service", &service, "NAME", "the service (required)"),
      MP_OPT_GROUP("Kafka:"), MP_CLI_KAFKA(&c), MP_CLI_TOPIC(&c),
      MP_CLI_GROUP_ID(&c),
      MP_OPT_STRING(0, "dlq-topic", &cfg.dlq_topic, "TOPIC",
                    "copy messages that are not valid events there\n"
                    "(default: none; they are kept in circ_invalid)"),
      MP_CLI_TENANT(&c),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&c),
      MP_OPT_GROUP("Window and batches:"), MP_CLI_WINDOW_BATCH(&c),
      MP_OPT_GROUP("Running:"),
      MP_OPT_COUNT(0, "exit-when-idle", &idle, 1, 86400, "S",
                   "exit 0 after S seconds without a message"),
      MP_OPT_FLAG(0, "stats-json", &r.stats_json,
                  "the counters as one JSON object on stdout at exit"),
      MP_OPT_COUNT(0, "status-ms", &status_ms, 0, 3600000, "MS",
                   "also a JSON counters line on stdout every MS"),
      MP_OPT_FLAG('v', "verbose", &verbose,
                  "log assignments, pauses, resumes and stall checks"),
      MP_OPT_HELP(), MP_OPT_END()};
  mp_opt_find(opts, "topic")->help = CIRC_TOPIC_HELP;
  mp_opt_find(opts, "group")->help =
      "consumer group, also the key of the offsets stored\n"
      "in PostgreSQL (default " MP_CIRC_GROUP_PREFIX "SERVICE)";
  mp_opt_find(opts, "window")->help =
      "events held at most (default 20000); 0 = unbounded\n"
      "in events and bytes unless --window-bytes is given\n"
      "(the push-style baseline of the benchmarks)";
  mp_opt_find(opts, "window-bytes")->help =
      "message bytes held at most (K/M/G suffixes; 0 =\n"
      "unbounded; default 64M)";
  describe(desc, sizeof desc);
  const mp_opt_usage_t u = {
      "marcpipe circ work --service NAME -b BROKERS [options]", desc, footer};
  int rc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (rc >= 0)
    goto done;
  rc = 2;
  if (c.nargs) {
    mp__cli_bad_usage(c.cmd, "unexpected argument '%s'", c.args[0]);
    goto done;
  }
  sink.service = mp_circ_service_find(service);
  if (!sink.service) {
    if (service)
      mp__cli_bad_usage(c.cmd, "unknown service '%s'", service);
    else
      mp__cli_bad_usage(c.cmd, "%s", "--service is required");
    goto done;
  }
  if (circ_kafka_args(&c, topic, sizeof topic))
    goto done;
  if (c.window != MP_CLI_UNSET)
    cfg.window_records = (uint64_t)c.window;
  if (c.window_bytes != MP_CLI_UNSET)
    cfg.window_bytes = (uint64_t)c.window_bytes;
  else if (cfg.window_records == 0)
    cfg.window_bytes = 0; /* --window 0 alone: fully unbounded (push-style) */
  if (c.batch != MP_CLI_UNSET)
    cfg.batch_records = (size_t)c.batch;
  if (c.sinks != MP_CLI_UNSET)
    cfg.nsinks = (int)c.sinks;
  if (idle != MP_CLI_UNSET)
    cfg.exit_when_idle_ms = (unsigned)idle * 1000;
  if (status_ms != MP_CLI_UNSET)
    cfg.status_ms = (unsigned)status_ms;
  cfg.verbose = verbose;
  if (c.group) {
    cfg.group = c.group;
  } else {
    snprintf(group, sizeof group, "%s%s", MP_CIRC_GROUP_PREFIX,
             sink.service->name);
    cfg.group = group;
  }
  /* the database before any Kafka client exists (a missing one is one
   * line, without the client's connection noise) */
  rc = 1;
  if (mp_cli_db(&c, false, false, conninfo, sizeof conninfo))
    goto done;
  sink.conninfo = conninfo;
  sink.tenant = c.tenant;
  sink.group = cfg.group;
  cfg.brokers = c.brokers;
  cfg.props = c.props;
  cfg.nprops = c.nprops;
  cfg.topic = c.topic;
  cfg.sink = &mp_circ_sink_ops;
  cfg.sink_ctx = &sink;
  cfg.data = &r;
  if (cfg.nsinks + 1 > 4) {
    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg.nsinks + 1);
    setenv("UV_THREADPOOL_SIZE", threads, 0);
  }
  uv_loop_t *loop = uv_default_loop();
  int e = mp_worker_new(loop, &cfg, &r.w, err, sizeof err);
  if (e) {
    fprintf(stderr, "marcpipe circ work: %s\n", err);
    rc = e == MP_EUSAGE || e == MP_ECONFIG ? 2 : 1;
    goto out;
  }
  if ((e = mp_worker_start(r.w, on_done, err, sizeof err))) {
    fprintf(stderr, "marcpipe circ work: %s\n", err);
    goto out;
  }
  uv_signal_init(loop, &r.sigint);
  uv_signal_init(loop, &r.sigterm);
  r.sigint.data = r.sigterm.data = &r;
  uv_signal_start(&r.sigint, on_signal, SIGINT);
  uv_signal_start(&r.sigterm, on_signal, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  rc = r.status ? 1 : 0;
out:
  mp_worker_destroy(r.w);
  uv_loop_close(loop);
done:
  mp_cli_release(&c);
  return rc;
}
