/* test_window.c: the worker window's high/low water accounting. */
#include "kafka/window.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_window_pauses_at_high_and_resumes_at_low(void **s) {
  mp_window_t w;
  mp_window_init(&w, 10, 0, 50);
  for (int i = 0; i < 9; i++)
    assert_int_equal(mp_window_add(&w, 100), MP_WINDOW_NONE);
  assert_int_equal(mp_window_add(&w, 100), MP_WINDOW_PAUSE);
  assert_true(w.paused);
  /* hysteresis: releasing down to 6 does not resume, 5 does */
  assert_int_equal(mp_window_release(&w, 4, 400), MP_WINDOW_NONE);
  assert_true(w.paused);
  assert_int_equal(mp_window_release(&w, 1, 100), MP_WINDOW_RESUME);
  assert_false(w.paused);
  assert_int_equal(w.records, 5);
  assert_int_equal(w.bytes, 500);
  assert_int_equal(w.peak_records, 10);
  assert_int_equal(w.peak_bytes, 1000);
  assert_int_equal(w.pauses, 1);
  assert_int_equal(w.resumes, 1);
  /* no second resume without a new pause */
  assert_int_equal(mp_window_release(&w, 5, 500), MP_WINDOW_NONE);
  assert_int_equal(w.resumes, 1);
}

static void test_window_bytes_bound_pauses_before_records(void **s) {
  mp_window_t w;
  mp_window_init(&w, 1000, 4096, 50);
  assert_int_equal(mp_window_add(&w, 1500), MP_WINDOW_NONE);
  assert_int_equal(mp_window_add(&w, 1500), MP_WINDOW_NONE);
  assert_int_equal(mp_window_add(&w, 1500), MP_WINDOW_PAUSE);
  assert_int_equal(w.records, 3);
  assert_int_equal(w.low_bytes, 2048);
  /* records are far below low water, bytes are not: stay paused */
  assert_int_equal(mp_window_release(&w, 1, 1500), MP_WINDOW_NONE);
  assert_int_equal(w.bytes, 3000);
  assert_int_equal(mp_window_release(&w, 1, 1500), MP_WINDOW_RESUME);
  assert_int_equal(w.bytes, 1500);
}

static void test_window_records_bound_waits_for_both_dimensions(void **s) {
  mp_window_t w;
  mp_window_init(&w, 4, 1 << 20, 25);
  for (int i = 0; i < 3; i++)
    assert_int_equal(mp_window_add(&w, 10), MP_WINDOW_NONE);
  assert_int_equal(mp_window_add(&w, 10), MP_WINDOW_PAUSE);
  /* a message polled while paused is counted, never a second pause */
  assert_int_equal(mp_window_add(&w, 10), MP_WINDOW_NONE);
  assert_int_equal(w.peak_records, 5);
  assert_int_equal(w.pauses, 1);
  assert_int_equal(mp_window_release(&w, 3, 30), MP_WINDOW_NONE); /* 2 > 1 */
  assert_int_equal(mp_window_release(&w, 1, 10), MP_WINDOW_RESUME);
}

static void test_window_unbounded_never_pauses(void **s) {
  mp_window_t w;
  mp_window_init(&w, 0, 0, 50);
  assert_true(mp_window_unbounded(&w));
  for (int i = 0; i < 100000; i++)
    assert_int_equal(mp_window_add(&w, 2000), MP_WINDOW_NONE);
  assert_false(w.paused);
  assert_int_equal(w.peak_records, 100000);
  assert_int_equal(w.peak_bytes, 200000000);
  assert_int_equal(mp_window_release(&w, 100000, 200000000), MP_WINDOW_NONE);
  assert_int_equal(w.records, 0);
  assert_int_equal(w.pauses + w.resumes, 0);
}

static void test_window_release_clamps_at_zero(void **s) {
  mp_window_t w;
  mp_window_init(&w, 2, 0, 0);
  mp_window_add(&w, 5);
  assert_int_equal(mp_window_add(&w, 5), MP_WINDOW_PAUSE);
  assert_int_equal(mp_window_release(&w, 1, 5), MP_WINDOW_NONE); /* low 0 */
  assert_int_equal(mp_window_release(&w, 7, 70), MP_WINDOW_RESUME);
  assert_int_equal(w.records, 0);
  assert_int_equal(w.bytes, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_pauses_at_high_and_resumes_at_low),
      cmocka_unit_test(test_window_bytes_bound_pauses_before_records),
      cmocka_unit_test(test_window_records_bound_waits_for_both_dimensions),
      cmocka_unit_test(test_window_unbounded_never_pauses),
      cmocka_unit_test(test_window_release_clamps_at_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
