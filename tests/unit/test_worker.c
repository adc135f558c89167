/* test_worker.c: the inventory worker on a uv loop against librdkafka's
 * in-process mock cluster, with a fake sink (sleeps per batch, may fail
 * transiently, remembers what it "committed" and the next offsets, as the
 * PostgreSQL sink does). */
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"
#include "marcpipe/worker.h"

#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "tu_kafka.h"

#define NPART 4
#define MAXOFF 20000

/* ---- fake sink ---- */

typedef struct fake_s {
  pthread_mutex_t mu;
  int sleep_ms;
  int fail_writes;        /* this many writes fail with MP_ETRANSIENT */
  uint8_t writes[NPART][MAXOFF]; /* times each offset was committed */
  uint8_t seqs[MAXOFF + 1];      /* times each seq was committed */
  int64_t next[NPART];    /* "stored in the database"; -1 = none */
  int64_t bump[NPART];    /* added to next[] by load_offsets (db ahead) */
  uint64_t records, bad_records;
  int inflight[NPART];    /* writes running per partition */
  uint64_t overlaps;      /* a partition in two writes at once */
  uint64_t reorders;      /* an offset at or below one already written */
  int64_t top[NPART];     /* highest offset written per partition */
  int opens, closes;
} fake_t;

static void fake_init(fake_t *f, int sleep_ms, int fail_writes) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  f->sleep_ms = sleep_ms;
  f->fail_writes = fail_writes;
  for (int p = 0; p < NPART; p++)
    f->next[p] = f->top[p] = -1;
}

static int fake_open(void *ctx, int index, void **sink, char *err, size_t n) {
  fake_t *f = ctx;
  pthread_mutex_lock(&f->mu);
  f->opens++;
  pthread_mutex_unlock(&f->mu);
  *sink = f;
  return 0;
}

static int fake_write(void *sink, const mp_sink_rec_t *recs, size_t n,
                      mp_sink_result_t *res) {
  fake_t *f = sink;
  bool parts[NPART] = {false};
  struct timespec ts = {0, f->sleep_ms * 1000000L};
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < n; i++)
    if (recs[i].partition >= 0 && recs[i].partition < NPART &&
        !parts[recs[i].partition]) {
      parts[recs[i].partition] = true;
      if (f->inflight[recs[i].partition]++)
        f->overlaps++;
    }
  pthread_mutex_unlock(&f->mu);
  nanosleep(&ts, NULL);
  pthread_mutex_lock(&f->mu);
  for (int p = 0; p < NPART; p++)
    f->inflight[p] -= parts[p];
  if (f->fail_writes > 0) {
    f->fail_writes--;
    snprintf(res->errmsg, sizeof res->errmsg, "connection lost (simulated)");
    pthread_mutex_unlock(&f->mu);
    return MP_ETRANSIENT;
  }
  for (size_t i = 0; i < n; i++) {
    const mp_sink_rec_t *r = &recs[i];
    if (r->partition < 0 || r->partition >= NPART || r->offset < 0 ||
        r->offset >= MAXOFF || r->seq < 1 || r->seq > MAXOFF ||
        r->job_id != 7 || r->value_len != 1000 || r->content_type != MP_CT_ISO2709) {
      f->bad_records++;
      continue;
    }
    f->writes[r->partition][r->offset]++;
    if (r->offset <= f->top[r->partition])
      f->reorders++;
    f->top[r->partition] = r->offset;
    f->seqs[r->seq]++;
    if (r->offset + 1 > f->next[r->partition])
      f->next[r->partition] = r->offset + 1;
    res->created++;
  }
  f->records += n;
  pthread_mutex_unlock(&f->mu);
  return 0;
}

static int fake_load(void *sink, const char *topic, const int32_t *parts,
                     mp_sink_offset_t *next, size_t n) {
  fake_t *f = sink;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < n; i++)
    next[i] = (mp_sink_offset_t){
        .next = parts[i] < NPART && f->next[parts[i]] >= 0
                    ? f->next[parts[i]] + f->bump[parts[i]]
                    : -1};
  pthread_mutex_unlock(&f->mu);
  return 0;
}

static void fake_close(void *sink) {
  fake_t *f = sink;
  pthread_mutex_lock(&f->mu);
  f->closes++;
  pthread_mutex_unlock(&f->mu);
}

static const mp_worker_sink_ops_t fake_ops = {fake_open, fake_write, fake_load,
                                              NULL, fake_close};

/* ---- producer and queries ---- */



/* Produce n 1000-byte records (job 7, seq first_seq..) round-robin over the
 * partitions; every `bad_every`-th message (0 = none) is invalid: in turn
 * no headers, a non-numeric seq, an unknown content type, schema 2. */
static void produce(const char *topic, int nparts, int n, int first_seq,
                    int bad_every) {
  char err[256], val[1000], seq[24], key[32];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", tu_brokers, err,
                                     sizeof err), RD_KAFKA_CONF_OK);
  rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof err);
  /* the queue (100,000 messages, 1 GiB) holds every test's volume */
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  assert_non_null(p);
  memset(val, 'm', sizeof val);
  for (int i = 0; i < n; i++) {
    int s = first_seq + i;
    snprintf(seq, sizeof seq, "%d", s);
    snprintf(key, sizeof key, "k%d", s);
    rd_kafka_resp_err_t e;
    int bad = bad_every && i % bad_every == bad_every - 1
                  ? 1 + (i / bad_every) % 4 : 0;
    const char *sq = bad == 2 ? "12x" : seq;
    const char *ct = bad == 3 ? "text/plain" : MP_CT_NAME_ISO2709;
    const char *sv = bad == 4 ? "2" : "1";
    if (bad == 1) /* no headers at all */
      e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                            RD_KAFKA_V_PARTITION(i % nparts),
                            RD_KAFKA_V_VALUE(val, sizeof val),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_END);
    else if (bad > 1) /* a bad seq, content type or schema version */
      e = rd_kafka_producev(
          p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % nparts),
          RD_KAFKA_V_VALUE(val, sizeof val),
          RD_KAFKA_V_HEADER(MP_HDR_JOB, "7", -1),
          RD_KAFKA_V_HEADER(MP_HDR_SEQ, sq, -1),
          RD_KAFKA_V_HEADER(MP_HDR_CONTENT_TYPE, ct, -1),
          RD_KAFKA_V_HEADER(MP_HDR_SCHEMA, sv, -1),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    else
      e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                            RD_KAFKA_V_PARTITION(i % nparts),
                            RD_KAFKA_V_KEY(key, strlen(key)),
                            RD_KAFKA_V_VALUE(val, sizeof val),
                            RD_KAFKA_V_HEADER(MP_HDR_JOB, "7", -1),
                            RD_KAFKA_V_HEADER(MP_HDR_SEQ, seq, -1),
                            RD_KAFKA_V_HEADER(MP_HDR_CONTENT_TYPE,
                                              MP_CT_NAME_ISO2709, -1),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_END);
    assert_int_equal(e, 0);
  }
  assert_int_equal(rd_kafka_flush(p, 30000), 0);
  rd_kafka_destroy(p);
}

static void watermarks(const char *topic, int32_t part, int64_t *lo,
                       int64_t *hi) {
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", tu_brokers, err, sizeof err);
  rd_kafka_t *k = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  assert_int_equal(
      rd_kafka_query_watermark_offsets(k, topic, part, lo, hi, 10000), 0);
  rd_kafka_destroy(k);
}

/* The group's committed offsets as Kafka holds them. */
static void committed(const char *topic, const char *group, int nparts,
                      int64_t *out) {
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", tu_brokers, err, sizeof err);
  rd_kafka_conf_set(c, "group.id", group, err, sizeof err);
  rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  assert_non_null(k);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
  for (int p = 0; p < nparts; p++)
    rd_kafka_topic_partition_list_add(l, topic, p);
  assert_int_equal(rd_kafka_committed(k, l, 10000), 0);
  for (int p = 0; p < nparts; p++)
    out[p] = l->elems[p].offset;
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(k);
  rd_kafka_destroy(k);
}

/* ---- running a worker ---- */

typedef struct run_s {
  int status;
  bool done;
  mp_worker_stats_t st;
  uv_timer_t guard;
  mp_worker_t *w;
} run_t;

static void on_done(mp_worker_t *w, int status) {
  run_t *r = mp_worker_data(w);
  r->status = status;
  r->done = true;
  mp_worker_get_stats(w, &r->st);
  uv_close((uv_handle_t *)&r->guard, NULL);
}

static void on_guard(uv_timer_t *t) {
  run_t *r = t->data;
  fprintf(stderr, "worker did not stop in time: stopping it\n");
  mp_worker_stop(r->w);
}

static const char *const test_props[] = {
    "session.timeout.ms=6000", "heartbeat.interval.ms=500", "log_level=3"};

static void config(mp_worker_config_t *c, const char *topic, const char *group,
                   fake_t *f) {
  mp_worker_config_defaults(c);
  c->brokers = tu_brokers;
  c->props = test_props;
  c->nprops = sizeof test_props / sizeof *test_props;
  c->topic = topic;
  c->group = group;
  c->sink = &fake_ops;
  c->sink_ctx = f;
  c->exit_when_idle_ms = 1500;
  c->retry_min_ms = 20;
  c->retry_max_ms = 200;
  c->verbose = getenv("MP_TEST_VERBOSE") != NULL;
}

/* Run a worker to completion on a fresh loop; no cmocka assertion here,
 * so it may run on any thread. 0 or the first failing step. */
static int run_worker(const mp_worker_config_t *cfg, run_t *r) {
  uv_loop_t loop;
  char err[256];
  mp_worker_config_t c = *cfg;
  memset(r, 0, sizeof *r);
  c.data = r;
  if (uv_loop_init(&loop))
    return 1;
  if (mp_worker_new(&loop, &c, &r->w, err, sizeof err) ||
      mp_worker_start(r->w, on_done, err, sizeof err)) {
    fprintf(stderr, "worker: %s\n", err);
    return 2;
  }
  uv_timer_init(&loop, &r->guard);
  r->guard.data = r;
  uv_timer_start(&r->guard, on_guard, 60000, 0);
  if (uv_run(&loop, UV_RUN_DEFAULT) || !r->done)
    return 3;
  mp_worker_destroy(r->w);
  return uv_loop_close(&loop) ? 4 : 0;
}

static void run(const mp_worker_config_t *cfg, run_t *r) {
  assert_int_equal(run_worker(cfg, r), 0);
}

static int64_t count_writes(fake_t *f, int part, int64_t from, int64_t to,
                            int want) {
  int64_t bad = 0;
  for (int64_t o = from; o < to; o++)
    if (f->writes[part][o] != want)
      bad++;
  return bad;
}

/* The window bounds what is held; every offset reaches the sink exactly
 * once despite transient failures; invalid messages are skipped but their
 * offsets are committed; Kafka's committed offsets end at the high
 * watermark. Then a restart resumes at the committed offsets, and at the
 * database's offsets when those are ahead. */
static void test_worker_window_commit_and_restart(void **s) {
  const char *topic = "work.records";
  const char *group = "work.test.g1";
  const int n = 2400, bad_every = 100; /* 24 messages without headers */
  rd_kafka_mock_topic_create(tu_mock, topic, NPART, 1);
  produce(topic, NPART, n, 1, bad_every);

  fake_t *f = calloc(1, sizeof *f);
  fake_init(f, 15, 3);
  mp_worker_config_t c;
  config(&c, topic, group, f);
  rd_kafka_mock_topic_create(tu_mock, "work.records.dlq", 1, 1);
  c.dlq_topic = "work.records.dlq";
  c.window_records = 400;
  c.low_water_pct = 50;
  c.batch_records = 50;
  c.nsinks = 2;
  run_t r;
  run(&c, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, n);
  assert_int_equal(r.st.invalid, n / bad_every);
  assert_int_equal(r.st.committed, n - n / bad_every);
  assert_int_equal(r.st.created, n - n / bad_every);
  assert_int_equal(r.st.retries, 3);
  assert_int_equal(r.st.dlq_sent, n / bad_every);
  assert_int_equal(r.st.dlq_failed, 0);
  assert_true(r.st.max_records_held <= 400);
  assert_true(r.st.max_records_held >= 350); /* the window did fill */
  assert_true(r.st.pauses >= 1);
  assert_true(r.st.resumes >= r.st.pauses - 1);
  assert_int_equal(f->bad_records, 0);
  assert_int_equal(f->records, n - n / bad_every);
  assert_int_equal(f->overlaps, 0); /* one batch per partition in flight */
  assert_int_equal(f->reorders, 0); /* in offset order per partition */
  for (int sq = 1; sq <= n; sq++) /* each good seq exactly once */
    assert_int_equal(f->seqs[sq], sq % bad_every == 0 ? 0 : 1);
  int64_t kc[NPART], lo, hi;
  committed(topic, group, NPART, kc);
  for (int p = 0; p < NPART; p++) {
    watermarks(topic, p, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, n / NPART);
    assert_int_equal(kc[p], hi);
    assert_int_equal(f->next[p] <= hi, 1);
  }
  watermarks("work.records.dlq", 0, &lo, &hi);
  assert_int_equal(hi - lo, n / bad_every); /* every invalid one copied */
  assert_int_equal(f->opens, 3); /* 2 pool sinks + control */
  assert_int_equal(f->closes, 3);

  /* restart with an empty database: Kafka's committed offsets rule */
  const int more = 400;
  produce(topic, NPART, more, n + 1, 0);
  fake_t *g = calloc(1, sizeof *g);
  fake_init(g, 0, 0);
  config(&c, topic, group, g);
  run(&c, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, more);
  for (int p = 0; p < NPART; p++) {
    assert_int_equal(count_writes(g, p, 0, n / NPART, 0), 0);
    assert_int_equal(count_writes(g, p, n / NPART, (n + more) / NPART, 1), 0);
  }

  /* the database is ahead of Kafka on partition 2 (a batch committed in
   * PostgreSQL whose Kafka commit was lost): start there */
  produce(topic, NPART, more, n + more + 1, 0);
  g->bump[2] = 30;
  committed(topic, group, NPART, kc);
  fake_init(f, 0, 0);
  memcpy(f->next, kc, sizeof kc);
  f->bump[2] = 30;
  config(&c, topic, group, f);
  run(&c, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, more - 30);
  assert_int_equal(count_writes(f, 2, kc[2], kc[2] + 30, 0), 0);
  assert_int_equal(count_writes(f, 2, kc[2] + 30, kc[2] + more / NPART, 1), 0);
  assert_int_equal(count_writes(f, 1, kc[1], kc[1] + more / NPART, 1), 0);
  free(f);
  free(g);
}

/* The database says partition 0 resumes at offset 10, but the broker
 * dropped that part of the log (the mock keeps 5 MiB per partition): the
 * worker must stop with MP_ELOST naming the lost range, not skip. */
static void test_worker_reports_lost_offsets(void **s) {
  const char *topic = "work.lost";
  rd_kafka_mock_topic_create(tu_mock, topic, 1, 1);
  produce(topic, 1, 7000, 1, 0); /* ~7 MB into one partition */
  int64_t lo, hi;
  watermarks(topic, 0, &lo, &hi);
  assert_int_equal(hi, 7000);
  assert_true(lo > 10);
  fake_t *f = calloc(1, sizeof *f);
  fake_init(f, 0, 0);
  f->next[0] = 10;
  mp_worker_config_t c;
  config(&c, topic, "work.test.lost", f);
  run_t r;
  run(&c, &r);
  assert_int_equal(r.status, MP_ELOST);
  assert_int_equal(r.st.lost_partition, 0);
  assert_int_equal(r.st.lost_from, 10);
  assert_int_equal(r.st.lost_to, lo - 1);
  assert_int_equal(r.st.lost_job, 0); /* no record seen: job unknown */
  assert_int_equal(r.st.committed, 0);
  assert_int_equal(f->records, 0);
  free(f);
}

/* Stopping (what SIGTERM does) after max_records: the batches in flight
 * and the partial one are written, Kafka's committed offsets equal what
 * the sink committed (nothing more, nothing less), exit status 0. */
static void test_worker_stop_drains_and_commits(void **s) {
  const char *topic = "work.stop";
  const char *group = "work.test.stop";
  const int n = 2000, stop_at = 1010;
  rd_kafka_mock_topic_create(tu_mock, topic, NPART, 1);
  produce(topic, NPART, n, 1, 0);
  fake_t *f = calloc(1, sizeof *f);
  fake_init(f, 30, 0);
  mp_worker_config_t c;
  config(&c, topic, group, f);
  c.exit_when_idle_ms = 0;
  c.max_records = stop_at;
  c.batch_records = 100;
  c.window_records = 600;
  run_t r;
  run(&c, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, stop_at);
  assert_int_equal(r.st.committed, stop_at);
  assert_int_equal(r.st.abandoned, 0);
  assert_int_equal(f->records, stop_at);
  assert_int_equal(f->overlaps, 0);
  assert_int_equal(f->reorders, 0);
  int64_t kc[NPART], sum = 0;
  committed(topic, group, NPART, kc);
  for (int p = 0; p < NPART; p++) {
    if (f->next[p] < 0) { /* nothing fetched from it: nothing committed */
      assert_true(kc[p] < 0);
      continue;
    }
    assert_int_equal(kc[p], f->next[p]);
    assert_int_equal(count_writes(f, p, 0, kc[p], 1), 0);
    sum += kc[p];
  }
  assert_int_equal(sum, stop_at);
  free(f);
}

typedef struct member_s {
  pthread_t th;
  mp_worker_config_t cfg;
  run_t r;
  int rc;
} member_t;

static void *member_main(void *arg) {
  member_t *m = arg;
  m->rc = run_worker(&m->cfg, &m->r);
  return NULL;
}

/* A second member joins while the first is busy: the eager rebalance
 * revokes everything, batches in flight finish as stale, both members
 * resume from committed positions. At least once: every offset reaches
 * the sink, replays stay within what was held, and Kafka's committed
 * offsets end at the high watermark. */
static void test_worker_rebalance_loses_nothing(void **s) {
  const char *topic = "work.rebalance";
  const char *group = "work.test.rebalance";
  const int n = 4000;
  rd_kafka_mock_topic_create(tu_mock, topic, NPART, 1);
  produce(topic, NPART, n, 1, 0);
  fake_t *f = calloc(1, sizeof *f);
  fake_init(f, 60, 0);
  member_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  config(&a->cfg, topic, group, f);
  a->cfg.batch_records = 50;
  a->cfg.window_records = 300;
  a->cfg.exit_when_idle_ms = 2500;
  b->cfg = a->cfg;
  assert_int_equal(pthread_create(&a->th, NULL, member_main, a), 0);
  struct timespec ts = {4, 500000000L}; /* a has joined and is working */
  nanosleep(&ts, NULL);
  assert_int_equal(pthread_create(&b->th, NULL, member_main, b), 0);
  pthread_join(a->th, NULL);
  pthread_join(b->th, NULL);
  assert_int_equal(a->rc, 0);
  assert_int_equal(b->rc, 0);
  assert_int_equal(a->r.status, 0);
  assert_int_equal(b->r.status, 0);
  assert_true(a->r.st.rebalances >= 2); /* first assignment, then shared */
  assert_true(b->r.st.consumed > 0);
  assert_true(a->r.st.consumed < (uint64_t)n);
  uint64_t dups = 0;
  for (int p = 0; p < NPART; p++)
    for (int o = 0; o < n / NPART; o++) {
      assert_true(f->writes[p][o] >= 1);
      dups += f->writes[p][o] - 1u;
    }
  assert_int_equal(f->records, n + dups);
  assert_true(dups <= 2 * 300); /* at most what the members held */
  int64_t kc[NPART];
  committed(topic, group, NPART, kc);
  for (int p = 0; p < NPART; p++)
    assert_int_equal(kc[p], n / NPART);
  fprintf(stderr, "rebalance: a consumed %" PRIu64 ", b %" PRIu64
                  ", replayed %" PRIu64 ", abandoned %" PRIu64 "\n",
          a->r.st.consumed, b->r.st.consumed, dups,
          a->r.st.abandoned + b->r.st.abandoned);
  free(a);
  free(b);
  free(f);
}

/* The counters as JSON: every field, parseable. */
static void test_worker_stats_json_has_every_counter(void **s) {
  mp_worker_stats_t st;
  memset(&st, 0, sizeof st);
  st.consumed = 12345;
  st.max_bytes_held = 67108864;
  st.lost_partition = 3;
  st.lost_from = 10;
  st.lost_to = 2553;
  st.lost_job = 42;
  char buf[2048] = {0};
  FILE *f = fmemopen(buf, sizeof buf - 1, "w");
  mp_worker_stats_json(&st, f);
  fclose(f);
  json_error_t e;
  json_t *j = json_loads(buf, 0, &e);
  assert_non_null(j);
  assert_int_equal(json_integer_value(json_object_get(j, "consumed")), 12345);
  assert_int_equal(json_integer_value(json_object_get(j, "max_bytes_held")),
                   67108864);
  const char *keys[] = {"committed", "batches", "pauses", "resumes",
                        "max_records_held", "retries", "invalid",
                        "peak_rss_kb", "kafka_commits", "replayed"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    assert_true(json_is_integer(json_object_get(j, keys[i])));
  json_t *lost = json_object_get(j, "lost");
  assert_int_equal(json_integer_value(json_object_get(lost, "partition")), 3);
  assert_int_equal(json_integer_value(json_object_get(lost, "to")), 2553);
  assert_int_equal(json_integer_value(json_object_get(lost, "job")), 42);
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_worker_window_commit_and_restart),
      cmocka_unit_test(test_worker_reports_lost_offsets),
      cmocka_unit_test(test_worker_stop_drains_and_commits),
      cmocka_unit_test(test_worker_rebalance_loses_nothing),
      cmocka_unit_test(test_worker_stats_json_has_every_counter),
  };
  return cmocka_run_group_tests(tests, tu_mock_start, tu_mock_stop);
}
