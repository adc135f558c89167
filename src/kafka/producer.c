/* producer.c: streams input items into Kafka on a libuv loop, bounded by
 * in-flight messages, librdkafka's queue and the job's credit (producer.h).
 *
 * Loop thread: a uv_idle handle reads and produces while reading is
 * allowed (can_read) and is stopped otherwise, so a blocked producer
 * sleeps in the loop instead of spinning; whatever unblocks it (a delivery
 * report, a new processed count, a journal flush) calls update_reading().
 * Delivery reports and errors are served by rd_kafka_poll() from the
 * bridge on the main queue. A uv_timer drives the credit: every
 * credit_poll_ms it hands one database job to the thread pool (journal the
 * rejected records collected so far, then read the processed count). At
 * most one database job is in flight, so the ops never run concurrently.
 *
 * Resume point: seqs finish out of order (delivery reports, journaled
 * rejects); their contiguous done prefix (seqdone.h) is handed to
 * ops.set_produced by the database jobs, so a killed run can be resumed
 * with opts.skip = the last recorded prefix. A resumed run first reads and
 * drops the skipped items on the idle handle, SKIP_BURST at a time.
 *
 * A fatal client error (librdkafka 2.0.2 raises one when a cluster restart
 * desynchronises the idempotent producer's sequence numbers: "out of order
 * sequence number") does not end the run, up to MP_PRODUCER_MAX_RESTARTS
 * times: the failed messages' delivery reports bring back their key, value
 * and headers, which are kept (at most max_inflight of them); once every
 * report is in, the bridge is closed, the client destroyed, a new one (a
 * new producer id) created, and the kept messages produced again before
 * reading goes on. Some of them may already be in the log: a consumer
 * sees those twice, and the sink's idempotent writes (job, seq) make the
 * replay change nothing.
 *
 * End of a run: once the input is over (or the run failed) and every
 * delivery report is in, a final database job journals the last rejected
 * records and records the total, or fails the job with the reason. Then
 * the handles close and on_done runs.
 */
#include "marcpipe/producer.h"
#include "kafka/seqdone.h"
#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BURST 256  /* items per idle callback before yielding */
#define SKIP_BURST 4096 /* items skipped per idle callback on resume */

typedef struct reject_list_s {
  mp_producer_reject_t *v;
  size_t n, cap;
} reject_list_t;

typedef enum { DB_NONE, DB_TICK, DB_FINAL } db_kind_t;

/* A message to produce again on the next client (restart). Owns its
 * copies; hdrs is handed to librdkafka when produced. */
typedef struct resend_s {
  int64_t seq;
  void *key, *value;
  size_t key_len, value_len;
  rd_kafka_headers_t *hdrs;
} resend_t;

struct mp_producer_s {
  uv_loop_t *loop;
  rd_kafka_t *rk;
  rd_kafka_topic_t *rkt;
  rd_kafka_queue_t *mainq;
  mp_kafka_bridge_t bridge;
  uv_idle_t reader;
  uv_timer_t ticker;
  mp_producer_opts_t o;
  mp_producer_job_ops_t ops;
  bool has_ops;
  mp_producer_input_t in;
  char jobid[24];

  /* reading state */
  bool input_done, reading, queue_full, have_pending, failed, finishing;
  mp_producer_item_t pending;
  int64_t pending_seq;
  int64_t inflight;
  mp_producer_stats_t st;
  int64_t journaled; /* rejected records journaled so far */
  mp_seqdone_t done; /* delivered or journaled seqs (resume point) */
  uint64_t last_progress_ms;

  /* database job (thread pool) */
  uv_work_t work;
  db_kind_t db_busy;
  reject_list_t rejects;  /* collected on the loop, not yet handed out */
  reject_list_t batch;    /* owned by the running database job */
  size_t batch_done;      /* entries of batch journaled by the job */
  int db_rc;
  int64_t db_processed;
  bool db_processed_ok;
  int64_t db_prefix;      /* done prefix handed to the database job */
  int64_t recorded_prefix;/* last prefix set_produced accepted */

  /* restart after a fatal client error (see the top) */
  bool restarting;        /* collecting the failed messages */
  bool swapping;          /* the old bridge is closing */
  bool bridge_gone;       /* no bridge to close (a restart failed) */
  int restarts;
  char restart_why[256];
  resend_t *resend;
  size_t nresend, capresend;

  int rc;
  char reason[512];
  int open_handles;
};

/* ---- small helpers ---- */

static void reject_list_free(reject_list_t *l, size_t from) {
  for (size_t i = from; i < l->n; i++) {
    free(l->v[i].reason);
    free(l->v[i].raw);
  }
  l->n = from;
}

static int reject_list_push(reject_list_t *l, int64_t seq, uint64_t offset,
                            int error, const char *reason, const char *raw,
                            size_t raw_len) {
  if (mp_array_room(&l->v, l->n, &l->cap, sizeof *l->v, 16))
    return MP_ENOMEM;
  mp_producer_reject_t *r = &l->v[l->n];
  r->seq = seq;
  r->offset = offset;
  r->error = error;
  r->reason = strdup(reason ? reason : "rejected");
  r->raw = NULL;
  r->raw_len = 0;
  if (raw && raw_len) {
    r->raw = malloc(raw_len);
    if (r->raw) {
      memcpy(r->raw, raw, raw_len);
      r->raw_len = raw_len;
    }
  }
  if (!r->reason || (raw_len && !r->raw)) {
    free(r->reason);
    free(r->raw);
    return MP_ENOMEM;
  }
  l->n++;
  return 0;
}

static uint64_t now_ms(mp_producer_t *p) { return uv_now(p->loop); }

void mp_producer_default_backlog(int partitions, int64_t *records,
                                 int64_t *bytes) {
  if (partitions <= 0)
    partitions = 8;
  *records = (int64_t)partitions * MP_PRODUCER_BACKLOG_PER_PARTITION;
  *bytes = (int64_t)partitions * MP_PRODUCER_BACKLOG_BYTES_PER_PARTITION;
}

/* Records and bytes produced but not yet processed, as far as the last
 * processed count tells (an over-estimate when the count is stale). */
static void outstanding(const mp_producer_t *p, int64_t *recs,
                        int64_t *bytes) {
  int64_t done = p->st.processed;
  /* A resumed run's skipped items are processed (or will be, when the
   * earlier run's messages are consumed) without being produced here. */
  int64_t in_kafka_done = done - p->st.skipped;
  int64_t accounted = p->st.produced + p->st.skipped;
  if (p->ops.processed_includes_rejected) {
    accounted += p->journaled;
    in_kafka_done -= p->journaled;
  }
  int64_t r = accounted - done;
  *recs = r > 0 ? r : 0;
  if (in_kafka_done < 0)
    in_kafka_done = 0;
  if (in_kafka_done > p->st.produced)
    in_kafka_done = p->st.produced;
  double avg = p->st.produced ? (double)p->st.value_bytes / p->st.produced : 0;
  int64_t b = (int64_t)p->st.value_bytes - (int64_t)(avg * in_kafka_done);
  *bytes = b > 0 ? b : 0;
}

static bool credit_ok(mp_producer_t *p) {
  if (!p->has_ops)
    return true;
  int64_t recs, bytes;
  outstanding(p, &recs, &bytes);
  if (recs > p->st.max_outstanding)
    p->st.max_outstanding = recs;
  if (p->o.max_backlog > 0 && recs >= p->o.max_backlog)
    return false;
  /* the slow start (producer.h): st.processed starts at 0 and only grows */
  if (p->o.startup_backlog > 0 &&
      recs >= p->o.startup_backlog + MP_PRODUCER_CREDIT_GROWTH * p->st.processed)
    return false;
  if (p->o.max_backlog_bytes > 0 && bytes >= p->o.max_backlog_bytes)
    return false;
  return true;
}

static bool can_read(mp_producer_t *p) {
  return !p->input_done && !p->failed && !p->queue_full && !p->restarting &&
         p->inflight < p->o.max_inflight &&
         p->rejects.n + p->batch.n < MP_PRODUCER_MAX_PENDING_REJECTS;
}

static void on_idle(uv_idle_t *h);
static void check_finish(mp_producer_t *p);

/* Start or stop the reader to match the current state. */
static void update_reading(mp_producer_t *p) {
  bool want = !p->finishing && can_read(p);
  if (want && !credit_ok(p)) {
    want = false;
    if (p->reading)
      p->st.credit_waits++;
  }
  if (want && !p->reading)
    uv_idle_start(&p->reader, on_idle);
  else if (!want && p->reading)
    uv_idle_stop(&p->reader);
  p->reading = want;
}

static void fail_run(mp_producer_t *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_run(mp_producer_t *p, int rc, const char *fmt, ...) {
  if (p->failed)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->reason, sizeof p->reason, fmt, ap);
  va_end(ap);
  p->failed = true;
  p->rc = rc;
  /* Drop what is still queued; its delivery reports come back purged. */
  if (p->rk && !p->swapping)
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE);
  update_reading(p);
}

/* ---- producing ---- */

static void mark_done(mp_producer_t *p, int64_t seq) {
  if (mp_seqdone_mark(&p->done, seq) != 0)
    fail_run(p, MP_ENOMEM, "out of memory tracking record %" PRId64, seq);
  p->st.done_prefix = p->done.prefix;
}

static void note_rejected(mp_producer_t *p, int64_t seq,
                          const mp_producer_item_t *it, const char *reason) {
  p->st.rejected++;
  if (p->o.on_rejected)
    p->o.on_rejected(p->o.cb_data, seq, it->offset, reason);
  if (!p->has_ops) {
    mark_done(p, seq); /* nothing to journal it to */
    return;
  }
  if (reject_list_push(&p->rejects, seq, it->offset, it->error, reason,
                       it->raw, it->raw_len) != 0)
    fail_run(p, MP_ENOMEM, "out of memory journaling record %" PRId64, seq);
}

/* 0 produced (or rejected as too large), 1 queue full, <0 run failed. */
static int produce_one(mp_producer_t *p, int64_t seq,
                       const mp_producer_item_t *it) {
  char seqs[24];
  const char *ct = it->content_type == MP_CT_JSON    ? MP_CT_NAME_JSON
                   : it->content_type == MP_CT_EVENT ? MP_CT_NAME_EVENT
                                                     : MP_CT_NAME_ISO2709;
  /* seq > 0, digits from the end: printf's format parsing, per message,
   * cost more than the rest of the header */
  char *d = seqs + sizeof seqs;
  uint64_t v = (uint64_t)seq;
  do
    *--d = (char)('0' + v % 10);
  while (v /= 10);
  int n = (int)(seqs + sizeof seqs - d);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      p->rk, RD_KAFKA_V_RKT(p->rkt),
      RD_KAFKA_V_KEY(it->key, it->key_len),
      RD_KAFKA_V_VALUE((void *)it->value, it->value_len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER(MP_HDR_EVENT,
                        it->event_type ? it->event_type : MP_EVENT_RECORD, -1),
      RD_KAFKA_V_HEADER(MP_HDR_JOB, p->jobid, -1),
      RD_KAFKA_V_HEADER(MP_HDR_SEQ, d, n),
      RD_KAFKA_V_HEADER(MP_HDR_TENANT, p->o.tenant, -1),
      RD_KAFKA_V_HEADER(MP_HDR_CONTENT_TYPE, ct, -1),
      RD_KAFKA_V_HEADER(MP_HDR_SCHEMA, MP_SCHEMA_VERSION, -1),
      RD_KAFKA_V_OPAQUE((void *)(intptr_t)seq), RD_KAFKA_V_END);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
    p->inflight++;
    p->st.produced++;
    p->st.value_bytes += it->value_len;
    return 0;
  }
  if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    return 1;
  if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    /* Data, not infrastructure: journal it and go on. */
    mp_producer_item_t big = *it;
    char why[512];
    snprintf(why, sizeof why,
             "%s: record %" PRId64 " at byte %" PRIu64
             ": %zu bytes exceed the Kafka message size limit "
             "(message.max.bytes)",
             p->in.name ? p->in.name : "input", seq, it->offset,
             it->value_len);
    big.error = MP_ETOOBIG;
    big.raw = it->value;
    big.raw_len = it->value_len;
    note_rejected(p, seq, &big, why);
    return 0;
  }
  fail_run(p, MP_EKAFKA, "cannot produce record %" PRId64 ": %s", seq,
           rd_kafka_err2str(e));
  return -1;
}

/* Resume: a seq an earlier run's records reached the journal with. */
static bool already_processed(const mp_producer_t *p, int64_t seq) {
  return p->o.done_seqs && seq >= 1 && seq <= p->o.ndone_seqs &&
         (p->o.done_seqs[(seq - 1) / 8] >> ((seq - 1) % 8)) & 1;
}

/* Resume: read and drop items an earlier run already delivered. */
static void skip_some(mp_producer_t *p) {
  for (int i = 0; i < SKIP_BURST && p->st.read < p->o.skip; i++) {
    mp_producer_item_t it;
    int rc = p->in.next(p->in.ctx, &it);
    if (rc != 0) {
      fail_run(p, rc == MP_EOF ? MP_EIO : rc,
               "%s: cannot skip the %" PRId64
               " items already produced: %s after item %" PRId64,
               p->in.name ? p->in.name : "input", p->o.skip,
               rc == MP_EOF ? "input ends" : mp_strerror(rc), p->st.read);
      return;
    }
    p->st.read++;
    p->st.skipped++;
  }
}

static void on_idle(uv_idle_t *h) {
  mp_producer_t *p = h->data;
  if (p->st.read < p->o.skip) {
    skip_some(p);
    if (p->in.bytes)
      p->st.input_bytes = p->in.bytes(p->in.ctx);
    update_reading(p);
    check_finish(p);
    return;
  }
  for (int i = 0; i < READ_BURST && can_read(p); i++) {
    int64_t seq;
    mp_producer_item_t it;
    if (p->have_pending) {
      it = p->pending;
      seq = p->pending_seq;
    } else {
      int rc = p->in.next(p->in.ctx, &it);
      if (rc == MP_EOF) {
        p->input_done = true;
        break;
      }
      if (rc != 0) {
        fail_run(p, rc, "cannot read input after record %" PRId64 ": %s",
                 p->st.read, mp_strerror(rc));
        break;
      }
      seq = ++p->st.read;
      if (already_processed(p, seq)) { /* resume: journaled by a past run */
        p->st.skipped++;
        mark_done(p, seq);
        continue;
      }
    }
    p->have_pending = false;
    if (it.kind == MP_ITEM_REJECTED) {
      note_rejected(p, seq, &it, it.reason);
    } else {
      int rc = produce_one(p, seq, &it);
      if (rc == 1) {
        /* Keep the item (valid until next()) and wait for reports. */
        p->pending = it;
        p->pending_seq = seq;
        p->have_pending = true;
        p->queue_full = true;
        p->st.queue_full_waits++;
        break;
      }
      if (rc < 0)
        break;
    }
    if (!credit_ok(p))
      break;
  }
  if (p->in.bytes)
    p->st.input_bytes = p->in.bytes(p->in.ctx);
  update_reading(p);
  check_finish(p);
}

/* ---- delivery reports (loop thread, inside rd_kafka_poll) ---- */

static void begin_restart(mp_producer_t *p, const char *why);

/* Keep a message that failed with the client's fatal error for the next
 * client. false when out of memory. */
static bool keep_for_resend(mp_producer_t *p, const rd_kafka_message_t *m) {
  if (p->nresend == p->capresend) {
    size_t cap = p->capresend ? 2 * p->capresend : 256;
    resend_t *v = realloc(p->resend, cap * sizeof *v);
    if (!v)
      return false;
    p->resend = v;
    p->capresend = cap;
  }
  resend_t *r = &p->resend[p->nresend];
  *r = (resend_t){.seq = (int64_t)(intptr_t)m->_private,
                  .key_len = m->key_len,
                  .value_len = m->len};
  rd_kafka_headers_t *h = NULL;
  /* the reports come back with the message's own headers */
  if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h)
    r->hdrs = rd_kafka_headers_copy(h);
  r->key = m->key_len ? malloc(m->key_len) : NULL;
  r->value = m->len ? malloc(m->len) : NULL;
  if ((m->key_len && !r->key) || (m->len && !r->value) || !r->hdrs) {
    free(r->key);
    free(r->value);
    if (r->hdrs)
      rd_kafka_headers_destroy(r->hdrs);
    return false;
  }
  if (m->key_len)
    memcpy(r->key, m->key, m->key_len);
  if (m->len)
    memcpy(r->value, m->payload, m->len);
  p->nresend++;
  return true;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  mp_producer_t *p = opaque;
  p->inflight--;
  if (!m->err) {
    p->st.delivered++;
    mark_done(p, (int64_t)(intptr_t)m->_private);
    return;
  }
  char fatal[256];
  bool is_fatal = rd_kafka_fatal_error(rk, fatal, sizeof fatal) !=
                  RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!p->failed && is_fatal &&
      (p->restarting || p->restarts < MP_PRODUCER_MAX_RESTARTS)) {
    begin_restart(p, fatal); /* also when this report came first */
    if (keep_for_resend(p, m))
      return;
    fail_run(p, MP_ENOMEM, "out of memory keeping record %" PRId64
             " for the new producer", (int64_t)(intptr_t)m->_private);
    return;
  }
  if (is_fatal) { /* the restarts are used up */
    p->st.failed++;
    fail_run(p, MP_EKAFKA, "fatal producer error: %s", fatal);
    return;
  }
  p->st.failed++;
  fail_run(p, MP_EKAFKA, "delivery of record %" PRId64 " to %s failed: %s",
           (int64_t)(intptr_t)m->_private, rd_kafka_topic_name(m->rkt),
           rd_kafka_err2str(m->err));
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
  mp_producer_t *p = opaque;
  char fatal[256];
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    if (p->restarting || (!p->failed && p->restarts < MP_PRODUCER_MAX_RESTARTS))
      begin_restart(p, fatal);
    else
      fail_run(p, MP_EKAFKA, "fatal producer error: %s", fatal);
  }
  /* Other errors (broker down, timeouts) are retried by librdkafka until
   * message.timeout.ms; a message that still fails reports it. */
}

static void finish_restart(mp_producer_t *p);

static void on_kafka_ready(mp_kafka_bridge_t *b) {
  mp_producer_t *p = b->data;
  if (p->swapping)
    return;
  while (rd_kafka_poll(p->rk, 0) > 0)
    ;
  if (p->restarting) {
    if (p->inflight == 0 && !p->swapping)
      finish_restart(p);
    return;
  }
  if (p->queue_full && p->inflight < p->o.max_inflight)
    p->queue_full = false; /* retry the pending item */
  update_reading(p);
  check_finish(p);
}

/* ---- restart after a fatal client error ---- */

static rd_kafka_t *make_rk(mp_producer_t *p, char *errbuf, size_t errlen);

/* Destroy the client (queue, topic, handle; any may be NULL). Every
 * report is in (or purged): rd_kafka_destroy does not wait for the
 * network. */
static void release_client(mp_producer_t *p) {
  if (p->mainq)
    rd_kafka_queue_destroy(p->mainq);
  if (p->rkt)
    rd_kafka_topic_destroy(p->rkt);
  if (p->rk)
    rd_kafka_destroy(p->rk);
  p->mainq = NULL;
  p->rkt = NULL;
  p->rk = NULL;
}

/* The client is in a fatal state: stop reading, and have every message
 * still queued or in flight come back in a delivery report (kept by
 * on_delivery). finish_restart follows once none is outstanding. */
static void begin_restart(mp_producer_t *p, const char *why) {
  if (p->restarting)
    return;
  p->restarting = true;
  p->restarts++;
  p->st.restarts++;
  snprintf(p->restart_why, sizeof p->restart_why, "%s", why);
  rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
                            RD_KAFKA_PURGE_F_NON_BLOCKING);
  update_reading(p);
}

static void resend_free(mp_producer_t *p) {
  for (size_t i = 0; i < p->nresend; i++) {
    free(p->resend[i].key);
    free(p->resend[i].value);
    if (p->resend[i].hdrs)
      rd_kafka_headers_destroy(p->resend[i].hdrs);
  }
  p->nresend = 0;
}

/* The old bridge is closed: replace the client, produce the kept messages
 * again, read on. */
static void on_old_bridge_closed(mp_kafka_bridge_t *b) {
  mp_producer_t *p = b->data;
  char err[256];
  int rc = 0;
  release_client(p);
  p->rk = make_rk(p, err, sizeof err);
  if (p->rk && !(p->rkt = rd_kafka_topic_new(p->rk, p->o.topic, NULL)))
    snprintf(err, sizeof err, "cannot use topic %s", p->o.topic);
  if (p->rkt) {
    p->mainq = rd_kafka_queue_get_main(p->rk);
    rc = mp_kafka_bridge_start(p->loop, &p->bridge, p->mainq, 100,
                               on_kafka_ready);
    if (rc)
      snprintf(err, sizeof err, "cannot watch the Kafka queue: %s",
               uv_strerror(rc));
  }
  p->swapping = false;
  p->restarting = false;
  if (!p->rkt || rc) {
    p->bridge_gone = true; /* close_all closes two handles, not three */
    resend_free(p);
    fail_run(p, MP_EKAFKA, "fatal producer error: %s; a new producer "
             "could not start: %s", p->restart_why, err);
    check_finish(p);
    return;
  }
  fprintf(stderr,
          "marcpipe: Kafka producer: fatal error (%s): started a new producer "
          "(restart %d of %d); %zu records not acknowledged are produced "
          "again (a replay changes nothing)\n",
          p->restart_why, p->restarts, MP_PRODUCER_MAX_RESTARTS, p->nresend);
  for (size_t i = 0; i < p->nresend && !p->failed; i++) {
    resend_t *r = &p->resend[i];
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_RKT(p->rkt), RD_KAFKA_V_KEY(r->key, r->key_len),
        RD_KAFKA_V_VALUE(r->value, r->value_len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(r->hdrs),
        RD_KAFKA_V_OPAQUE((void *)(intptr_t)r->seq), RD_KAFKA_V_END);
    if (e) {
      fail_run(p, MP_EKAFKA, "cannot produce record %" PRId64
               " again: %s", r->seq, rd_kafka_err2str(e));
      break;
    }
    r->hdrs = NULL; /* librdkafka's now; key and value were copied */
    p->inflight++;
    p->st.resent++;
  }
  resend_free(p);
  update_reading(p);
  check_finish(p);
}

static void finish_restart(mp_producer_t *p) {
  p->swapping = true;
  mp_kafka_bridge_close(&p->bridge, on_old_bridge_closed);
}

/* ---- database jobs (thread pool) ---- */

static void db_work(uv_work_t *w) {
  mp_producer_t *p = w->data;
  const mp_producer_job_ops_t *ops = &p->ops;
  int64_t job = p->o.job_id;
  p->db_rc = 0;
  p->db_processed_ok = false;
  if (p->batch.n) {
    p->db_rc = ops->journal_rejected(ops->ctx, job, p->batch.v, p->batch.n);
    if (p->db_rc != 0)
      return;
    p->batch_done = p->batch.n;
  }
  /* Failing to record the prefix only makes a resume redo more. */
  if (ops->set_produced && p->db_prefix > p->recorded_prefix &&
      ops->set_produced(ops->ctx, job, p->db_prefix) == 0)
    p->recorded_prefix = p->db_prefix;
  if (p->db_busy == DB_TICK) {
    p->db_processed_ok =
        ops->processed(ops->ctx, job, &p->db_processed) == 0;
  } else if (p->db_busy == DB_FINAL) {
    if (!p->failed)
      p->db_rc = ops->set_total(ops->ctx, job, p->st.read);
    else
      p->db_rc = ops->fail(ops->ctx, job, p->reason);
  }
}

static void close_all(mp_producer_t *p);

static void db_done(uv_work_t *w, int status) {
  mp_producer_t *p = w->data;
  db_kind_t kind = p->db_busy;
  p->db_busy = DB_NONE;
  p->journaled += (int64_t)p->batch_done;
  for (size_t i = 0; i < p->batch_done; i++)
    mark_done(p, p->batch.v[i].seq);
  /* Keep what was not journaled for the next job, in seq order. */
  if (p->batch_done < p->batch.n) {
    reject_list_t rest = p->rejects;
    p->rejects = p->batch;
    memmove(p->rejects.v, p->rejects.v + p->batch_done,
            (p->rejects.n - p->batch_done) * sizeof *p->rejects.v);
    p->rejects.n -= p->batch_done;
    for (size_t i = 0; i < rest.n; i++)
      reject_list_push(&p->rejects, rest.v[i].seq, rest.v[i].offset,
                       rest.v[i].error, rest.v[i].reason, rest.v[i].raw,
                       rest.v[i].raw_len);
    reject_list_free(&rest, 0);
    free(rest.v);
    p->batch = (reject_list_t){0};
  } else {
    reject_list_free(&p->batch, 0);
  }
  p->batch_done = 0;
  if (kind == DB_TICK && p->db_processed_ok &&
      p->db_processed > p->st.processed)
    p->st.processed = p->db_processed;
  if (kind == DB_FINAL) {
    if (status != 0 || p->db_rc != 0) {
      int rc = status != 0 ? status : p->db_rc;
      if (!p->failed) {
        p->rc = rc;
        snprintf(p->reason, sizeof p->reason,
                 "cannot record the job's total: %s", mp_strerror(rc));
      }
    }
    close_all(p);
    return;
  }
  update_reading(p);
  check_finish(p);
}

static void start_db(mp_producer_t *p, db_kind_t kind) {
  /* Hand the collected rejects to the job. */
  reject_list_free(&p->batch, 0);
  free(p->batch.v);
  p->batch = p->rejects;
  p->rejects = (reject_list_t){0};
  p->batch_done = 0;
  p->db_busy = kind;
  /* The final job of a successful run records everything as produced. */
  p->db_prefix = kind == DB_FINAL && !p->failed ? p->st.read : p->done.prefix;
  p->work.data = p;
  int rc = uv_queue_work(p->loop, &p->work, db_work, db_done);
  if (rc != 0) {
    p->db_busy = DB_NONE;
    p->rejects = p->batch;
    p->batch = (reject_list_t){0};
    fail_run(p, rc, "cannot queue database work: %s", uv_strerror(rc));
  }
}

/* ---- end of run ---- */

static void handle_gone(mp_producer_t *p) {
  if (--p->open_handles == 0 && p->o.on_done)
    p->o.on_done(p->o.cb_data, p->rc, p->rc ? p->reason : "");
}

static void on_handle_closed(uv_handle_t *h) { handle_gone(h->data); }

static void on_bridge_closed(mp_kafka_bridge_t *b) { handle_gone(b->data); }

static void close_all(mp_producer_t *p) {
  if (p->in.bytes)
    p->st.input_bytes = p->in.bytes(p->in.ctx);
  if (p->o.on_progress)
    p->o.on_progress(p->o.cb_data, &p->st);
  uv_idle_stop(&p->reader);
  p->reading = false;
  uv_timer_stop(&p->ticker);
  p->open_handles = p->bridge_gone ? 2 : 3;
  uv_close((uv_handle_t *)&p->reader, on_handle_closed);
  uv_close((uv_handle_t *)&p->ticker, on_handle_closed);
  if (!p->bridge_gone)
    mp_kafka_bridge_close(&p->bridge, on_bridge_closed);
}

static void check_finish(mp_producer_t *p) {
  if (p->finishing || p->db_busy != DB_NONE || p->restarting)
    return; /* a restart ends in check_finish */
  if (!(p->input_done || p->failed) || p->inflight > 0)
    return;
  if (p->have_pending && !p->failed)
    return;
  p->finishing = true;
  update_reading(p);
  if (p->has_ops) {
    start_db(p, DB_FINAL);
    return;
  }
  close_all(p);
}

static void on_tick(uv_timer_t *t) {
  mp_producer_t *p = t->data;
  if (p->finishing)
    return;
  if (p->o.on_progress && p->o.progress_ms &&
      now_ms(p) - p->last_progress_ms >= p->o.progress_ms) {
    p->last_progress_ms = now_ms(p);
    p->o.on_progress(p->o.cb_data, &p->st);
  }
  if (p->has_ops && p->db_busy == DB_NONE)
    start_db(p, DB_TICK);
}

/* ---- public ---- */

static rd_kafka_t *make_rk(mp_producer_t *p, char *errbuf, size_t errlen) {
  /* zstd level 1: zstd's default level 3 was 38% of the producer's CPU
   * (perf); level 1 compresses MARC to 0.29 of its size instead of 0.21
   * for a quarter less CPU per record in producer and broker */
  static const char *const defaults[] = {
      "enable.idempotence=true", "acks=all", "compression.codec=zstd",
      "compression.level=1", "linger.ms=25",
  };
  size_t nd = sizeof defaults / sizeof *defaults;
  const char **props = calloc(nd + p->o.nprops, sizeof *props);
  char err[256];
  rd_kafka_t *rk = NULL;
  if (!props) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < nd; i++)
    props[i] = defaults[i];
  for (size_t i = 0; i < p->o.nprops; i++)
    props[nd + i] = p->o.props[i];
  rd_kafka_conf_t *conf =
      mp_kafka_conf_new_for(MP_KAFKA_PRODUCER, p->o.brokers, props,
                            nd + p->o.nprops, errbuf, errlen);
  free(props);
  if (!conf)
    return NULL;
  rd_kafka_conf_set_opaque(conf, p);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_error_cb(conf, on_kafka_error);
  rk = mp_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(errbuf, errlen, "cannot create the Kafka producer: %s", err);
  }
  return rk;
}

int mp_producer_start(uv_loop_t *loop, const mp_producer_opts_t *opts,
                      mp_producer_input_t *input, mp_producer_t **out,
                      char *errbuf, size_t errlen) {
  int rc = MP_ECONFIG;
  *out = NULL;
  if (!loop || !opts || !input || !input->next || !opts->topic ||
      !*opts->topic || !opts->tenant) {
    snprintf(errbuf, errlen, "producer: topic, tenant and input are required");
    return MP_EUSAGE;
  }
  mp_producer_t *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  p->loop = loop;
  p->o = *opts;
  if (opts->ops) {
    p->ops = *opts->ops;
    p->has_ops = p->ops.journal_rejected && p->ops.processed &&
                 p->ops.set_total && p->ops.fail;
    if (!p->has_ops) {
      snprintf(errbuf, errlen, "producer: incomplete job operations");
      goto fail;
    }
  }
  int64_t drec, dbytes;
  mp_producer_default_backlog(8, &drec, &dbytes);
  if (p->o.max_backlog == 0)
    p->o.max_backlog = drec;
  if (p->o.max_backlog_bytes == 0)
    p->o.max_backlog_bytes = dbytes;
  if (p->o.max_inflight <= 0)
    p->o.max_inflight = MP_PRODUCER_MAX_INFLIGHT;
  if (p->o.credit_poll_ms == 0)
    p->o.credit_poll_ms = MP_PRODUCER_CREDIT_POLL_MS;
  snprintf(p->jobid, sizeof p->jobid, "%" PRId64, p->o.job_id);
  if (p->o.skip < 0)
    p->o.skip = 0;
  mp_seqdone_init(&p->done, p->o.skip);
  p->recorded_prefix = p->o.skip;
  p->st.done_prefix = p->o.skip;
  rc = MP_EKAFKA;
  p->rk = make_rk(p, errbuf, errlen);
  if (!p->rk)
    goto fail;
  p->rkt = rd_kafka_topic_new(p->rk, p->o.topic, NULL);
  if (!p->rkt) {
    snprintf(errbuf, errlen, "cannot use topic %s: %s", p->o.topic,
             rd_kafka_err2str(rd_kafka_last_error()));
    goto fail;
  }
  p->mainq = rd_kafka_queue_get_main(p->rk);
  p->bridge.data = p;
  rc = mp_kafka_bridge_start(loop, &p->bridge, p->mainq, 100, on_kafka_ready);
  if (rc != 0) {
    snprintf(errbuf, errlen, "cannot watch the Kafka queue: %s",
             uv_strerror(rc));
    goto fail;
  }
  uv_idle_init(loop, &p->reader);
  uv_timer_init(loop, &p->ticker);
  p->reader.data = p;
  p->ticker.data = p;
  uv_timer_start(&p->ticker, on_tick, 0, p->o.credit_poll_ms);
  p->in = *input;
  p->last_progress_ms = now_ms(p);
  update_reading(p);
  *out = p;
  return 0;
fail:
  /* Nothing was started on the loop except (maybe) nothing: the bridge is
   * the last step that can fail and closes its own handles. */
  release_client(p);
  free(p);
  return rc;
}

void mp_producer_cancel(mp_producer_t *p) {
  fail_run(p, MP_ECANCELED, "canceled after %" PRId64 " records",
           p->st.read);
  check_finish(p);
}

void mp_producer_stats(const mp_producer_t *p, mp_producer_stats_t *st) {
  *st = p->st;
}

rd_kafka_t *mp_producer_rk(mp_producer_t *p) { return p->rk; }

void mp_producer_destroy(mp_producer_t *p) {
  if (!p)
    return;
  if (p->in.close)
    p->in.close(p->in.ctx);
  reject_list_free(&p->rejects, 0);
  reject_list_free(&p->batch, 0);
  free(p->rejects.v);
  free(p->batch.v);
  mp_seqdone_free(&p->done);
  resend_free(p);
  free(p->resend);
  release_client(p);
  free(p);
}

typedef struct run_s {
  int rc;
  bool done;
  char *errbuf;
  size_t errlen;
  const mp_producer_opts_t *user;
} run_t;

static void run_done(void *data, int rc, const char *reason) {
  run_t *r = data;
  r->rc = rc;
  r->done = true;
  if (r->errlen)
    snprintf(r->errbuf, r->errlen, "%s", reason);
  if (r->user->on_done)
    r->user->on_done(r->user->cb_data, rc, reason);
}

static void run_progress(void *data, const mp_producer_stats_t *st) {
  run_t *r = data;
  r->user->on_progress(r->user->cb_data, st);
}

static void run_rejected(void *data, int64_t seq, uint64_t offset,
                         const char *reason) {
  run_t *r = data;
  r->user->on_rejected(r->user->cb_data, seq, offset, reason);
}

int mp_producer_run(const mp_producer_opts_t *opts, mp_producer_input_t *input,
                    mp_producer_stats_t *st, char *errbuf, size_t errlen) {
  uv_loop_t loop;
  mp_producer_t *p;
  run_t r = {.rc = 0, .errbuf = errbuf, .errlen = errlen, .user = opts};
  mp_producer_opts_t o = *opts;
  int rc = uv_loop_init(&loop);
  if (rc != 0) {
    snprintf(errbuf, errlen, "%s", uv_strerror(rc));
    return rc;
  }
  o.cb_data = &r;
  o.on_done = run_done;
  o.on_progress = opts->on_progress ? run_progress : NULL;
  o.on_rejected = opts->on_rejected ? run_rejected : NULL;
  rc = mp_producer_start(&loop, &o, input, &p, errbuf, errlen);
  if (rc == 0) {
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = r.done ? r.rc : MP_EIO;
    if (st)
      mp_producer_stats(p, st);
    mp_producer_destroy(p);
  }
  if (uv_loop_close(&loop) != 0 && rc == 0)
    rc = UV_EBUSY;
  return rc;
}
