/* seqdone.c: the contiguous done prefix of seqs (seqdone.h).
 *
 * Invariant: every byte of v outside [head, head + span) is 0, where span
 * covers the highest seq marked so far; so compaction only moves bytes and
 * growth only zeroes the new tail.
 */
#include "kafka/seqdone.h"

#include "marcpipe/error.h"

#include <stdlib.h>
#include <string.h>

void mp_seqdone_init(mp_seqdone_t *d, int64_t prefix) {
  *d = (mp_seqdone_t){.prefix = prefix};
}

int mp_seqdone_mark(mp_seqdone_t *d, int64_t seq) {
  if (seq <= d->prefix)
    return 0;
  size_t i = (size_t)(seq - d->prefix - 1);
  if (d->head + i >= d->cap && d->head > 0) {
    memmove(d->v, d->v + d->head, d->cap - d->head);
    memset(d->v + d->cap - d->head, 0, d->head);
    d->head = 0;
  }
  if (i >= d->cap) {
    size_t cap = d->cap ? d->cap : 4096;
    while (cap <= i)
      cap *= 2;
    unsigned char *v = realloc(d->v, cap);
    if (!v)
      return MP_ENOMEM;
    memset(v + d->cap, 0, cap - d->cap);
    d->v = v;
    d->cap = cap;
  }
  d->v[d->head + i] = 1;
  while (d->head < d->cap && d->v[d->head]) {
    d->v[d->head++] = 0;
    d->prefix++;
  }
  if (d->head == d->cap)
    d->head = 0; /* everything is done: v is all zero */
  return 0;
}

void mp_seqdone_free(mp_seqdone_t *d) {
  free(d->v);
  *d = (mp_seqdone_t){.prefix = d->prefix};
}
