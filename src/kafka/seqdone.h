/* seqdone.h: the contiguous done prefix of a producer's seqs.
 *
 * Seqs finish out of order (delivery reports come per partition, rejected
 * records when their journal batch commits); the prefix is the largest P
 * such that every seq <= P is done. That is what a resumed run may skip.
 * One byte per seq between the prefix and the highest done seq, compacted
 * as the prefix moves. Pure bookkeeping, loop thread only.
 */
#ifndef MP_KAFKA_SEQDONE_H
#define MP_KAFKA_SEQDONE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mp_seqdone_s {
  int64_t prefix; /* every seq <= prefix is done */
  unsigned char *v;
  size_t head, cap; /* v[head + i] = seq prefix + 1 + i is done */
} mp_seqdone_t;

/* Start with every seq <= prefix done. */
void mp_seqdone_init(mp_seqdone_t *d, int64_t prefix);
/* Mark seq done (a seq <= prefix or marked twice changes nothing).
 * 0 or MP_ENOMEM. */
int mp_seqdone_mark(mp_seqdone_t *d, int64_t seq);
void mp_seqdone_free(mp_seqdone_t *d);

#endif
