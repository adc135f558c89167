/* gen.h: realistic MARC test files made from real records.
 *
 * A pool holds real bibliographic records (leader/06 in a,c,d,e,f,g,i,j,k,
 * m,o,p,r,t) read once from files, plus the words of their titles. The
 * generator turns record number i of an output, whose running number is
 * g = first_id + i, into a variant of one pool record chosen by a PRNG
 * seeded from (seed, g): its own 001 (prefix + g), 003 set, every 010, 020
 * and 035 identifier ($a, $z) replaced by one unique in the file (ISBNs
 * keep their length and get a valid check digit), and the 245 $a title
 * extended with words from other titles.
 *
 * Record g depends only on (pool, seed, prefix, org code, g): the same
 * seed gives the same bytes, a different seed different ones, and outputs
 * with the same seed and disjoint running-number ranges have disjoint
 * identifiers (and concatenate to the output of one longer run).
 * Identifiers stay unique for running numbers below 62,500,000.
 *
 * A pool is built on one thread, then read-only: any number of threads may
 * call mp_gen_make() on it with their own output records.
 */
#ifndef MARCPIPE_GEN_H
#define MARCPIPE_GEN_H

#include "marcpipe/marc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Environment variable naming the default source (a file or a directory
 * of MARC files) when no --from is given. */
#define MP_GEN_SAMPLE_ENV "MP_GEN_SAMPLE"

typedef struct mp_gen_pool_s mp_gen_pool_t;

typedef struct mp_gen_pool_stats_s {
  uint64_t read;        /* records the readers returned */
  uint64_t used;        /* records kept as sources */
  uint64_t not_bib;     /* skipped: leader/06 not bibliographic */
  uint64_t too_big;     /* skipped: would exceed 99,999 bytes in ISO 2709 */
  uint64_t rejected;    /* records the readers rejected */
  uint64_t over_cap;    /* skipped: the pool was full */
  uint64_t title_words; /* words collected from 245 $a */
} mp_gen_pool_stats_t;

/* max_records: most source records kept (0 = 5,000); later ones are
 * counted in over_cap. NULL on ENOMEM. */
mp_gen_pool_t *mp_gen_pool_new(size_t max_records);
void mp_gen_pool_destroy(mp_gen_pool_t *p);
/* Offer one record (UTF-8 expected). The pool copies what it keeps.
 * 1 kept, 0 skipped (stats say why), MP_ENOMEM. */
int mp_gen_pool_add(mp_gen_pool_t *p, const mp_record_t *r);
/* Read every record of a file (format detected, MARC-8 converted to
 * UTF-8) and offer it. A directory adds each regular file in it whose
 * name does not start with '.', in name order. 0 or an error (negated
 * errno for an unreadable path, MP_EFORMAT...); a message naming the file
 * is put in err (may be NULL). Rejected records are counted, not fatal. */
int mp_gen_pool_load(mp_gen_pool_t *p, const char *path, char *err,
                     size_t errsz);
size_t mp_gen_pool_size(const mp_gen_pool_t *p);
void mp_gen_pool_stats(const mp_gen_pool_t *p, mp_gen_pool_stats_t *s);
/* The default source: $MP_GEN_SAMPLE if set, else the bundled sample
 * tests/fixtures/gen-sample in the directory that holds the schemas
 * directory (the lexical parent of MP_SCHEMAS_DIR, the source tree in a
 * build-tree binary). Static storage; not thread-safe. */
const char *mp_gen_default_source(void);

typedef struct mp_gen_opts_s {
  uint64_t seed;
  const char *id_prefix; /* 001 = id_prefix + zero-padded running number */
  uint64_t first_id;     /* running number g of output record 0 */
  const char *org_code;  /* 003 value */
} mp_gen_opts_t;

/* seed 1, prefix "gen", first id 1, org code "MPGEN". */
void mp_gen_opts_default(mp_gen_opts_t *o);

/* Make output record number i (0-based) in out (initialised by the caller,
 * cleared here). out's views point into the pool and into out's arena:
 * valid until the next call with out, or until the pool is destroyed.
 * 0, MP_ENOTFOUND (empty pool) or MP_ENOMEM. */
int mp_gen_make(const mp_gen_pool_t *p, const mp_gen_opts_t *o, uint64_t i,
                mp_record_t *out);

/* Called about every 64k records and once at the end. */
typedef void (*mp_gen_progress_fn)(uint64_t done, uint64_t total, void *arg);

/* Write records 0..n-1 to fd in fmt (ISO 2709, a MARCXML collection, or
 * MARC-in-JSON one object per line), through a buffer flushed every
 * 1 MiB. 0, or MP_E* / negated errno of the failing write. */
int mp_gen_write(const mp_gen_pool_t *p, const mp_gen_opts_t *o, uint64_t n,
                 mp_marc_format_t fmt, int fd, mp_gen_progress_fn progress,
                 void *arg);

/* ---- ISBN check digits ---- */

/* Check digit character ('0'-'9', or 'X' for ISBN-10) for the first 9
 * (ISBN-10) or 12 (ISBN-13) digits in d. */
char mp_isbn_check10(const char d[9]);
char mp_isbn_check13(const char d[12]);
/* True when s (hyphens and spaces ignored) is a 10- or 13-character ISBN
 * whose check digit is right. */
bool mp_isbn_valid(const char *s, size_t n);

#endif
