/* offsets.h: per-partition tracker of in-flight offsets that yields the
 * contiguous committable position of each partition of one topic.
 *
 * Model: every polled offset is "pending" until the batch holding it is
 * finished (committed to PostgreSQL, or dropped as invalid). The position
 * that may be committed to Kafka is the lowest pending offset, or the next
 * expected offset when nothing is pending; offsets the log skipped
 * legitimately (never polled) are never pending, so they never block.
 * Each assignment of a partition gets a new epoch; completions carrying an
 * older epoch are ignored (their records belong to a lost assignment).
 * Loop thread only.
 */
#ifndef MP_KAFKA_OFFSETS_H
#define MP_KAFKA_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mp_offset_range_s {
  int64_t first, last; /* inclusive */
} mp_offset_range_t;

typedef struct mp_offsets_part_s {
  bool assigned;
  uint64_t epoch;
  int64_t next;       /* next expected offset; -1 = unknown until first */
  int64_t committed;  /* last position reported by mp_offsets_take; -1 */
  mp_offset_range_t *pending; /* sorted, disjoint */
  size_t npending, cap;
} mp_offsets_part_t;

typedef struct mp_offsets_s {
  mp_offsets_part_t *parts; /* indexed by partition id */
  size_t nparts;
  uint64_t epoch_seq;
} mp_offsets_t;

void mp_offsets_init(mp_offsets_t *t);
void mp_offsets_release(mp_offsets_t *t);

/* Start (or restart) tracking a partition at `start` (-1 = unknown: the
 * first polled offset sets it). Clears its pending offsets and returns its
 * new epoch (> 0), or 0 on allocation failure. */
uint64_t mp_offsets_assign(mp_offsets_t *t, int32_t partition, int64_t start);
/* Stop tracking a partition (revoked); later completions are stale. */
void mp_offsets_revoke(mp_offsets_t *t, int32_t partition);
/* Current epoch of an assigned partition, 0 when not assigned. */
uint64_t mp_offsets_epoch(const mp_offsets_t *t, int32_t partition);

/* A message at `offset` was polled. 0 when it is the expected one (or the
 * first of an unknown start); MP_ELOST when it jumps past the expected
 * offset: *lost_from..*lost_to (inclusive) never arrived (the offset is
 * still tracked from then on); MP_ENOTFOUND when the partition is not
 * assigned; MP_EBACKWARDS when the offset goes backwards (a re-fetch the
 * caller must ignore); MP_ENOMEM. */
int mp_offsets_polled(mp_offsets_t *t, int32_t partition, int64_t offset,
                      int64_t *lost_from, int64_t *lost_to);

/* Offsets first..last (inclusive) of `partition` are finished. Returns
 * true when applied, false when the epoch is stale (or the partition not
 * assigned). Finishing offsets that are not pending is harmless. */
bool mp_offsets_done(mp_offsets_t *t, int32_t partition, uint64_t epoch,
                     int64_t first, int64_t last);

/* The committable position (next offset to read) of a partition, or -1
 * when nothing was polled and no start is known. */
int64_t mp_offsets_position(const mp_offsets_t *t, int32_t partition);
/* Like mp_offsets_position, but returns it only when it moved past the
 * last position taken (and records it as taken); -1 otherwise. */
int64_t mp_offsets_take(mp_offsets_t *t, int32_t partition);
/* The next offset expected from the log (one past the last polled, or
 * the assigned start), or -1 when unknown or not assigned. */
int64_t mp_offsets_next(const mp_offsets_t *t, int32_t partition);
/* Number of pending offsets of a partition (for tests and shutdown). */
uint64_t mp_offsets_pending(const mp_offsets_t *t, int32_t partition);

#endif
