/* test_pg_copy.c: COPY encoding used by the sink (no database needed):
 * text format's escapes, NULL, bytea hex, UTF-8 validation and repair, the
 * MARC-in-JSON the sink writes COPY-escaped in one pass; binary format's
 * header, lengths, int8, uuid, text and jsonb fields, byte for byte
 * (test_pg_sink_fast has the server read them: same rows as the staged
 * text path). */
#include "pg/copy.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"
#include "marcpipe/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
  unsigned char all[256]; /* every byte value, against printf */
  char want[3 + 512 + 1] = "\\\\x";
  for (int i = 0; i < 256; i++) {
    all[i] = (unsigned char)(255 - i);
    snprintf(want + 3 + 2 * i, 3, "%02x", 255 - i);
  }
  mp_buf_clear(&b);
  assert_int_equal(mp__copy_bytea(&b, all, 256), 0);
  assert_string_equal(b.data, want);
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

/* What COPY text gets for one byte string, a byte at a time (the encoder
 * skips 8 plain bytes at once: every position of a word is checked). */
static void reference(mp_buf_t *b, const unsigned char *u, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t k = u[i] >= 0x80 ? mp_utf8_seq(u + i, n - i) : 1;
    if (u[i] >= 0x80 && k) {
      mp_buf_append(b, u + i, k);
      i += k;
      continue;
    }
    const char *e = u[i] == '\\' ? "\\\\" : u[i] == '\n' ? "\\n"
                  : u[i] == '\r' ? "\\r" : u[i] == '\t' ? "\\t"
                  : (u[i] == 0 || u[i] >= 0x80) ? "\xEF\xBF\xBD" : NULL;
    if (e)
      mp_buf_puts(b, e);
    else
      mp_buf_append(b, u + i, 1);
    i++;
  }
}

static void test_text_every_position_of_a_word(void **s) {
  static const char *const specials[] = {"\\", "\n", "\r", "\t", "\x01", "\x1f",
                                         "\xc3\xa9", "\xff", "\xe2\x82", " ", "\x7f"};
  mp_buf_t got, want;
  mp_buf_init(&got);
  mp_buf_init(&want);
  int checked = 0;
  for (size_t sp = 0; sp < sizeof specials / sizeof *specials; sp++)
    for (size_t pos = 0; pos < 20; pos++)
      for (size_t len = pos; len < 26; len++) {
        unsigned char in[40];
        memset(in, 'a', sizeof in);
        size_t sl = strlen(specials[sp]);
        memcpy(in + pos, specials[sp], sl);
        mp_buf_clear(&got);
        mp_buf_clear(&want);
        assert_int_equal(mp__copy_text(&got, (const char *)in, len + sl), 0);
        reference(&want, in, len + sl);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, got.len);
        checked++;
      }
  unsigned char nul[17] = "0123456789abcdef";
  nul[9] = 0;
  mp_buf_clear(&got);
  assert_int_equal(mp__copy_text(&got, (const char *)nul, 16), 0);
  assert_string_equal(got.data, "012345678\xEF\xBF\xBD" "abcdef");
  assert_int_equal(checked, 11 * (20 * 26 - 190));
  mp_buf_clear(&got);
  const int64_t ints[] = {0, 7, -1, 1000000007, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(mp__copy_int(&got, ints[i]), 0);
  assert_string_equal(got.data, "07-11000000007" "9223372036854775807"
                                "-9223372036854775808");
  mp_buf_release(&got);
  mp_buf_release(&want);
}

/* A JSON string's inside for bytes, a byte at a time (the writer skips 8
 * plain bytes at once): '"', '\\' and controls escaped, NUL and bytes
 * that are not UTF-8 as U+FFFD. */
static void json_reference(mp_buf_t *b, const unsigned char *u, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t k = u[i] >= 0x80 ? mp_utf8_seq(u + i, n - i) : 1;
    if (u[i] >= 0x80 && k) {
      mp_buf_append(b, u + i, k);
      i += k;
      continue;
    }
    if (u[i] == '"' || u[i] == '\\')
      mp_buf_printf(b, "\\%c", u[i]);
    else if (u[i] == '\n' || u[i] == '\r' || u[i] == '\t')
      mp_buf_printf(b, "\\%c", u[i] == '\n' ? 'n' : u[i] == '\r' ? 'r' : 't');
    else if (u[i] == 0 || u[i] >= 0x80)
      mp_buf_puts(b, "\xEF\xBF\xBD");
    else if (u[i] < 0x20)
      mp_buf_printf(b, "\\u%04x", u[i]);
    else
      mp_buf_append(b, u + i, 1);
    i++;
  }
}

/* mp_marc_write_json_copy = the byte-at-a-time COPY reference applied to
 * mp_marc_write_json's text, with each special byte at every position of
 * a word in each place a record's bytes go (leader, tag, control data,
 * indicator, subfield code and data); the text is jsonb-safe: valid
 * UTF-8, and no \u0000 escape (an odd run of backslashes before u0000). */
static void test_json_copy_is_json_copy_escaped(void **s) {
  static const char *const specials[] = {"\\", "\"", "\n", "\r", "\t", "\x01",
                                         "\x1f", "\xc3\xa9", "\xff", "\xe2\x82",
                                         "\\u0000", "/", "\x7f", ""};
  static const size_t slen[] = {1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 6, 1, 1, 1}; /* "": NUL */
  mp_buf_t json, got, want;
  mp_buf_init(&json);
  mp_buf_init(&got);
  mp_buf_init(&want);
  int checked = 0;
  for (size_t sp = 0; sp < sizeof specials / sizeof *specials; sp++)
    for (size_t pos = 0; pos < 18; pos++) {
      char data[40];
      memset(data, 'a', sizeof data);
      memcpy(data + pos, specials[sp], slen[sp]);
      mp_record_t r;
      mp_record_init(&r);
      memcpy(r.leader, "00000nam a2200000 a 4500", 24);
      memcpy(r.leader + pos % 20, specials[sp], slen[sp] < 4 ? slen[sp] : 4);
      assert_non_null(mp_record_add_control(&r, "001", data, pos + slen[sp] + 3, false));
      char tag[4] = "2x5";
      tag[1] = specials[sp][0];
      assert_non_null(mp_record_add_datafield(&r, tag, specials[sp][0], '0'));
      assert_non_null(mp_record_add_subfield(&r, specials[sp][0], data, 20, false));
      assert_non_null(mp_record_add_subfield(&r, 'b', data + 1, pos + 9, false));
      mp_buf_clear(&json);
      mp_buf_clear(&got);
      mp_buf_clear(&want);
      assert_int_equal(mp_marc_write_json(&r, &json), 0);
      assert_int_equal(mp_marc_write_json_copy(&r, &got), 0);
      reference(&want, (const unsigned char *)json.data, json.len);
      assert_int_equal(got.len, want.len);
      assert_memory_equal(got.data, want.data, got.len);
      assert_true(mp_utf8_valid(json.data, json.len));
      mp_buf_clear(&want); /* the control field, escaped a byte at a time */
      mp_buf_puts(&want, "{\"001\":\"");
      json_reference(&want, (const unsigned char *)data, pos + slen[sp] + 3);
      mp_buf_puts(&want, "\"}");
      assert_non_null(strstr(json.data, want.data));
      for (const char *u = json.data; (u = strstr(u, "u0000")); u++) {
        size_t bs = 0;
        while (u - bs > json.data && u[-1 - (ptrdiff_t)bs] == '\\')
          bs++;
        assert_int_equal(bs % 2, 0);
      }
      mp_record_release(&r);
      checked++;
    }
  assert_int_equal(checked, 14 * 18);
  mp_buf_release(&json);
  mp_buf_release(&got);
  mp_buf_release(&want);
  (void)s;
}

static void test_binary_stream_bytes(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp__copyb_header(&b), 0);
  assert_int_equal(b.len, 19);
  assert_memory_equal(b.data, "PGCOPY\n\377\r\n\0", 11);
  for (size_t i = 11; i < 19; i++) /* flags, header extension length */
    assert_int_equal(b.data[i], 0);
  mp_buf_clear(&b);
  assert_int_equal(mp__copyb_row(&b, 7), 0);
  assert_int_equal(mp__copyb_null(&b), 0);
  assert_int_equal(mp__copyb_int8(&b, -2), 0);
  assert_int_equal(mp__copyb_int8(&b, 0x0102030405060708), 0);
  assert_int_equal(mp__copyb_trailer(&b), 0);
  const unsigned char want[] = {0, 7, 0xff, 0xff, 0xff, 0xff,
                                0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff};
  assert_int_equal(b.len, sizeof want);
  assert_memory_equal(b.data, want, sizeof want);
  mp_buf_release(&b);
  (void)s;
}

static void test_binary_uuid_from_text(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp__copyb_uuid(&b, "0123abcd-EF01-2345-6789-abcdef012345"), 0);
  const unsigned char want[] = {0, 0, 0, 16, 0x01, 0x23, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45,
                                0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45};
  assert_int_equal(b.len, sizeof want);
  assert_memory_equal(b.data, want, sizeof want);
  const char *bad[] = {"0123abcd-ef01-2345-6789-abcdef01234",   /* short */
                       "0123abcd-ef01-2345-6789-abcdef0123456", /* long */
                       "0123abcdxef01-2345-6789-abcdef012345",  /* no dash */
                       "0123abcd-ef01-2345-6789-abcdef01234g",  /* not hex */
                       ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(mp__copyb_uuid(&b, bad[i]), MP_EUSAGE);
  assert_int_equal(b.len, sizeof want); /* nothing appended on error */
  mp_buf_release(&b);
  (void)s;
}

/* Text goes unescaped (tab, backslash, newline as they are) but repaired. */
static void test_binary_text_is_raw_but_valid_utf8(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  const char in[] = "a\\b\tc\n\0caf\xc3\xa9 \xff!";
  assert_int_equal(mp__copyb_text(&b, in, sizeof in - 1), 0);
  const char want[] = "a\\b\tc\n\xef\xbf\xbd" "caf\xc3\xa9 \xef\xbf\xbd!";
  size_t n = sizeof want - 1;
  assert_int_equal(b.len, 4 + n);
  assert_int_equal((unsigned char)b.data[3], n);
  assert_memory_equal(b.data, "\0\0\0", 3);
  assert_memory_equal(b.data + 4, want, n);
  mp_buf_clear(&b);
  assert_int_equal(mp__copyb_str(&b, NULL), 0);
  assert_memory_equal(b.data, "\377\377\377\377", 4);
  mp_buf_clear(&b);
  assert_int_equal(mp__copyb_bytes(&b, "\0\xff", 2), 0); /* bytea: every byte */
  assert_memory_equal(b.data, "\0\0\0\2\0\xff", 6);
  mp_buf_release(&b);
  (void)s;
}

/* A field written in place: its length is what was appended after open. */
static void test_binary_jsonb_field_in_place(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  size_t at;
  assert_int_equal(mp_buf_append(&b, "xy", 2), 0);
  assert_int_equal(mp__copyb_jsonb_open(&b, &at), 0);
  assert_int_equal(at, 2);
  char big[70000]; /* a length over 16 bits */
  memset(big, 'a', sizeof big);
  big[0] = '"', big[sizeof big - 1] = '"';
  assert_int_equal(mp_buf_append(&b, big, sizeof big), 0);
  assert_int_equal(mp__copyb_close(&b, at), 0);
  const unsigned char head[] = {'x', 'y', 0, 1, 0x11, 0x71, 1}; /* 70001 = 0x11171 */
  assert_memory_equal(b.data, head, sizeof head);
  assert_int_equal(b.len, 2 + 4 + 1 + sizeof big);
  assert_int_equal(mp__copyb_close(&b, b.len), MP_EUSAGE); /* no room for a length */
  mp_buf_release(&b);
  (void)s;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_escapes_copy_specials),
      cmocka_unit_test(test_bytea_is_hex_and_keeps_every_byte),
      cmocka_unit_test(test_invalid_utf8_is_replaced_not_passed),
      cmocka_unit_test(test_text_every_position_of_a_word),
      cmocka_unit_test(test_json_copy_is_json_copy_escaped),
      cmocka_unit_test(test_binary_stream_bytes),
      cmocka_unit_test(test_binary_uuid_from_text),
      cmocka_unit_test(test_binary_text_is_raw_but_valid_utf8),
      cmocka_unit_test(test_binary_jsonb_field_in_place),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
