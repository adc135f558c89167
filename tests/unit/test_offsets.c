/* test_offsets.c: the pending-offset tracker behind Kafka commits. */
#include "kafka/offsets.h"
#include "marcpipe/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void poll_range(mp_offsets_t *t, int32_t p, int64_t a, int64_t b) {
  for (int64_t o = a; o <= b; o++)
    assert_int_equal(mp_offsets_polled(t, p, o, NULL, NULL), 0);
}

static void test_offsets_out_of_order_completions_commit_prefix(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t ep = mp_offsets_assign(&t, 3, 100);
  assert_true(ep > 0);
  assert_int_equal(mp_offsets_position(&t, 3), 100);
  poll_range(&t, 3, 100, 399); /* batches A=100..199 B=200..299 C=300..399 */
  assert_int_equal(mp_offsets_pending(&t, 3), 300);
  assert_true(mp_offsets_done(&t, 3, ep, 300, 399)); /* C first */
  assert_int_equal(mp_offsets_position(&t, 3), 100);
  assert_int_equal(mp_offsets_take(&t, 3), -1); /* nothing new */
  assert_true(mp_offsets_done(&t, 3, ep, 100, 199)); /* A */
  assert_int_equal(mp_offsets_take(&t, 3), 200);
  assert_int_equal(mp_offsets_take(&t, 3), -1);
  assert_true(mp_offsets_done(&t, 3, ep, 200, 299)); /* B: all done */
  assert_int_equal(mp_offsets_take(&t, 3), 400);
  assert_int_equal(mp_offsets_pending(&t, 3), 0);
  mp_offsets_release(&t);
}

static void test_offsets_middle_completion_splits_a_range(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t ep = mp_offsets_assign(&t, 0, 0);
  poll_range(&t, 0, 0, 29);
  assert_true(mp_offsets_done(&t, 0, ep, 10, 19));
  assert_int_equal(mp_offsets_pending(&t, 0), 20);
  assert_true(mp_offsets_done(&t, 0, ep, 0, 9));
  assert_int_equal(mp_offsets_position(&t, 0), 20);
  assert_true(mp_offsets_done(&t, 0, ep, 25, 29));
  assert_int_equal(mp_offsets_position(&t, 0), 20);
  assert_true(mp_offsets_done(&t, 0, ep, 20, 24));
  assert_int_equal(mp_offsets_position(&t, 0), 30);
  mp_offsets_release(&t);
}

static void test_offsets_stale_epoch_is_ignored(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t old = mp_offsets_assign(&t, 1, 0);
  poll_range(&t, 1, 0, 49);
  mp_offsets_revoke(&t, 1);
  assert_false(mp_offsets_done(&t, 1, old, 0, 49)); /* not assigned */
  assert_int_equal(mp_offsets_position(&t, 1), -1);
  uint64_t cur = mp_offsets_assign(&t, 1, 20); /* reassigned, replays 20.. */
  assert_true(cur != old);
  poll_range(&t, 1, 20, 49);
  assert_false(mp_offsets_done(&t, 1, old, 20, 49)); /* late, stale */
  assert_int_equal(mp_offsets_position(&t, 1), 20);
  assert_true(mp_offsets_done(&t, 1, cur, 20, 49));
  assert_int_equal(mp_offsets_take(&t, 1), 50);
  mp_offsets_release(&t);
}

static void test_offsets_jump_reports_lost_range(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t ep = mp_offsets_assign(&t, 2, 500);
  int64_t from = 0, to = 0;
  assert_int_equal(mp_offsets_polled(&t, 2, 1234, &from, &to), MP_ELOST);
  assert_int_equal(from, 500);
  assert_int_equal(to, 1233);
  /* a re-fetch of an older offset is refused, not tracked */
  assert_int_equal(mp_offsets_polled(&t, 2, 1000, NULL, NULL),
                   MP_EBACKWARDS);
  assert_int_equal(mp_offsets_pending(&t, 2), 1);
  assert_true(mp_offsets_done(&t, 2, ep, 1234, 1234));
  assert_int_equal(mp_offsets_position(&t, 2), 1235);
  assert_int_equal(mp_offsets_polled(&t, 9, 0, NULL, NULL), MP_ENOTFOUND);
  mp_offsets_release(&t);
}

static void test_offsets_unknown_start_takes_first_polled(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t ep = mp_offsets_assign(&t, 0, -1);
  assert_int_equal(mp_offsets_position(&t, 0), -1);
  assert_int_equal(mp_offsets_take(&t, 0), -1);
  poll_range(&t, 0, 17160, 17170); /* log start moved before we began */
  assert_int_equal(mp_offsets_position(&t, 0), 17160);
  assert_true(mp_offsets_done(&t, 0, ep, 17160, 17170));
  assert_int_equal(mp_offsets_take(&t, 0), 17171);
  mp_offsets_release(&t);
}

static void test_offsets_gaps_in_the_log_never_block(void **s) {
  mp_offsets_t t;
  mp_offsets_init(&t);
  uint64_t ep = mp_offsets_assign(&t, 0, 0);
  poll_range(&t, 0, 0, 4);
  /* offsets 5..6 hold no message (e.g. transaction markers) */
  int64_t from, to;
  assert_int_equal(mp_offsets_polled(&t, 0, 7, &from, &to), MP_ELOST);
  assert_int_equal(from, 5);
  assert_int_equal(to, 6);
  assert_int_equal(mp_offsets_polled(&t, 0, 8, NULL, NULL), 0);
  assert_int_equal(mp_offsets_pending(&t, 0), 7);
  assert_true(mp_offsets_done(&t, 0, ep, 7, 8));
  assert_int_equal(mp_offsets_position(&t, 0), 0);
  assert_true(mp_offsets_done(&t, 0, ep, 0, 8)); /* spanning the gap */
  assert_int_equal(mp_offsets_position(&t, 0), 9);
  mp_offsets_release(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offsets_out_of_order_completions_commit_prefix),
      cmocka_unit_test(test_offsets_middle_completion_splits_a_range),
      cmocka_unit_test(test_offsets_stale_epoch_is_ignored),
      cmocka_unit_test(test_offsets_jump_reports_lost_range),
      cmocka_unit_test(test_offsets_unknown_start_takes_first_polled),
      cmocka_unit_test(test_offsets_gaps_in_the_log_never_block),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
