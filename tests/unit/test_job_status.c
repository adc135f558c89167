/* test_job_status.c: the job statuses' name table and groupings (pure: no
 * server). The names are what jobs.status stores (migration 004's check). */
#include "marcpipe/error.h"
#include "marcpipe/job.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static const char *const stored[] = {"NEW",       "PRODUCING",
                                     "IN_PROGRESS", "COMPLETED",
                                     "COMPLETED_WITH_ERRORS", "FAILED",
                                     "CANCELLED"};

static void test_names_round_trip(void **s) {
  (void)s;
  for (size_t i = 0; i < sizeof stored / sizeof *stored; i++) {
    mp_job_status_t st = (mp_job_status_t)99;
    assert_int_equal(mp_job_status_parse(stored[i], &st), 0);
    assert_int_equal((int)st, (int)i);
    assert_string_equal(mp_job_status_name(st), stored[i]);
  }
  mp_job_status_t st = MP_JOB_FAILED;
  assert_int_equal(mp_job_status_parse("STALLED", &st), MP_ENOTFOUND);
  assert_int_equal(mp_job_status_parse("completed", &st), MP_ENOTFOUND);
  assert_int_equal(mp_job_status_parse(NULL, &st), MP_ENOTFOUND);
  assert_int_equal(st, MP_JOB_FAILED); /* untouched */
  assert_string_equal(mp_job_status_name((mp_job_status_t)7), "?");
}

static void test_running_and_final_split_the_statuses(void **s) {
  (void)s;
  int running = 0, final = 0;
  for (int i = MP_JOB_NEW; i <= MP_JOB_CANCELLED; i++) {
    bool r = mp_job_status_running((mp_job_status_t)i);
    bool f = mp_job_status_final((mp_job_status_t)i);
    assert_true(r != f);
    running += r;
    final += f;
  }
  assert_int_equal(running, 3);
  assert_int_equal(final, 4);
  assert_true(mp_job_status_running(MP_JOB_IN_PROGRESS));
  assert_true(mp_job_status_final(MP_JOB_COMPLETED_WITH_ERRORS));
  assert_false(mp_job_status_final(MP_JOB_PRODUCING));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_running_and_final_split_the_statuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
