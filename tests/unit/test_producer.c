/* test_producer.c: the producer against the embedded broker (mock cluster
 * in this process) with fake job operations: messages, keys, headers and
 * seqs read back by a plain consumer; rejected records journaled with seq
 * and offset; the credit blocks and resumes; a full queue waits; a failed
 * delivery fails the job. */
#include "marcpipe/broker.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"
#include "marcpipe/mapping.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/producer.h"
#include "testutil.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define TOPIC "marcpipe.Default.diku." MP_EVENT_RECORD
#define PARTS 8

/* ---- fake input: item i (1-based) is rejected when i % reject_every == 0 */

typedef struct {
  int64_t n, i, reject_every;
  size_t value_len;
  char key[32], value[4096], reason[64], raw[16];
} fake_in_t;

static int fake_next(void *ctx, mp_producer_item_t *it) {
  fake_in_t *f = ctx;
  if (f->i == f->n)
    return MP_EOF;
  f->i++;
  memset(it, 0, sizeof *it);
  it->offset = (uint64_t)(f->i - 1) * 1000;
  if (f->reject_every && f->i % f->reject_every == 0) {
    it->kind = MP_ITEM_REJECTED;
    it->error = MP_EFIELD;
    snprintf(f->reason, sizeof f->reason, "bad record %" PRId64, f->i);
    snprintf(f->raw, sizeof f->raw, "RAW%" PRId64, f->i);
    it->reason = f->reason;
    it->raw = f->raw;
    it->raw_len = strlen(f->raw);
    return 0;
  }
  it->kind = MP_ITEM_RECORD;
  it->key_len = (size_t)snprintf(f->key, sizeof f->key, "key-%" PRId64, f->i);
  it->key = f->key;
  size_t vl = f->value_len ? f->value_len : 64;
  int n = snprintf(f->value, sizeof f->value, "value-%" PRId64 "-", f->i);
  memset(f->value + n, 'v', vl - (size_t)n);
  it->value = f->value;
  it->value_len = vl;
  it->content_type = f->i % 2 ? MP_CT_ISO2709 : MP_CT_JSON;
  return 0;
}

static mp_producer_input_t fake_input(fake_in_t *f) {
  return (mp_producer_input_t){.ctx = f, .next = fake_next};
}

/* ---- fake job operations ---- */

typedef struct {
  _Atomic int64_t processed; /* set by the test */
  int64_t total;             /* -1 until set_total */
  char failed[512];
  int nfail;
  int64_t jseq[256];
  uint64_t joff[256];
  char jraw[256][16];
  int njournal;
  bool any_error; /* journaled errors may have any class */
  _Atomic int64_t produced; /* last set_produced */
  int nproduced;
} fake_job_t;

static int fj_journal(void *ctx, int64_t job, const mp_producer_reject_t *r,
                      size_t n) {
  fake_job_t *j = ctx;
  for (size_t i = 0; i < n && j->njournal < 256; i++) {
    if (!j->any_error)
      assert_int_equal(r[i].error, MP_EFIELD);
    assert_true(r[i].error < 0 && r[i].reason && r[i].reason[0]);
    j->jseq[j->njournal] = r[i].seq;
    j->joff[j->njournal] = r[i].offset;
    snprintf(j->jraw[j->njournal], 16, "%.*s", (int)r[i].raw_len, r[i].raw);
    j->njournal++;
  }
  return 0;
}
static int fj_processed(void *ctx, int64_t job, int64_t *processed) {
  fake_job_t *j = ctx;
  *processed = atomic_load(&j->processed);
  return 0;
}
static int fj_total(void *ctx, int64_t job, int64_t total) {
  ((fake_job_t *)ctx)->total = total;
  return 0;
}
static int fj_fail(void *ctx, int64_t job, const char *reason) {
  fake_job_t *j = ctx;
  j->nfail++;
  snprintf(j->failed, sizeof j->failed, "%s", reason);
  return 0;
}

static int fj_produced(void *ctx, int64_t job, int64_t produced) {
  fake_job_t *j = ctx;
  /* only when the prefix moved */
  assert_true(produced > atomic_load(&j->produced));
  atomic_store(&j->produced, produced);
  j->nproduced++;
  return 0;
}

static mp_producer_job_ops_t fake_ops(fake_job_t *j) {
  j->total = -1;
  return (mp_producer_job_ops_t){.ctx = j,
                                 .journal_rejected = fj_journal,
                                 .processed = fj_processed,
                                 .set_total = fj_total,
                                 .fail = fj_fail,
                                 .set_produced = fj_produced};
}

/* ---- broker fixture ---- */

static mp_broker_t *start_broker(void) {
  mp_broker_t *b;
  char err[256];
  mp_broker_topic_t t = {TOPIC, PARTS};
  mp_broker_opts_t o = {.nbrokers = 3, .topics = &t, .ntopics = 1};
  assert_int_equal(mp_broker_start(&o, &b, err, sizeof err), 0);
  return b;
}

static mp_producer_opts_t base_opts(mp_broker_t *b, int64_t job) {
  return (mp_producer_opts_t){.brokers = mp_broker_bootstraps(b),
                              .topic = TOPIC,
                              .tenant = "diku",
                              .job_id = job};
}

/* ---- one run's fakes wired together ---- */

/* An input of n fake items, a fake job whose workers keep up (processed
 * far ahead, so credit never blocks) and options naming both. Initialised
 * in place; it must not move afterwards (the options point into it). */
typedef struct {
  fake_in_t in;
  fake_job_t job;
  mp_producer_job_ops_t ops;
  mp_producer_input_t input;
  mp_producer_opts_t o;
} rig_t;

static void rig_init(rig_t *r, mp_broker_t *b, int64_t job, int64_t n) {
  memset(r, 0, sizeof *r);
  r->in.n = n;
  atomic_store(&r->job.processed, INT64_MAX / 2);
  r->ops = fake_ops(&r->job);
  r->input = fake_input(&r->in);
  r->o = base_opts(b, job);
  r->o.ops = &r->ops;
}

/* ---- reading back ---- */

static const char *hdr(rd_kafka_headers_t *h, const char *name, char *buf,
                       size_t n) {
  const void *v;
  size_t len;
  if (!h || rd_kafka_header_get_last(h, name, &v, &len) != 0)
    return NULL;
  snprintf(buf, n, "%.*s", (int)len, (const char *)v);
  return buf;
}

typedef void (*check_fn)(void *ud, const rd_kafka_message_t *m, int64_t seq,
                         rd_kafka_headers_t *h);

/* Consume every message of TOPIC from the beginning, check the common
 * headers, fill seen[seq] and hand each message to check. Returns the
 * number of messages. */
static int64_t read_back(mp_broker_t *b, int64_t job, int64_t expect,
                         int *seen, int64_t nseen, check_fn check, void *ud) {
  char err[256];
  const char *props[] = {"group.id=readback", "enable.auto.commit=false",
                         "enable.partition.eof=true"};
  rd_kafka_conf_t *c =
      mp_kafka_conf_new(mp_broker_bootstraps(b), props, 3, err, sizeof err);
  assert_non_null(c);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  assert_non_null(rk);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTS);
  for (int p = 0; p < PARTS; p++)
    rd_kafka_topic_partition_list_add(l, TOPIC, p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  assert_int_equal(rd_kafka_assign(rk, l), 0);
  rd_kafka_topic_partition_list_destroy(l);
  int64_t got = 0;
  int eofs = 0;
  for (int idle = 0; idle < 100 && (got < expect || eofs < PARTS);) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      idle++;
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      eofs++;
      rd_kafka_message_destroy(m);
      continue;
    }
    assert_int_equal(m->err, 0);
    char v[64];
    rd_kafka_headers_t *h = NULL;
    assert_int_equal(rd_kafka_message_headers(m, &h), 0);
    assert_string_equal(hdr(h, MP_HDR_EVENT, v, sizeof v), MP_EVENT_RECORD);
    assert_int_equal(strtoll(hdr(h, MP_HDR_JOB, v, sizeof v), NULL, 10), job);
    assert_string_equal(hdr(h, MP_HDR_TENANT, v, sizeof v), "diku");
    assert_string_equal(hdr(h, MP_HDR_SCHEMA, v, sizeof v), "1");
    int64_t seq = strtoll(hdr(h, MP_HDR_SEQ, v, sizeof v), NULL, 10);
    assert_true(seq >= 1 && seq < nseen);
    seen[seq]++;
    check(ud, m, seq, h);
    got++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return got;
}

/* fake input: key-SEQ, value "value-SEQ-vvv", odd seqs ISO, even JSON */
static void check_fake(void *ud, const rd_kafka_message_t *m, int64_t seq,
                       rd_kafka_headers_t *h) {
  char key[64], v[64];
  snprintf(key, sizeof key, "key-%" PRId64, seq);
  assert_int_equal(m->key_len, strlen(key));
  assert_memory_equal(m->key, key, m->key_len);
  snprintf(key, sizeof key, "value-%" PRId64 "-", seq);
  assert_memory_equal(m->payload, key, strlen(key));
  assert_string_equal(hdr(h, MP_HDR_CONTENT_TYPE, v, sizeof v),
                      seq % 2 ? MP_CT_NAME_ISO2709 : MP_CT_NAME_JSON);
}

/* ---- tests ---- */

static void test_producer_streams_items_with_headers_and_journals_rejects(
    void **s) {
  enum { N = 3000, EVERY = 97 };
  mp_broker_t *b = start_broker();
  rig_t r;
  rig_init(&r, b, 42, N);
  r.in.reject_every = EVERY;
  fake_job_t *j = &r.job;
  mp_producer_stats_t st;
  char err[512];
  assert_int_equal(mp_producer_run(&r.o, &r.input, &st, err, sizeof err), 0);
  int nrej = N / EVERY;
  assert_int_equal(st.read, N);
  assert_int_equal(st.rejected, nrej);
  assert_int_equal(st.produced, N - nrej);
  assert_int_equal(st.delivered, N - nrej);
  assert_int_equal(st.failed, 0);
  assert_int_equal(j->total, N);
  assert_int_equal(j->nfail, 0);
  assert_int_equal(j->njournal, nrej);
  for (int i = 0; i < nrej; i++) {
    int64_t seq = (int64_t)(i + 1) * EVERY;
    assert_int_equal(j->jseq[i], seq);
    assert_int_equal(j->joff[i], (uint64_t)(seq - 1) * 1000);
    char raw[16];
    snprintf(raw, sizeof raw, "RAW%" PRId64, seq);
    assert_string_equal(j->jraw[i], raw);
  }
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  assert_int_equal(read_back(b, 42, N - nrej, seen, N + 1, check_fake, NULL), N - nrej);
  for (int seq = 1; seq <= N; seq++)
    assert_int_equal(seen[seq], seq % EVERY ? 1 : 0);
  mp_broker_stop(b);
}

/* Resume: a run told to skip the first K items reads and drops them
 * (rejected ones included), produces the rest with their original seqs,
 * journals only the later rejects and records the full total; an input
 * shorter than K fails the run. */
static void test_producer_resume_skips_produced_prefix(void **s) {
  enum { N = 3000, EVERY = 97, K = 1234 };
  mp_broker_t *b = start_broker();
  rig_t r;
  rig_init(&r, b, 43, N);
  r.in.reject_every = EVERY;
  r.o.skip = K;
  fake_job_t *j = &r.job;
  mp_producer_stats_t st;
  char err[512];
  assert_int_equal(mp_producer_run(&r.o, &r.input, &st, err, sizeof err), 0);
  int nrej_after = N / EVERY - K / EVERY;
  assert_int_equal(st.read, N);
  assert_int_equal(st.skipped, K);
  assert_int_equal(st.rejected, nrej_after);
  assert_int_equal(st.produced, N - K - nrej_after);
  assert_int_equal(st.delivered, N - K - nrej_after);
  assert_int_equal(st.done_prefix, N);
  assert_int_equal(j->total, N);
  assert_int_equal(atomic_load(&j->produced), N); /* final: all produced */
  assert_true(j->nproduced >= 1);
  assert_int_equal(j->njournal, nrej_after);
  assert_int_equal(j->jseq[0], (K / EVERY + 1) * EVERY);
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  assert_int_equal(read_back(b, 43, N - K - nrej_after, seen, N + 1,
                             check_fake, NULL),
                   N - K - nrej_after);
  for (int seq = 1; seq <= N; seq++)
    assert_int_equal(seen[seq], seq > K && seq % EVERY ? 1 : 0);

  /* the input shrank below what was produced */
  rig_t r2;
  rig_init(&r2, b, 43, 100);
  atomic_store(&r2.job.processed, 0);
  r2.o.skip = 101;
  assert_int_equal(mp_producer_run(&r2.o, &r2.input, &st, err, sizeof err),
                   MP_EIO);
  assert_non_null(strstr(err, "cannot skip the 101 items already produced"));
  assert_int_equal(st.produced, 0);
  assert_int_equal(r2.job.nfail, 1);
  assert_int_equal(r2.job.total, -1);
  assert_int_equal(atomic_load(&r2.job.produced), 0); /* never below the skip */
  mp_broker_stop(b);
}

/* Credit: the fake processed counter only moves when the test moves it. */
typedef struct {
  mp_producer_t *p;
  fake_job_t *j;
  uv_timer_t t;
  int64_t credit, n;
  int64_t startup;       /* startup_backlog given, 0 = none */
  int64_t max_seen;
  int64_t max_before;    /* most outstanding before the first advance */
  int64_t max_limit;     /* the largest bound the slow start allowed */
  int stood_below;       /* ticks at a slow-start bound below the credit */
  int stalls, advances;
  int64_t last_produced;
  int recorded_mid_run; /* ticks that saw a recorded prefix before the end */
  int done, rc;
} credit_ctx_t;

static void credit_tick(uv_timer_t *t) {
  credit_ctx_t *c = t->data;
  if (c->done) {
    uv_close((uv_handle_t *)t, NULL);
    return;
  }
  mp_producer_stats_t st;
  mp_producer_stats(c->p, &st);
  int64_t proc = atomic_load(&c->j->processed);
  int64_t out = st.produced - proc;
  if (out > c->max_seen)
    c->max_seen = out;
  assert_true(out <= c->credit);
  /* the slow start: the startup bound until the "workers" first process
   * something, then MP_PRODUCER_CREDIT_GROWTH more per record processed */
  int64_t limit = c->credit;
  if (c->startup > 0 && c->startup + MP_PRODUCER_CREDIT_GROWTH * proc < limit)
    limit = c->startup + MP_PRODUCER_CREDIT_GROWTH * proc;
  if (limit > c->max_limit)
    c->max_limit = limit;
  if (proc > 0 && out == limit && limit < c->credit)
    c->stood_below++;
  if (proc == 0 && out > c->max_before)
    c->max_before = out;
  assert_true(out <= limit);
  /* The recorded resume point lags the done prefix, never passes it; with
   * no report outstanding every item read is done. */
  int64_t rec = atomic_load(&c->j->produced);
  assert_true(rec <= st.done_prefix);
  if (st.delivered == st.produced)
    assert_int_equal(st.done_prefix, st.read);
  if (rec > 0 && rec < c->n)
    c->recorded_mid_run++;
  if (st.produced == c->last_produced && st.produced > proc) {
    /* Stalled: it must stand exactly at the credit (or at the end). */
    if (++c->stalls >= 3) {
      assert_true(out == limit || st.read == c->n);
      /* "workers" finish up to 150 of the delivered records */
      int64_t next = proc + 150;
      if (next > st.delivered)
        next = st.delivered;
      atomic_store(&c->j->processed, next);
      c->advances++;
      c->stalls = 0;
    }
  } else {
    c->stalls = 0;
  }
  c->last_produced = st.produced;
}

static void credit_done(void *data, int rc, const char *reason) {
  credit_ctx_t *c = data;
  c->done = 1;
  c->rc = rc;
}

/* Run n fake records of value_len bytes under a credit of max_backlog
 * records or max_bytes bytes (and startup records until the first
 * advance, 0 = none) while credit_tick plays the workers; the producer's
 * stats go to st, the test context to c. */
static void run_with_credit(int64_t n, size_t value_len, int64_t max_backlog,
                            int64_t max_bytes, int64_t startup,
                            int64_t credit, credit_ctx_t *c, fake_job_t *j,
                            mp_producer_stats_t *st) {
  mp_broker_t *b = start_broker();
  fake_in_t f = {.n = n, .value_len = value_len};
  mp_producer_job_ops_t ops = fake_ops(j);
  *c = (credit_ctx_t){.j = j, .credit = credit, .n = n, .startup = startup};
  mp_producer_opts_t o = base_opts(b, 7);
  o.ops = &ops;
  o.max_backlog = max_backlog;
  o.max_backlog_bytes = max_bytes;
  o.startup_backlog = startup;
  o.credit_poll_ms = 20;
  o.cb_data = c;
  o.on_done = credit_done;
  mp_producer_input_t in = fake_input(&f);
  uv_loop_t loop;
  char err[256];
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(mp_producer_start(&loop, &o, &in, &c->p, err, sizeof err),
                   0);
  uv_timer_init(&loop, &c->t);
  c->t.data = c;
  uv_timer_start(&c->t, credit_tick, 50, 50);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(c->rc, 0);
  mp_producer_stats(c->p, st);
  mp_producer_destroy(c->p);
  assert_int_equal(uv_loop_close(&loop), 0);
  mp_broker_stop(b);
}

static void test_producer_credit_blocks_until_processed_moves(void **s) {
  credit_ctx_t c;
  fake_job_t j = {0};
  mp_producer_stats_t st;
  run_with_credit(2000, 0, 500, -1, 0, 500, &c, &j, &st);
  assert_int_equal(st.delivered, 2000);
  assert_int_equal(j.total, 2000);
  assert_int_equal(st.max_outstanding, 500); /* reached, never passed */
  assert_true(c.max_seen <= 500);
  assert_true(st.credit_waits >= 3);
  assert_true(c.advances >= (2000 - 500) / 150);
  assert_true(c.recorded_mid_run >= 3);
  assert_int_equal(atomic_load(&j.produced), 2000);
}

/* The slow start: startup_backlog = 40 records until the processed count
 * first moves, then 40 + MP_PRODUCER_CREDIT_GROWTH per record processed
 * (credit_tick checks the bound at every tick and that a stall stands
 * exactly at it), up to the full credit of 500. */
static void test_producer_startup_credit_until_first_progress(void **s) {
  credit_ctx_t c;
  fake_job_t j = {0};
  mp_producer_stats_t st;
  run_with_credit(2000, 0, 500, -1, 40, 500, &c, &j, &st);
  assert_int_equal(st.delivered, 2000);
  assert_int_equal(j.total, 2000);
  assert_int_equal(c.max_before, 40); /* stood at the startup bound */
  /* after the first advance (150 processed): 40 + 2 x 150 = 340 < 500,
   * where it stood too before the credit opened fully */
  assert_true(c.stood_below >= 1);
  assert_int_equal(c.max_limit, 500);
  assert_int_equal(st.max_outstanding, 500); /* then the full credit */
  assert_true(c.advances >= (2000 - 500) / 150);
}

static void test_producer_byte_credit_bounds_backlog(void **s) {
  credit_ctx_t c;
  fake_job_t j = {0};
  mp_producer_stats_t st;
  /* 100 records of 1000 bytes; credit_tick asserts the bound all along */
  run_with_credit(400, 1000, -1, 100 * 1000, 0, 100, &c, &j, &st);
  assert_int_equal(st.delivered, 400);
  assert_int_equal(j.total, 400);
  assert_true(c.max_seen <= 100);
  assert_true(st.credit_waits >= 1);
}

/* Cancel while blocked on credit: the job fails as canceled, no total. */
typedef struct {
  mp_producer_t *p;
  int rc, progress_calls;
  mp_producer_stats_t last;
  char reason[256];
} cancel_ctx_t;

static void cancel_later(uv_timer_t *t) {
  cancel_ctx_t *c = t->data;
  mp_producer_cancel(c->p);
  uv_close((uv_handle_t *)t, NULL);
}
static void cancel_done(void *data, int rc, const char *reason) {
  cancel_ctx_t *c = data;
  c->rc = rc;
  snprintf(c->reason, sizeof c->reason, "%s", reason);
}
static void cancel_progress(void *data, const mp_producer_stats_t *st) {
  cancel_ctx_t *c = data;
  c->progress_calls++;
  c->last = *st;
}

static void test_producer_cancel_while_blocked_fails_job(void **s) {
  mp_broker_t *b = start_broker();
  rig_t r;
  rig_init(&r, b, 12, 1000);
  atomic_store(&r.job.processed, 0); /* stays 0: the credit runs out */
  fake_job_t *j = &r.job;
  cancel_ctx_t c = {0};
  r.o.max_backlog = 100;
  r.o.progress_ms = 50;
  r.o.cb_data = &c;
  r.o.on_done = cancel_done;
  r.o.on_progress = cancel_progress;
  uv_loop_t loop;
  uv_timer_t t;
  char err[256];
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(
      mp_producer_start(&loop, &r.o, &r.input, &c.p, err, sizeof err), 0);
  uv_timer_init(&loop, &t);
  t.data = &c;
  uv_timer_start(&t, cancel_later, 400, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(c.rc, MP_ECANCELED);
  assert_non_null(strstr(c.reason, "canceled after 100 records"));
  assert_int_equal(j->nfail, 1);
  assert_string_equal(j->failed, c.reason);
  assert_int_equal(j->total, -1);
  assert_true(c.progress_calls >= 2); /* periodic, then the final one */
  assert_int_equal(c.last.produced, 100);
  assert_int_equal(c.last.delivered, 100);
  mp_producer_destroy(c.p);
  assert_int_equal(uv_loop_close(&loop), 0);
  mp_broker_stop(b);
}

static void test_producer_waits_on_full_queue(void **s) {
  mp_broker_t *b = start_broker();
  fake_in_t f = {.n = 5000};
  const char *props[] = {"queue.buffering.max.messages=50"};
  mp_producer_opts_t o = base_opts(b, 9);
  o.props = props;
  o.nprops = 1;
  mp_producer_input_t in = fake_input(&f);
  mp_producer_stats_t st;
  char err[256];
  assert_int_equal(mp_producer_run(&o, &in, &st, err, sizeof err), 0);
  assert_int_equal(st.delivered, 5000);
  assert_true(st.queue_full_waits > 0);
  mp_broker_stop(b);
}

static void test_producer_failed_delivery_fails_job(void **s) {
  mp_broker_t *b = start_broker();
  char reply[256];
  assert_int_equal(mp_broker_control(b, "err Produce 100000 "
                                        "TOPIC_AUTHORIZATION_FAILED",
                                     reply, sizeof reply),
                   0);
  rig_t r;
  rig_init(&r, b, 11, 200);
  mp_producer_stats_t st;
  char err[512];
  int rc = mp_producer_run(&r.o, &r.input, &st, err, sizeof err);
  assert_int_equal(rc, MP_EKAFKA);
  assert_non_null(strstr(err, "delivery of record"));
  assert_int_equal(r.job.total, -1); /* never recorded */
  assert_int_equal(r.job.nfail, 1);
  assert_string_equal(r.job.failed, err);
  assert_true(st.failed >= 1);
  assert_int_equal(st.delivered, 0);
  mp_broker_stop(b);
}

/* A fatal client error (the broker answers "out of order sequence number"
 * for the first batches, which librdkafka 2.0.2 treats as a lost
 * idempotence state, as after a cluster restart) does not fail the run:
 * a new client produces the failed messages again, every record reaches
 * the log at least once and the job is not failed. When every client
 * meets the error, the restarts run out and the run fails, naming it. */
static void test_producer_restarts_after_fatal_error(void **s) {
  enum { N = 2000 };
  mp_broker_t *b = start_broker();
  char reply[256];
  assert_int_equal(mp_broker_control(b, "err Produce 1 "
                                        "OUT_OF_ORDER_SEQUENCE_NUMBER",
                                     reply, sizeof reply),
                   0);
  rig_t r;
  rig_init(&r, b, 21, N);
  mp_producer_stats_t st;
  char err[512];
  assert_int_equal(mp_producer_run(&r.o, &r.input, &st, err, sizeof err), 0);
  assert_int_equal(st.restarts, 1);
  assert_true(st.resent >= 1);
  assert_int_equal(st.read, N);
  assert_int_equal(st.delivered, N);
  assert_int_equal(st.done_prefix, N);
  assert_int_equal(r.job.total, N);
  assert_int_equal(r.job.nfail, 0);
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  int got = read_back(b, 21, N, seen, N + 1, check_fake, NULL);
  assert_true(got >= N);
  for (int seq = 1; seq <= N; seq++)
    assert_true(seen[seq] >= 1);
  mp_broker_stop(b);

  b = start_broker();
  assert_int_equal(mp_broker_control(b, "err Produce 100 "
                                        "OUT_OF_ORDER_SEQUENCE_NUMBER",
                                     reply, sizeof reply),
                   0);
  rig_init(&r, b, 22, 200);
  assert_int_equal(mp_producer_run(&r.o, &r.input, &st, err, sizeof err),
                   MP_EKAFKA);
  assert_non_null(strstr(err, "fatal producer error"));
  assert_int_equal(st.restarts, MP_PRODUCER_MAX_RESTARTS);
  assert_int_equal(r.job.nfail, 1);
  assert_int_equal(r.job.total, -1);
  mp_broker_stop(b);
}

/* ---- real MARC files through the MARC input ---- */

/* 001 of every record of a file, in order, read with a plain reader. */
typedef struct {
  char id[64][64];
  int n;
  int bad;
} ids_t;

static void check_marc(void *ud, const rd_kafka_message_t *m, int64_t seq,
                       rd_kafka_headers_t *h) {
  ids_t *ids = ud;
  char v[64];
  mp_record_t rec;
  mp_match_keys_t keys;
  assert_string_equal(hdr(h, MP_HDR_CONTENT_TYPE, v, sizeof v),
                      MP_CT_NAME_ISO2709);
  mp_record_init(&rec);
  assert_int_equal(mp_marc_parse_iso2709(m->payload, m->len, &rec, NULL), 0);
  assert_true(mp_record_is_utf8(&rec));
  mp_match_keys(&rec, m->payload, m->len, &keys);
  assert_int_equal(m->key_len, strlen(keys.primary));
  assert_memory_equal(m->key, keys.primary, m->key_len);
  /* The record with this seq is the seq-th record of the file. */
  const mp_field_t *f001 = mp_record_field(&rec, "001");
  assert_non_null(f001);
  assert_true(seq >= 1 && seq <= ids->n);
  assert_int_equal(f001->len, strlen(ids->id[seq - 1]));
  assert_memory_equal(f001->data, ids->id[seq - 1], f001->len);
  /* every record here has 001 (and 003): the key is the control key */
  assert_string_equal(keys.primary, keys.control);
  assert_true(strncmp(keys.primary, "sha1:", 5) != 0);
  mp_record_release(&rec);
}

static void read_ids(const char *path, ids_t *ids) {
  int err = 0;
  mp_record_t *rec;
  mp_marc_reader_t *r = mp_marc_reader_open(path, NULL, &err);
  assert_non_null(r);
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF) {
    assert_true(ids->n < 64);
    ids->id[ids->n][0] = '\0';
    if (rc == 0) {
      const mp_field_t *f = mp_record_field(rec, "001");
      if (f)
        snprintf(ids->id[ids->n], 64, "%.*s", (int)f->len, f->data);
    } else {
      ids->bad++;
    }
    ids->n++;
  }
  mp_marc_reader_close(r);
}

/* Produce a whole file as job `job` with workers that keep up. */
static void produce_file(mp_broker_t *b, const char *path, int64_t job,
                         fake_job_t *j, mp_producer_stats_t *st) {
  atomic_store(&j->processed, INT64_MAX / 2);
  mp_producer_job_ops_t ops = fake_ops(j);
  mp_producer_opts_t o = base_opts(b, job);
  o.ops = &ops;
  mp_producer_input_t in;
  char err[512];
  assert_int_equal(mp_producer_marc_input_open(path, NULL, &in, err, sizeof err),
                   0);
  assert_int_equal(mp_producer_run(&o, &in, st, err, sizeof err), 0);
}

static void test_producer_real_file_30_records(void **s) {
  const char *path = tu_data("iso2709/traject--test_data.utf8.mrc");
  ids_t ids = {0};
  read_ids(path, &ids);
  assert_int_equal(ids.n, 30); /* SOURCES.md: 30 records */
  mp_broker_t *b = start_broker();
  fake_job_t j = {0};
  mp_producer_stats_t st;
  produce_file(b, path, 30, &j, &st);
  assert_int_equal(st.read, 30);
  assert_int_equal(st.delivered, 30);
  assert_int_equal(st.rejected, 0);
  assert_int_equal(j.total, 30);
  assert_int_equal(st.input_bytes, 39294); /* the whole file */
  int seen[31] = {0};
  assert_int_equal(read_back(b, 30, 30, seen, 31, check_marc, &ids), 30);
  for (int i = 1; i <= 30; i++)
    assert_int_equal(seen[i], 1);
  mp_broker_stop(b);
}

/* Rejected records keep their seq and offset; the others are delivered. */
static void test_producer_real_file_rejects_positioned(void **s) {
  const char *path = tu_data("malformed/pymarc--bad_records.mrc");
  /* What the reader itself says, record by record. */
  int64_t want_seq[16];
  uint64_t want_off[16];
  int nwant = 0, ngood = 0, err0 = 0;
  mp_record_t *rec;
  mp_marc_reader_t *r = mp_marc_reader_open(path, NULL, &err0);
  assert_non_null(r);
  int rc;
  for (int64_t n = 1; (rc = mp_marc_reader_next(r, &rec)) != MP_EOF; n++) {
    if (rc == 0) {
      ngood++;
      continue;
    }
    size_t nd;
    const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
    assert_true(nd >= 1 && nwant < 16);
    assert_int_equal(d[0].recno, n); /* seq = record number in the input */
    want_seq[nwant] = n;
    want_off[nwant++] = d[0].offset;
  }
  mp_marc_reader_close(r);
  assert_true(nwant >= 1);

  mp_broker_t *b = start_broker();
  fake_job_t j = {.any_error = true};
  mp_producer_stats_t st;
  produce_file(b, path, 31, &j, &st);
  assert_int_equal(st.read, ngood + nwant);
  assert_int_equal(st.delivered, ngood);
  assert_int_equal(st.rejected, nwant);
  assert_int_equal(j.total, ngood + nwant); /* every record accounted for */
  assert_int_equal(j.njournal, nwant);
  for (int i = 0; i < nwant; i++) {
    assert_int_equal(j.jseq[i], want_seq[i]);
    assert_int_equal(j.joff[i], want_off[i]);
    assert_true(j.jraw[i][0] != '\0'); /* raw bytes kept */
  }
  mp_broker_stop(b);
}

/* A record too large for ISO 2709 travels as MARC-in-JSON, said by the
 * content-type header, and decodes back to the same record. */
static void check_json(void *ud, const rd_kafka_message_t *m, int64_t seq,
                       rd_kafka_headers_t *h) {
  char v[64];
  mp_record_t rec;
  mp_record_init(&rec);
  assert_string_equal(hdr(h, MP_HDR_CONTENT_TYPE, v, sizeof v),
                      MP_CT_NAME_JSON);
  assert_true(m->len > MP_MARC_ISO_MAX);
  assert_int_equal(mp_marc_parse_json(m->payload, m->len, &rec, NULL), 0);
  const mp_field_t *f = mp_record_field(&rec, "500");
  assert_non_null(f);
  const mp_subfield_t *a = mp_field_subfield(&rec, f, 'a');
  assert_non_null(a);
  assert_int_equal(a->len, 120000);
  assert_int_equal(m->key_len, strlen("big-1"));
  assert_memory_equal(m->key, "big-1", m->key_len);
  mp_record_release(&rec);
}

static void test_producer_oversize_record_goes_as_json(void **s) {
  char path[] = "/tmp/test_producer_json.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "{\"leader\":\"00000nam a2200000 a 4500\",\"fields\":["
             "{\"001\":\"big-1\"},{\"245\":{\"ind1\":\"0\",\"ind2\":\"0\","
             "\"subfields\":[{\"a\":\"A long note\"}]}},"
             "{\"500\":{\"ind1\":\" \",\"ind2\":\" \",\"subfields\":[{\"a\":\"");
  for (int i = 0; i < 120000; i++)
    fputc('x', f);
  fprintf(f, "\"}]}}]}\n");
  assert_int_equal(fclose(f), 0);
  mp_broker_t *b = start_broker();
  fake_job_t j = {0};
  mp_producer_stats_t st;
  produce_file(b, path, 32, &j, &st);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.rejected, 0);
  assert_int_equal(j.total, 1);
  int seen[2] = {0};
  assert_int_equal(read_back(b, 32, 1, seen, 2, check_json, NULL), 1);
  assert_int_equal(seen[1], 1);
  mp_broker_stop(b);
  remove(path);
}

/* The default credit holds a whole stalled backlog of real records inside
 * the embedded broker's retention: nobody processes, the producer stops at
 * the credit, and no partition has dropped anything (low watermark 0). */
typedef struct {
  mp_producer_t *p;
  uv_timer_t t;
  int64_t last;
  int still, rc;
} stall_ctx_t;

static void stall_tick(uv_timer_t *t) {
  stall_ctx_t *c = t->data;
  mp_producer_stats_t st;
  mp_producer_stats(c->p, &st);
  if (st.produced == c->last && st.delivered == st.produced && ++c->still >= 5) {
    mp_producer_cancel(c->p);
    uv_close((uv_handle_t *)t, NULL);
    return;
  }
  if (st.produced != c->last)
    c->still = 0;
  c->last = st.produced;
}
static void stall_done(void *data, int rc, const char *reason) {
  ((stall_ctx_t *)data)->rc = rc;
}

static void test_producer_default_credit_fits_broker_retention(void **s) {
  /* 10 copies of the 2,000-record UVA file: more than the credit allows */
  size_t len;
  char *one = tu_slurp(tu_data("iso2709/solrmarc--uva_001_2000.mrc"), &len);
  char path[] = "/tmp/test_producer.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  for (int i = 0; i < 10; i++)
    assert_int_equal(write(fd, one, len), (ssize_t)len);
  close(fd);
  free(one);

  mp_broker_t *b = start_broker();
  fake_job_t j = {0}; /* processed stays 0 */
  mp_producer_job_ops_t ops = fake_ops(&j);
  stall_ctx_t c = {0};
  mp_producer_opts_t o = base_opts(b, 13); /* default credit, 8 partitions */
  o.ops = &ops;
  o.cb_data = &c;
  o.on_done = stall_done;
  mp_producer_input_t in;
  char err[512];
  assert_int_equal(mp_producer_marc_input_open(path, NULL, &in, err, sizeof err),
                   0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(mp_producer_start(&loop, &o, &in, &c.p, err, sizeof err),
                   0);
  uv_timer_init(&loop, &c.t);
  c.t.data = &c;
  uv_timer_start(&c.t, stall_tick, 100, 100);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(c.rc, MP_ECANCELED);
  mp_producer_stats_t st;
  mp_producer_stats(c.p, &st);
  int64_t drec, dbytes;
  mp_producer_default_backlog(8, &drec, &dbytes);
  /* stopped by the byte credit, short of the whole input */
  assert_true(st.produced < 20000 && st.produced <= drec);
  assert_true(st.value_bytes >= (uint64_t)dbytes);
  assert_true(st.value_bytes < (uint64_t)dbytes + 100000);
  int64_t kept = 0;
  for (int p = 0; p < PARTS; p++) {
    int64_t lo = -1, hi = -1;
    assert_int_equal(rd_kafka_query_watermark_offsets(mp_producer_rk(c.p),
                                                      TOPIC, p, &lo, &hi,
                                                      5000),
                     0);
    assert_int_equal(lo, 0); /* nothing dropped */
    kept += hi;
  }
  assert_int_equal(kept, st.delivered);
  mp_producer_destroy(c.p);
  assert_int_equal(uv_loop_close(&loop), 0);
  mp_broker_stop(b);
  remove(path);
}

static void test_broker_control_commands(void **s) {
  mp_broker_t *b = start_broker();
  char r[256];
  assert_int_equal(mp_broker_control(b, "topic extra.topic 3", r, sizeof r), 0);
  assert_string_equal(r, "ok");
  assert_int_equal(mp_broker_control(b, "down 2", r, sizeof r), 0);
  assert_int_equal(mp_broker_control(b, "up 2", r, sizeof r), 0);
  assert_int_equal(mp_broker_control(b, "rtt 1 5", r, sizeof r), 0);
  assert_int_equal(mp_broker_control(b, "leader extra.topic 1 3", r, sizeof r),
                   0);
  assert_int_equal(mp_broker_control(b, "err Fetch 2 NOT_LEADER_FOR_PARTITION",
                                     r, sizeof r),
                   0);
  assert_int_equal(mp_broker_control(b, "clear Fetch", r, sizeof r), 0);
  assert_int_equal(mp_broker_control(b, "bootstrap", r, sizeof r), 0);
  assert_string_equal(r, mp_broker_bootstraps(b));
  assert_int_equal(mp_broker_control(b, "# comment", r, sizeof r), 1);
  assert_int_equal(mp_broker_control(b, "down 4", r, sizeof r), MP_EUSAGE);
  assert_non_null(strstr(r, "BROKER"));
  assert_int_equal(mp_broker_control(b, "err Nope 1 2", r, sizeof r),
                   MP_EUSAGE);
  assert_int_equal(mp_broker_control(b, "err Produce 1 NO_SUCH_CODE", r,
                                     sizeof r),
                   MP_EUSAGE);
  assert_int_equal(mp_broker_control(b, "topic t", r, sizeof r), MP_EUSAGE);
  assert_non_null(strstr(r, "usage: topic NAME PARTITIONS"));
  assert_int_equal(mp_broker_control(b, "frobnicate", r, sizeof r), MP_EUSAGE);
  mp_broker_stop(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_producer_streams_items_with_headers_and_journals_rejects),
      cmocka_unit_test(test_producer_credit_blocks_until_processed_moves),
      cmocka_unit_test(test_producer_resume_skips_produced_prefix),
      cmocka_unit_test(test_producer_startup_credit_until_first_progress),
      cmocka_unit_test(test_producer_byte_credit_bounds_backlog),
      cmocka_unit_test(test_producer_cancel_while_blocked_fails_job),
      cmocka_unit_test(test_producer_waits_on_full_queue),
      cmocka_unit_test(test_producer_failed_delivery_fails_job),
      cmocka_unit_test(test_producer_restarts_after_fatal_error),
      cmocka_unit_test(test_producer_real_file_30_records),
      cmocka_unit_test(test_producer_real_file_rejects_positioned),
      cmocka_unit_test(test_producer_oversize_record_goes_as_json),
      cmocka_unit_test(test_producer_default_credit_fits_broker_retention),
      cmocka_unit_test(test_broker_control_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
