/* window.c: the worker's bounded window (see window.h).
 *
 * Invariants: records/bytes never underflow (a release larger than what is
 * held is clamped and is a caller bug); paused flips to true only in
 * mp_window_add and to false only in mp_window_release, so the caller sees
 * each pause and each resume exactly once. With a bounded record count,
 * records held never exceed high_records as long as the caller stops
 * receiving after a PAUSE (librdkafka drops prefetched messages of paused
 * partitions). Bytes may exceed high_bytes by less than one message.
 */
#include "kafka/window.h"

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
