/* cmd_circ_work.c: `marcpipe circ work --service NAME`: one member of a
 * circulation service's consumer group. It is the inventory worker
 * (worker.h: window, pause/resume, batches on the thread pool, offsets to
 * Kafka only after PostgreSQL) with the circulation sink (circ.h) in place
 * of the MARC one; SIGINT/SIGTERM drain, commit and leave (exit 0).
 */
#include "cli/cmd_circ.h"

#include "marcpipe/alloc.h"
#include "marcpipe/circ.h"
#include "marcpipe/error.h"
#include "marcpipe/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  size_t n;
  const mp_circ_service_t *sv = mp_circ_services(&n);
  fprintf(out,
"usage: marcpipe circ work --service NAME -b BROKERS [options]\n"
"\n"
"Consume circulation events for one service as a member of its consumer group\n"
"(default %sNAME), with the worker's bounded window and one PostgreSQL\n"
"transaction per batch: the service's effects, its progress and the offsets.\n"
"Offsets reach Kafka only after that transaction. Each event is applied once\n"
"per service, by eventId: redeliveries, replays and duplicated events change\n"
"nothing. Services:\n", MP_CIRC_GROUP_PREFIX);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "  %-8s %s\n", sv[i].name, sv[i].summary);
  fprintf(out,
"\n"
"      --service NAME      the service (required)\n"
"  -b, --brokers LIST      bootstrap servers (default $MARCPIPE_BROKERS)\n"
"  -d, --db CONNINFO       PostgreSQL (default $MARCPIPE_DB, else PG*)\n"
"      --tenant TENANT     tenant, also the database schema (default diku)\n"
"      --env ENV           topic environment (default marcpipe)\n"
"  -t, --topic TOPIC       topic (default ENV.Default.TENANT.%s)\n"
"  -G, --group GROUP       consumer group and key of the stored offsets\n"
"  -X, --property K=V      librdkafka property (repeatable)\n"
"      --dlq-topic TOPIC   copy messages that are not valid events there\n"
"                          (default: none; they are kept in circ_invalid)\n"
"      --window N          events held at most (default 20000); 0 =\n"
"                          unbounded in events and bytes (the push-style\n"
"                          baseline of the benchmarks)\n"
"      --batch N           events per batch / transaction (default 1000)\n"
"      --sinks N           batches in flight, one connection each (default 2)\n"
"      --exit-when-idle S  exit 0 after S seconds without a message\n"
"      --stats-json        the counters as one JSON object on stdout at exit\n"
"      --status-ms MS      also a JSON counters line on stdout every MS\n"
"  -v, --verbose           log assignments, pauses and resumes\n"
"  -h, --help              this help\n"
"\n"
"Counters: created = events applied, duplicates = events applied before,\n"
"replayed = redelivered messages, errors = messages that are not events.\n"
"Exit codes: 0 ok, 1 failure, 2 usage.\n", MP_EVENT_CIRCULATION);
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
    fprintf(stderr, "marcpipe circ work: consumed %" PRIu64 ", applied %"
                    PRIu64 ", duplicates %" PRIu64 ", replayed %" PRIu64
                    ", invalid events %" PRIu64 ", batches %" PRIu64
                    ", peak rss %" PRIu64 " KiB\n",
            st.consumed, st.created, st.duplicates, st.replayed, st.errors,
            st.batches, st.peak_rss_kb);
  }
  if (status)
    fprintf(stderr, "marcpipe circ work: stopped: %s\n", mp_strerror(status));
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

int circ_work(int argc, char **argv) {
  mp_alloc_bound_retention(); /* memory bounded by the window (alloc.h) */
  circ_opts_t o;
  mp_worker_config_t cfg;
  mp_circ_sink_config_t sink = {0};
  run_t r = {0};
  const char *v, *service = NULL;
  char group[128], err[512];
  uint64_t x;
  circ_opts_init(&o);
  mp_worker_config_defaults(&cfg);
  cfg.group = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int t = circ_opts_take("work", argc, argv, &i, &o);
    if (t < 0)
      return 2;
    if (t)
      continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      cfg.verbose = 1;
    } else if (!strcmp(a, "--stats-json")) {
      r.stats_json = true;
    } else if (!(v = circ_value("work", argc, argv, &i))) {
      return 2;
    } else if (!strcmp(a, "--service")) {
      service = v;
    } else if (!strcmp(a, "-G") || !strcmp(a, "--group")) {
      cfg.group = v;
    } else if (!strcmp(a, "--dlq-topic")) {
      cfg.dlq_topic = v;
    } else if (!strcmp(a, "--window")) {
      if (circ_count("work", a, v, UINT32_MAX, &x)) return 2;
      cfg.window_records = x;
    } else if (!strcmp(a, "--batch")) {
      if (circ_count("work", a, v, 1000000, &x) || !x) return 2;
      cfg.batch_records = x;
    } else if (!strcmp(a, "--sinks")) {
      if (circ_count("work", a, v, 64, &x) || !x) return 2;
      cfg.nsinks = (int)x;
    } else if (!strcmp(a, "--status-ms")) {
      if (circ_count("work", a, v, 3600000, &x)) return 2;
      cfg.status_ms = (unsigned)x;
    } else if (!strcmp(a, "--exit-when-idle")) {
      if (circ_count("work", a, v, 86400, &x) || !x) return 2;
      cfg.exit_when_idle_ms = (unsigned)x * 1000;
    } else {
      fprintf(stderr, "marcpipe circ work: unknown option '%s'\n", a);
      return 2;
    }
  }
  if (cfg.window_records == 0)
    cfg.window_bytes = 0; /* --window 0: fully unbounded (push-style) */
  sink.service = mp_circ_service_find(service);
  if (!sink.service) {
    fprintf(stderr, "marcpipe circ work: %s '%s' (see --help)\n",
            service ? "unknown service" : "--service is required",
            service ? service : "");
    return 2;
  }
  if (!o.brokers || !*o.brokers) {
    fprintf(stderr, "marcpipe circ work: no brokers: give -b or set "
                    "MARCPIPE_BROKERS\n");
    return 2;
  }
  if (circ_opts_finish("work", &o))
    return 2;
  if (!cfg.group) {
    snprintf(group, sizeof group, "%s%s", MP_CIRC_GROUP_PREFIX,
             sink.service->name);
    cfg.group = group;
  }
  sink.conninfo = o.db;
  sink.tenant = o.tenant;
  sink.group = cfg.group;
  cfg.brokers = o.brokers;
  cfg.props = o.props;
  cfg.nprops = o.nprops;
  cfg.topic = o.topic;
  cfg.sink = &mp_circ_sink_ops;
  cfg.sink_ctx = &sink;
  cfg.data = &r;
  if (cfg.nsinks + 1 > 4) {
    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg.nsinks + 1);
    setenv("UV_THREADPOOL_SIZE", threads, 0);
  }
  uv_loop_t *loop = uv_default_loop();
  int rc = 1;
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
  return rc;
}
