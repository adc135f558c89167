/* test_share.c: how import divides a job's backlog (the windows) and its
 * database connections (the sinks) among its workers (share.c). */
#include "marcpipe/worker.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A worker's share of the job's backlog: the backlog of the most
 * partitions one member can get, capped by the worker defaults. */
static void test_share_window_follows_the_partitions_one_worker_gets(void **s) {
  (void)s;
  const int64_t mib = 1 << 20;
  uint64_t r, b;
  mp_worker_share_window(20000, 16 * mib, 8, 1, &r, &b); /* all 8 */
  assert_int_equal(r, 20000);
  assert_int_equal(b, 16 * mib);
  mp_worker_share_window(20000, 16 * mib, 8, 2, &r, &b); /* 4 of 8 */
  assert_int_equal(r, 10000);
  assert_int_equal(b, 8 * mib);
  mp_worker_share_window(20000, 16 * mib, 8, 3, &r, &b); /* 3 of 8 */
  assert_int_equal(r, 7500);
  assert_int_equal(b, 6 * mib);
  mp_worker_share_window(20000, 16 * mib, 8, 16, &r, &b); /* 1 of 8 */
  assert_int_equal(r, 2500);
  assert_int_equal(b, 2 * mib);
  mp_worker_share_window(1001, 1001, 4, 3, &r, &b); /* 2 of 4, rounded up */
  assert_int_equal(r, 501);
  assert_int_equal(b, 501);
}

static void test_share_window_never_exceeds_the_worker_defaults(void **s) {
  (void)s;
  mp_worker_config_t d;
  mp_worker_config_defaults(&d);
  uint64_t r, b;
  mp_worker_share_window(INT64_MAX, INT64_MAX, 8, 1, &r, &b); /* no wrap */
  assert_int_equal(r, d.window_records);
  assert_int_equal(b, d.window_bytes);
  mp_worker_share_window(0, 0, 8, 2, &r, &b); /* no backlog bound */
  assert_int_equal(r, d.window_records);
  assert_int_equal(b, d.window_bytes);
  mp_worker_share_window(1000, 1000, 0, 2, &r, &b); /* unknown layout */
  assert_int_equal(r, d.window_records);
  assert_int_equal(b, d.window_bytes);
}

/* The job's connections are shared: ceil(budget / workers), at least 1
 * (a worker needs one), at most the worker default (2). */
static void test_share_sinks_divides_the_budget(void **s) {
  (void)s;
  assert_int_equal(mp_worker_share_sinks(2, 1), 2);
  assert_int_equal(mp_worker_share_sinks(2, 2), 1);
  assert_int_equal(mp_worker_share_sinks(2, 4), 1); /* 4 in all, not 0 */
  assert_int_equal(mp_worker_share_sinks(4, 3), 2); /* rounded up */
  assert_int_equal(mp_worker_share_sinks(3, 4), 1);
  assert_int_equal(mp_worker_share_sinks(16, 1), 2); /* the default caps */
  assert_int_equal(mp_worker_share_sinks(16, 8), 2);
}

static void test_share_sinks_without_a_budget_is_the_default(void **s) {
  (void)s;
  mp_worker_config_t d;
  mp_worker_config_defaults(&d);
  assert_int_equal(mp_worker_share_sinks(0, 4), d.nsinks);
  assert_int_equal(mp_worker_share_sinks(-1, 4), d.nsinks);
  assert_int_equal(mp_worker_share_sinks(8, 0), d.nsinks);
  assert_int_equal(mp_worker_share_sinks(1 << 30, 1), d.nsinks); /* no wrap */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_share_window_follows_the_partitions_one_worker_gets),
      cmocka_unit_test(test_share_window_never_exceeds_the_worker_defaults),
      cmocka_unit_test(test_share_sinks_divides_the_budget),
      cmocka_unit_test(test_share_sinks_without_a_budget_is_the_default),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
