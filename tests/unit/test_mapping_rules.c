/* test_mapping_rules.c: the rules loader accepts the default rules and
 * rejects malformed files with the file, the tag, the rule and the reason;
 * small custom rules check each rule option in isolation. */
#include "mapping_fixture.h"

#include "marcpipe/error.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

static char ref[1024];

static int setup(void **s) {
  snprintf(ref, sizeof ref, "%s", tu_schema("mapping/reference-data.json"));
  return 0;
}

/* Write text to a temporary file; returns its path (static buffer). */
static const char *tmp_rules(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/mp-rules-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* Load text as rules; expect failure with a message containing want. */
static void expect_bad(const char *text, const char *want) {
  char err[512] = "";
  const char *path = tmp_rules(text);
  mp_mapping_t *m = mp_mapping_load(path, ref, err, sizeof err);
  if (m || !strstr(err, want) || !strstr(err, path))
    fail_msg("want error with \"%s\", got \"%s\"", want, err);
  unlink(path);
}

static mp_mapping_t *load_text(const char *text) {
  char err[512] = "";
  const char *path = tmp_rules(text);
  mp_mapping_t *m = mp_mapping_load(path, ref, err, sizeof err);
  if (!m)
    fail_msg("load failed: %s", err);
  unlink(path);
  return m;
}

static void test_default_rules_load(void **s) {
  mp_mapping_t *m = fx_default_mapping();
  assert_non_null(m);
  mp_mapping_free(m);
}

static void test_bad_rules_name_file_tag_and_reason(void **s) {
  expect_bad("{\"245\": [ {\"target\": \"title\", }", "not JSON: line 1 column");
  expect_bad("{\"245\": [{\"target\": \"title\", \"subfields\": \"a\","
             " \"functions\": [\"nope\"]}]}",
             "tag 245 rule 1: unknown function \"nope\"");
  expect_bad("{\"100\": [{\"target\": \"title\", \"subfields\": \"a\"},"
             " {\"subfields\": \"a\"}]}",
             "tag 100 rule 2: target missing");
  expect_bad("{\"245\": [{\"target\": \"titel\", \"subfields\": \"a\"}]}",
             "tag 245 rule 1: unknown target \"titel\"");
  expect_bad("{\"246\": [{\"target\": \"title\", \"subfields\": \"a\","
             " \"indicators\": {\"ind1\": \"\"}}]}",
             "tag 246 rule 1: bad indicator filter for ind1");
  expect_bad("{\"246\": [{\"target\": \"title\", \"subfields\": \"a\","
             " \"indicators\": {\"ind2\": 1}}]}",
             "tag 246 rule 1: bad indicator filter for ind2");
  expect_bad("{\"24x\": []}", "tag 24x: not a tag");
  expect_bad("{\"245\": [{\"target\": \"title\"}]}",
             "tag 245 rule 1: data field rule needs \"subfields\" or \"value\"");
  expect_bad("{\"245\": [{\"target\": \"title\", \"subfield\": \"a\"}]}",
             "tag 245 rule 1: unknown key \"subfield\"");
  expect_bad("{\"008\": [{\"target\": \"languages\", \"functions\":"
             " [{\"name\": \"char_select\", \"params\": {\"from\": 38, \"to\": 35}}]}]}",
             "tag 008 rule 1: char_select needs integer \"from\" < \"to\"");
  expect_bad("{\"020\": [{\"target\": \"identifiers\", \"subfields\": \"a\"}]}",
             "needs a member");
  expect_bad("{\"856\": [{\"entity\": [{\"target\": \"electronicAccess.uri\","
             " \"subfields\": \"u\"}], \"functions\": [\"trim\"]}]}",
             "\"functions\" belongs in the entity's members");
  expect_bad("{\"020\": [{\"entity\": [{\"target\": \"identifiers.value\","
             " \"subfields\": \"a\"}, {\"target\": \"notes.note\", \"subfields\": \"a\"}]}]}",
             "entity members target both \"identifiers\" and \"notes\"");
  expect_bad("{\"020\": [{\"target\": \"identifiers.value\", \"subfields\": \"a\"}]}",
             "tag 020 rule 1: no member gives identifiers.identifierTypeId, "
             "which every identifiers object needs");
  expect_bad("{\"245\": [{\"target\": \"title\", \"subfields\": \"a\", \"linked\": [\"100\"]}]}",
             "\"linked\" applies to 880 rules only");
  expect_bad("{\"041\": [{\"target\": \"languages\", \"subfields\": \"a\", \"split_every\": 0}]}",
             "\"split_every\" must be a positive integer");
  expect_bad("{\"245\": [{\"target\": \"title\", \"subfields\": \"a\","
             " \"functions\": [{\"name\": \"set_note_type_id\", \"params\": {\"table\": \"nope\"}}]}]}",
             "no reference table \"nope\"");
}

static void test_bad_reference_data_is_reported(void **s) {
  char err[512];
  char rules[1024];
  snprintf(rules, sizeof rules, "%s", tu_schema("mapping/marc-bib.json"));
  const char *path = tmp_rules("{\"noteTypes\": {\"rows\": [{\"name\": \"x\", \"id\": \"not-a-uuid\"}]}}");
  assert_null(mp_mapping_load(rules, path, err, sizeof err));
  assert_non_null(strstr(err, "table noteTypes row 1: needs \"name\" and a UUID \"id\""));
  unlink(path);
}

static json_t *map1(mp_mapping_t *m, mp_record_t *r) {
  json_t *i = NULL;
  char err[256];
  if (mp_mapping_map(m, r, &i, err, sizeof err))
    fail_msg("map: %s", err);
  return i;
}

static void test_indicator_filter_sets_and_required_subfield(void **s) {
  mp_mapping_t *m = load_text(
      "{\"245\": [{\"target\": \"title\", \"subfields\": \"a\"}],"
      " \"500\": [{\"target\": \"editions\", \"subfields\": \"a\","
      "   \"indicators\": {\"ind1\": \"01\", \"ind2\": \"*\"},"
      "   \"required_subfield\": \"b\"}]}");
  mp_record_t r;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "500", '0', '9', "a", "kept", "b", "x", NULL);
  fx_data(&r, "500", '1', ' ', "a", "no b", NULL);
  fx_data(&r, "500", '2', ' ', "a", "ind1 2", "b", "x", NULL);
  fx_data(&r, "500", '1', ' ', "a", "kept too", "b", "x", NULL);
  json_t *i = map1(m, &r);
  json_t *e = json_object_get(i, "editions");
  assert_int_equal(json_array_size(e), 2);
  assert_string_equal(json_string_value(json_array_get(e, 0)), "kept");
  assert_string_equal(json_string_value(json_array_get(e, 1)), "kept too");
  json_decref(i);
  mp_record_release(&r);
  mp_mapping_free(m);
}

static void test_delimiters_each_subfield_and_ignore_subsequent(void **s) {
  mp_mapping_t *m = load_text(
      "{\"245\": [{\"target\": \"title\", \"subfields\": \"abc\","
      "   \"delimiter\": \"|\", \"delimiters\": [{\"value\": \" / \", \"subfields\": \"c\"}],"
      "   \"each_subfield\": true, \"functions\": [\"remove_ending_punc\"]}],"
      " \"250\": [{\"target\": \"editions\", \"subfields\": \"a\","
      "   \"ignore_subsequent_fields\": true}],"
      " \"LDR\": [{\"target\": \"administrativeNotes\", \"functions\":"
      "   [{\"name\": \"char_select\", \"params\": {\"from\": 5, \"to\": 8}}]}]}");
  mp_record_t r;
  mp_record_init(&r);
  fx_leader(&r, 'a');
  fx_data(&r, "245", '0', '0', "a", "One :", "b", "two /", "c", "three.", NULL);
  fx_data(&r, "250", ' ', ' ', "a", "first", NULL);
  fx_data(&r, "250", ' ', ' ', "a", "second", NULL);
  json_t *i = map1(m, &r);
  assert_string_equal(json_string_value(json_object_get(i, "title")),
                      "One|two / three.");
  assert_int_equal(json_array_size(json_object_get(i, "editions")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(i, "administrativeNotes"), 0)),
                      "nam");
  json_decref(i);
  mp_record_release(&r);
  mp_mapping_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_rules_load),
      cmocka_unit_test(test_bad_rules_name_file_tag_and_reason),
      cmocka_unit_test(test_bad_reference_data_is_reported),
      cmocka_unit_test(test_indicator_filter_sets_and_required_subfield),
      cmocka_unit_test(test_delimiters_each_subfield_and_ignore_subsequent),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
