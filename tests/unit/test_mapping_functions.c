/* test_mapping_functions.c: each normalisation and lookup function of the
 * function table on its own, through the same compile/apply path the
 * evaluator uses. */
#include "mapping_fixture.h"

#include "mapping/mapping_impl.h"
#include "marcpipe/error.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static mp_record_t R;

static int setup(void **s) {
  if (fx_setup(s))
    return -1;
  mp_record_init(&R);
  fx_leader(&R, 'a');
  fx_data(&R, "245", '1', '4', "a", "x", NULL);
  fx_data(&R, "650", ' ', '7', "a", "x", "2", "mesh", NULL);
  fx_data(&R, "880", ' ', '0', "6", "651-01", "a", "x", NULL);
  return 0;
}
static int teardown(void **s) {
  mp_record_release(&R);
  return fx_teardown(s);
}

/* Apply function `name` (params as JSON text or NULL) to in, on field f. */
static const char *run(const char *name, const char *params, const char *in,
                       int field) {
  static char out[256];
  mp__fncall_t call;
  char err[200];
  json_t *p = params ? json_loads(params, 0, NULL) : NULL;
  int rc = mp__fn_compile(name, p, &M->refdata, &call, err, sizeof err);
  json_decref(p);
  if (rc)
    fail_msg("compile %s: %s", name, err);
  mp_buf_t v;
  mp_buf_init(&v);
  mp_buf_puts(&v, in);
  mp__fnctx_t ctx = {&M->refdata, &R, &R.fields[field]};
  rc = mp__fn_apply(&ctx, &call, &v);
  snprintf(out, sizeof out, "%s", rc == MP__FN_OMIT ? "<omit>" : v.data ? v.data : "");
  mp_buf_release(&v);
  return out;
}

static void test_trim_family(void **s) {
  assert_string_equal(run("trim", NULL, "  a b \t", 0), "a b");
  assert_string_equal(run("trim", NULL, "   ", 0), "");
  assert_string_equal(run("trim_period", NULL, "2nd ed. ", 0), "2nd ed");
  assert_string_equal(run("trim_period", NULL, "Wait...", 0), "Wait...");
  assert_string_equal(run("trim_period", NULL, "no period", 0), "no period");
  assert_string_equal(run("remove_ending_punc", NULL, "New York : ", 0), "New York");
  assert_string_equal(run("remove_ending_punc", NULL, "Title /", 0), "Title");
  assert_string_equal(run("remove_ending_punc", NULL, "v. 1.", 0), "v. 1.");
  assert_string_equal(run("trim_punctuation", NULL, "Doe, Jane,", 0), "Doe, Jane");
  assert_string_equal(run("trim_punctuation", NULL, "Smith, J.", 0), "Smith, J.");
  assert_string_equal(run("trim_punctuation", NULL, "History.", 0), "History");
  assert_string_equal(run("trim_punctuation", NULL, "Title : ", 0), "Title");
}

static void test_capitalize(void **s) {
  assert_string_equal(run("capitalize", NULL, "history", 0), "History");
  assert_string_equal(run("capitalize", NULL, "\xC3\xA9t\xC3\xA9", 0), "\xC3\x89t\xC3\xA9");
  assert_string_equal(run("capitalize", NULL, "1984", 0), "1984");
  assert_string_equal(run("capitalize", NULL, "", 0), "");
}

static void test_char_select(void **s) {
  const char *f008 = "860506s1985    nyu           000 1 eng d";
  assert_string_equal(run("char_select", "{\"from\":7,\"to\":11}", f008, 0), "1985");
  assert_string_equal(run("char_select", "{\"from\":35,\"to\":38}", f008, 0), "eng");
  assert_string_equal(run("char_select", "{\"from\":35,\"to\":38}", "short", 0), "");
  assert_string_equal(run("char_select", "{\"from\":3,\"to\":38}", "short", 0), "rt");
}

static void test_remove_prefix_by_indicator(void **s) {
  /* field 0 is 245 with ind1 '1', ind2 '4' */
  assert_string_equal(run("remove_prefix_by_indicator", NULL, "The end", 0), "end");
  assert_string_equal(run("remove_prefix_by_indicator", "{\"indicator\":1}", "A tale", 0), "tale");
  /* 650 ind2 '7' with a short value: everything goes */
  assert_string_equal(run("remove_prefix_by_indicator", NULL, "abc", 1), "");
}

static void test_letters_only(void **s) {
  assert_string_equal(run("letters_only", NULL, "eng", 0), "eng");
  assert_string_equal(run("letters_only", NULL, "|||", 0), "<omit>");
  assert_string_equal(run("letters_only", NULL, "", 0), "<omit>");
}

static void test_lookups_and_fallbacks(void **s) {
  assert_string_equal(run("set_identifier_type_id_by_name", NULL, "ISBN", 0),
                      fx_ref_id("identifierTypes", "ISBN"));
  assert_string_equal(run("set_identifier_type_id_by_name", NULL, "Nonsense", 0),
                      fx_ref_id("identifierTypes", "Other standard identifier"));
  assert_string_equal(run("set_identifier_type_id_by_value", NULL, "(OCoLC)123", 0),
                      fx_ref_id("identifierTypes", "OCLC"));
  assert_string_equal(run("set_identifier_type_id_by_value", NULL, "(DLC)123", 0),
                      fx_ref_id("identifierTypes", "System control number"));
  assert_string_equal(run("set_contributor_type_id", NULL, "ill", 0),
                      fx_ref_id("contributorTypes", "illustrator"));
  assert_string_equal(run("set_contributor_type_id", NULL, " Editor.", 0),
                      fx_ref_id("contributorTypes", "editor"));
  assert_string_equal(run("set_contributor_type_id", NULL, "zzz", 0), "<omit>");
  assert_string_equal(run("set_instance_type_id", NULL, "txt", 0),
                      fx_ref_id("instanceTypes", "text"));
  assert_string_equal(run("set_instance_type_id", NULL, "bogus", 0),
                      fx_ref_id("instanceTypes", "unspecified"));
  assert_string_equal(run("set_note_type_id", NULL, "Summary", 0), fx_ref_id("noteTypes", "Summary"));
  assert_string_equal(run("set_note_type_id", NULL, "Unknown kind", 0),
                      fx_ref_id("noteTypes", "General note"));
  assert_string_equal(run("set_classification_type_id", NULL, "Dewey", 0),
                      fx_ref_id("classificationTypes", "Dewey"));
  /* keyed by indicator / tag: the value is ignored */
  assert_string_equal(run("set_publisher_role", "{\"indicator\":1}", "-", 0), "Publication");
  assert_string_equal(run("set_publisher_role", NULL, "-", 0), "Copyright notice date");
  assert_string_equal(run("set_electronic_access_relations_id", NULL, "-", 1),
                      fx_ref_id("electronicAccessRelationships", "No information provided"));
  assert_string_equal(run("set_subject_source_id", NULL, "-", 1),
                      fx_ref_id("subjectSources", "Medical Subject Headings"));
  assert_string_equal(run("set_subject_source_id", NULL, "-", 2),
                      fx_ref_id("subjectSources", "Library of Congress Subject Headings"));
  assert_string_equal(run("set_subject_type_id", NULL, "-", 1),
                      fx_ref_id("subjectTypes", "Topical term"));
  assert_string_equal(run("set_subject_type_id", NULL, "-", 2),
                      fx_ref_id("subjectTypes", "Geographic name"));
  assert_string_equal(run("set_subject_type_id", NULL, "-", 0), "<omit>");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trim_family),
      cmocka_unit_test(test_capitalize),
      cmocka_unit_test(test_char_select),
      cmocka_unit_test(test_remove_prefix_by_indicator),
      cmocka_unit_test(test_letters_only),
      cmocka_unit_test(test_lookups_and_fallbacks),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
