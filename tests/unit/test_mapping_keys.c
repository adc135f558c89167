/* test_mapping_keys.c: match keys (schemas/mapping/MATCH-KEYS.md). */
#include "mapping_fixture.h"

#include "mapping/mapping_impl.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

static void test_primary_from_003_and_001(void **s) {
  mp_record_t r;
  mp_match_keys_t k;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_control(&r, "001", " u1234 ");
  mp_match_keys(&r, NULL, 0, &k);
  assert_string_equal(k.primary, "u1234");
  assert_string_equal(k.control, "u1234");
  fx_control(&r, "003", "ViU");
  mp_match_keys(&r, NULL, 0, &k);
  assert_string_equal(k.primary, "ViU:u1234");
  assert_string_equal(k.control, "ViU:u1234");
  mp_record_release(&r);
}

static void test_sha1_known_vectors(void **s) {
  mp__sha1_t h;
  uint8_t out[20];
  char hex[41];
  const char *msgs[] = {"", "abc",
                        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
  const char *want[] = {"da39a3ee5e6b4b0d3255bfef95601890afd80709",
                        "a9993e364706816aba3e25717850c26c9cd0d89d",
                        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"};
  for (int i = 0; i < 3; i++) {
    mp__sha1_init(&h);
    mp__sha1_update(&h, msgs[i], strlen(msgs[i]));
    mp__sha1_final(&h, out);
    for (int j = 0; j < 20; j++)
      snprintf(hex + 2 * j, 3, "%02x", out[j]);
    assert_string_equal(hex, want[i]);
  }
  /* a million 'a' fed in uneven pieces */
  static char chunk[997];
  memset(chunk, 'a', sizeof chunk);
  mp__sha1_init(&h);
  size_t left = 1000000;
  while (left) {
    size_t n = left < sizeof chunk ? left : sizeof chunk;
    mp__sha1_update(&h, chunk, n);
    left -= n;
  }
  mp__sha1_final(&h, out);
  for (int j = 0; j < 20; j++)
    snprintf(hex + 2 * j, 3, "%02x", out[j]);
  assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_primary_falls_back_to_sha1_of_raw_bytes(void **s) {
  mp_record_t r;
  mp_match_keys_t k, k2;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_data(&r, "245", '0', '0', "a", "No control number", NULL);
  mp_match_keys(&r, "abc", 3, &k);
  assert_string_equal(k.primary, "sha1:a9993e364706816aba3e25717850c26c9cd0d89d");
  assert_string_equal(k.control, "");
  /* without raw bytes: the fields are hashed, stable and different per content */
  mp_match_keys(&r, NULL, 0, &k);
  mp_match_keys(&r, NULL, 0, &k2);
  assert_string_equal(k.primary, k2.primary);
  assert_int_equal(strlen(k.primary), 45);
  fx_data(&r, "500", ' ', ' ', "a", "more", NULL);
  mp_match_keys(&r, NULL, 0, &k2);
  assert_string_not_equal(k.primary, k2.primary);
  mp_record_release(&r);
}

static void test_oclc_numbers_normalised_and_deduplicated(void **s) {
  mp_record_t r;
  mp_match_keys_t k;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)ocm00012345", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)12345", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)ocn987654321", "z", "(OCoLC)1", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)on1234567890", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(DLC)12345", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)abc", NULL);
  mp_match_keys(&r, NULL, 0, &k);
  assert_int_equal(k.noclc, 3);
  assert_string_equal(k.oclc[0], "12345");
  assert_string_equal(k.oclc[1], "987654321");
  assert_string_equal(k.oclc[2], "1234567890");
  mp_record_release(&r);
}

static void test_isbn13_from_isbn10_and_issn(void **s) {
  mp_record_t r;
  mp_match_keys_t k;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_data(&r, "020", ' ', ' ', "a", "0-306-40615-2 (pbk.)", NULL);
  fx_data(&r, "020", ' ', ' ', "a", "9780306406157", NULL); /* same book */
  fx_data(&r, "020", ' ', ' ', "a", "080442957X", NULL);
  fx_data(&r, "020", ' ', ' ', "a", "978-1-4028-9462-6 :", "z", "0000000000", NULL);
  fx_data(&r, "020", ' ', ' ', "a", "12345", NULL);
  fx_data(&r, "022", ' ', ' ', "a", "0028-0836", NULL);
  fx_data(&r, "022", ' ', ' ', "a", "1234-567x", NULL);
  fx_data(&r, "022", ' ', ' ', "a", "12-34", NULL);
  mp_match_keys(&r, NULL, 0, &k);
  assert_int_equal(k.nisbn, 3);
  assert_string_equal(k.isbn[0], "9780306406157");
  assert_string_equal(k.isbn[1], "9780804429573");
  assert_string_equal(k.isbn[2], "9781402894626");
  assert_int_equal(k.nissn, 2);
  assert_string_equal(k.issn[0], "0028-0836");
  assert_string_equal(k.issn[1], "1234-567X");
  mp_record_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_primary_from_003_and_001),
      cmocka_unit_test(test_sha1_known_vectors),
      cmocka_unit_test(test_primary_falls_back_to_sha1_of_raw_bytes),
      cmocka_unit_test(test_oclc_numbers_normalised_and_deduplicated),
      cmocka_unit_test(test_isbn13_from_isbn10_and_issn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
