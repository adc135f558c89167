/* window.h: accounting of the records and bytes a worker holds (polled
 * from Kafka but not yet committed to PostgreSQL), with high/low water
 * marks that decide when to pause and resume the assigned partitions.
 * Pure bookkeeping: no Kafka, no clock, no allocation. Loop thread only.
 */
#ifndef MP_KAFKA_WINDOW_H
#define MP_KAFKA_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
  MP_WINDOW_NONE = 0,
  MP_WINDOW_PAUSE,  /* high water reached: pause every assigned partition */
  MP_WINDOW_RESUME, /* back at low water: resume them */
} mp_window_action_t;

typedef struct mp_window_s {
  uint64_t high_records, high_bytes; /* 0 = no bound in that dimension */
  uint64_t low_records, low_bytes;
  uint64_t records, bytes;           /* held now */
  uint64_t peak_records, peak_bytes; /* largest ever held */
  uint64_t pauses, resumes;
  bool paused;
} mp_window_t;

/* High water = max_records / max_bytes (0 = unbounded); low water =
 * low_pct percent of each (clamped to 0..100). */
void mp_window_init(mp_window_t *w, uint64_t max_records, uint64_t max_bytes,
                    unsigned low_pct);
/* One more message of `bytes` is held. Returns MP_WINDOW_PAUSE on the
 * transition into the paused state (records reach max_records or bytes
 * reach max_bytes). A message polled while paused is still counted, so
 * the peak shows any overshoot. */
mp_window_action_t mp_window_add(mp_window_t *w, uint64_t bytes);
/* `records` messages totalling `bytes` were released (committed or
 * dropped). Returns MP_WINDOW_RESUME on the transition out of the paused
 * state: both dimensions at or below their low water mark. */
mp_window_action_t mp_window_release(mp_window_t *w, uint64_t records,
                                     uint64_t bytes);
/* True when the window is unbounded in both dimensions. */
bool mp_window_unbounded(const mp_window_t *w);

#endif
