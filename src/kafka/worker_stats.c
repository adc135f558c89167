/* worker_stats.c: the worker's counters, its partitions' lag, and the
 * stats JSON (`marcpipe work --status-ms`, the import's worker reports).
 *
 * Everything runs on the loop thread and reads state only the loop
 * writes; nothing here blocks (the lag comes from librdkafka's cached
 * fetch state, the peak RSS from getrusage).
 */
#include "kafka/worker_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>

void mp__worker_add_result(mp_worker_t *w, const mp_sink_result_t *r) {
  w->st.created += r->created;
  w->st.updated += r->updated;
  w->st.duplicates += r->duplicates;
  w->st.skipped += r->skipped;
  w->st.errors += r->errors;
  w->st.replayed += r->replayed;
  for (int i = 0; i < r->ncompleted && i < MP_SINK_MAX_COMPLETED; i++)
    if (w->cfg.verbose)
      wlog(w, "job %" PRId64 " completed", r->completed_jobs[i]);
}

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
          ",\"fetch_restarts\":%" PRIu64 ",\"peak_rss_kb\":%" PRIu64,
          s->consumed, s->committed, s->invalid, s->dlq_sent, s->dlq_failed,
          s->batches, s->abandoned,
          s->pauses, s->resumes, s->max_records_held, s->max_bytes_held,
          s->window_records, s->window_bytes, s->sinks, s->retries,
          s->kafka_commits,
          s->kafka_commit_errors, s->rebalances,
          s->created, s->updated, s->duplicates, s->skipped, s->errors,
          s->replayed, s->offset_resets, s->fetch_restarts, s->peak_rss_kb);
  if (s->lost_partition >= 0)
    fprintf(out,
            ",\"lost\":{\"partition\":%" PRId32 ",\"from\":%" PRId64
            ",\"to\":%" PRId64 ",\"job\":%" PRId64 "}",
            s->lost_partition, s->lost_from, s->lost_to, s->lost_job);
  fputc('}', out);
}

void mp__worker_print_status(mp_worker_t *w) {
  mp_worker_stats_t st;
  FILE *out = w->cfg.status_out ? w->cfg.status_out : stdout;
  mp_worker_get_stats(w, &st);
  mp_worker_stats_json(&st, out);
  fputc('\n', out);
  fflush(out);
}
