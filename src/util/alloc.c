/* alloc.c: glibc allocator settings for bounded worker memory (the why
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

int mp_alloc_bound_retention(void) {
  int n = 0;
#ifdef M_ARENA_MAX
  n += set(M_ARENA_MAX, 2, "MALLOC_ARENA_MAX");
#endif
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  n += set(M_MMAP_THRESHOLD, MP_ALLOC_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_");
  n += set(M_TRIM_THRESHOLD, MP_ALLOC_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_");
#endif
  return n;
}
