/* test_mapping_folio.c: FOLIO's rule format, functions and examples.
 * FOLIO's own examples (tests/data/folio) map to FOLIO's expected records
 * property by property, under the reference data FOLIO's test had; with the
 * seeded reference data the ids are those of the rows FOLIO's rules name.
 * Each function is checked against FOLIO's documented behaviour, and rule
 * files with an unknown key, function or target are refused by name. */
#include "mapping/mapping_impl.h"
#include "testutil.h"

#include "marcpipe/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[] = "/tmp/mp_folio_XXXXXX";

static const char *tmpfile_with(const char *name, const char *text) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

static const char *example(const char *name) {
  static char path[1024];
  snprintf(path, sizeof path, "%s", tu_schema("../tests/data/folio/"));
  strncat(path, name, sizeof path - strlen(path) - 1);
  return path;
}

static mp_mapping_t *load(const char *rules, const char *ref) {
  char err[512];
  mp_mapping_t *m = mp_mapping_load(rules, ref, err, sizeof err);
  if (!m)
    fail_msg("load: %s", err);
  return m;
}

/* The one record of a FOLIO parsed-record file, mapped. */
static json_t *map_example(mp_mapping_t *m, const char *parsed) {
  int err = 0;
  mp_marc_reader_opts_t o = {0};
  o.format = MP_FMT_JSON;
  mp_marc_reader_t *rd = mp_marc_reader_open(example(parsed), &o, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), 0);
  json_t *out = NULL;
  char why[256];
  int rc = mp_mapping_map_record(m, rec, MP_FAMILY_NONE, &out, NULL, NULL,
                                 NULL, why, sizeof why);
  if (rc)
    fail_msg("%s: %s", parsed, why);
  mp_marc_reader_close(rd);
  return out;
}

/* Compare expected and got property by property (empty arrays, which FOLIO
 * writes and marcpipe leaves out, are equal to absent; FOLIO's generated
 * "id" is not compared). Returns the number of differences, printed. */
static int differ(json_t *exp, json_t *got) {
  int n = 0;
  const char *k;
  json_t *v;
  json_object_foreach(exp, k, v) {
    if (strcmp(k, "id") == 0 && !json_object_get(got, k))
      continue;
    json_t *g = json_object_get(got, k);
    if (json_is_array(v) && !json_array_size(v) && !g)
      continue;
    if (!g || !json_equal(v, g)) {
      char *a = json_dumps(v, JSON_COMPACT), *b = g ? json_dumps(g, JSON_COMPACT) : NULL;
      fprintf(stderr, "property %s:\n  FOLIO    %.300s\n  marcpipe %.300s\n", k, a,
              b ? b : "(absent)");
      free(a), free(b);
      n++;
    }
  }
  json_object_foreach(got, k, v) if (!json_object_get(exp, k)) {
    fprintf(stderr, "property %s: only in marcpipe's record\n", k);
    n++;
  }
  return n;
}

static void check_example(const char *ref, const char *parsed,
                          const char *mapped) {
  mp_mapping_t *m = load(NULL, ref);
  json_t *got = map_example(m, parsed);
  json_t *exp = json_load_file(example(mapped), 0, NULL);
  assert_non_null(exp);
  assert_int_equal(differ(exp, got), 0);
  json_decref(exp);
  json_decref(got);
  mp_mapping_free(m);
}

static void test_bib_example_is_folios_instance(void **s) {
  (void)s;
  check_example(tmpfile_with("none.json", "{}"), "parsedBibRecord.json",
                "mappedBibRecord.json");
}

static void test_authority_example_is_folios_authority(void **s) {
  (void)s;
  check_example(tmpfile_with("none.json", "{}"), "parsedAuthorityRecord.json",
                "mappedAuthorityRecord.json");
}

/* FOLIO's holdings test had call number types and no holdings note types. */
static void test_holdings_example_is_folios_holdings(void **s) {
  (void)s;
  json_t *lc = json_load_file(
      tu_schema("mapping/reference-data/call-number-types/"
                "LibraryOfCongressClassification.json"),
      0, NULL);
  assert_non_null(lc);
  json_t *ref = json_pack("{s:[o],s:[]}", "callNumberTypes", lc,
                          "holdingsNoteTypes");
  char *text = json_dumps(ref, 0);
  check_example(tmpfile_with("hold.json", text), "parsedHoldingsRecord.json",
                "mappedHoldingsRecord.json");
  free(text);
  json_decref(ref);
}

/* The name of the seeded row with this id in reference-data/<dir>. */
static const char *name_of(mp_mapping_t *m, const char *type, const char *id) {
  const mp__reftable_t *t = mp__refdata_get(&m->refdata, type);
  for (size_t i = 0; t && id && i < t->nrows; i++)
    if (strcmp(t->rows[i].id, id) == 0)
      return t->rows[i].name;
  return "(none)";
}

#define JS(o, path) json_string_value(json_object_get(o, path))

/* With FOLIO's seeded reference data the placeholders become the ids of
 * the rows FOLIO's rules name. */
static void test_bib_example_ids_by_name(void **s) {
  (void)s;
  mp_mapping_t *m = load(NULL, NULL);
  json_t *i = map_example(m, "parsedBibRecord.json");
  json_t *ids = json_object_get(i, "identifiers");
  assert_int_equal(json_array_size(ids), 13);
  static const char *const want[13] = {
      "LCCN", "OCLC", "Cancelled system control number",
      "Cancelled system control number", "Cancelled system control number",
      "Cancelled system control number", "Cancelled system control number",
      "Cancelled system control number", "Cancelled system control number",
      "Cancelled system control number", "System control number",
      "System control number", "System control number"};
  for (size_t k = 0; k < 13; k++)
    assert_string_equal(
        name_of(m, "identifierTypes",
                JS(json_array_get(ids, k), "identifierTypeId")),
        want[k]);
  assert_string_equal(name_of(m, "instanceTypes", JS(i, "instanceTypeId")),
                      "text");
  assert_string_equal(name_of(m, "issuanceModes", JS(i, "modeOfIssuanceId")),
                      "single unit");
  json_t *cls = json_object_get(i, "classifications");
  assert_int_equal(json_array_size(cls), 2);
  assert_string_equal(name_of(m, "classificationTypes",
                              JS(json_array_get(cls, 1), "classificationTypeId")),
                      "Dewey");
  json_t *fmt = json_object_get(i, "instanceFormatIds");
  assert_int_equal(json_array_size(fmt), 2);
  assert_string_equal(name_of(m, "instanceFormats",
                              json_string_value(json_array_get(fmt, 0))),
                      "unmediated -- volume");
  assert_string_equal(name_of(m, "instanceFormats",
                              json_string_value(json_array_get(fmt, 1))),
                      "microform -- microfilm reel");
  json_t *notes = json_object_get(i, "notes");
  assert_string_equal(name_of(m, "instanceNoteTypes",
                              JS(json_array_get(notes, 0), "instanceNoteTypeId")),
                      "Summary");
  assert_string_equal(name_of(m, "instanceNoteTypes",
                              JS(json_array_get(notes, 1), "instanceNoteTypeId")),
                      "General note");
  assert_string_equal(
      name_of(m, "instanceDateTypes",
              JS(json_object_get(i, "dates"), "dateTypeId")),
      "Multiple dates"); /* 008/06 m */
  assert_true(json_is_false(json_object_get(i, "deleted")));
  json_decref(i);
  mp_mapping_free(m);
}

/* ---- functions ---- */

static mp_mapping_t *SEEDED;

static const char *run_fn(const char *name, const char *param_json,
                          const mp__fnctx_t *ctx, const char *value) {
  static char result[512];
  mp__fncall_t call;
  char err[256];
  json_t *param = param_json ? json_loads(param_json, 0, NULL) : NULL;
  if (mp__fn_compile(name, strlen(name), param, &SEEDED->refdata, &call, err,
                     sizeof err))
    fail_msg("%s: %s", name, err);
  json_decref(param);
  mp__fnctx_t c = ctx ? *ctx : (mp__fnctx_t){0};
  c.rd = &SEEDED->refdata;
  mp_buf_t out;
  mp_buf_init(&out);
  int rc = mp__fn_run(&c, &call, value, strlen(value), &out);
  snprintf(result, sizeof result, "%s", rc ? "(error)" : out.data);
  mp_buf_release(&out);
  mp__fn_release(&call);
  return result;
}

static const char *seeded_id(const char *type, const char *name) {
  const mp__reftable_t *t = mp__refdata_get(&SEEDED->refdata, type);
  for (size_t i = 0; t && i < t->nrows; i++)
    if (t->rows[i].name && strcmp(t->rows[i].name, name) == 0)
      return t->rows[i].id;
  return "(no such row)";
}

static void test_text_functions(void **s) {
  (void)s;
  assert_string_equal(run_fn("trim", NULL, NULL, " \t a b \n"), "a b");
  assert_string_equal(run_fn("trim_period", NULL, NULL, "Title."), "Title");
  assert_string_equal(run_fn("trim_period", NULL, NULL, "Title. "), "Title. ");
  /* one final ISBD character only */
  assert_string_equal(run_fn("remove_ending_punc", NULL, NULL, "Paris :"), "Paris ");
  assert_string_equal(run_fn("remove_ending_punc", NULL, NULL, "a ;"), "a ");
  assert_string_equal(run_fn("remove_ending_punc", NULL, NULL, "a."), "a.");
  /* trim_punctuation keeps initials and hyphens, fixes "X.,." */
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "Smith, J."), "Smith, J.");
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "Smith, John,"), "Smith, John");
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "Doe, Jane."), "Doe, Jane");
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "1900-"), "1900-");
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "Smith, J,."), "Smith, J.");
  assert_string_equal(run_fn("trim_punctuation", NULL, NULL, "Smith, J.,."), "Smith, J.,");
  assert_string_equal(run_fn("capitalize", NULL, NULL, "eighteenth"), "Eighteenth");
  assert_string_equal(run_fn("capitalize", NULL, NULL, "\xc3\xa9t\xc3\xa9"), "\xc3\x89t\xc3\xa9");
  assert_string_equal(run_fn("char_select", "{\"from\":35,\"to\":38}", NULL,
                             "830103m19829999ctua    a     001 0 eng  "),
                      "eng");
  assert_string_equal(run_fn("char_select", "{\"from\":35,\"to\":38}", NULL, "short"),
                      "(error)");
  assert_string_equal(run_fn("remove_substring", "{\"substring\":\"-\"}", NULL,
                             "1234-5678-9"),
                      "123456789");
  mp__fnctx_t c = {.data_field = true, .ind2 = '4'};
  /* every occurrence of the non-filing prefix goes */
  assert_string_equal(run_fn("remove_prefix_by_indicator", NULL, &c,
                             "The eighteenth century"),
                      "eighteenth century");
  c.ind2 = '0';
  assert_string_equal(run_fn("remove_prefix_by_indicator", NULL, &c, "The end"), "The end");
}

static void test_concat_subfields_by_name(void **s) {
  (void)s;
  mp__sf_t sf[] = {{'a', "0123456789", 10}, {'q', "(pbk.)", 6},
                   {'c', "$10", 3}, {'a', "9876543210", 10}, {'q', "(hbk.)", 6}};
  mp__fnctx_t c = {.data_field = true, .sf = sf, .nsf = 5};
  const char *p = "{\"subfieldsToConcat\":[\"c\",\"q\"],\"subfieldsToStopConcat\":[\"z\"]}";
  assert_string_equal(run_fn("concat_subfields_by_name", p, &c, "0123456789"),
                      "0123456789 $10 (pbk.)");
  assert_string_equal(run_fn("concat_subfields_by_name", p, &c, "9876543210"),
                      "9876543210 (hbk.)");
}

static void test_lookups(void **s) {
  (void)s;
  assert_string_equal(run_fn("set_identifier_type_id_by_name", "{\"name\":\"ISBN\"}", NULL, "x"),
                      seeded_id("identifierTypes", "ISBN"));
  assert_string_equal(run_fn("set_identifier_type_id_by_name", "{\"name\":\"Nope\"}", NULL, "x"),
                      MP__STUB_ID);
  const char *byval = "{\"names\":[\"System control number\",\"OCLC\"],"
                      "\"oclc_regex\":\"(\\\\(OCoLC\\\\)|ocm|ocn|on).*\"}";
  assert_string_equal(run_fn("set_identifier_type_id_by_value", byval, NULL, "(OCoLC)123"),
                      seeded_id("identifierTypes", "OCLC"));
  assert_string_equal(run_fn("set_identifier_type_id_by_value", byval, NULL, "ocm0042"),
                      seeded_id("identifierTypes", "OCLC"));
  assert_string_equal(run_fn("set_identifier_type_id_by_value", byval, NULL, "(DLC)123"),
                      seeded_id("identifierTypes", "System control number"));
  /* unknown note type: General note */
  assert_string_equal(run_fn("set_note_type_id", "{\"name\":\"Nope\"}", NULL, ""),
                      seeded_id("instanceNoteTypes", "General note"));
  assert_string_equal(run_fn("set_subject_type_id", "{\"name\":\"Nope\"}", NULL, ""), "");
  /* instance type: last "~" piece, by code or name; else zzz */
  const char *it = "{\"unspecifiedInstanceTypeCode\":\"zzz\"}";
  mp__fnctx_t df = {.data_field = true};
  assert_string_equal(run_fn("set_instance_type_id", it, &df, "text~txt"),
                      seeded_id("instanceTypes", "text"));
  assert_string_equal(run_fn("set_instance_type_id", it, &df, "bogus~xx"),
                      seeded_id("instanceTypes", "unspecified"));
  assert_string_equal(run_fn("set_instance_type_id", it, NULL, "008 data"),
                      seeded_id("instanceTypes", "unspecified"));
  /* relators: $4 code first, then $e term with FOLIO's punctuation rule */
  mp__sf_t sf[] = {{'a', "Smith", 5}, {'e', "editor,", 7}, {'4', "ill", 3}};
  mp__fnctx_t c = {.data_field = true, .sf = sf, .nsf = 3};
  const char *cp = "{\"contributorCodeSubfield\":\"4\",\"contributorNameSubfield\":\"e\"}";
  assert_string_equal(run_fn("set_contributor_type_id_by_code_or_name", cp, &c, ""),
                      seeded_id("contributorTypes", "Illustrator"));
  c.nsf = 2;
  assert_string_equal(run_fn("set_contributor_type_id_by_code_or_name", cp, &c, ""),
                      seeded_id("contributorTypes", "Editor"));
  /* leader functions */
  assert_string_equal(run_fn("set_deleted", NULL, NULL, "00000dam a2200000 a 4500"), "true");
  assert_string_equal(run_fn("set_deleted", NULL, NULL, "00000cam a2200000 a 4500"), "false");
  assert_string_equal(run_fn("set_issuance_mode_id", NULL, NULL, "00000cas a2200000 a 4500"),
                      seeded_id("issuanceModes", "serial"));
  assert_string_equal(run_fn("set_holdings_type_id", NULL, NULL, "00000cy  a2200000 a 4500"),
                      seeded_id("holdingsTypes", "Serial"));
  mp__fnctx_t ind = {.data_field = true, .ind1 = '0', .ind2 = '1'};
  assert_string_equal(run_fn("set_note_staff_only_via_indicator", NULL, &ind, "x"), "true");
  assert_string_equal(run_fn("set_publisher_role", NULL, &ind, "x"), "Publication");
  assert_string_equal(run_fn("set_call_number_type_id", NULL, &ind, "x"),
                      seeded_id("callNumberTypes", "Library of Congress classification"));
  ind.ind2 = '0';
  assert_string_equal(run_fn("set_electronic_access_relations_id", NULL, &ind, "x"),
                      seeded_id("electronicAccessRelationships", "Resource"));
  assert_string_equal(run_fn("set_subject_source_id_by_code", NULL, NULL, "mesh"),
                      seeded_id("subjectSources", "Medical Subject Headings"));
}

/* ---- rule files ---- */

static void expect_refused(const char *rules, const char *want) {
  char err[512];
  mp_mapping_t *m = mp_mapping_load(tmpfile_with("r.json", rules), NULL, err, sizeof err);
  assert_null(m);
  if (!strstr(err, want))
    fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

static void test_bad_rules_are_named(void **s) {
  (void)s;
  expect_refused("{\"245\":[{\"target\":\"title\",\"subfield\":[\"a\"],\"subfeld\":[]}]}",
                 "tag 245 rule 1: unknown key \"subfeld\"");
  expect_refused("{\"245\":[{\"target\":\"title\",\"subfield\":[\"a\"],\"rules\":[{\"conditions\":"
                 "[{\"type\":\"trim, nope\"}]}]}]}",
                 "tag 245 rule 1: unknown function \"nope\"");
  expect_refused("{\"245\":[{\"target\":\"titel\",\"subfield\":[\"a\"]}]}",
                 "Instance has no property \"titel\"");
  expect_refused("{\"500\":[{\"entity\":[{\"target\":\"notes.nota\",\"subfield\":[\"a\"]}]}]}",
                 "\"notes\" has no member \"nota\"");
  expect_refused("{\"500\":[{\"target\":\"notes.note\",\"subfield\":[\"a\"],\"rules\":[{\"conditions\":"
                 "[{\"type\":\"set_note_type_id\"}]}]}]}",
                 "set_note_type_id: needs parameter \"name\"");
}

/* A tenant's rules: constant values, conditions with "value", indicators
 * and entityPerRepeatedSubfield, as FOLIO applies them. */
static void test_rule_keys(void **s) {
  (void)s;
  const char *rules =
      "{\"245\":[{\"target\":\"title\",\"subfield\":[\"a\",\"b\"],"
      "\"applyRulesOnConcatenatedData\":true,\"rules\":[{\"conditions\":[{\"type\":\"trim_period\"}]}]}],"
      " \"500\":[{\"indicators\":{\"ind1\":\"0\",\"ind2\":\"*\"},\"entity\":["
      "{\"target\":\"notes.note\",\"subfield\":[\"a\"]},"
      "{\"target\":\"notes.staffOnly\",\"subfield\":[\"a\"],\"rules\":[{\"conditions\":[],\"value\":\"true\"}]}]},"
      "{\"entity\":[{\"target\":\"notes.note\",\"subfield\":[\"a\"]}]}],"
      " \"020\":[{\"entityPerRepeatedSubfield\":true,\"entity\":["
      "{\"target\":\"identifiers.identifierTypeId\",\"subfield\":[\"a\"],\"rules\":[{\"conditions\":"
      "[{\"type\":\"set_identifier_type_id_by_name\",\"parameter\":{\"name\":\"ISBN\"}}]}]},"
      "{\"target\":\"identifiers.value\",\"subfield\":[\"a\"]}]}],"
      " \"008\":[{\"target\":\"instanceTypeId\",\"subfield\":[],\"rules\":[{\"conditions\":"
      "[{\"type\":\"set_instance_type_id\",\"parameter\":{\"unspecifiedInstanceTypeCode\":\"zzz\"}}]}]}]}";
  mp_mapping_t *m = load(tmpfile_with("t.json", rules), NULL);
  mp_record_t r;
  mp_record_init(&r);
  memcpy(r.leader, "00000nam a2200000 a 4500", 25);
  mp_record_add_control(&r, "008", "x", 1, true);
  mp_record_add_datafield(&r, "020", ' ', ' ');
  mp_record_add_subfield(&r, 'a', "111", 3, true);
  mp_record_add_subfield(&r, 'a', "222", 3, true);
  mp_record_add_datafield(&r, "245", '1', '0');
  mp_record_add_subfield(&r, 'a', "Main", 4, true);
  mp_record_add_subfield(&r, 'b', "sub.", 4, true);
  mp_record_add_datafield(&r, "500", '0', ' ');
  mp_record_add_subfield(&r, 'a', "staff", 5, true);
  mp_record_add_datafield(&r, "500", ' ', ' ');
  mp_record_add_subfield(&r, 'a', "public|x\\y", 10, true);
  json_t *o;
  char why[256];
  assert_int_equal(mp_mapping_map_record(m, &r, MP_FAMILY_NONE, &o, NULL, NULL,
                                         NULL, why, sizeof why),
                   0);
  assert_string_equal(JS(o, "title"), "Main sub");
  json_t *ids = json_object_get(o, "identifiers");
  assert_int_equal(json_array_size(ids), 2);
  assert_string_equal(JS(json_array_get(ids, 1), "value"), "222");
  assert_string_equal(JS(json_array_get(ids, 1), "identifierTypeId"),
                      seeded_id("identifierTypes", "ISBN"));
  json_t *notes = json_object_get(o, "notes");
  assert_int_equal(json_array_size(notes), 2);
  assert_true(json_is_true(json_object_get(json_array_get(notes, 0), "staffOnly")));
  /* FOLIO's escaper: '|' -> ' ', a lone backslash doubled */
  assert_string_equal(JS(json_array_get(notes, 1), "note"), "public x\\\\y");
  assert_string_equal(JS(o, "instanceTypeId"), seeded_id("instanceTypes", "unspecified"));
  json_decref(o);
  mp_record_release(&r);
  mp_mapping_free(m);
}

static int setup(void **s) {
  (void)s;
  if (!mkdtemp(tmpdir))
    return -1;
  SEEDED = load(NULL, NULL);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  mp_mapping_free(SEEDED);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest t[] = {
      cmocka_unit_test(test_bib_example_is_folios_instance),
      cmocka_unit_test(test_authority_example_is_folios_authority),
      cmocka_unit_test(test_holdings_example_is_folios_holdings),
      cmocka_unit_test(test_bib_example_ids_by_name),
      cmocka_unit_test(test_text_functions),
      cmocka_unit_test(test_concat_subfields_by_name),
      cmocka_unit_test(test_lookups),
      cmocka_unit_test(test_bad_rules_are_named),
      cmocka_unit_test(test_rule_keys),
  };
  return cmocka_run_group_tests(t, setup, teardown);
}
