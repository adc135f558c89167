/* worker.c: the inventory worker (see worker.h for the contract).
 *
 * Flow (all on the loop thread except the sink calls):
 *   bridge -> consumer_poll(0) until NULL -> track offset (offsets.c) ->
 *   count in window (window.c; pause all partitions at high water) ->
 *   append to the partition's current batch -> sealed when full, or after
 *   batch_ms as soon as a slot is free to take it (seal_due) -> ready FIFO
 *   -> a free slot takes the oldest ready batch
 *   whose partition has no batch in flight and runs sink->write_batch on
 *   the thread pool ->
 *   on 0: offsets done, window released (resume at low water), commit the
 *   contiguous positions to Kafka (async); on error: retry the same batch
 *   after a capped exponential backoff, the window stays full meanwhile.
 *
 * Invariants: every polled message is owned by exactly one batch (current,
 * ready, or a slot's) until finish_batch destroys it; the window counts
 * exactly those messages. A batch holds one partition, and a partition has
 * at most one batch in flight: batches of a partition reach the sink in
 * offset order, so a record's versions apply in order, and the next offset
 * the sink stores in PostgreSQL (max offset + 1 of a committed batch) never
 * passes an offset that is not committed there. Offsets reach Kafka only through the tracker's
 * positions, which never pass a pending offset. A batch whose partitions
 * were all revoked is stale: its completion moves no offset. The consumer
 * is closed only when no batch exists, so rd_kafka_destroy never waits on
 * a message reference. A worker fenced out of its group (frozen past its
 * session) whose batch still commits after another took the partition
 * counts nothing twice (journal rows are unique per job and seq) and moves
 * no stored offset back (the sink stores offsets only forward). Denied
 * READ on the group or topic stops the worker: waiting never grants it.
 */
#include "marcpipe/worker.h"

#include "kafka/envelope.h"
#include "kafka/identity.h"
#include "kafka/offsets.h"
#include "kafka/window.h"
#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A batch owns copies of its messages' keys and values (in `data`): the
 * Kafka message is destroyed as soon as it is polled. librdkafka's
 * messages point into the fetch response they came in, and one message
 * held keeps the whole response alive, so holding them made a worker's
 * memory depend on how records were spread over responses rather than on
 * the window. Blocks of DATA_BLOCK bytes come from the worker's pool,
 * which keeps as many as the window's bytes fill (DATA_POOL_UNBOUNDED
 * without a byte bound): reusing them avoids an unmap, the page faults of
 * fresh memory and the TLB shootdowns on every batch (measured: +30%
 * worker CPU without the pool). */
enum { DATA_BLOCK = 256 * 1024, DATA_POOL_UNBOUNDED = 64 };

typedef struct batch_s batch_t;
struct batch_s {
  batch_t *next;
  int32_t partition;         /* every message of a batch is of one */
  int64_t *offsets;          /* of each message, valid or not */
  uint64_t *epochs;          /* tracker epoch of each message */
  size_t n, cap;
  mp_sink_rec_t *recs;       /* valid messages only; point into data */
  size_t nrecs;
  uint64_t bytes;
  mp_arena_t data;           /* the records' keys and values */
};

typedef struct slot_s {
  mp_worker_t *w;
  int index;
  void *sink;          /* opened lazily on the pool thread */
  batch_t *batch;      /* running or waiting to retry; NULL = free */
  bool running;
  uv_work_t req;
  uv_timer_t retry;
  unsigned backoff_ms;
  int rc;
  mp_sink_result_t res;
  char err[sizeof(mp_sink_result_t){0}.errmsg];
} slot_t;

struct mp_worker_s {
  uv_loop_t *loop;
  mp_worker_config_t cfg;
  rd_kafka_t *rk;
  rd_kafka_t *dlq;   /* producer for cfg.dlq_topic, or NULL */
  rd_kafka_queue_t *queue;
  mp_kafka_bridge_t bridge;
  uv_timer_t batch_timer, tick, close_timer;
  void *control;
  slot_t *slots;
  mp_window_t win;
  mp_arena_pool_t data_pool; /* the batches' data blocks (see batch_t) */
  mp_offsets_t offs;
  char cluster_id[64];  /* the consumer's Kafka cluster; "" = unknown */
  mp_ident_plan_t *plans; /* per partition id: a stored position still to
                             check against its log (identity.h) */
  size_t nplans;
  batch_t **cur;     /* current batch per partition (indexed by id) */
  bool *busy;        /* partition has a batch in a slot */
  size_t nparts;     /* size of cur and busy */
  size_t ncur;       /* current batches holding messages */
  bool seal_due;     /* batch_ms passed: seal partial batches as slots free */
  batch_t *ready, *ready_tail;
  bool kpaused;      /* what was applied to the current assignment */
  bool started, stopping, closing;
  bool in_group;     /* assigned (possibly no partitions) since last revoke */
  bool close_abandoned; /* leaving the group did not finish in time */
  int status;
  int open_handles;
  uint64_t last_msg_ms, last_status_ms;
  mp_worker_done_cb done_cb;
  mp_worker_stats_t st;
  /* TEST-ONLY fault hook (tests/faults/worker_kill.sh): with
   * MP_FAULT_CRASH_AFTER_PG_COMMIT=N the process _exit(137)s right after
   * the Nth batch the sink committed, before its offsets reach Kafka */
  uint64_t fault_crash_after, fault_batches;
};

static const char *const managed_props[] = {
    "group.id", "enable.auto.commit", "enable.auto.offset.store"};

static void wlog(mp_worker_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void wlog(mp_worker_t *w, const char *fmt, ...) {
  FILE *f = w->cfg.log ? w->cfg.log : stderr;
  va_list ap;
  va_start(ap, fmt);
  fputs("marcpipe work: ", f);
  vfprintf(f, fmt, ap);
  fputc('\n', f);
  va_end(ap);
}

void mp_worker_config_defaults(mp_worker_config_t *c) {
  memset(c, 0, sizeof *c);
  c->group = MP_WORKER_DEFAULT_GROUP;
  c->window_records = 20000;
  c->window_bytes = 64u << 20;
  c->low_water_pct = 50;
  c->batch_records = 1000;
  c->batch_ms = 50;
  c->nsinks = 2;
  c->retry_min_ms = 100;
  c->retry_max_ms = 10000;
}

/* ---- batches ---- */

static batch_t *batch_new(mp_worker_t *w, size_t cap, int32_t partition) {
  batch_t *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->cap = cap;
  b->partition = partition;
  mp_arena_init_pooled(&b->data, &w->data_pool);
  b->offsets = malloc(cap * sizeof *b->offsets);
  b->epochs = malloc(cap * sizeof *b->epochs);
  b->recs = malloc(cap * sizeof *b->recs);
  if (!b->offsets || !b->epochs || !b->recs) {
    free(b->offsets);
    free(b->epochs);
    free(b->recs);
    free(b);
    return NULL;
  }
  return b;
}

/* True when no message of b belongs to the current assignment. */
static bool batch_stale(const mp_worker_t *w, const batch_t *b) {
  uint64_t now = mp_offsets_epoch(&w->offs, b->partition);
  for (size_t i = 0; i < b->n; i++)
    if (now == b->epochs[i])
      return false;
  return true;
}

static void apply_pause(mp_worker_t *w);
static void commit_offsets(mp_worker_t *w, bool sync, bool all);

/* Destroy a batch; committed = the sink wrote it (offsets become done). */
static void finish_batch(mp_worker_t *w, batch_t *b, bool committed) {
  for (size_t i = 0; committed && i < b->n; i++)
    mp_offsets_done(&w->offs, b->partition, b->epochs[i], b->offsets[i],
                    b->offsets[i]);
  if (committed) {
    w->st.committed += b->nrecs;
    w->st.batches++;
  } else {
    w->st.abandoned += b->n;
  }
  if (mp_window_release(&w->win, b->n, b->bytes) == MP_WINDOW_RESUME) {
    if (w->cfg.verbose)
      wlog(w, "window at low water (%" PRIu64 " records, %" PRIu64
              " bytes held): resuming",
           w->win.records, w->win.bytes);
    apply_pause(w);
  }
  free(b->offsets);
  free(b->epochs);
  free(b->recs);
  mp_arena_release(&b->data);
  free(b);
  if (committed)
    commit_offsets(w, false, false);
}

/* Abandon the current batches and the ready FIFO (revocation). */
static void drop_queued(mp_worker_t *w) {
  uv_timer_stop(&w->batch_timer);
  w->seal_due = false;
  for (size_t p = 0; p < w->nparts; p++)
    if (w->cur[p]) {
      batch_t *b = w->cur[p];
      w->cur[p] = NULL;
      finish_batch(w, b, false);
    }
  w->ncur = 0;
  while (w->ready) {
    batch_t *b = w->ready;
    w->ready = b->next;
    finish_batch(w, b, false);
  }
  w->ready_tail = NULL;
}

/* ---- sinks on the thread pool ---- */

static void work_cb(uv_work_t *req) {
  slot_t *s = req->data;
  mp_worker_t *w = s->w;
  memset(&s->res, 0, sizeof s->res);
  s->err[0] = '\0';
  if (!s->sink) {
    s->rc = w->cfg.sink->open(w->cfg.sink_ctx, s->index, &s->sink, s->err,
                              sizeof s->err);
    if (s->rc) {
      s->sink = NULL;
      return;
    }
  }
  if (s->batch->nrecs == 0) { /* only invalid messages: nothing to write */
    s->rc = 0;
    return;
  }
  s->rc = w->cfg.sink->write_batch(s->sink, s->batch->recs, s->batch->nrecs,
                                   &s->res);
  if (s->rc && !s->err[0])
    snprintf(s->err, sizeof s->err, "%s", s->res.errmsg);
}

static void after_work_cb(uv_work_t *req, int status);
static void dead_letter_errors(mp_worker_t *w, const batch_t *b,
                               const mp_sink_result_t *r);

static void run_slot(slot_t *s) {
  s->running = true;
  int rc = uv_queue_work(s->w->loop, &s->req, work_cb, after_work_cb);
  if (rc) { /* cannot happen with a valid loop; report as a sink failure */
    s->rc = rc;
    after_work_cb(&s->req, rc);
  }
}

/* Unlink and return the oldest ready batch whose partition is idle. */
static batch_t *take_ready(mp_worker_t *w) {
  batch_t *prev = NULL;
  for (batch_t *b = w->ready; b; prev = b, b = b->next) {
    if (w->busy[b->partition])
      continue;
    if (prev)
      prev->next = b->next;
    else
      w->ready = b->next;
    if (w->ready_tail == b)
      w->ready_tail = prev;
    b->next = NULL;
    return b;
  }
  return NULL;
}

static void dispatch(mp_worker_t *w) {
  for (int i = 0; i < w->cfg.nsinks && w->ready; i++) {
    slot_t *s = &w->slots[i];
    if (s->batch || !(s->batch = take_ready(w)))
      continue;
    w->busy[s->batch->partition] = true;
    run_slot(s);
  }
}

/* A slot is done with its batch (written or abandoned). */
static batch_t *slot_release(slot_t *s) {
  batch_t *b = s->batch;
  s->batch = NULL;
  s->w->busy[b->partition] = false;
  return b;
}

static void seal_one(mp_worker_t *w, size_t p) {
  batch_t *b = w->cur[p];
  if (!b)
    return;
  w->cur[p] = NULL;
  w->ncur--;
  if (w->ready_tail)
    w->ready_tail->next = b;
  else
    w->ready = b;
  w->ready_tail = b;
}

static void seal_all(mp_worker_t *w) {
  uv_timer_stop(&w->batch_timer);
  w->seal_due = false;
  for (size_t p = 0; p < w->nparts && w->ncur; p++)
    seal_one(w, p);
  dispatch(w);
}

/* Slots a newly sealed batch could run in now: free slots less the ready
 * batches already waiting for one. */
static int open_slots(const mp_worker_t *w) {
  int n = 0;
  for (int i = 0; i < w->cfg.nsinks; i++)
    n += !w->slots[i].batch;
  for (const batch_t *b = w->ready; b && n > 0; b = b->next)
    n--;
  return n;
}

/* Adaptive batching: once batch_ms has passed, partial batches are sealed
 * only as slots can take them, largest first, idle partitions only. While
 * every slot is busy they keep growing (up to batch_records), so a busy
 * worker writes large batches (fewer transactions, each statement's fixed
 * cost spread over more rows) and an idle one still writes a lone record
 * after batch_ms. Called by the timer and whenever a slot frees. */
static void seal_due(mp_worker_t *w) {
  if (!w->seal_due)
    return;
  for (int free = open_slots(w); free > 0 && w->ncur; free--) {
    size_t best = w->nparts;
    for (size_t p = 0; p < w->nparts; p++)
      if (w->cur[p] && !w->busy[p] &&
          (best == w->nparts || w->cur[p]->n > w->cur[best]->n))
        best = p;
    if (best == w->nparts)
      break;
    seal_one(w, best);
  }
  if (!w->ncur)
    w->seal_due = false;
  dispatch(w);
}

static void seal_timer_cb(uv_timer_t *t) {
  mp_worker_t *w = t->data;
  w->seal_due = true;
  seal_due(w);
}

static bool drained(const mp_worker_t *w) {
  if (w->ncur || w->ready)
    return false;
  for (int i = 0; i < w->cfg.nsinks; i++)
    if (w->slots[i].batch)
      return false;
  return true;
}

static void close_timer_cb(uv_timer_t *t);

/* Once stopping and drained, close on the next loop turn (never from
 * inside rd_kafka_consumer_poll). */
static void maybe_close(mp_worker_t *w) {
  if (w->stopping && !w->closing && drained(w))
    uv_timer_start(&w->close_timer, close_timer_cb, 0, 0);
}

static void add_result(mp_worker_t *w, const mp_sink_result_t *r) {
  w->st.created += r->created;
  w->st.updated += r->updated;
  w->st.duplicates += r->duplicates;
  w->st.skipped += r->skipped;
  w->st.errors += r->errors;
  w->st.replayed += r->replayed;
  for (int i = 0; i < r->ncompleted && i < 8; i++)
    if (w->cfg.verbose)
      wlog(w, "job %" PRId64 " completed", r->completed_jobs[i]);
}

static void retry_cb(uv_timer_t *t) {
  slot_t *s = t->data;
  mp_worker_t *w = s->w;
  if (!s->batch || s->running)
    return;
  if (w->stopping || batch_stale(w, s->batch)) {
    finish_batch(w, slot_release(s), false);
    dispatch(w);
    maybe_close(w);
    return;
  }
  run_slot(s);
}

static void after_work_cb(uv_work_t *req, int status) {
  slot_t *s = req->data;
  mp_worker_t *w = s->w;
  batch_t *b = s->batch;
  s->running = false;
  if (s->rc == 0 && status == 0) {
    s->backoff_ms = 0;
    if (w->fault_crash_after && b->nrecs &&
        ++w->fault_batches == w->fault_crash_after) {
      wlog(w, "MP_FAULT_CRASH_AFTER_PG_COMMIT: exiting after batch %" PRIu64
              " (committed in PostgreSQL, not in Kafka)", w->fault_batches);
      _exit(137);
    }
    add_result(w, &s->res);
    dead_letter_errors(w, b, &s->res);
    finish_batch(w, slot_release(s), true);
  } else if (w->stopping || batch_stale(w, b)) {
    finish_batch(w, slot_release(s), false);
  } else {
    s->backoff_ms = !s->backoff_ms ? w->cfg.retry_min_ms
                    : s->backoff_ms * 2 > w->cfg.retry_max_ms
                        ? w->cfg.retry_max_ms
                        : s->backoff_ms * 2;
    w->st.retries++;
    wlog(w, "sink %d: batch of %zu records failed (%s: %s); retrying in %u ms",
         s->index, b->n, mp_err_name(s->rc ? s->rc : status),
         s->err[0] ? s->err : mp_strerror(s->rc ? s->rc : status),
         s->backoff_ms);
    uv_timer_start(&s->retry, retry_cb, s->backoff_ms, 0);
  }
  seal_due(w);
  dispatch(w);
  maybe_close(w);
}

/* ---- Kafka side: pause, commit, messages ---- */

static void set_paused(mp_worker_t *w, bool pause) {
  rd_kafka_topic_partition_list_t *a = NULL;
  if (rd_kafka_assignment(w->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR || !a)
    return;
  if (a->cnt > 0) {
    if (pause)
      rd_kafka_pause_partitions(w->rk, a);
    else
      rd_kafka_resume_partitions(w->rk, a);
  }
  rd_kafka_topic_partition_list_destroy(a); /* leaking it hangs destroy */
}

/* Bring the assignment's pause state to what the window and the stop
 * request want. Only partitions we paused are ever resumed. */
static void apply_pause(mp_worker_t *w) {
  bool want = w->win.paused || w->stopping;
  if (want == w->kpaused || w->closing)
    return;
  set_paused(w, want);
  w->kpaused = want;
  if (!want) /* idle time counts from when fetching may start again */
    w->last_msg_ms = uv_now(w->loop);
  if (w->cfg.verbose && !w->stopping)
    wlog(w, "%s partitions (%" PRIu64 " records, %" PRIu64 " bytes held)",
         want ? "pausing" : "resuming", w->win.records, w->win.bytes);
}

/* Commit the tracker's positions: all = every assigned partition (final
 * commits), else only those that moved since the last commit. */
static void commit_offsets(mp_worker_t *w, bool sync, bool all) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
  for (size_t p = 0; p < w->offs.nparts; p++) {
    int64_t pos = all ? mp_offsets_position(&w->offs, (int32_t)p)
                      : mp_offsets_take(&w->offs, (int32_t)p);
    if (pos >= 0)
      rd_kafka_topic_partition_list_add(l, w->cfg.topic, (int32_t)p)->offset =
          pos;
  }
  if (l->cnt > 0) {
    rd_kafka_resp_err_t e = rd_kafka_commit(w->rk, l, sync ? 0 : 1);
    w->st.kafka_commits++;
    /* a commit refused because the group is rebalancing is expected
     * when a member leaves (the end of an import): the offsets are in
     * PostgreSQL, so it is said only with -v */
    bool rebalancing = e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
                       e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                       e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID;
    if (e)
      w->st.kafka_commit_errors++;
    if (e && (!rebalancing || w->cfg.verbose))
      wlog(w, "offset commit failed: %s (the database holds the offsets)",
           rd_kafka_err2str(e));
  }
  rd_kafka_topic_partition_list_destroy(l);
}

static void fail(mp_worker_t *w, int status) {
  if (!w->status)
    w->status = status;
  mp_worker_stop(w);
}

static void report_lost(mp_worker_t *w, int32_t p, int64_t from, int64_t to,
                        const char *how) {
  w->st.lost_partition = p;
  w->st.lost_from = from;
  w->st.lost_to = to;
  if (to >= 0)
    wlog(w, "records lost from the log: topic %s partition %" PRId32
            " offsets %" PRId64 "..%" PRId64 " (%s); stopping",
         w->cfg.topic, p, from, to, how);
  else
    wlog(w, "records lost from the log: topic %s partition %" PRId32
            " from offset %" PRId64 " (%s); stopping",
         w->cfg.topic, p, from, how);
  mp_offsets_revoke(&w->offs, p); /* never commit past the loss */
  fail(w, MP_ELOST);
}

static void on_consume_error(mp_worker_t *w, rd_kafka_message_t *m) {
  if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
      m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    int32_t p = m->partition;
    int64_t from = mp_offsets_position(&w->offs, p), lo = -1, hi = -1;
    if (from < 0)
      from = m->offset;
    rd_kafka_query_watermark_offsets(w->rk, w->cfg.topic, p, &lo, &hi, 5000);
    report_lost(w, p, from, lo > from ? lo - 1 : -1,
                "position out of range: the log start moved past it");
    return;
  }
  /* a principal without the rights never gets them by waiting: stop */
  if (m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
      m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    bool group = m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
    wlog(w, "cannot consume %s '%s': not authorized (the principal needs "
            "READ on the %s)",
         group ? "as group" : "topic", group ? w->cfg.group : w->cfg.topic,
         group ? "group" : "topic");
    fail(w, MP_EKAFKA);
    return;
  }
  char reason[512];
  if (rd_kafka_fatal_error(w->rk, reason, sizeof reason)) {
    wlog(w, "fatal kafka error: %s", reason);
    fail(w, MP_EKAFKA);
    return;
  }
  wlog(w, "kafka: %s", rd_kafka_message_errstr(m));
}

/* ---- dead-letter copies (best effort: counted and logged; the journal
 * is the record of truth): invalid messages, and records the sink journaled
 * as errors (after their batch committed). Headers: the original ones when
 * known, plus job-id and seq (records), "source" = partition/offset,
 * "error-class" and "error" (the reason). ---- */

static void dlq_report_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                          void *opaque) {
  mp_worker_t *w = opaque;
  if (m->err) {
    w->st.dlq_failed++;
    wlog(w, "dead-letter copy not delivered: %s", rd_kafka_err2str(m->err));
  } else {
    w->st.dlq_sent++;
  }
}

/* Queue one copy; h (owned) gets the source and error headers. */
static void dlq_send(mp_worker_t *w, rd_kafka_headers_t *h, int32_t partition,
                     int64_t offset, const void *key, size_t key_len,
                     const void *value, size_t len, const char *cls,
                     const char *why) {
  char src[64];
  snprintf(src, sizeof src, "%" PRId32 "/%" PRId64, partition, offset);
  rd_kafka_header_add(h, "source", -1, src, -1);
  rd_kafka_header_add(h, "error-class", -1, cls, -1);
  rd_kafka_header_add(h, "error", -1, why, -1);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      w->dlq, RD_KAFKA_V_TOPIC(w->cfg.dlq_topic),
      RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, len),
      RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_END);
  if (e) { /* on success librdkafka owns h */
    rd_kafka_headers_destroy(h);
    w->st.dlq_failed++;
    wlog(w, "dead-letter copy not queued: %s", rd_kafka_err2str(e));
  }
}

static void dead_letter(mp_worker_t *w, const rd_kafka_message_t *m,
                        const char *why) {
  if (!w->dlq)
    return;
  rd_kafka_headers_t *orig = NULL;
  rd_kafka_message_headers(m, &orig);
  dlq_send(w, orig ? rd_kafka_headers_copy(orig) : rd_kafka_headers_new(3),
           m->partition, m->offset, m->key, m->key_len, m->payload, m->len,
           mp_err_name(MP_EFORMAT), why);
}

/* The records of a committed batch that the sink journaled as errors. */
static void dead_letter_errors(mp_worker_t *w, const batch_t *b,
                               const mp_sink_result_t *r) {
  for (size_t i = 0; w->dlq && i < r->nerror_recs; i++) {
    const mp_sink_error_t *e = &r->error_recs[i];
    if (e->index >= b->nrecs)
      continue; /* cannot happen: the sink reports indexes into recs */
    const mp_sink_rec_t *rec = &b->recs[e->index];
    char job[24], seq[24];
    snprintf(job, sizeof job, "%" PRId64, rec->job_id);
    snprintf(seq, sizeof seq, "%" PRId64, rec->seq);
    rd_kafka_headers_t *h = rd_kafka_headers_new(5);
    rd_kafka_header_add(h, MP_HDR_JOB, -1, job, -1);
    rd_kafka_header_add(h, MP_HDR_SEQ, -1, seq, -1);
    dlq_send(w, h, rec->partition, rec->offset, rec->key, rec->key_len,
             rec->value, rec->value_len, e->error_class, e->reason);
  }
}

static int grow_parts(mp_worker_t *w, size_t n) {
  if (n <= w->nparts)
    return 0;
  batch_t **cur = realloc(w->cur, n * sizeof *cur);
  if (!cur)
    return MP_ENOMEM;
  w->cur = cur;
  bool *busy = realloc(w->busy, n * sizeof *busy);
  if (!busy)
    return MP_ENOMEM;
  w->busy = busy;
  for (size_t i = w->nparts; i < n; i++) {
    cur[i] = NULL;
    busy[i] = false;
  }
  w->nparts = n;
  return 0;
}

/* Copy a decoded record's key and value into its batch, so that the
 * message can be destroyed. 0 or MP_ENOMEM. */
static int own_record(mp_worker_t *w, batch_t *b, mp_sink_rec_t *rec) {
  rec->topic = w->cfg.topic; /* the one topic subscribed */
  rec->cluster_id = w->cluster_id;
  if (rec->key && !(rec->key = mp_arena_dup(&b->data, rec->key, rec->key_len)))
    return MP_ENOMEM;
  if (!(rec->value = mp_arena_dup(&b->data, rec->value, rec->value_len)))
    return MP_ENOMEM;
  return 0;
}

/* ---- offsets of another log (identity.h) ---- */

static mp_ident_plan_t *plan_of(mp_worker_t *w, int32_t p) {
  if (p < 0)
    return NULL;
  if ((size_t)p >= w->nplans) {
    size_t n = (size_t)p + 1;
    mp_ident_plan_t *np = realloc(w->plans, n * sizeof *np);
    if (!np)
      return NULL;
    for (size_t i = w->nplans; i < n; i++)
      np[i] = (mp_ident_plan_t){.start = -1, .verify_offset = -1,
                                .await_offset = -1};
    w->plans = np;
    w->nplans = n;
  }
  return &w->plans[p];
}

/* Say that partition p's stored offset belongs to another log, and store
 * the plan's start instead (so the next assignment does not meet it). */
static void start_over(mp_worker_t *w, int32_t p, const mp_ident_plan_t *pl) {
  w->st.offset_resets++;
  if (pl->start >= 0)
    wlog(w, "topic %s partition %" PRId32 ": the stored offset does not "
            "belong to this log (%s); reading the partition from offset %"
            PRId64 " (records already stored are replays: nothing changes "
            "twice, nothing is skipped)",
         w->cfg.topic, p, pl->why, pl->start);
  else
    wlog(w, "topic %s partition %" PRId32 ": the stored offset does not "
            "belong to this log (%s); reading the partition from its start "
            "(records already stored are replays: nothing changes twice, "
            "nothing is skipped)",
         w->cfg.topic, p, pl->why);
  if (!w->cfg.sink->reset_offset)
    return;
  int rc = w->cfg.sink->reset_offset(w->control, w->cfg.topic, p,
                                     pl->start < 0 ? 0 : pl->start,
                                     w->cluster_id);
  if (rc)
    wlog(w, "cannot reset the stored offset of partition %" PRId32 ": %s "
            "(it is checked again on the next assignment)",
         p, mp_strerror(rc));
}

/* The first message of a partition whose stored position is being checked:
 * the message before that position, carrying the stored job and seq, is
 * already processed (taken as done); anything else means the stored
 * offset belongs to another log: read the partition from its start.
 * True when m was consumed here. */
static bool check_identity(mp_worker_t *w, rd_kafka_message_t *m,
                           uint64_t ep) {
  int32_t p = m->partition;
  if (p < 0 || (size_t)p >= w->nplans)
    return false;
  mp_ident_plan_t *pl = &w->plans[p];
  if (pl->await_offset >= 0) { /* after the seek below */
    if (m->offset != pl->await_offset && m->offset > pl->refuted_offset) {
      rd_kafka_message_destroy(m); /* fetched before the seek: not ours */
      return true;
    }
    /* the new start, or (the log start moved meanwhile) an offset past
     * it, which the tracker then reports as lost: never skipped here */
    pl->await_offset = -1;
    return false;
  }
  if (pl->verify_offset < 0)
    return false;
  mp_sink_rec_t rec;
  char why[160];
  int64_t job = 0, seq = 0;
  if (mp__envelope_decode(m, &rec, why, sizeof why) == 0) {
    job = rec.job_id;
    seq = rec.seq;
  }
  if (m->offset == pl->verify_offset && job == pl->verify_job &&
      seq == pl->verify_seq) {
    pl->verify_offset = -1;
    if (mp_offsets_polled(&w->offs, p, m->offset, NULL, NULL) == 0)
      mp_offsets_done(&w->offs, p, ep, m->offset, m->offset);
    rd_kafka_message_destroy(m);
    return true;
  }
  int64_t lo = -1, hi = -1;
  rd_kafka_query_watermark_offsets(w->rk, w->cfg.topic, p, &lo, &hi, 5000);
  mp__ident_refute(pl, m->offset, job, seq, lo);
  rd_kafka_message_destroy(m);
  start_over(w, p, pl);
  /* Asynchronous seek (a blocking one waits on librdkafka's threads and
   * was seen to time out): messages fetched before it may still come;
   * they are dropped until the first one at the new start. A log start
   * that could not be asked is taken as 0 (a log that starts later then
   * fails loudly as out of range). */
  int64_t start = pl->start >= 0 ? pl->start : 0;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, w->cfg.topic, p)->offset = start;
  rd_kafka_error_t *e = rd_kafka_seek_partitions(w->rk, l, 0);
  rd_kafka_topic_partition_list_destroy(l);
  if (e) {
    wlog(w, "cannot move partition %" PRId32 " to its log start: %s; stopping",
         p, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    mp_offsets_revoke(&w->offs, p); /* never commit past what was not read */
    fail(w, MP_EKAFKA);
    return true;
  }
  pl->await_offset = start;
  if (!mp_offsets_assign(&w->offs, p, start))
    fail(w, MP_ENOMEM);
  return true;
}

static void handle_message(mp_worker_t *w, rd_kafka_message_t *m) {
  int64_t lf = 0, lt = 0;
  char why[160];
  if (m->err) {
    on_consume_error(w, m);
    rd_kafka_message_destroy(m);
    return;
  }
  uint64_t ep = mp_offsets_epoch(&w->offs, m->partition);
  if (w->stopping || !ep) { /* not tracked: delivered again later */
    rd_kafka_message_destroy(m);
    return;
  }
  if (check_identity(w, m, ep))
    return;
  int rc = mp_offsets_polled(&w->offs, m->partition, m->offset, &lf, &lt);
  if (rc == MP_ELOST) {
    mp_sink_rec_t rec;
    if (mp__envelope_decode(m, &rec, why, sizeof why) == 0)
      w->st.lost_job = rec.job_id;
    rd_kafka_message_destroy(m);
    report_lost(w, m->partition, lf, lt, "fetched offset jumped past them");
    return;
  }
  if (rc) { /* MP_ECONFIG: an old offset fetched again; MP_ENOMEM */
    rd_kafka_message_destroy(m);
    if (rc != MP_ECONFIG)
      fail(w, rc);
    return;
  }
  size_t p = (size_t)m->partition;
  if (grow_parts(w, p + 1) ||
      (!w->cur[p] && !(w->cur[p] = batch_new(w, w->cfg.batch_records,
                                             m->partition)))) {
    rd_kafka_message_destroy(m);
    fail(w, MP_ENOMEM);
    return;
  }
  batch_t *b = w->cur[p];
  mp_sink_rec_t *rec = &b->recs[b->nrecs];
  bool valid = mp__envelope_decode(m, rec, why, sizeof why) == 0;
  if (valid && own_record(w, b, rec)) {
    rd_kafka_message_destroy(m);
    fail(w, MP_ENOMEM);
    return;
  }
  if (b->n == 0)
    w->ncur++;
  b->offsets[b->n] = m->offset;
  b->epochs[b->n] = ep;
  b->n++;
  b->bytes += m->len;
  if (valid) {
    b->nrecs++;
  } else {
    w->st.invalid++;
    wlog(w, "topic %s partition %" PRId32 " offset %" PRId64
            ": invalid record message: %s; skipped%s",
         w->cfg.topic, m->partition, m->offset, why,
         w->dlq ? " (copied to the dead-letter topic)" : "");
    dead_letter(w, m, why);
  }
  size_t len = m->len;
  rd_kafka_message_destroy(m); /* the batch holds copies */
  w->st.consumed++;
  w->last_msg_ms = uv_now(w->loop);
  if (mp_window_add(&w->win, len) == MP_WINDOW_PAUSE)
    apply_pause(w);
  if (b->n >= w->cfg.batch_records) {
    seal_one(w, p);
    dispatch(w);
  }
  if (w->ncur && !uv_is_active((uv_handle_t *)&w->batch_timer))
    uv_timer_start(&w->batch_timer, seal_timer_cb, w->cfg.batch_ms, 0);
  if (w->cfg.max_records && w->st.consumed >= w->cfg.max_records)
    mp_worker_stop(w);
}

/* ---- rebalance (eager protocol), inside rd_kafka_consumer_poll ---- */

static void on_assign(mp_worker_t *w, rd_kafka_topic_partition_list_t *parts) {
  int n = parts->cnt;
  rd_kafka_topic_partition_list_t *kc = rd_kafka_topic_partition_list_copy(parts);
  int32_t *ids = calloc((size_t)n + 1, sizeof *ids);
  mp_sink_offset_t *db = calloc((size_t)n + 1, sizeof *db);
  w->st.rebalances++;
  if (!ids || !db) {
    free(ids);
    free(db);
    rd_kafka_topic_partition_list_destroy(kc);
    fail(w, MP_ENOMEM);
    rd_kafka_assign(w->rk, NULL);
    return;
  }
  rd_kafka_resp_err_t e = rd_kafka_committed(w->rk, kc, 10000);
  if (e)
    wlog(w, "cannot read committed offsets: %s (using the database's)",
         rd_kafka_err2str(e));
  for (int i = 0; i < n; i++) {
    ids[i] = parts->elems[i].partition;
    db[i].next = -1;
  }
  int rc = w->cfg.sink->load_offsets(w->control, w->cfg.topic, ids, db,
                                     (size_t)n);
  if (rc)
    wlog(w, "cannot load offsets from the database: %s (using Kafka's)",
         mp_strerror(rc));
  if (!w->cluster_id[0]) { /* the identity of the log, with the topic */
    char *cid = rd_kafka_clusterid(w->rk, 5000);
    if (cid) {
      snprintf(w->cluster_id, sizeof w->cluster_id, "%s", cid);
      rd_kafka_mem_free(w->rk, cid);
    }
  }
  bool wm_ok = true; /* one unanswered query: ask no more this time */
  for (int i = 0; i < n; i++) {
    int64_t k = e ? -1 : kc->elems[i].offset;
    int64_t lo = -1, hi = -1;
    if (wm_ok && (k >= 0 || db[i].next >= 0) &&
        rd_kafka_query_watermark_offsets(w->rk, w->cfg.topic, ids[i], &lo,
                                         &hi, 3000) != 0) {
      lo = hi = -1; /* unknown: only the cluster is checked */
      wm_ok = false;
      wlog(w, "cannot read the log's offsets of %s: only the cluster of "
              "the stored offsets is checked", w->cfg.topic);
    }
    mp_ident_plan_t *pl = plan_of(w, ids[i]);
    if (!pl) {
      fail(w, MP_ENOMEM);
      break;
    }
    mp__ident_plan(k, &db[i], w->cluster_id, lo, hi, pl);
    if (pl->mismatch)
      start_over(w, ids[i], pl);
    /* with a position to check, reading starts at the message before it */
    int64_t start = pl->verify_offset >= 0 ? pl->verify_offset : pl->start;
    if (start < 0) /* nothing known: the partition's log start */
      parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    else
      parts->elems[i].offset = start;
    if (!mp_offsets_assign(&w->offs, ids[i], start < 0 ? -1 : start)) {
      fail(w, MP_ENOMEM);
      break;
    }
    if (w->cfg.verbose)
      wlog(w, "assigned %s [%" PRId32 "] at %s%" PRId64 " (kafka %" PRId64
              ", database %" PRId64 "%s)",
           parts->elems[i].topic, ids[i], start < 0 ? "log start " : "",
           start < 0 ? 0 : start, k, db[i].next,
           pl->verify_offset >= 0 ? ", checking the message before it" : "");
  }
  free(ids);
  free(db);
  rd_kafka_topic_partition_list_destroy(kc);
  e = rd_kafka_assign(w->rk, parts);
  if (e) {
    wlog(w, "assign failed: %s", rd_kafka_err2str(e));
    fail(w, MP_EKAFKA);
  }
  w->kpaused = false;
  w->in_group = true;
  w->last_msg_ms = uv_now(w->loop);
  apply_pause(w);
}

static void on_revoke(mp_worker_t *w, rd_kafka_topic_partition_list_t *parts) {
  drop_queued(w); /* in-flight batches finish later as stale */
  if (!rd_kafka_assignment_lost(w->rk))
    commit_offsets(w, true, true);
  if (w->kpaused) /* leave no partition paused behind us */
    set_paused(w, false);
  w->kpaused = false;
  for (int i = 0; i < parts->cnt; i++) {
    int32_t p = parts->elems[i].partition;
    mp_offsets_revoke(&w->offs, p);
    if (p >= 0 && (size_t)p < w->nplans)
      w->plans[p].verify_offset = w->plans[p].await_offset = -1;
  }
  if (w->cfg.verbose)
    wlog(w, "revoked %d partitions", parts->cnt);
  w->in_group = false; /* idle time counts only while assigned */
  rd_kafka_assign(w->rk, NULL);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  mp_worker_t *w = opaque;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    on_assign(w, parts);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    on_revoke(w, parts);
  } else {
    wlog(w, "rebalance error: %s", rd_kafka_err2str(err));
    rd_kafka_assign(rk, NULL);
  }
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
  mp_worker_t *w = opaque;
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    w->st.kafka_commit_errors++;
    if (w->cfg.verbose)
      wlog(w, "offset commit failed: %s (the database holds the offsets)",
           rd_kafka_err2str(err));
  }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  mp_worker_t *w = opaque;
  wlog(w, "kafka: %s: %s", rd_kafka_err2name(err), reason);
  if (err == RD_KAFKA_RESP_ERR__FATAL)
    fail(w, MP_EKAFKA);
}

/* ---- loop callbacks ---- */

static void on_ready(mp_kafka_bridge_t *br) {
  mp_worker_t *w = br->data;
  rd_kafka_message_t *m;
  while (!w->closing && (m = rd_kafka_consumer_poll(w->rk, 0)))
    handle_message(w, m);
}

static void tick_cb(uv_timer_t *t) {
  mp_worker_t *w = t->data;
  uint64_t now = uv_now(w->loop);
  if (w->dlq)
    rd_kafka_poll(w->dlq, 0); /* delivery reports */
  if (w->cfg.exit_when_idle_ms && w->in_group && !w->stopping &&
      w->win.records == 0 && now - w->last_msg_ms >= w->cfg.exit_when_idle_ms) {
    if (w->cfg.verbose)
      wlog(w, "no message for %u ms: stopping", w->cfg.exit_when_idle_ms);
    mp_worker_stop(w);
  }
  if (w->cfg.status_ms && now - w->last_status_ms >= w->cfg.status_ms) {
    mp_worker_stats_t st;
    FILE *out = w->cfg.status_out ? w->cfg.status_out : stdout;
    w->last_status_ms = now;
    mp_worker_get_stats(w, &st);
    mp_worker_stats_json(&st, out);
    fputc('\n', out);
    fflush(out);
  }
}

static void final_close(mp_worker_t *w) {
  if (w->dlq) {
    if (rd_kafka_flush(w->dlq, 10000))
      wlog(w, "dead-letter copies still queued at exit: %d",
           rd_kafka_outq_len(w->dlq));
    rd_kafka_destroy(w->dlq);
    w->dlq = NULL;
  }
  rd_kafka_queue_destroy(w->queue);
  w->queue = NULL;
  rd_kafka_destroy_flags(w->rk, w->close_abandoned
                                    ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE
                                    : 0);
  w->rk = NULL;
  for (int i = 0; i < w->cfg.nsinks; i++)
    if (w->slots[i].sink) {
      w->cfg.sink->close(w->slots[i].sink);
      w->slots[i].sink = NULL;
    }
  if (w->control)
    w->cfg.sink->close(w->control);
  w->control = NULL;
  w->st.peak_rss_kb = 0;
  mp_worker_get_stats(w, &w->st);
  if (w->done_cb)
    w->done_cb(w, w->status);
}

static void one_closed(mp_worker_t *w) {
  if (--w->open_handles == 0)
    final_close(w);
}

static void handle_closed(uv_handle_t *h) { one_closed(h->data); }
static void slot_closed(uv_handle_t *h) { one_closed(((slot_t *)h->data)->w); }
static void bridge_closed(mp_kafka_bridge_t *br) { one_closed(br->data); }

/* Leave the consumer group, waiting at most MP_WORKER_CLOSE_MS. A plain
 * rd_kafka_consumer_close() waits without bound for the group to
 * terminate, and a member fenced by the coordinator (unknown member id
 * after a session timeout) or caught in a join can leave it waiting
 * forever. Everything is committed (PostgreSQL holds the offsets) before
 * this runs, so giving up loses nothing: the coordinator expires the
 * member after its session timeout. Rebalance events the close raises go
 * through rebalance_cb as usual. */
#define MP_WORKER_CLOSE_MS 10000
static void leave_group(mp_worker_t *w) {
  rd_kafka_queue_t *q = rd_kafka_queue_new(w->rk);
  rd_kafka_error_t *err = rd_kafka_consumer_close_queue(w->rk, q);
  if (err) {
    wlog(w, "leaving the group: %s", rd_kafka_error_string(err));
    rd_kafka_error_destroy(err);
    w->close_abandoned = true;
    rd_kafka_queue_destroy(q);
    return;
  }
  uint64_t deadline = uv_hrtime() + (uint64_t)MP_WORKER_CLOSE_MS * 1000000u;
  while (!rd_kafka_consumer_closed(w->rk) && uv_hrtime() < deadline) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
    if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
      rebalance_cb(w->rk, rd_kafka_event_error(ev),
                   rd_kafka_event_topic_partition_list(ev), w);
    if (ev)
      rd_kafka_event_destroy(ev);
  }
  if (!rd_kafka_consumer_closed(w->rk)) {
    wlog(w, "leaving the group did not finish within %d ms: giving up "
            "(offsets are committed)", MP_WORKER_CLOSE_MS);
    w->close_abandoned = true;
  }
  rd_kafka_queue_destroy(q);
}

static void close_timer_cb(uv_timer_t *t) {
  mp_worker_t *w = t->data;
  if (w->closing || !drained(w))
    return;
  w->closing = true;
  if (!rd_kafka_assignment_lost(w->rk))
    commit_offsets(w, true, true);
  leave_group(w);
  w->open_handles = 4 + w->cfg.nsinks;
  mp_kafka_bridge_close(&w->bridge, bridge_closed);
  uv_close((uv_handle_t *)&w->batch_timer, handle_closed);
  uv_close((uv_handle_t *)&w->tick, handle_closed);
  uv_close((uv_handle_t *)&w->close_timer, handle_closed);
  for (int i = 0; i < w->cfg.nsinks; i++)
    uv_close((uv_handle_t *)&w->slots[i].retry, slot_closed);
}

void mp_worker_stop(mp_worker_t *w) {
  if (w->stopping || !w->started)
    return;
  w->stopping = true;
  apply_pause(w); /* stop fetching; keep polling to serve the group */
  seal_all(w);
  for (int i = 0; i < w->cfg.nsinks; i++) { /* abandon batches in backoff */
    slot_t *s = &w->slots[i];
    if (s->batch && !s->running) {
      uv_timer_stop(&s->retry);
      finish_batch(w, slot_release(s), false);
    }
  }
  dispatch(w);
  maybe_close(w);
}

/* ---- lifecycle ---- */

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static bool managed(const char *prop) {
  for (size_t i = 0; i < sizeof managed_props / sizeof *managed_props; i++) {
    size_t n = strlen(managed_props[i]);
    if (!strncmp(prop, managed_props[i], n) && prop[n] == '=')
      return true;
  }
  return false;
}

/* Worker defaults, then the user's -X properties, then the managed ones;
 * the prefetch bounds follow the window so memory is bounded by config. */
static rd_kafka_conf_t *build_conf(const mp_worker_config_t *c, char *errbuf,
                                   size_t errlen) {
  enum { NDEF = 8, NMAN = 3 };
  char def[NDEF][96], man[NMAN][320];
  size_t nd = 0;
  snprintf(def[nd++], sizeof def[0], "client.id=marcpipe-work");
  snprintf(def[nd++], sizeof def[0], "auto.offset.reset=error");
  snprintf(def[nd++], sizeof def[0],
           "partition.assignment.strategy=range,roundrobin");
  if (c->window_bytes) { /* measured: a prefetch queue under ~16 MiB
                            starves the fetcher on librdkafka 2.0.2 */
    uint64_t half = c->window_bytes / 2;
    snprintf(def[nd++], sizeof def[0], "queued.max.messages.kbytes=%" PRIu64,
             clamp_u64(half / 1024, 16384, 65536));
    snprintf(def[nd++], sizeof def[0], "fetch.max.bytes=%" PRIu64,
             clamp_u64(half, 1048576, 52428800));
  }
  if (c->window_records)
    snprintf(def[nd++], sizeof def[0], "queued.min.messages=%" PRIu64,
             clamp_u64(c->window_records, 1, 100000));
  snprintf(man[0], sizeof man[0], "group.id=%s", c->group);
  snprintf(man[1], sizeof man[1], "enable.auto.commit=false");
  snprintf(man[2], sizeof man[2], "enable.auto.offset.store=false");
  const char **all = calloc(nd + c->nprops + NMAN, sizeof *all);
  if (!all) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  size_t n = 0;
  for (size_t i = 0; i < nd; i++)
    all[n++] = def[i];
  for (size_t i = 0; i < c->nprops; i++)
    all[n++] = c->props[i];
  for (size_t i = 0; i < NMAN; i++)
    all[n++] = man[i];
  rd_kafka_conf_t *conf =
      mp_kafka_conf_new_for(MP_KAFKA_CONSUMER, c->brokers, all, n, errbuf, errlen);
  free(all);
  return conf;
}

static int check_config(const mp_worker_config_t *c, char *errbuf,
                        size_t errlen) {
  const char *bad = !c->brokers || !*c->brokers ? "brokers are required"
                    : !c->topic || !*c->topic   ? "a topic is required"
                    : !c->group || !*c->group   ? "a group is required"
                    : !c->sink || !c->sink->open || !c->sink->write_batch ||
                            !c->sink->load_offsets || !c->sink->close
                        ? "a sink is required"
                    : c->nsinks < 1 || c->nsinks > 64 ? "sinks must be 1..64"
                    : c->batch_records < 1 || c->batch_records > 1000000
                        ? "batch must be 1..1000000"
                    : c->low_water_pct > 99 ? "low water must be 0..99 percent"
                    : c->retry_min_ms < 1 || c->retry_max_ms < c->retry_min_ms
                        ? "invalid retry backoff"
                        : NULL;
  if (bad) {
    snprintf(errbuf, errlen, "%s", bad);
    return MP_EUSAGE;
  }
  for (size_t i = 0; i < c->nprops; i++) {
    if (managed(c->props[i])) {
      snprintf(errbuf, errlen, "property '%.*s' is managed by the worker",
               (int)strcspn(c->props[i], "="), c->props[i]);
      return MP_ECONFIG;
    }
    /* the rebalance callback speaks the eager protocol only */
    if (!strncmp(c->props[i], "partition.assignment.strategy=", 30) &&
        strstr(c->props[i], "cooperative")) {
      snprintf(errbuf, errlen, "cooperative assignors are not supported: "
                               "use range or roundrobin");
      return MP_ECONFIG;
    }
  }
  return 0;
}

int mp_worker_check_config(const mp_worker_config_t *cfg, char *errbuf,
                           size_t errlen) {
  int rc = check_config(cfg, errbuf, errlen);
  if (rc)
    return rc;
  rd_kafka_conf_t *conf = build_conf(cfg, errbuf, errlen); /* -X values */
  if (!conf)
    return MP_ECONFIG;
  rd_kafka_conf_destroy(conf);
  return 0;
}

int mp_worker_new(uv_loop_t *loop, const mp_worker_config_t *cfg,
                  mp_worker_t **out, char *errbuf, size_t errlen) {
  int rc = check_config(cfg, errbuf, errlen);
  if (rc)
    return rc;
  mp_worker_t *w = calloc(1, sizeof *w);
  if (!w || !(w->slots = calloc((size_t)cfg->nsinks, sizeof *w->slots))) {
    free(w);
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  w->loop = loop;
  w->cfg = *cfg;
  /* a batch is at most half the record window: one batch can be written
   * while the next fills, so a full window is never left waiting for a
   * resume (0.4-1 s) with nothing in flight */
  if (cfg->window_records && cfg->batch_records > cfg->window_records / 2)
    w->cfg.batch_records = cfg->window_records > 1 ? cfg->window_records / 2 : 1;
  w->st.lost_partition = -1;
  w->st.lost_to = -1;
  const char *crash = getenv("MP_FAULT_CRASH_AFTER_PG_COMMIT");
  if (crash && *crash)
    w->fault_crash_after = strtoull(crash, NULL, 10);
  mp_window_init(&w->win, cfg->window_records, cfg->window_bytes,
                 cfg->low_water_pct);
  mp_offsets_init(&w->offs);
  mp_arena_pool_init(&w->data_pool, DATA_BLOCK,
                     cfg->window_bytes
                         ? (size_t)(cfg->window_bytes / DATA_BLOCK) + 1
                         : DATA_POOL_UNBOUNDED);
  rd_kafka_conf_t *conf = build_conf(cfg, errbuf, errlen);
  if (!conf) {
    rc = MP_ECONFIG;
    goto out;
  }
  rd_kafka_conf_set_opaque(conf, w);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  w->rk = mp_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, errlen);
  if (!w->rk) {
    rd_kafka_conf_destroy(conf);
    rc = MP_EKAFKA;
    goto out;
  }
  rd_kafka_poll_set_consumer(w->rk);
  w->queue = rd_kafka_queue_get_consumer(w->rk);
  if (cfg->dlq_topic && *cfg->dlq_topic) {
    const char **all = calloc(cfg->nprops + 2, sizeof *all);
    size_t na = 0;
    conf = NULL;
    if (all) {
      all[na++] = "enable.idempotence=true";
      all[na++] = "linger.ms=5";
      /* the shared -X properties (security, sockets, client id) and the
       * producer ones; the consumer's stay with the consumer (props.c) */
      for (size_t i = 0; i < cfg->nprops; i++)
        all[na++] = cfg->props[i];
      conf = mp_kafka_conf_new_for(MP_KAFKA_PRODUCER, cfg->brokers, all, na,
                                   errbuf, errlen);
      free(all);
    }
    if (!conf) {
      rc = MP_ECONFIG;
      goto out;
    }
    rd_kafka_conf_set_opaque(conf, w);
    rd_kafka_conf_set_dr_msg_cb(conf, dlq_report_cb);
    w->dlq = mp_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errlen);
    if (!w->dlq) {
      rd_kafka_conf_destroy(conf);
      rc = MP_EKAFKA;
      goto out;
    }
  }
  *out = w;
  return 0;
out:
  mp_worker_destroy(w);
  return rc;
}

int mp_worker_start(mp_worker_t *w, mp_worker_done_cb done_cb, char *errbuf,
                    size_t errlen) {
  int rc = w->cfg.sink->open(w->cfg.sink_ctx, -1, &w->control, errbuf, errlen);
  if (rc) {
    w->control = NULL;
    return rc;
  }
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, w->cfg.topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(w->rk, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (e) {
    snprintf(errbuf, errlen, "subscribe to %s: %s", w->cfg.topic,
             rd_kafka_err2str(e));
    rc = MP_EKAFKA;
    goto fail;
  }
  w->bridge.data = w;
  rc = mp_kafka_bridge_start(w->loop, &w->bridge, w->queue, 100, on_ready);
  if (rc) {
    snprintf(errbuf, errlen, "kafka bridge: %s", mp_strerror(rc));
    rd_kafka_unsubscribe(w->rk);
    goto fail;
  }
  w->bridge.data = w;
  uv_timer_init(w->loop, &w->batch_timer);
  uv_timer_init(w->loop, &w->tick);
  uv_timer_init(w->loop, &w->close_timer);
  w->batch_timer.data = w->tick.data = w->close_timer.data = w;
  for (int i = 0; i < w->cfg.nsinks; i++) {
    slot_t *s = &w->slots[i];
    s->w = w;
    s->index = i;
    s->req.data = s;
    uv_timer_init(w->loop, &s->retry);
    s->retry.data = s;
  }
  uv_timer_start(&w->tick, tick_cb, 100, 100);
  w->done_cb = done_cb;
  w->started = true;
  w->last_msg_ms = w->last_status_ms = uv_now(w->loop);
  return 0;
fail:
  w->cfg.sink->close(w->control);
  w->control = NULL;
  return rc;
}

void *mp_worker_data(const mp_worker_t *w) { return w->cfg.data; }

void mp_worker_get_stats(const mp_worker_t *w, mp_worker_stats_t *st) {
  struct rusage ru;
  *st = w->st;
  st->pauses = w->win.pauses;
  st->resumes = w->win.resumes;
  st->max_records_held = w->win.peak_records;
  st->max_bytes_held = w->win.peak_bytes;
  st->window_records = w->win.high_records;
  st->window_bytes = w->win.high_bytes;
  st->sinks = (uint64_t)w->cfg.nsinks;
  st->records_held = w->win.records;
  st->bytes_held = w->win.bytes;
  st->paused = w->win.paused;
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    st->peak_rss_kb = (uint64_t)ru.ru_maxrss;
}

size_t mp_worker_partition_lag(const mp_worker_t *w, int32_t *partitions,
                               int64_t *lag, size_t max) {
  rd_kafka_topic_partition_list_t *a = NULL;
  size_t n = 0;
  if (!w->rk || rd_kafka_assignment(w->rk, &a) || !a)
    return 0;
  if (rd_kafka_position(w->rk, a) == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < a->cnt && n < max; i++) {
      int64_t lo = -1, hi = -1;
      rd_kafka_topic_partition_t *tp = &a->elems[i];
      if (rd_kafka_get_watermark_offsets(w->rk, tp->topic, tp->partition, &lo,
                                         &hi) || hi < 0)
        continue;
      partitions[n] = tp->partition;
      lag[n++] = tp->offset >= 0 && hi > tp->offset ? hi - tp->offset : 0;
    }
  rd_kafka_topic_partition_list_destroy(a);
  return n;
}

void mp_worker_stats_json(const mp_worker_stats_t *s, FILE *out) {
  fprintf(out,
          "{\"consumed\":%" PRIu64 ",\"committed\":%" PRIu64
          ",\"invalid\":%" PRIu64 ",\"dlq_sent\":%" PRIu64
          ",\"dlq_failed\":%" PRIu64 ",\"batches\":%" PRIu64
          ",\"abandoned\":%" PRIu64 ",\"pauses\":%" PRIu64
          ",\"resumes\":%" PRIu64 ",\"max_records_held\":%" PRIu64
          ",\"max_bytes_held\":%" PRIu64 ",\"window_records\":%" PRIu64
          ",\"window_bytes\":%" PRIu64 ",\"sinks\":%" PRIu64
          ",\"retries\":%" PRIu64
          ",\"kafka_commits\":%" PRIu64 ",\"kafka_commit_errors\":%" PRIu64
          ",\"rebalances\":%" PRIu64 ",\"created\":%" PRIu64
          ",\"updated\":%" PRIu64 ",\"duplicates\":%" PRIu64
          ",\"skipped\":%" PRIu64 ",\"errors\":%" PRIu64
          ",\"replayed\":%" PRIu64 ",\"offset_resets\":%" PRIu64
          ",\"peak_rss_kb\":%" PRIu64,
          s->consumed, s->committed, s->invalid, s->dlq_sent, s->dlq_failed,
          s->batches, s->abandoned,
          s->pauses, s->resumes, s->max_records_held, s->max_bytes_held,
          s->window_records, s->window_bytes, s->sinks, s->retries,
          s->kafka_commits,
          s->kafka_commit_errors, s->rebalances,
          s->created, s->updated, s->duplicates, s->skipped, s->errors,
          s->replayed, s->offset_resets, s->peak_rss_kb);
  if (s->lost_partition >= 0)
    fprintf(out,
            ",\"lost\":{\"partition\":%" PRId32 ",\"from\":%" PRId64
            ",\"to\":%" PRId64 ",\"job\":%" PRId64 "}",
            s->lost_partition, s->lost_from, s->lost_to, s->lost_job);
  fputc('}', out);
}

void mp_worker_destroy(mp_worker_t *w) {
  if (!w)
    return;
  if (w->queue)
    rd_kafka_queue_destroy(w->queue);
  if (w->rk)
    rd_kafka_destroy(w->rk);
  if (w->dlq)
    rd_kafka_destroy(w->dlq);
  mp_offsets_release(&w->offs);
  mp_arena_pool_release(&w->data_pool);
  free(w->cur);
  free(w->busy);
  free(w->plans);
  free(w->slots);
  free(w);
}
