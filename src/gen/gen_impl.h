/* gen_impl.h: what pool.c, make.c and write.c share inside the gen module:
 * the pool's layout, the per-record PRNG, field data packing.
 *
 * Each pool record is one malloc'd block (fields, subfields, bytes) owned
 * by the pool; title words are views into those blocks, so they live
 * exactly as long as the pool. After loading, nothing in the pool changes.
 */
#ifndef MP_GEN_IMPL_H
#define MP_GEN_IMPL_H

#include "marcpipe/gen.h"

/* Longest id prefix and 003 value mp_gen_make accepts; with them the
 * bytes a generated record can gain over its source are bounded (see
 * mp__gen_growth), which is how the pool keeps every output under the
 * ISO 2709 limit. */
#define MP__GEN_MAX_PREFIX 32
#define MP__GEN_MAX_ORG 16
/* Title words: at most this many appended, each at most this long. */
#define MP__GEN_MAX_WORDS 3
#define MP__GEN_MAX_WORD_LEN 24
/* Identifier subfields rewritten per record (ISBNs and others counted
 * apart);
 * fields holding more are dropped so identifiers stay unique. */
#define MP__GEN_MAX_IDS 16

typedef struct mp__gen_word_s {
  const char *p;
  uint32_t len;
} mp__gen_word_t;

struct mp_gen_pool_s {
  mp_record_t *recs; /* kept sources, each owning its bytes */
  size_t nrecs, cap_recs, max_recs;
  mp__gen_word_t *words; /* title words, views into recs */
  size_t nwords, cap_words;
  mp_gen_pool_stats_t st;
};

/* Subfields mp_gen_make rewrites: $a and $z of 010 (LCCN), 020 (ISBN)
 * and 035 (system numbers such as OCLC's). */
static inline bool mp__gen_is_id_subfield(const char tag[3], char code) {
  if (tag[0] != '0' || (code != 'a' && code != 'z'))
    return false;
  return (tag[1] == '1' && tag[2] == '0') || (tag[1] == '2' && tag[2] == '0') ||
         (tag[1] == '3' && tag[2] == '5');
}

/* Write the n subfields at s as field data (0x1F, code, bytes each) to d
 * and point their views at the copies. Returns the bytes written; d must
 * have room for sum(2 + len). */
size_t mp__gen_pack_subfields(char *d, mp_subfield_t *s, uint32_t n);

/* splitmix64 step: a fast PRNG with a 64-bit state, fully mixed output. */
static inline uint64_t mp__gen_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

#endif
