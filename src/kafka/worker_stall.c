/* worker_stall.c: the stall check: a partition whose log has messages
 * the worker has not polled, and that delivered nothing for cfg.stall_ms
 * although nothing paused it, has its fetch restarted.
 *
 * Why: librdkafka's fetcher for one partition can wedge after leader
 * moves, a broker down and back, or a rebalance in between (reported in
 * several librdkafka versions: a partition left in an offset-wait or
 * stopped fetch state until the consumer restarts). The worker then
 * holds nothing, asks for nothing, and the job waits at 99% with every
 * record delivered to Kafka. Nothing in the worker's own state shows it;
 * only the log's end does.
 *
 * How: every cfg.stall_ms (on the loop's tick) the next offset the
 * tracker expects for each assigned partition is compared with the one
 * seen at the previous check. A partition that did not move is asked for
 * its log end (a watermark query, one round trip, 2 s at most; one that
 * goes unanswered ends the queries of this check: the broker is away and
 * librdkafka will reconnect by itself). If the log end is past the
 * expected offset, the partition is resumed in librdkafka (the worker's
 * own pause state says it is not paused) and sought to that offset, an
 * asynchronous seek that restarts its fetch; messages fetched before the
 * seek are dropped by librdkafka (a new op version) or, if one slips
 * through, refused by the tracker as a re-fetch (offsets.h), so nothing
 * is read twice into a batch and nothing is skipped.
 *
 * A partition whose stored position is still being checked against its
 * log (identity.h) is no exception: its expected offset is the message
 * the check waits for (the one before the stored position, or the new
 * start after a refuted position), so the restart fetches exactly that.
 * A wedge right after an assignment looks like this: the worker waits
 * for that first message, librdkafka's position is not set yet, so the
 * lag it reports is 0.
 *
 * Not a stall: a window at high water (all partitions paused: the
 * snapshots are forgotten and taken again once it resumed), a rebalance
 * in between (the same), a stop, an empty log. An idle worker queries
 * each of its partitions' log end once per cfg.stall_ms (logged with
 * -v).
 *
 * Thread: the loop's; the watermark query blocks it (see above).
 */
#include "kafka/worker_impl.h"

#include <inttypes.h>
#include <stdlib.h>

#define STALL_NONE INT64_MIN
#define STALL_QUERY_MS 2000

static void forget(mp_worker_t *w) {
  for (size_t i = 0; i < w->nstall; i++)
    w->stall_next[i] = STALL_NONE;
}

/* The snapshot slot of partition p, grown as needed; NULL on failure. */
static int64_t *snapshot(mp_worker_t *w, int32_t p) {
  if (p < 0)
    return NULL;
  if ((size_t)p >= w->nstall) {
    size_t n = (size_t)p + 1;
    int64_t *s = realloc(w->stall_next, n * sizeof *s);
    if (!s)
      return NULL;
    for (size_t i = w->nstall; i < n; i++)
      s[i] = STALL_NONE;
    w->stall_next = s;
    w->nstall = n;
  }
  return &w->stall_next[p];
}

static void restart_fetch(mp_worker_t *w, int32_t p, int64_t from, int64_t end,
                          uint64_t now) {
  w->st.fetch_restarts++;
  wlog(w, "topic %s partition %" PRId32 ": %" PRId64 " messages (offsets %"
          PRId64 " to %" PRId64 ") not fetched for %u s though the partition "
          "is not paused: restarting its fetch at offset %" PRId64,
       w->cfg.topic, p, end - from, from, end - 1, w->cfg.stall_ms / 1000,
       from);
  /* A broker away for longer than the period looks the same: librdkafka
   * waits for it and would resume by itself as it returns; the restart
   * is then one seek too many, harmless. Say so rather than blame a stall. */
  if (w->kafka_err_ms && now - w->kafka_err_ms <= 2 * (uint64_t)w->cfg.stall_ms)
    wlog(w, "partition %" PRId32 ": the cluster reported %s %.1f s before; "
            "the pause may have been its outage rather than a wedged fetch",
         p, w->kafka_err, (double)(now - w->kafka_err_ms) / 1000);
  rd_kafka_error_t *e = mp__worker_seek(w, p, from, true);
  if (e) {
    wlog(w, "cannot restart the fetch of partition %" PRId32 ": %s (tried "
            "again after %u ms)", p, rd_kafka_error_string(e), w->cfg.stall_ms);
    rd_kafka_error_destroy(e);
  }
}

void mp__worker_stall_check(mp_worker_t *w, uint64_t now) {
  if (!w->cfg.stall_ms)
    return;
  if (!w->in_group || w->kpaused || w->stopping || w->closing ||
      w->win.pauses != w->stall_pauses || w->st.rebalances != w->stall_rebalances) {
    w->stall_pauses = w->win.pauses;
    w->stall_rebalances = w->st.rebalances;
    w->stall_at = now;
    forget(w);
    return;
  }
  if (now - w->stall_at < w->cfg.stall_ms)
    return;
  w->stall_at = now;
  rd_kafka_topic_partition_list_t *a = NULL;
  if (rd_kafka_assignment(w->rk, &a) || !a)
    return;
  bool ask = true;
  for (int i = 0; i < a->cnt; i++) {
    int32_t p = a->elems[i].partition;
    int64_t *prev = snapshot(w, p);
    int64_t next = mp_offsets_next(&w->offs, p);
    if (!prev)
      break;
    bool moved = *prev != next;
    *prev = next;
    if (moved || !ask)
      continue;
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
        w->rk, w->cfg.topic, p, &lo, &hi, STALL_QUERY_MS);
    if (w->cfg.verbose && e)
      wlog(w, "stall check: partition %" PRId32 " still at offset %" PRId64
              "; its log end unknown: %s", p, next, rd_kafka_err2str(e));
    else if (w->cfg.verbose)
      wlog(w, "stall check: partition %" PRId32 " still at offset %" PRId64
              ", log end %" PRId64, p, next, hi);
    if (e) {
      ask = false;
      continue;
    }
    int64_t from = next >= 0 ? next : lo; /* nothing polled yet: its start */
    if (from < 0 || hi <= from)
      continue;
    restart_fetch(w, p, from, hi, now);
    *prev = STALL_NONE; /* a full period again before the next restart */
  }
  rd_kafka_topic_partition_list_destroy(a);
}
