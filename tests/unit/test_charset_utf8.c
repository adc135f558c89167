/* test_charset_utf8.c: the whole-buffer UTF-8 validator the charset step
 * uses (mp_utf8_valid_prefix: ASCII 16 bytes a step, multibyte runs
 * inline) against the definition, stepping with mp_utf8_seq over
 * mp_utf8_ascii_prefix runs (the loop the charset step used before):
 *  - named cases with their exact answers: overlong forms, surrogates,
 *    code points above U+10FFFF, lone continuation bytes, sequences cut by
 *    the end of the buffer;
 *  - every lead byte with every second byte, followed by continuation or
 *    ASCII bytes, at every distance from the buffer's end and behind ASCII
 *    runs of every length across the 8- and 16-byte steps;
 *  - random buffers mostly made of valid text.
 * Each buffer is a heap block of exactly its length, so a read past the
 * end shows under the sanitizers.
 */
#include "marcpipe/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The definition: valid prefix length and whether it holds a multibyte
 * sequence, one mp_utf8_seq call per sequence. */
static size_t ref_prefix(const char *s, size_t n, bool *multi) {
  const unsigned char *p = (const unsigned char *)s;
  *multi = false;
  size_t i = mp_utf8_ascii_prefix(s, n);
  while (i < n) {
    size_t k = mp_utf8_seq(p + i, n - i);
    if (!k)
      return i;
    *multi = true;
    i += k;
    i += mp_utf8_ascii_prefix(s + i, n - i);
  }
  return i;
}

/* Both on a heap copy of exactly n bytes; returns the prefix length. */
static size_t check(const char *s, size_t n) {
  char *b = malloc(n ? n : 1);
  assert_non_null(b);
  memcpy(b, s, n);
  bool rm = false, fm = true;
  size_t want = ref_prefix(b, n, &rm);
  size_t got = mp_utf8_valid_prefix(b, n, &fm);
  assert_int_equal(got, want);
  if (got == n)
    assert_int_equal(fm, rm);
  assert_int_equal(mp_utf8_valid_prefix(b, n, NULL), want);
  assert_int_equal(mp_utf8_valid(b, n), want == n && !memchr(b, 0, n));
  free(b);
  return got;
}

static size_t check_str(const char *s) { return check(s, strlen(s)); }

static void test_named_cases(void **s) {
  (void)s;
  assert_int_equal(check("", 0), 0);
  assert_int_equal(check_str("plain ascii"), 11);
  assert_int_equal(check_str("caf\xC3\xA9"), 5);                 /* U+00E9 */
  assert_int_equal(check_str("\xE2\x82\xAC euro"), 8);            /* U+20AC */
  assert_int_equal(check_str("\xF0\x9F\x98\x80"), 4);            /* U+1F600 */
  assert_int_equal(check_str("\xF4\x8F\xBF\xBF"), 4);            /* U+10FFFF */
  assert_int_equal(check_str("\xEF\xBF\xBD"), 3);                /* U+FFFD */
  /* overlong forms */
  assert_int_equal(check_str("a\xC0\x80"), 1);
  assert_int_equal(check_str("ab\xC1\xBF"), 2);
  assert_int_equal(check_str("\xE0\x80\x80"), 0);
  assert_int_equal(check_str("\xE0\x9F\xBF"), 0);
  assert_int_equal(check_str("x\xE0\xA0\x80"), 4);               /* U+0800 */
  assert_int_equal(check_str("\xF0\x80\x80\x80"), 0);
  assert_int_equal(check_str("\xF0\x8F\xBF\xBF"), 0);
  assert_int_equal(check_str("\xF0\x90\x80\x80"), 4);            /* U+10000 */
  /* surrogates U+D800..U+DFFF */
  assert_int_equal(check_str("\xED\x9F\xBF"), 3);                /* U+D7FF */
  assert_int_equal(check_str("\xED\xA0\x80"), 0);
  assert_int_equal(check_str("ok\xED\xBF\xBF"), 2);
  assert_int_equal(check_str("\xEE\x80\x80"), 3);                /* U+E000 */
  /* above U+10FFFF */
  assert_int_equal(check_str("\xF4\x90\x80\x80"), 0);
  assert_int_equal(check_str("\xF5\x80\x80\x80"), 0);
  assert_int_equal(check_str("\xF7\xBF\xBF\xBF"), 0);
  assert_int_equal(check_str("\xF8\x88\x80\x80\x80"), 0);
  assert_int_equal(check_str("\xFF"), 0);
  /* lone continuation bytes and leads without them */
  assert_int_equal(check_str("\x80"), 0);
  assert_int_equal(check_str("abc\xBF"), 3);
  assert_int_equal(check_str("\xC3\xA9\xA9"), 2);
  assert_int_equal(check_str("\xC3" "a"), 0);
  assert_int_equal(check_str("\xE2\x82" "a"), 0);
  assert_int_equal(check_str("\xF0\x9F\x98" "a"), 0);
  /* cut by the end of the buffer */
  assert_int_equal(check_str("abc\xC3"), 3);
  assert_int_equal(check_str("abc\xE2\x82"), 3);
  assert_int_equal(check_str("abc\xF0\x9F\x98"), 3);
  assert_int_equal(check_str("0123456789abcdef\xE2"), 16);
  /* an error after 16-byte and 8-byte steps and a valid run before it */
  assert_int_equal(check_str("0123456789abcdef01234567\xC3\xA9\xC3\xA9z\xFE"),
                   29);
  /* NUL is a valid sequence but not a valid PostgreSQL string */
  assert_int_equal(check("a\0b", 3), 3);
  assert_false(mp_utf8_valid("a\0b", 3));
}

/* Every (lead, second) pair, then tail bytes t (continuation or ASCII),
 * cut at every length, behind `pad` ASCII bytes. */
static void test_every_lead_and_second_byte(void **s) {
  (void)s;
  char buf[64];
  size_t invalid = 0, total = 0;
  static const unsigned char tails[] = {0x80, 0xBF, 'a', 0xC3};
  for (size_t pad = 0; pad <= 33; pad += (pad < 18 ? 1 : 15)) {
    memset(buf, 'x', pad);
    for (unsigned lead = 0x80; lead <= 0xFF; lead++)
      for (unsigned second = 0; second <= 0xFF; second++)
        for (size_t t = 0; t < sizeof tails; t++) {
          size_t n = pad;
          buf[n++] = (char)lead;
          buf[n++] = (char)second;
          buf[n++] = (char)tails[t];
          buf[n++] = (char)tails[t];
          buf[n++] = 'z';
          for (size_t cut = pad + 1; cut <= n; cut++) {
            invalid += check(buf, cut) != cut;
            total++;
          }
        }
  }
  /* sanity: both outcomes were exercised in quantity */
  assert_true(invalid > total / 4);
  assert_true(invalid < total);
}

static void test_random_text(void **s) {
  (void)s;
  static const char *pieces[] = {"a", "Zz ", "\xC3\xA9", "\xD0\x96",
                                 "\xE2\x82\xAC", "\xE4\xB8\xAD",
                                 "\xF0\x9F\x98\x80", "0123456789abcdefgh",
                                 "\037a" /* a delimiter, then a */, "\xED\x9F\xBF"};
  char buf[300];
  srand(11);
  size_t bad = 0;
  for (int k = 0; k < 200000; k++) {
    size_t n = 0, want = (size_t)(rand() % 280);
    while (n < want) {
      const char *p = pieces[rand() % 10];
      size_t l = strlen(p);
      memcpy(buf + n, p, l);
      n += l;
    }
    if (rand() % 2 && n) /* one random byte somewhere */
      buf[rand() % n] = (char)(rand() % 256);
    if (rand() % 4 == 0 && n) /* or cut anywhere */
      n = (size_t)(rand() % (int)n);
    bad += check(buf, n) != n;
  }
  assert_true(bad > 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_named_cases),
      cmocka_unit_test(test_every_lead_and_second_byte),
      cmocka_unit_test(test_random_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
