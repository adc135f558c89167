/* buf.h: growable byte buffer and a chunked arena.
 *
 * mp_buf_t is caller-allocated (_init/_release). Its data pointer may move
 * on every append: never keep pointers into it across appends.
 * mp_arena_t hands out memory that never moves until mp_arena_reset(); used
 * by records to own converted bytes while fields point into them. Reset
 * keeps the first block, so steady-state use does not call malloc.
 * mp_arena_pool_t keeps freed blocks of one size for other arenas to reuse
 * (at most max_free of them), for owners that create and release many
 * short-lived arenas: large blocks then skip the allocator's map/unmap
 * and the page faults of fresh memory. The pool outlives its arenas.
 */
#ifndef MARCPIPE_BUF_H
#define MARCPIPE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mp_buf_s {
  char *data; /* always NUL-terminated when non-NULL (the NUL is not counted) */
  size_t len;
  size_t cap;
} mp_buf_t;

void mp_buf_init(mp_buf_t *b);
void mp_buf_release(mp_buf_t *b);
/* Ensure room for `extra` more bytes. 0 or MP_ENOMEM. */
int mp_buf_reserve(mp_buf_t *b, size_t extra);
int mp_buf_append(mp_buf_t *b, const void *p, size_t n);
int mp_buf_putc(mp_buf_t *b, char c);
int mp_buf_puts(mp_buf_t *b, const char *s);
int mp_buf_printf(mp_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mp_buf_vprintf(mp_buf_t *b, const char *fmt, va_list ap);
/* Room for one more element in a growable array: when n == *cap, the
 * array whose address is itemsp (a T **, passed as void *) is realloc'd to
 * twice *cap elements of elem bytes (first when *cap is 0) and *cap
 * updated. On failure (MP_ENOMEM) the array and *cap are left as they
 * were, still owned by the caller. 0 when there is room. */
int mp_array_room(void *itemsp, size_t n, size_t *cap, size_t elem,
                  size_t first);

static inline void mp_buf_clear(mp_buf_t *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

typedef struct mp_arena_block_s mp_arena_block_t;
typedef struct mp_arena_pool_s {
  mp_arena_block_t *free; /* blocks of block_size, chained */
  size_t nfree, max_free, block_size;
} mp_arena_pool_t;
typedef struct mp_arena_s {
  mp_arena_block_t *head; /* current block; older blocks chained behind */
  size_t block_size;
  mp_arena_pool_t *pool;  /* where blocks of block_size come from and go
                             back to; NULL = malloc and free */
} mp_arena_t;

void mp_arena_pool_init(mp_arena_pool_t *p, size_t block_size,
                        size_t max_free);
/* Free the pooled blocks (blocks still in arenas are theirs to release). */
void mp_arena_pool_release(mp_arena_pool_t *p);

void mp_arena_init(mp_arena_t *a, size_t block_size);
/* An arena whose blocks of the pool's size come from and return to it. */
void mp_arena_init_pooled(mp_arena_t *a, mp_arena_pool_t *p);
void mp_arena_release(mp_arena_t *a);
/* True when nothing was allocated since the arena's last reset. */
bool mp_arena_empty(const mp_arena_t *a);
/* Free everything but the first block; all earlier pointers become invalid. */
void mp_arena_reset(mp_arena_t *a);
/* NULL on allocation failure. Alignment: 8 bytes. */
void *mp_arena_alloc(mp_arena_t *a, size_t n);
/* Copy n bytes (plus a NUL) into the arena. */
char *mp_arena_dup(mp_arena_t *a, const char *p, size_t n);

#endif
