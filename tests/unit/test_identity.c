/* test_identity.c: where a partition starts given its stored offsets and
 * the log's identity (src/kafka/identity.c). */
#include "kafka/identity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static mp_sink_offset_t stored(int64_t next, int64_t job, int64_t seq,
                               const char *cluster) {
  mp_sink_offset_t o = {.next = next, .last_job = job, .last_seq = seq};
  strcpy(o.cluster_id, cluster);
  return o;
}

static void test_identity_consistent_position_checks_previous_message(void **s) {
  mp_sink_offset_t db = stored(375, 1, 2998, "c1");
  mp_ident_plan_t pl;
  mp__ident_plan(-1, &db, "c1", 0, 900, &pl);
  assert_false(pl.mismatch);
  assert_int_equal(pl.start, 375);
  assert_int_equal(pl.verify_offset, 374);
  assert_int_equal(pl.verify_job, 1);
  assert_int_equal(pl.verify_seq, 2998);
}

static void test_identity_other_cluster_starts_at_log_start(void **s) {
  mp_sink_offset_t db = stored(375, 1, 2998, "c1");
  mp_ident_plan_t pl;
  mp__ident_plan(-1, &db, "c2", 0, 900, &pl);
  assert_true(pl.mismatch);
  assert_int_equal(pl.start, 0);
  assert_int_equal(pl.verify_offset, -1);
  assert_non_null(strstr(pl.why, "cluster c1, this is cluster c2"));
}

static void test_identity_past_the_log_end_starts_at_log_start(void **s) {
  /* the embedded broker restarted: the new log has 200 messages */
  mp_sink_offset_t db = stored(375, 1, 2998, "");
  mp_ident_plan_t pl;
  mp__ident_plan(-1, &db, "c2", 0, 200, &pl);
  assert_true(pl.mismatch);
  assert_int_equal(pl.start, 0);
  assert_non_null(strstr(pl.why, "past the end of the log (offsets 0..199)"));
  /* watermarks unknown: -1 = the log start */
  mp__ident_plan(-1, &db, "", 5, 200, &pl);
  assert_int_equal(pl.start, 5);
  /* Kafka's committed offset past the end is refused the same way */
  mp_sink_offset_t none = stored(-1, 0, 0, "");
  mp__ident_plan(300, &none, "c2", 0, 200, &pl);
  assert_true(pl.mismatch);
  assert_int_equal(pl.start, 0);
}

static void test_identity_refuted_message_starts_at_log_start(void **s) {
  mp_sink_offset_t db = stored(375, 1, 2998, "c1");
  mp_ident_plan_t pl;
  mp__ident_plan(-1, &db, "c1", 0, 900, &pl);
  mp__ident_refute(&pl, 374, 2, 2999, 0);
  assert_true(pl.mismatch);
  assert_int_equal(pl.start, 0);
  assert_int_equal(pl.verify_offset, -1);
  assert_int_equal(pl.refuted_offset, 374);
  assert_string_equal(pl.why, "the message at offset 374 is job 2 seq 2999, the one "
                              "read at offset 374 was job 1 seq 2998");
  mp__ident_refute(&pl, 374, 0, 0, -1);
  assert_int_equal(pl.start, -1);
}

static void test_identity_nothing_to_check(void **s) {
  mp_ident_plan_t pl;
  mp_sink_offset_t none = stored(-1, 0, 0, "");
  mp__ident_plan(-1, &none, "c1", 0, 10, &pl);
  assert_false(pl.mismatch);
  assert_int_equal(pl.start, -1);
  assert_int_equal(pl.verify_offset, -1);
  /* a row from before the identity columns: only the watermarks count */
  mp_sink_offset_t old = stored(5, 0, 0, "");
  mp__ident_plan(-1, &old, "c1", 0, 10, &pl);
  assert_false(pl.mismatch);
  assert_int_equal(pl.start, 5);
  assert_int_equal(pl.verify_offset, -1);
  /* the message before the position left the log: nothing to compare */
  mp_sink_offset_t db = stored(5, 1, 5, "c1");
  mp__ident_plan(-1, &db, "c1", 5, 10, &pl);
  assert_false(pl.mismatch);
  assert_int_equal(pl.verify_offset, -1);
  /* Kafka ahead of the database: its position, no message check */
  mp__ident_plan(8, &db, "c1", 0, 10, &pl);
  assert_int_equal(pl.start, 8);
  assert_int_equal(pl.verify_offset, -1);
  /* position at the log end: consistent */
  mp_sink_offset_t end = stored(10, 1, 10, "c1");
  mp__ident_plan(-1, &end, "c1", 0, 10, &pl);
  assert_false(pl.mismatch);
  assert_int_equal(pl.verify_offset, 9);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_identity_consistent_position_checks_previous_message),
      cmocka_unit_test(test_identity_other_cluster_starts_at_log_start),
      cmocka_unit_test(test_identity_past_the_log_end_starts_at_log_start),
      cmocka_unit_test(test_identity_refuted_message_starts_at_log_start),
      cmocka_unit_test(test_identity_nothing_to_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
