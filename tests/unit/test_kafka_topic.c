/* test_kafka_topic.c: topic names. */
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_topic_name_joins_four_parts(void **s) {
  char t[256];
  assert_int_equal(mp_topic_name(t, sizeof t, MP_DEFAULT_ENV,
                                 MP_DEFAULT_NAMESPACE, "diku", MP_EVENT_RECORD),
                   0);
  assert_string_equal(t, "marcpipe.Default.diku.DI_INCOMING_MARC_BIB_RECORD");
}

static void test_topic_name_rejects_bad_parts(void **s) {
  char t[256];
  assert_int_equal(mp_topic_name(t, sizeof t, "", "Default", "diku", "E"),
                   MP_ECONFIG);
  assert_int_equal(mp_topic_name(t, sizeof t, "a.b", "Default", "diku", "E"),
                   MP_ECONFIG);
  assert_int_equal(mp_topic_name(t, sizeof t, "env", "De fault", "diku", "E"),
                   MP_ECONFIG);
  assert_int_equal(mp_topic_name(t, sizeof t, "env", "ns", NULL, "E"),
                   MP_ECONFIG);
  assert_int_equal(mp_topic_name(t, sizeof t, "env", "ns", "t", "Ä"),
                   MP_ECONFIG);
  assert_string_equal(t, "");
}

static void test_topic_name_too_long_or_small_buffer(void **s) {
  char big[300], t[512], small[8];
  memset(big, 'x', 250);
  big[250] = '\0';
  assert_int_equal(mp_topic_name(t, sizeof t, big, "ns", "t", "E"),
                   MP_ECONFIG);
  assert_int_equal(mp_topic_name(small, sizeof small, "env", "ns", "t", "E"),
                   MP_ECONFIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_topic_name_joins_four_parts),
      cmocka_unit_test(test_topic_name_rejects_bad_parts),
      cmocka_unit_test(test_topic_name_too_long_or_small_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
