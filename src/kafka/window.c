/* window.c: the worker's bounded window (see window.h).
 *
 * Invariants: records/bytes never underflow (a release larger than what is
 * held is clamped and is a caller bug); paused flips to true only in
 * mp_window_add and to false only in mp_window_release, so the caller sees
 * each pause and each resume exactly once. With a bounded record count,
 * records held never exceed high_records as long as the caller stops
 * receiving after a PAUSE (librdkafka drops prefetched messages of paused
 * partitions). Bytes may exceed high_bytes by less than one message.
 * mp_worker_share_window (worker.h) sizes a window from the job's backlog.
 */
#include "kafka/window.h"

#include "marcpipe/worker.h"

#include <string.h>

void mp_window_init(mp_window_t *w, uint64_t max_records, uint64_t max_bytes,
                    unsigned low_pct) {
  memset(w, 0, sizeof *w);
  if (low_pct > 100)
    low_pct = 100;
  w->high_records = max_records;
  w->high_bytes = max_bytes;
  w->low_records = max_records * low_pct / 100;
  w->low_bytes = max_bytes / 100 * low_pct + (max_bytes % 100) * low_pct / 100;
}

bool mp_window_unbounded(const mp_window_t *w) {
  return w->high_records == 0 && w->high_bytes == 0;
}

static bool at_high(const mp_window_t *w) {
  return (w->high_records && w->records >= w->high_records) ||
         (w->high_bytes && w->bytes >= w->high_bytes);
}

static bool at_low(const mp_window_t *w) {
  return (!w->high_records || w->records <= w->low_records) &&
         (!w->high_bytes || w->bytes <= w->low_bytes);
}

mp_window_action_t mp_window_add(mp_window_t *w, uint64_t bytes) {
  w->records++;
  w->bytes += bytes;
  if (w->records > w->peak_records)
    w->peak_records = w->records;
  if (w->bytes > w->peak_bytes)
    w->peak_bytes = w->bytes;
  if (w->paused || !at_high(w))
    return MP_WINDOW_NONE;
  w->paused = true;
  w->pauses++;
  return MP_WINDOW_PAUSE;
}

mp_window_action_t mp_window_release(mp_window_t *w, uint64_t records,
                                     uint64_t bytes) {
  w->records = records > w->records ? 0 : w->records - records;
  w->bytes = bytes > w->bytes ? 0 : w->bytes - bytes;
  if (!w->paused || !at_low(w))
    return MP_WINDOW_NONE;
  w->paused = false;
  w->resumes++;
  return MP_WINDOW_RESUME;
}

/* share * num / den rounded up, in 128 bits: a backlog near INT64_MAX
 * must not wrap. */
static uint64_t share_of(int64_t total, int num, int den) {
  unsigned __int128 v = (unsigned __int128)(uint64_t)total * (unsigned)num;
  return (uint64_t)((v + (unsigned)den - 1) / (unsigned)den);
}

void mp_worker_share_window(int64_t backlog_records, int64_t backlog_bytes,
                            int partitions, int workers, uint64_t *records,
                            uint64_t *bytes) {
  mp_worker_config_t d;
  mp_worker_config_defaults(&d);
  *records = d.window_records;
  *bytes = d.window_bytes;
  if (partitions <= 0 || workers <= 0)
    return;
  int most = (partitions + workers - 1) / workers; /* partitions of one */
  if (backlog_records > 0) {
    uint64_t r = share_of(backlog_records, most, partitions);
    if (r < *records)
      *records = r;
  }
  if (backlog_bytes > 0) {
    uint64_t b = share_of(backlog_bytes, most, partitions);
    if (b < *bytes)
      *bytes = b;
  }
}
