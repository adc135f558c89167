/* test_pg_schema.c: the tenant name rule and the schema name derived from
 * it (pure: no server). */
#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_tenant_rule(void **s) {
  assert_true(mp_tenant_valid("diku"));
  assert_true(mp_tenant_valid("a"));
  assert_true(mp_tenant_valid("fs09000000_x1"));
  assert_true(mp_tenant_valid("abcdefghijabcdefghijabcdefghija")); /* 31 */
  assert_false(mp_tenant_valid("abcdefghijabcdefghijabcdefghijab")); /* 32 */
  assert_false(mp_tenant_valid(""));
  assert_false(mp_tenant_valid(NULL));
  assert_false(mp_tenant_valid("Diku"));
  assert_false(mp_tenant_valid("1abc"));
  assert_false(mp_tenant_valid("_abc"));
  assert_false(mp_tenant_valid("di-ku"));
  assert_false(mp_tenant_valid("di;drop"));
}

static void test_schema_name_is_tenant_with_suffix(void **s) {
  char buf[64];
  assert_int_equal(mp_pg_schema_name("diku", buf, sizeof buf), 0);
  assert_string_equal(buf, "diku_marcpipe");
  assert_int_equal(mp_pg_schema_name("fs09000000_x1", buf, sizeof buf), 0);
  assert_string_equal(buf, "fs09000000_x1_marcpipe");
  assert_int_equal(mp_pg_schema_name("Diku", buf, sizeof buf), MP_ECONFIG);
  assert_int_equal(mp_pg_schema_name("di;drop", buf, sizeof buf), MP_ECONFIG);
  char small[8]; /* "diku_marcpipe" needs 14 */
  assert_int_equal(mp_pg_schema_name("diku", small, sizeof small), MP_ECONFIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tenant_rule),
      cmocka_unit_test(test_schema_name_is_tenant_with_suffix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
