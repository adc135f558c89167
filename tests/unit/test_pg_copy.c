/* test_pg_copy.c: COPY text-format encoding used by the sink (no database
 * needed): escapes, NULL, bytea hex, UTF-8 validation and repair. */
#include "pg/copy.h"

#include "marcpipe/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_text_escapes_copy_specials(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  const char in[] = "a\\b\tc\nd\re'); DROP TABLE x; --";
  assert_int_equal(mp__copy_text(&b, in, sizeof in - 1), 0);
  assert_string_equal(b.data, "a\\\\b\\tc\\nd\\re'); DROP TABLE x; --");
  mp_buf_clear(&b);
  assert_int_equal(mp__copy_str(&b, NULL), 0);
  assert_int_equal(mp__copy_sep(&b), 0);
  assert_int_equal(mp__copy_int(&b, -42), 0);
  assert_int_equal(mp__copy_end_row(&b), 0);
  assert_string_equal(b.data, "\\N\t-42\n");
  mp_buf_release(&b);
}

static void test_bytea_is_hex_and_keeps_every_byte(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  const unsigned char in[] = {0x00, 0x1d, 0x1e, 0x1f, '\\', 0xff};
  assert_int_equal(mp__copy_bytea(&b, in, sizeof in), 0);
  assert_string_equal(b.data, "\\\\x001d1e1f5cff");
  mp_buf_release(&b);
}

static void test_invalid_utf8_is_replaced_not_passed(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  const char in[] = "caf\xc3\xa9 \xff x\xe2\x82"; /* valid é, bad 0xff, cut 3-byte */
  assert_false(mp_utf8_valid(in, sizeof in - 1));
  assert_true(mp_utf8_valid("caf\xc3\xa9", 5));
  assert_false(mp_utf8_valid("a\0b", 3));
  assert_false(mp_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
  assert_false(mp_utf8_valid("\xc0\xaf", 2));     /* overlong */
  assert_int_equal(mp__copy_text(&b, in, sizeof in - 1), 0);
  assert_string_equal(b.data, "caf\xc3\xa9 \xef\xbf\xbd x\xef\xbf\xbd\xef\xbf\xbd");
  assert_true(mp_utf8_valid(b.data, b.len));
  mp_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_escapes_copy_specials),
      cmocka_unit_test(test_bytea_is_hex_and_keeps_every_byte),
      cmocka_unit_test(test_invalid_utf8_is_replaced_not_passed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
