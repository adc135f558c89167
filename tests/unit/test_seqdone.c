/* test_seqdone.c: the contiguous done prefix of producer seqs. */
#include "kafka/seqdone.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

static void test_seqdone_prefix_waits_for_the_oldest(void **s) {
  mp_seqdone_t d;
  mp_seqdone_init(&d, 10);
  assert_int_equal(mp_seqdone_mark(&d, 5), 0); /* below the start */
  assert_int_equal(d.prefix, 10);
  assert_int_equal(mp_seqdone_mark(&d, 12), 0);
  assert_int_equal(mp_seqdone_mark(&d, 13), 0);
  assert_int_equal(d.prefix, 10); /* 11 still out */
  assert_int_equal(mp_seqdone_mark(&d, 11), 0);
  assert_int_equal(d.prefix, 13);
  assert_int_equal(mp_seqdone_mark(&d, 13), 0); /* twice: no change */
  assert_int_equal(d.prefix, 13);
  mp_seqdone_free(&d);
  assert_int_equal(d.prefix, 13);
}

/* Many seqs, finished in a scrambled order with one straggler far behind:
 * the prefix is exactly the longest finished run after every mark, across
 * growth and compaction. */
static void test_seqdone_scrambled_order_with_straggler(void **s) {
  enum { N = 100000 };
  static unsigned char ref[N + 2];
  int64_t *order = malloc(N * sizeof *order);
  assert_non_null(order);
  for (int64_t i = 0; i < N; i++)
    order[i] = i + 1;
  srand(7);
  for (int64_t i = N - 1; i > 0; i--) {
    int64_t j = rand() % (i + 1);
    int64_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  /* seq 500 comes last */
  for (int64_t i = 0; i < N; i++)
    if (order[i] == 500) {
      order[i] = order[N - 1];
      order[N - 1] = 500;
    }
  mp_seqdone_t d;
  mp_seqdone_init(&d, 0);
  int64_t expect = 0;
  for (int64_t i = 0; i < N; i++) {
    assert_int_equal(mp_seqdone_mark(&d, order[i]), 0);
    ref[order[i]] = 1;
    while (ref[expect + 1])
      expect++;
    assert_int_equal(d.prefix, expect);
  }
  assert_int_equal(d.prefix, N);
  free(order);
  mp_seqdone_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seqdone_prefix_waits_for_the_oldest),
      cmocka_unit_test(test_seqdone_scrambled_order_with_straggler),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
