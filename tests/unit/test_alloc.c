/* test_alloc.c: the allocator settings (marcpipe/alloc.h). With
 * glibc's dynamic threshold, freeing a large mmapped block raises the mmap
 * threshold, and the next block of that size comes from the heap (where
 * its space is kept after free). With the settings it is mmapped again. */
#include "marcpipe/alloc.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define MP_SANITIZER_ALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_SANITIZER_ALLOC 1
#endif
#endif

static void test_large_blocks_stay_mmapped_after_free(void **s) {
  (void)s;
#ifdef MP_SANITIZER_ALLOC
  skip(); /* the sanitizer's allocator has neither option nor mallinfo2 */
#else
  unsetenv("MALLOC_ARENA_MAX");
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
  assert_int_equal(mp_alloc_bound_retention(), 3);
  size_t big = 4 * MP_ALLOC_MMAP_THRESHOLD;
  size_t before = mallinfo2().hblks;
  char *p = malloc(big);
  assert_non_null(p);
  memset(p, 1, big);
  assert_int_equal(mallinfo2().hblks, before + 1);
  free(p); /* by default this raises the threshold above `big` */
  char *q = malloc(big);
  assert_non_null(q);
  assert_int_equal(mallinfo2().hblks, before + 1);
  free(q);
  assert_int_equal(mallinfo2().hblks, before);
  /* a block just under the threshold still comes from the heap */
  char *r = malloc(MP_ALLOC_MMAP_THRESHOLD / 2);
  assert_non_null(r);
  assert_int_equal(mallinfo2().hblks, before);
  free(r);
#endif
}

/* The producer's settings: a buffer of librdkafka's size (1 MiB) comes
 * from the heap, again after a free; one over the threshold is mapped. */
static void test_producer_reuses_buffers_from_the_heap(void **s) {
  (void)s;
#ifdef MP_SANITIZER_ALLOC
  skip();
#else
  unsetenv("MALLOC_ARENA_MAX");
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
  assert_int_equal(mp_alloc_reuse_buffers(), 3);
  size_t before = mallinfo2().hblks;
  for (int i = 0; i < 2; i++) {
    char *p = malloc(1024 * 1024);
    assert_non_null(p);
    memset(p, 1, 1024 * 1024);
    assert_int_equal(mallinfo2().hblks, before);
    free(p);
  }
  char *big = malloc(2 * MP_ALLOC_PRODUCER_MMAP_THRESHOLD);
  assert_non_null(big);
  assert_int_equal(mallinfo2().hblks, before + 1);
  free(big);
  assert_int_equal(mallinfo2().hblks, before);
  assert_int_equal(mp_alloc_bound_retention(), 3); /* back, for the others */
#endif
}

static void test_environment_settings_are_kept(void **s) {
  (void)s;
  setenv("MALLOC_ARENA_MAX", "4", 1);
  setenv("MALLOC_MMAP_THRESHOLD_", "65536", 1);
  setenv("MALLOC_TRIM_THRESHOLD_", "65536", 1);
  assert_int_equal(mp_alloc_bound_retention(), 0);
  unsetenv("MALLOC_ARENA_MAX");
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_large_blocks_stay_mmapped_after_free),
      cmocka_unit_test(test_producer_reuses_buffers_from_the_heap),
      cmocka_unit_test(test_environment_settings_are_kept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
