/* worker_dlq.c: the worker's dead-letter producer (cfg.dlq_topic).
 *
 * Best effort: a copy that cannot be queued or delivered is counted
 * (dlq_failed) and logged, never retried; the journal in PostgreSQL is
 * the record of truth. Two kinds of copies: messages with missing or
 * invalid headers (their original headers), and records the sink
 * journaled as errors, sent after their batch committed (job-id and seq
 * headers). Both carry "source" = partition/offset, "error-class" and
 * "error" (the reason).
 *
 * Threads and ownership: the worker owns the producer (w->dlq, NULL
 * without a dead-letter topic, when every function here does nothing);
 * everything runs on the loop thread, and delivery reports are served by
 * mp__worker_dlq_poll from the worker's tick, so dlq_report_cb runs there
 * too. Payloads are copied (RD_KAFKA_MSG_F_COPY): the caller keeps its
 * message or batch.
 */
#include "kafka/worker_impl.h"

#include "marcpipe/error.h"

#include <inttypes.h>
#include <stdio.h>

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

void mp__worker_dead_letter(mp_worker_t *w, const rd_kafka_message_t *m,
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
void mp__worker_dead_letter_errors(mp_worker_t *w, const batch_t *b,
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

int mp__worker_dlq_open(mp_worker_t *w, char *errbuf, size_t errlen) {
  if (!w->cfg.dlq_topic || !*w->cfg.dlq_topic)
    return 0;
  rd_kafka_conf_t *conf = mp__worker_dlq_conf(&w->cfg, errbuf, errlen);
  if (!conf)
    return MP_ECONFIG;
  rd_kafka_conf_set_opaque(conf, w);
  rd_kafka_conf_set_dr_msg_cb(conf, dlq_report_cb);
  w->dlq = mp_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errlen);
  if (!w->dlq) {
    rd_kafka_conf_destroy(conf);
    return MP_EKAFKA;
  }
  return 0;
}

void mp__worker_dlq_poll(mp_worker_t *w) {
  if (w->dlq)
    rd_kafka_poll(w->dlq, 0);
}

void mp__worker_dlq_close(mp_worker_t *w, bool flush) {
  if (!w->dlq)
    return;
  if (flush && rd_kafka_flush(w->dlq, 10000))
    wlog(w, "dead-letter copies still queued at exit: %d",
         rd_kafka_outq_len(w->dlq));
  rd_kafka_destroy(w->dlq);
  w->dlq = NULL;
}
