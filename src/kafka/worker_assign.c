/* worker_assign.c: the worker's side of the consumer group (eager
 * protocol): where each assigned partition starts, what a revocation
 * drops, and the check that a stored offset belongs to the log being read
 * (identity.h; the plans live in w->plans, indexed by partition id).
 *
 * On assignment a partition starts at max(Kafka committed offset, the
 * sink's stored next offset), or at the log start when neither exists; a
 * stored position is first checked against the message before it (its
 * job and seq), and one that belongs to another log is reset in the sink
 * and the partition read from its start. On revocation the batches not
 * yet in a slot are dropped, the positions committed synchronously, and
 * in-flight batches finish later as stale.
 *
 * A worker given a member index (cfg.member_count > 0) joins no group: it
 * takes its share of the partitions once, at start, through the same
 * on_assign, and is never revoked (its close commits and unassigns).
 *
 * Thread: the loop's. The rebalance callback runs inside
 * rd_kafka_consumer_poll (the bridge), or inside leave_group at close.
 * It is NOT quick: while it runs nothing else on the loop does (no
 * batch completes, no timer fires). What blocks, at most:
 *   on_assign: rd_kafka_committed, up to 10 s; load_offsets on the
 *     control sink, a synchronous SELECT on its PostgreSQL connection
 *     (after a reconnect when that connection was dropped), bounded only
 *     by the server and the conninfo's connect_timeout; until the
 *     cluster id is known (normally the first assignment only)
 *     rd_kafka_clusterid, up to 5 s; for each partition with a stored
 *     position, a watermark query (a round trip; one that goes
 *     unanswered for 3 s ends the queries of this assignment, so timeouts
 *     cost 3 s at most); and for each stored offset found to belong to
 *     another log, the sink's reset_offset (one synchronous statement on
 *     the same connection, bounded the same way).
 *   on_revoke: a synchronous offset commit (rd_kafka_commit, bounded by
 *     librdkafka's request timeouts).
 *   check_identity, once per partition whose stored position is refuted:
 *     a watermark query of up to 5 s and the sink's reset_offset.
 * Typically each is a round trip of a few milliseconds; the bounds matter
 * when a broker or the database is down, when the worker's batches in
 * flight wait for the loop (the thread pool keeps writing them). Doing
 * this work on the thread pool would mean calling rd_kafka_assign after
 * the callback returned, with revocations, stops and the close's own
 * rebalance able to arrive meanwhile; the assignment is rare enough that
 * it stays here, on the loop, which also owns the control sink.
 */
#include "kafka/worker_impl.h"

#include "kafka/envelope.h"
#include "marcpipe/error.h"

#include <inttypes.h>
#include <stdlib.h>

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
bool mp__worker_check_identity(mp_worker_t *w, rd_kafka_message_t *m,
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
  rd_kafka_error_t *e = mp__worker_seek(w, p, start, false);
  if (e) {
    wlog(w, "cannot move partition %" PRId32 " to its log start: %s; stopping",
         p, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    mp_offsets_revoke(&w->offs, p); /* never commit past what was not read */
    mp__worker_fail(w, MP_EKAFKA);
    return true;
  }
  pl->await_offset = start;
  if (!mp_offsets_assign(&w->offs, p, start))
    mp__worker_fail(w, MP_ENOMEM);
  return true;
}

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
    mp__worker_fail(w, MP_ENOMEM);
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
      mp__worker_fail(w, MP_ENOMEM);
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
      mp__worker_fail(w, MP_ENOMEM);
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
    mp__worker_fail(w, MP_EKAFKA);
  }
  w->kpaused = false;
  w->in_group = true;
  w->last_msg_ms = uv_now(w->loop);
  mp__worker_apply_pause(w);
  /* a counters line at once: `marcpipe import` starts its other workers
   * when the first one has its partitions (cli/import_workers.h) */
  if (w->cfg.status_ms)
    mp__worker_print_status(w);
#ifdef MP_TEST_HOOKS
  for (int i = 0; i < parts->cnt && w->fault_wedge_on_assign; i++)
    if (parts->elems[i].partition == w->fault_wedge)
      mp__worker_fault_wedge(w, w->fault_wedge, "right after its assignment");
#endif
}

static void on_revoke(mp_worker_t *w, rd_kafka_topic_partition_list_t *parts) {
  mp__worker_drop_queued(w); /* in-flight batches finish later as stale */
  if (!rd_kafka_assignment_lost(w->rk))
    mp__worker_commit_offsets(w, true, true);
  if (w->kpaused) /* leave no partition paused behind us */
    mp__worker_set_paused(w, false);
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

/* The partition count of the topic, from the cluster's metadata; <= 0 on
 * error (errbuf says why). */
static int partition_count(mp_worker_t *w, char *errbuf, size_t errlen) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(w->rk, w->cfg.topic, NULL);
  if (!rkt) {
    snprintf(errbuf, errlen, "topic %s: %s", w->cfg.topic,
             rd_kafka_err2str(rd_kafka_last_error()));
    return -1;
  }
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(w->rk, 0, rkt, &md, 10000);
  int n = -1;
  if (e)
    snprintf(errbuf, errlen, "metadata of %s: %s", w->cfg.topic,
             rd_kafka_err2str(e));
  else if (md->topic_cnt != 1 || md->topics[0].err)
    snprintf(errbuf, errlen, "topic %s: %s", w->cfg.topic,
             rd_kafka_err2str(md->topic_cnt == 1
                                  ? md->topics[0].err
                                  : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
  else if ((n = md->topics[0].partition_cnt) <= 0)
    snprintf(errbuf, errlen, "topic %s has no partitions", w->cfg.topic);
  if (md)
    rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return n;
}

rd_kafka_topic_partition_list_t *mp__worker_member_share(mp_worker_t *w,
                                                         char *errbuf,
                                                         size_t errlen) {
  int np = partition_count(w, errbuf, errlen);
  if (np <= 0)
    return NULL;
  rd_kafka_topic_partition_list_t *parts =
      rd_kafka_topic_partition_list_new(np);
  for (int32_t p = w->cfg.member_index; p < np; p += w->cfg.member_count)
    rd_kafka_topic_partition_list_add(parts, w->cfg.topic, p);
  if (w->cfg.verbose)
    wlog(w, "member %d of %d: %d of the %d partitions of %s, no group",
         w->cfg.member_index, w->cfg.member_count, parts->cnt, np,
         w->cfg.topic);
  return parts;
}

void mp__worker_assign_share(mp_worker_t *w,
                             rd_kafka_topic_partition_list_t *parts) {
  on_assign(w, parts);
}

void mp__worker_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts,
                             void *opaque) {
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
