/* buf.c: growable buffer and chunked arena (see buf.h for contracts).
 * Buffers grow geometrically; arenas chain blocks and never move memory
 * they have handed out. Single-threaded: each object has one owner. */
#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_buf_init(mp_buf_t *b) { memset(b, 0, sizeof *b); }

void mp_buf_release(mp_buf_t *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

int mp_buf_reserve(mp_buf_t *b, size_t extra) {
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    return MP_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int mp_array_room(void *itemsp, size_t n, size_t *cap, size_t elem,
                  size_t first) {
  if (n < *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : first;
  if (nc < *cap || nc > SIZE_MAX / elem)
    return MP_ENOMEM;
  void *old, *p;
  memcpy(&old, itemsp, sizeof old); /* the caller's T *, whatever T is */
  if (!(p = realloc(old, nc * elem)))
    return MP_ENOMEM;
  memcpy(itemsp, &p, sizeof p);
  *cap = nc;
  return 0;
}

int mp_buf_append(mp_buf_t *b, const void *p, size_t n) {
  int rc = mp_buf_reserve(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int mp_buf_putc(mp_buf_t *b, char c) { return mp_buf_append(b, &c, 1); }

int mp_buf_puts(mp_buf_t *b, const char *s) {
  return mp_buf_append(b, s, strlen(s));
}

int mp_buf_vprintf(mp_buf_t *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return MP_EUSAGE;
  int rc = mp_buf_reserve(b, (size_t)n);
  if (rc)
    return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int mp_buf_printf(mp_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = mp_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

struct mp_arena_block_s {
  mp_arena_block_t *next;
  size_t used, cap;
  _Alignas(8) char mem[];
};

void mp_arena_pool_init(mp_arena_pool_t *p, size_t block_size,
                        size_t max_free) {
  p->free = NULL;
  p->nfree = 0;
  p->max_free = max_free;
  p->block_size = block_size ? block_size : 64 * 1024;
}

static void free_blocks(mp_arena_block_t *b) {
  while (b) {
    mp_arena_block_t *n = b->next;
    free(b);
    b = n;
  }
}

void mp_arena_pool_release(mp_arena_pool_t *p) {
  free_blocks(p->free);
  p->free = NULL;
  p->nfree = 0;
}

void mp_arena_init(mp_arena_t *a, size_t block_size) {
  a->head = NULL;
  a->block_size = block_size ? block_size : 64 * 1024;
  a->pool = NULL;
}

void mp_arena_init_pooled(mp_arena_t *a, mp_arena_pool_t *p) {
  a->head = NULL;
  a->block_size = p->block_size;
  a->pool = p;
}

/* Back to the pool when it is of the pool's size and the pool has room. */
static void free_block(mp_arena_t *a, mp_arena_block_t *b) {
  mp_arena_pool_t *p = a->pool;
  if (p && b->cap == p->block_size && p->nfree < p->max_free) {
    b->next = p->free;
    p->free = b;
    p->nfree++;
  } else {
    free(b);
  }
}

void mp_arena_release(mp_arena_t *a) {
  for (mp_arena_block_t *b = a->head, *n; b; b = n) {
    n = b->next;
    free_block(a, b);
  }
  a->head = NULL;
}

bool mp_arena_empty(const mp_arena_t *a) {
  return !a->head || (a->head->used == 0 && !a->head->next);
}

void mp_arena_reset(mp_arena_t *a) {
  if (!a->head)
    return;
  /* keep the oldest block (the tail of the chain): it is the base size */
  mp_arena_block_t *b = a->head, *keep = NULL;
  while (b) {
    mp_arena_block_t *n = b->next;
    if (!n)
      keep = b;
    else
      free_block(a, b);
    b = n;
  }
  keep->used = 0;
  keep->next = NULL;
  a->head = keep;
}

void *mp_arena_alloc(mp_arena_t *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  mp_arena_block_t *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > a->block_size ? n : a->block_size;
    mp_arena_pool_t *p = a->pool;
    mp_arena_block_t *nb;
    if (p && p->free && cap == p->block_size) {
      nb = p->free;
      p->free = nb->next;
      p->nfree--;
    } else if (!(nb = malloc(sizeof *nb + cap))) {
      return NULL;
    }
    nb->used = 0;
    nb->cap = cap;
    nb->next = b;
    a->head = b = nb;
  }
  void *p = b->mem + b->used;
  b->used += n;
  return p;
}

char *mp_arena_dup(mp_arena_t *a, const char *p, size_t n) {
  char *d = mp_arena_alloc(a, n + 1);
  if (!d)
    return NULL;
  if (n)
    memcpy(d, p, n);
  d[n] = '\0';
  return d;
}
