/* offsets.c: pending-offset tracker (see offsets.h).
 *
 * Each partition keeps its pending offsets as a sorted array of disjoint
 * inclusive ranges. Messages arrive in offset order, so polling appends to
 * or extends the last range; completions remove a range (possibly
 * splitting one, when batches finish out of order). The array stays as
 * small as the number of in-flight batches per partition.
 */
#include "kafka/offsets.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <stdlib.h>
#include <string.h>

void mp_offsets_init(mp_offsets_t *t) { memset(t, 0, sizeof *t); }

void mp_offsets_release(mp_offsets_t *t) {
  for (size_t i = 0; i < t->nparts; i++)
    free(t->parts[i].pending);
  free(t->parts);
  memset(t, 0, sizeof *t);
}

static mp_offsets_part_t *part(const mp_offsets_t *t, int32_t p) {
  if (p < 0 || (size_t)p >= t->nparts || !t->parts[p].assigned)
    return NULL;
  return &t->parts[p];
}

static int grow_parts(mp_offsets_t *t, size_t n) {
  if (n <= t->nparts)
    return 0;
  mp_offsets_part_t *np = realloc(t->parts, n * sizeof *np);
  if (!np)
    return MP_ENOMEM;
  memset(np + t->nparts, 0, (n - t->nparts) * sizeof *np);
  t->parts = np;
  t->nparts = n;
  return 0;
}

/* Insert a range at index i (shifting the rest right). */
static int insert_range(mp_offsets_part_t *pp, size_t i, int64_t first,
                        int64_t last) {
  if (mp_array_room(&pp->pending, pp->npending, &pp->cap, sizeof *pp->pending,
                    8))
    return MP_ENOMEM;
  memmove(pp->pending + i + 1, pp->pending + i,
          (pp->npending - i) * sizeof *pp->pending);
  pp->pending[i] = (mp_offset_range_t){first, last};
  pp->npending++;
  return 0;
}

static void remove_range(mp_offsets_part_t *pp, size_t i) {
  memmove(pp->pending + i, pp->pending + i + 1,
          (pp->npending - i - 1) * sizeof *pp->pending);
  pp->npending--;
}

uint64_t mp_offsets_assign(mp_offsets_t *t, int32_t partition, int64_t start) {
  if (partition < 0 || grow_parts(t, (size_t)partition + 1) != 0)
    return 0;
  mp_offsets_part_t *pp = &t->parts[partition];
  pp->assigned = true;
  pp->epoch = ++t->epoch_seq;
  pp->next = start < 0 ? -1 : start;
  pp->committed = pp->next;
  pp->npending = 0;
  return pp->epoch;
}

void mp_offsets_revoke(mp_offsets_t *t, int32_t partition) {
  mp_offsets_part_t *pp = part(t, partition);
  if (!pp)
    return;
  pp->assigned = false;
  pp->npending = 0;
}

uint64_t mp_offsets_epoch(const mp_offsets_t *t, int32_t partition) {
  const mp_offsets_part_t *pp = part(t, partition);
  return pp ? pp->epoch : 0;
}

int mp_offsets_polled(mp_offsets_t *t, int32_t partition, int64_t offset,
                      int64_t *lost_from, int64_t *lost_to) {
  mp_offsets_part_t *pp = part(t, partition);
  if (!pp)
    return MP_ENOTFOUND;
  if (pp->next >= 0 && offset < pp->next)
    return MP_EBACKWARDS;
  int rc = 0;
  if (pp->next >= 0 && offset > pp->next) {
    if (lost_from)
      *lost_from = pp->next;
    if (lost_to)
      *lost_to = offset - 1;
    rc = MP_ELOST;
  }
  mp_offset_range_t *tail = pp->npending ? &pp->pending[pp->npending - 1] : NULL;
  if (tail && tail->last + 1 == offset) {
    tail->last = offset;
  } else {
    int e = insert_range(pp, pp->npending, offset, offset);
    if (e)
      return e;
  }
  pp->next = offset + 1;
  return rc;
}

bool mp_offsets_done(mp_offsets_t *t, int32_t partition, uint64_t epoch,
                     int64_t first, int64_t last) {
  mp_offsets_part_t *pp = part(t, partition);
  if (!pp || pp->epoch != epoch)
    return false;
  for (size_t i = 0; i < pp->npending && first <= last;) {
    mp_offset_range_t *r = &pp->pending[i];
    if (r->last < first) {
      i++;
      continue;
    }
    if (r->first > last)
      break;
    if (first <= r->first && last >= r->last) { /* covers the range */
      remove_range(pp, i);
    } else if (first <= r->first) { /* trims its head */
      r->first = last + 1;
      break;
    } else if (last >= r->last) { /* trims its tail */
      r->last = first - 1;
      i++;
    } else { /* splits it */
      int64_t tail_last = r->last;
      r->last = first - 1;
      if (insert_range(pp, i + 1, last + 1, tail_last) != 0)
        r->last = tail_last; /* keep it pending: safe, never over-commits */
      break;
    }
  }
  return true;
}

int64_t mp_offsets_position(const mp_offsets_t *t, int32_t partition) {
  const mp_offsets_part_t *pp = part(t, partition);
  if (!pp)
    return -1;
  return pp->npending ? pp->pending[0].first : pp->next;
}

int64_t mp_offsets_next(const mp_offsets_t *t, int32_t partition) {
  const mp_offsets_part_t *pp = part(t, partition);
  return pp ? pp->next : -1;
}

int64_t mp_offsets_take(mp_offsets_t *t, int32_t partition) {
  mp_offsets_part_t *pp = part(t, partition);
  int64_t pos = mp_offsets_position(t, partition);
  if (!pp || pos < 0 || pos <= pp->committed)
    return -1;
  pp->committed = pos;
  return pos;
}

uint64_t mp_offsets_pending(const mp_offsets_t *t, int32_t partition) {
  const mp_offsets_part_t *pp = part(t, partition);
  uint64_t n = 0;
  for (size_t i = 0; pp && i < pp->npending; i++)
    n += (uint64_t)(pp->pending[i].last - pp->pending[i].first + 1);
  return n;
}
