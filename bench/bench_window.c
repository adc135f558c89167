/* bench_window.c: what the window's size and hysteresis cost in throughput.
 *
 * Hosts librdkafka's mock cluster in-process, produces N records of S bytes
 * over P partitions (kept under the mock's 5 MiB per-partition retention),
 * then runs the worker against a sink that only sleeps, modelling a
 * database that writes R records/s per connection. For each window setting
 * it prints wall time (from the first assignment), records/s, pauses,
 * resumes and the peak records/bytes held. Pause/resume costs ~0.4-1 s
 * before data flows again, which is what this measures. Measured (60,000
 * x 500 B, 2 sinks at 10,000 rec/s each): unbounded 19.0k rec/s; window
 * 10,000 at 20/50/80% low water 10.9k/11.0k/10.7k; window 20,000 19.2k.
 * With sinks at 4,000 rec/s: 10,000 and 20,000 both 7.8k. So the window
 * should hold about 1 s of sink throughput; the low water mark matters
 * little. A prefetch queue under ~16 MiB starved the fetcher (8 MiB window
 * with 2 MiB prefetch: 3.7k rec/s instead of 13k).
 *
 * usage: bench_window [N [S [R]]]   (defaults 30000 1000 10000)
 */
#include "common.h"

#include "marcpipe/worker.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NPART 8

static int rate_per_sink;

static int sleep_open(void *ctx, int i, void **s, char *e, size_t n) {
  *s = ctx;
  return 0;
}
static int sleep_write(void *s, const mp_sink_rec_t *r, size_t n,
                       mp_sink_result_t *res) {
  long ns = (long)(1e9 * (double)n / rate_per_sink);
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  nanosleep(&ts, NULL);
  res->created = (uint32_t)n;
  return 0;
}
static int sleep_load(void *s, const char *t, const int32_t *p,
                      mp_sink_offset_t *next, size_t n) {
  for (size_t i = 0; i < n; i++)
    next[i] = (mp_sink_offset_t){.next = -1};
  return 0;
}
static void sleep_close(void *s) {}
static const mp_worker_sink_ops_t sleep_ops = {sleep_open, sleep_write,
                                               sleep_load, NULL, sleep_close};

static void produce(const char *brokers, const char *topic, int n, int size) {
  char err[256], seq[24];
  char *val = malloc((size_t)size);
  memset(val, 'x', (size_t)size);
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_conf_set(c, "linger.ms", "20", err, sizeof err);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  for (int i = 0; i < n; i++) {
    snprintf(seq, sizeof seq, "%d", i + 1);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_PARTITION(i % NPART),
                             RD_KAFKA_V_VALUE(val, (size_t)size),
                             RD_KAFKA_V_HEADER("job-id", "1", -1),
                             RD_KAFKA_V_HEADER("seq", seq, -1),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 10);
  }
  rd_kafka_flush(p, 60000);
  rd_kafka_destroy(p);
  free(val);
}

static void on_done(mp_worker_t *w, int status) {
  *(int *)mp_worker_data(w) = status;
}

static const char *const props[] = {"session.timeout.ms=6000",
                                    "heartbeat.interval.ms=500"};

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 30000;
  int size = argc > 2 ? atoi(argv[2]) : 1000;
  rate_per_sink = argc > 3 ? atoi(argv[3]) : 10000;
  struct {
    uint64_t records, bytes;
    unsigned low;
  } cases[] = {{0, 0, 0},          {2000, 0, 50},       {5000, 0, 50},
               {10000, 0, 50},     {10000, 0, 20},      {20000, 0, 50},
               {10000, 64u << 20, 50}, {10000, 16u << 20, 50},
               {10000, 8u << 20, 50},  {10000, 0, 80}};
  const char *only = getenv("BENCH_CASES"); /* e.g. "0,6,7": a subset */
  char err[256], topic[64];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
  rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mrk, 1);
  const char *brokers = rd_kafka_mock_cluster_bootstraps(mc);
  printf("records %d x %d B over %d partitions, sink %d rec/s per sink, "
         "2 sinks, batch 500\n",
         n, size, NPART, rate_per_sink);
  printf("%-8s %-9s %-4s %8s %9s %6s %7s %9s %11s\n", "window", "bytes",
         "low%", "secs", "rec/s", "pauses", "resumes", "max_held",
         "max_bytes");
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char tag[16];
    snprintf(tag, sizeof tag, ",%zu,", i);
    if (only) {
      char list[128];
      snprintf(list, sizeof list, ",%s,", only);
      if (!strstr(list, tag))
        continue;
    }
    snprintf(topic, sizeof topic, "bench.window.%zu", i);
    rd_kafka_mock_topic_create(mc, topic, NPART, 1);
    produce(brokers, topic, n, size);
    uv_loop_t loop;
    uv_loop_init(&loop);
    mp_worker_config_t cfg;
    mp_worker_config_defaults(&cfg);
    mp_worker_stats_t st;
    int status = 0;
    char group[64];
    snprintf(group, sizeof group, "bench.%zu", i);
    cfg.brokers = brokers;
    cfg.props = props;
    cfg.nprops = 2;
    cfg.topic = topic;
    cfg.group = group;
    cfg.window_records = cases[i].records;
    cfg.window_bytes = cases[i].bytes;
    cfg.low_water_pct = cases[i].low;
    cfg.max_records = (uint64_t)n;
    cfg.sink = &sleep_ops;
    cfg.data = &status;
    mp_worker_t *w;
    if (mp_worker_new(&loop, &cfg, &w, err, sizeof err) ||
        mp_worker_start(w, on_done, err, sizeof err)) {
      fprintf(stderr, "bench_window: %s\n", err);
      return 1;
    }
    /* time from the first message: the group join (~3 s) is not the
     * window's cost */
    double t0 = 0;
    do {
      mp_worker_get_stats(w, &st);
      if (!t0 && st.consumed)
        t0 = mp_bench_now();
    } while (uv_run(&loop, UV_RUN_ONCE));
    double secs = mp_bench_now() - t0;
    mp_worker_get_stats(w, &st);
    mp_worker_destroy(w);
    uv_loop_close(&loop);
    printf("%-8" PRIu64 " %-9" PRIu64 " %-4u %8.2f %9.0f %6" PRIu64
           " %7" PRIu64 " %9" PRIu64 " %11" PRIu64 "%s\n",
           cases[i].records, cases[i].bytes, cases[i].low, secs,
           st.committed / secs, st.pauses, st.resumes, st.max_records_held,
           st.max_bytes_held, status ? " (failed)" : "");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(mrk);
  return 0;
}
