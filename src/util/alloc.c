/* alloc.c: glibc allocator settings of the long-running processes (the why
 * and the figures are in include/marcpipe/alloc.h). A C library without
 * mallopt's options (or a sanitizer's allocator) is left alone. */
#include "marcpipe/alloc.h"

#include <malloc.h>
#include <stdlib.h>

static int set(int option, int value, const char *env) {
  if (getenv(env))
    return 0;
  return mallopt(option, value) == 1;
}

/* Two arenas, both thresholds fixed at the given sizes. */
static int fixed(int mmap_threshold, int trim_threshold) {
  int n = 0;
#ifdef M_ARENA_MAX
  n += set(M_ARENA_MAX, 2, "MALLOC_ARENA_MAX");
#endif
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  n += set(M_MMAP_THRESHOLD, mmap_threshold, "MALLOC_MMAP_THRESHOLD_");
  n += set(M_TRIM_THRESHOLD, trim_threshold, "MALLOC_TRIM_THRESHOLD_");
#endif
  return n;
}

int mp_alloc_bound_retention(void) {
  return fixed(MP_ALLOC_MMAP_THRESHOLD, MP_ALLOC_TRIM_THRESHOLD);
}

int mp_alloc_reuse_buffers(void) {
  return fixed(MP_ALLOC_PRODUCER_MMAP_THRESHOLD,
               MP_ALLOC_PRODUCER_TRIM_THRESHOLD);
}
