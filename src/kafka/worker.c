/* worker.c: the inventory worker's loop (see worker.h for the contract,
 * worker_impl.h for the other files: rebalance, configuration, dead
 * letters, stats).
 *
 * Flow (on the loop thread except the sink calls):
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
 * The sink's writes never block the loop; these calls do, and nothing else
 * runs on the loop meanwhile: the rebalance callback (worker_assign.c says
 * what it waits for: up to 10 s for Kafka's committed offsets plus a
 * PostgreSQL query, and more), a watermark query of up to 5 s when a
 * fetch position is out of range, and at close the final synchronous
 * commit, leaving the group (up to MP_WORKER_CLOSE_MS) and flushing the
 * dead-letter copies (up to 10 s). All happen when the assignment changes
 * or the worker ends, never per message.
 *
 * Invariants: every polled message is owned by exactly one batch (current,
 * ready, or a slot's) until finish_batch destroys it; the window counts
 * exactly those messages. A batch holds one partition, and a partition has
 * at most one batch in flight: batches of a partition reach the sink in
 * offset order, so a record's versions apply in order, and the next offset
 * the sink stores in PostgreSQL (max offset + 1 of a committed batch)
 * never passes an offset that is not committed there. Offsets reach Kafka
 * only through the tracker's positions, which never pass a pending offset.
 * A batch whose partitions were all revoked is stale: its completion moves
 * no offset. The consumer is closed only when no batch exists, so
 * rd_kafka_destroy never waits on a message reference. A worker fenced out
 * of its group (frozen past its session) whose batch still commits after
 * another took the partition counts nothing twice (journal rows are unique
 * per job and seq) and moves no stored offset back (the sink stores offsets
 * only forward). Denied READ on the group or topic stops the worker:
 * waiting never grants it.
 */
#include "kafka/worker_impl.h"

#include "kafka/envelope.h"
#include "marcpipe/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mp__worker_log(mp_worker_t *w, const char *fmt, ...) {
  FILE *f = w->cfg.log ? w->cfg.log : stderr;
  va_list ap;
  va_start(ap, fmt);
  fputs("marcpipe work: ", f);
  vfprintf(f, fmt, ap);
  fputc('\n', f);
  va_end(ap);
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
    mp__worker_apply_pause(w);
  }
  free(b->offsets);
  free(b->epochs);
  free(b->recs);
  mp_arena_release(&b->data);
  free(b);
  if (committed)
    mp__worker_commit_offsets(w, false, false);
}

/* Abandon the current batches and the ready FIFO (revocation). */
void mp__worker_drop_queued(mp_worker_t *w) {
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

/* The test-only crash between the sink's COMMIT and Kafka's (see
 * worker_impl.h); compiled out without MP_TEST_HOOKS. */
#ifdef MP_TEST_HOOKS
static void crash_hook(mp_worker_t *w, const batch_t *b) {
  if (w->fault_crash_after && b->nrecs &&
      ++w->fault_batches == w->fault_crash_after) {
    wlog(w, "MP_FAULT_CRASH_AFTER_PG_COMMIT: exiting after batch %" PRIu64
            " (committed in PostgreSQL, not in Kafka)", w->fault_batches);
    _exit(137);
  }
}
#else
#define crash_hook(w, b) ((void)0)
#endif

static void after_work_cb(uv_work_t *req, int status) {
  slot_t *s = req->data;
  mp_worker_t *w = s->w;
  batch_t *b = s->batch;
  s->running = false;
  if (s->rc == 0 && status == 0) {
    s->backoff_ms = 0;
    crash_hook(w, b);
    mp__worker_add_result(w, &s->res);
    mp__worker_dead_letter_errors(w, b, &s->res);
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

#ifdef MP_TEST_HOOKS
void mp__worker_fault_wedge(mp_worker_t *w, int32_t p, const char *when) {
  w->fault_wedge = -1; /* once */
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, w->cfg.topic, p);
  rd_kafka_pause_partitions(w->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  wlog(w, "MP_FAULT_WEDGE_PARTITION: partition %" PRId32
          " paused in librdkafka %s", p, when);
}
#endif

rd_kafka_error_t *mp__worker_seek(mp_worker_t *w, int32_t p, int64_t offset,
                                  bool resume) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, w->cfg.topic, p)->offset = offset;
  if (resume)
    rd_kafka_resume_partitions(w->rk, l);
  rd_kafka_error_t *e = rd_kafka_seek_partitions(w->rk, l, 0);
  rd_kafka_topic_partition_list_destroy(l);
  return e;
}

void mp__worker_set_paused(mp_worker_t *w, bool pause) {
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
void mp__worker_apply_pause(mp_worker_t *w) {
  bool want = w->win.paused || w->stopping;
  if (want == w->kpaused || w->closing)
    return;
  mp__worker_set_paused(w, want);
  w->kpaused = want;
  if (!want) /* idle time counts from when fetching may start again */
    w->last_msg_ms = uv_now(w->loop);
  if (w->cfg.verbose && !w->stopping)
    wlog(w, "%s partitions (%" PRIu64 " records, %" PRIu64 " bytes held)",
         want ? "pausing" : "resuming", w->win.records, w->win.bytes);
}

/* Commit the tracker's positions: all = every assigned partition (final
 * commits), else only those that moved since the last commit. */
void mp__worker_commit_offsets(mp_worker_t *w, bool sync, bool all) {
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

void mp__worker_fail(mp_worker_t *w, int status) {
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
  mp__worker_fail(w, MP_ELOST);
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
    mp__worker_fail(w, MP_EKAFKA);
    return;
  }
  char reason[512];
  if (rd_kafka_fatal_error(w->rk, reason, sizeof reason)) {
    wlog(w, "fatal kafka error: %s", reason);
    mp__worker_fail(w, MP_EKAFKA);
    return;
  }
  wlog(w, "kafka: %s", rd_kafka_message_errstr(m));
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
  if (mp__worker_check_identity(w, m, ep))
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
  if (rc) { /* MP_EBACKWARDS: an old offset fetched again; MP_ENOMEM */
    rd_kafka_message_destroy(m);
    if (rc != MP_EBACKWARDS)
      mp__worker_fail(w, rc);
    return;
  }
#ifdef MP_TEST_HOOKS
  if (w->fault_wedge == m->partition && !w->fault_wedge_on_assign) {
    char when[48];
    snprintf(when, sizeof when, "after offset %" PRId64, m->offset);
    mp__worker_fault_wedge(w, m->partition, when);
  }
#endif
  size_t p = (size_t)m->partition;
  if (grow_parts(w, p + 1) ||
      (!w->cur[p] && !(w->cur[p] = batch_new(w, w->cfg.batch_records,
                                             m->partition)))) {
    rd_kafka_message_destroy(m);
    mp__worker_fail(w, MP_ENOMEM);
    return;
  }
  batch_t *b = w->cur[p];
  mp_sink_rec_t *rec = &b->recs[b->nrecs];
  bool valid = mp__envelope_decode(m, rec, why, sizeof why) == 0;
  if (valid && own_record(w, b, rec)) {
    rd_kafka_message_destroy(m);
    mp__worker_fail(w, MP_ENOMEM);
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
    mp__worker_dead_letter(w, m, why);
  }
  size_t len = m->len;
  rd_kafka_message_destroy(m); /* the batch holds copies */
  w->st.consumed++;
  w->last_msg_ms = uv_now(w->loop);
  if (mp_window_add(&w->win, len) == MP_WINDOW_PAUSE)
    mp__worker_apply_pause(w);
  if (b->n >= w->cfg.batch_records) {
    seal_one(w, p);
    dispatch(w);
  }
  if (w->ncur && !uv_is_active((uv_handle_t *)&w->batch_timer))
    uv_timer_start(&w->batch_timer, seal_timer_cb, w->cfg.batch_ms, 0);
  if (w->cfg.max_records && w->st.consumed >= w->cfg.max_records)
    mp_worker_stop(w);
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
  w->kafka_err_ms = uv_now(w->loop); /* served on the loop by the poll */
  w->kafka_err = rd_kafka_err2name(err); /* static strings */
  if (err == RD_KAFKA_RESP_ERR__FATAL)
    mp__worker_fail(w, MP_EKAFKA);
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
  mp__worker_dlq_poll(w); /* delivery reports */
  if (w->cfg.exit_when_idle_ms && w->in_group && !w->stopping &&
      w->win.records == 0 && now - w->last_msg_ms >= w->cfg.exit_when_idle_ms) {
    if (w->cfg.verbose)
      wlog(w, "no message for %u ms: stopping", w->cfg.exit_when_idle_ms);
    mp_worker_stop(w);
  }
  mp__worker_stall_check(w, now);
  if (w->cfg.status_ms && now - w->last_status_ms >= w->cfg.status_ms) {
    w->last_status_ms = now;
    mp__worker_print_status(w);
  }
}

static void final_close(mp_worker_t *w) {
  mp__worker_dlq_close(w, true);
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
      mp__worker_rebalance_cb(w->rk, rd_kafka_event_error(ev),
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
    mp__worker_commit_offsets(w, true, true);
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
  mp__worker_apply_pause(w); /* stop fetching; keep polling to serve the group */
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


int mp_worker_new(uv_loop_t *loop, const mp_worker_config_t *cfg,
                  mp_worker_t **out, char *errbuf, size_t errlen) {
  int rc = mp__worker_check(cfg, errbuf, errlen);
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
#ifdef MP_TEST_HOOKS
  const char *crash = getenv("MP_FAULT_CRASH_AFTER_PG_COMMIT");
  if (crash && *crash)
    w->fault_crash_after = strtoull(crash, NULL, 10);
  const char *wedge = getenv("MP_FAULT_WEDGE_PARTITION");
  char *wend = NULL;
  w->fault_wedge = wedge && *wedge ? (int32_t)strtol(wedge, &wend, 10) : -1;
  w->fault_wedge_on_assign = wend && !strcmp(wend, ":assign");
#endif
  mp_window_init(&w->win, cfg->window_records, cfg->window_bytes,
                 cfg->low_water_pct);
  mp_offsets_init(&w->offs);
  mp_arena_pool_init(&w->data_pool, DATA_BLOCK,
                     cfg->window_bytes
                         ? (size_t)(cfg->window_bytes / DATA_BLOCK) + 1
                         : DATA_POOL_UNBOUNDED);
  rd_kafka_conf_t *conf = mp__worker_consumer_conf(cfg, errbuf, errlen);
  if (!conf) {
    rc = MP_ECONFIG;
    goto out;
  }
  rd_kafka_conf_set_opaque(conf, w);
  rd_kafka_conf_set_rebalance_cb(conf, mp__worker_rebalance_cb);
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
  if ((rc = mp__worker_dlq_open(w, errbuf, errlen)))
    goto out;
  *out = w;
  return 0;
out:
  mp_worker_destroy(w);
  return rc;
}

/* The pool sinks are opened once subscribed, while the group join runs on
 * librdkafka's threads, rather than by their first batch, which would
 * otherwise wait for the connection; one that cannot open now is opened
 * (and its failure retried and reported) by that batch as before. */
int mp_worker_start(mp_worker_t *w, mp_worker_done_cb done_cb, char *errbuf,
                    size_t errlen) {
  int rc = w->cfg.sink->open(w->cfg.sink_ctx, -1, &w->control, errbuf, errlen);
  if (rc) {
    w->control = NULL;
    return rc;
  }
  rd_kafka_topic_partition_list_t *share = NULL;
  if (w->cfg.member_count > 0 &&
      !(share = mp__worker_member_share(w, errbuf, errlen))) {
    rc = MP_EKAFKA;
    goto fail;
  }
  if (w->cfg.member_count == 0) {
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
  }
  for (int i = 0; i < w->cfg.nsinks; i++) {
    char ignored[256];
    if (w->cfg.sink->open(w->cfg.sink_ctx, i, &w->slots[i].sink, ignored,
                          sizeof ignored))
      w->slots[i].sink = NULL;
  }
  w->bridge.data = w;
  rc = mp_kafka_bridge_start(w->loop, &w->bridge, w->queue, 100, on_ready);
  if (rc) {
    snprintf(errbuf, errlen, "kafka bridge: %s", mp_strerror(rc));
    rd_kafka_unsubscribe(w->rk);
    if (share)
      rd_kafka_topic_partition_list_destroy(share);
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
  if (share) { /* no group: the share is this worker's for its lifetime */
    mp__worker_assign_share(w, share);
    rd_kafka_topic_partition_list_destroy(share);
  }
  return 0;
fail:
  for (int i = 0; i < w->cfg.nsinks; i++)
    if (w->slots[i].sink) {
      w->cfg.sink->close(w->slots[i].sink);
      w->slots[i].sink = NULL;
    }
  w->cfg.sink->close(w->control);
  w->control = NULL;
  return rc;
}

void *mp_worker_data(const mp_worker_t *w) { return w->cfg.data; }


void mp_worker_destroy(mp_worker_t *w) {
  if (!w)
    return;
  if (w->queue)
    rd_kafka_queue_destroy(w->queue);
  if (w->rk)
    rd_kafka_destroy(w->rk);
  mp__worker_dlq_close(w, false);
  mp_offsets_release(&w->offs);
  mp_arena_pool_release(&w->data_pool);
  free(w->cur);
  free(w->busy);
  free(w->plans);
  free(w->stall_next);
  free(w->slots);
  free(w);
}
