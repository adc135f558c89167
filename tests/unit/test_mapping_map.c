/* test_mapping_map.c: the default rules on records built in memory, one
 * test per rule shape (indicator filters, repeated subfields, entities,
 * concatenation with delimiters, non-filing characters, 008 char_select,
 * relator lookups, fallbacks) and the non-bib / no-title errors. */
#include "mapping_fixture.h"

#include "marcpipe/error.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>


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
  const char *isbn = fx_ref_id("identifierTypes", "ISBN");
  assert_string_equal(str(i, "identifiers.0.value"), "0123456789 (pbk.)");
  assert_string_equal(str(i, "identifiers.0.identifierTypeId"), isbn);
  assert_string_equal(str(i, "identifiers.1.value"), "9780123456786");
  assert_string_equal(str(i, "identifiers.1.identifierTypeId"), isbn);
  assert_string_equal(str(i, "identifiers.2.value"), "111");
  assert_string_equal(str(i, "identifiers.2.identifierTypeId"),
                      fx_ref_id("identifierTypes", "Invalid ISBN"));
  json_decref(i);
  mp_record_release(&r);
}


static void test_contributors_name_types_primary_and_relators(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "100", '1', ' ', "a", "Doe, Jane,", "d", "1950-", "e",
          "author.", NULL);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "700", '1', ' ', "a", "Roe, R.", "4", "edt", "4", "trl", NULL);
  fx_data(&r, "710", '2', ' ', "a", "Acme Corp.", "e", "no such role", NULL);
  fx_data(&r, "711", '2', ' ', "a", "Conference on Things", "j",
          "Illustrator", NULL);
  json_t *i = map_ok(&r);
  json_t *c = json_object_get(i, "contributors");
  assert_int_equal(json_array_size(c), 4);
  assert_string_equal(str(i, "contributors.0.name"), "Doe, Jane, 1950-");
  assert_true(json_is_true(json_object_get(json_array_get(c, 0), "primary")));
  assert_string_equal(str(i, "contributors.0.contributorNameTypeId"),
                      fx_ref_id("contributorNameTypes", "Personal name"));
  assert_string_equal(str(i, "contributors.0.contributorTypeId"),
                      fx_ref_id("contributorTypes", "author"));
  assert_string_equal(str(i, "contributors.0.contributorTypeText"), "author");
  /* initial keeps its period; first $4 wins */
  assert_string_equal(str(i, "contributors.1.name"), "Roe, R.");
  assert_true(json_is_false(json_object_get(json_array_get(c, 1), "primary")));
  assert_string_equal(str(i, "contributors.1.contributorTypeId"),
                      fx_ref_id("contributorTypes", "editor"));
  /* unknown relator: no fallback for contributor types, so no id */
  assert_string_equal(str(i, "contributors.2.contributorNameTypeId"),
                      fx_ref_id("contributorNameTypes", "Corporate name"));
  assert_null(str(i, "contributors.2.contributorTypeId"));
  assert_string_equal(str(i, "contributors.2.contributorTypeText"),
                      "no such role");
  /* 711 takes its relator from $j, case-insensitively */
  assert_string_equal(str(i, "contributors.3.contributorNameTypeId"),
                      fx_ref_id("contributorNameTypes", "Meeting name"));
  assert_string_equal(str(i, "contributors.3.contributorTypeId"),
                      fx_ref_id("contributorTypes", "illustrator"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_035_oclc_versus_system_number(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "035", ' ', ' ', "a", "(OCoLC)ocm00012345", NULL);
  fx_data(&r, "035", ' ', ' ', "a", "(CaOTULAS)160137017", "z", "(OCoLC)9", NULL);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  json_t *i = map_ok(&r);
  assert_int_equal(json_array_size(json_object_get(i, "identifiers")), 3);
  assert_string_equal(str(i, "identifiers.0.value"), "(OCoLC)ocm00012345");
  assert_string_equal(str(i, "identifiers.0.identifierTypeId"),
                      fx_ref_id("identifierTypes", "OCLC"));
  assert_string_equal(str(i, "identifiers.1.value"), "(CaOTULAS)160137017");
  assert_string_equal(str(i, "identifiers.1.identifierTypeId"),
                      fx_ref_id("identifierTypes", "System control number"));
  assert_string_equal(str(i, "identifiers.2.identifierTypeId"),
                      fx_ref_id("identifierTypes", "Cancelled system control number"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_publication_260_and_264_roles_by_indicator(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "260", ' ', ' ', "a", "New York :", "a", "London :", "b",
          "Wiley,", "c", "1985.", NULL);
  fx_data(&r, "264", ' ', '1', "a", "Paris :", "b", "Gallimard,", "c",
          "[2001]", NULL);
  fx_data(&r, "264", ' ', '4', "c", "\xC2\xA9" "2000", NULL);
  json_t *i = map_ok(&r);
  assert_int_equal(json_array_size(json_object_get(i, "publication")), 3);
  assert_string_equal(str(i, "publication.0.place"), "New York; London");
  assert_string_equal(str(i, "publication.0.publisher"), "Wiley");
  assert_string_equal(str(i, "publication.0.dateOfPublication"), "1985");
  assert_null(str(i, "publication.0.role"));
  assert_string_equal(str(i, "publication.1.place"), "Paris");
  assert_string_equal(str(i, "publication.1.role"), "Publication");
  assert_string_equal(str(i, "publication.1.dateOfPublication"), "[2001]");
  assert_string_equal(str(i, "publication.2.role"), "Copyright notice date");
  json_decref(i);
  mp_record_release(&r);
}

static void test_subjects_joined_with_dashes_source_and_type(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "650", ' ', '0', "a", "World history", "x", "Juvenile literature",
          "z", "Europe.", NULL);
  fx_data(&r, "651", ' ', '7', "a", "France", "2", "fast", NULL);
  fx_data(&r, "600", '1', '2', "a", "Smith, John,", "d", "1900-1980", "v",
          "Biography.", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "subjects.0.value"),
                      "World history--Juvenile literature--Europe");
  assert_string_equal(str(i, "subjects.0.sourceId"),
                      fx_ref_id("subjectSources", "Library of Congress Subject Headings"));
  assert_string_equal(str(i, "subjects.0.typeId"), fx_ref_id("subjectTypes", "Topical term"));
  assert_string_equal(str(i, "subjects.1.value"), "France");
  assert_string_equal(str(i, "subjects.1.sourceId"),
                      fx_ref_id("subjectSources", "Faceted Application of Subject Terminology"));
  assert_string_equal(str(i, "subjects.1.typeId"), fx_ref_id("subjectTypes", "Geographic name"));
  assert_string_equal(str(i, "subjects.2.value"), "Smith, John, 1900-1980--Biography");
  assert_string_equal(str(i, "subjects.2.sourceId"),
                      fx_ref_id("subjectSources", "Medical Subject Headings"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_856_one_entry_per_url_relationship_by_ind2(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "856", '4', '0', "3", "v. 1", "u", "http://a.example/1", "u",
          "http://a.example/2", "y", "Full text", "z", "Campus only", NULL);
  fx_data(&r, "856", '4', ' ', "u", "http://b.example/", NULL);
  fx_data(&r, "856", '4', '2', "y", "no url, dropped", NULL);
  json_t *i = map_ok(&r);
  json_t *ea = json_object_get(i, "electronicAccess");
  assert_int_equal(json_array_size(ea), 3);
  assert_string_equal(str(i, "electronicAccess.0.uri"), "http://a.example/1");
  assert_string_equal(str(i, "electronicAccess.1.uri"), "http://a.example/2");
  assert_string_equal(str(i, "electronicAccess.1.linkText"), "Full text");
  assert_string_equal(str(i, "electronicAccess.1.publicNote"), "Campus only");
  assert_string_equal(str(i, "electronicAccess.1.materialsSpecification"), "v. 1");
  assert_string_equal(str(i, "electronicAccess.0.relationshipId"),
                      fx_ref_id("electronicAccessRelationships", "Resource"));
  assert_string_equal(str(i, "electronicAccess.2.relationshipId"),
                      fx_ref_id("electronicAccessRelationships", "No information provided"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_alternative_titles_by_246_ind2_filter(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "130", '0', ' ', "a", "Bible.", "l", "English.", NULL);
  fx_data(&r, "246", '3', '1', "a", "Titre parallele", NULL);
  fx_data(&r, "246", '1', '4', "a", "Cover words", NULL);
  fx_data(&r, "246", '1', ' ', "a", "Plain variant", NULL);
  json_t *i = map_ok(&r);
  assert_int_equal(json_array_size(json_object_get(i, "alternativeTitles")), 4);
  assert_string_equal(str(i, "alternativeTitles.0.alternativeTitle"), "Bible. English");
  assert_string_equal(str(i, "alternativeTitles.0.alternativeTitleTypeId"),
                      fx_ref_id("alternativeTitleTypes", "Uniform title"));
  assert_string_equal(str(i, "alternativeTitles.1.alternativeTitleTypeId"),
                      fx_ref_id("alternativeTitleTypes", "Parallel title"));
  assert_string_equal(str(i, "alternativeTitles.2.alternativeTitleTypeId"),
                      fx_ref_id("alternativeTitleTypes", "Cover title"));
  assert_string_equal(str(i, "alternativeTitles.3.alternativeTitleTypeId"),
                      fx_ref_id("alternativeTitleTypes", "No type specified"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_instance_type_from_336_and_fallback(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "336", ' ', ' ', "a", "notated music", "b", "ntm", "2", "rdacontent", NULL);
  fx_data(&r, "336", ' ', ' ', "a", "text", "b", "txt", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "instanceTypeId"), fx_ref_id("instanceTypes", "notated music"));
  json_decref(i);
  mp_record_release(&r);

  base(&r); /* no 336 */
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  i = map_ok(&r);
  assert_string_equal(str(i, "instanceTypeId"), fx_ref_id("instanceTypes", "unspecified"));
  json_decref(i);
  mp_record_release(&r);

  base(&r); /* unknown code */
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "336", ' ', ' ', "b", "qqq", NULL);
  i = map_ok(&r);
  assert_string_equal(str(i, "instanceTypeId"), fx_ref_id("instanceTypes", "unspecified"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_notes_series_editions_classifications(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "050", '0', '0', "a", "QA76.73.C15", "b", "K47 1988", NULL);
  fx_data(&r, "082", '0', '4', "a", "005.13/3", "2", "19", NULL);
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  fx_data(&r, "250", ' ', ' ', "a", "2nd ed.", NULL);
  fx_data(&r, "300", ' ', ' ', "a", "xi, 272 p. :", "b", "ill. ;", "c", "24 cm.", NULL);
  fx_data(&r, "490", '1', ' ', "a", "Prentice-Hall software series ;", "v", "12", NULL);
  fx_data(&r, "500", ' ', ' ', "a", "Includes index.", NULL);
  fx_data(&r, "504", ' ', ' ', "a", "Bibliography: p. 260.", NULL);
  fx_data(&r, "583", ' ', ' ', "a", "Reviewed", NULL);
  fx_data(&r, "780", '0', '0', "t", "Earlier journal.", "x", "1234-5678", NULL);
  fx_data(&r, "785", '0', '0', "a", "Main entry,", "t", "Later journal", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "precedingTitles.0.title"), "Earlier journal");
  assert_string_equal(str(i, "succeedingTitles.0.title"), "Main entry, Later journal");
  assert_string_equal(str(i, "classifications.0.classificationNumber"), "QA76.73.C15 K47 1988");
  assert_string_equal(str(i, "classifications.0.classificationTypeId"),
                      fx_ref_id("classificationTypes", "LC"));
  assert_string_equal(str(i, "classifications.1.classificationNumber"), "005.13/3");
  assert_string_equal(str(i, "classifications.1.classificationTypeId"),
                      fx_ref_id("classificationTypes", "Dewey"));
  assert_string_equal(str(i, "editions.0"), "2nd ed");
  assert_string_equal(str(i, "physicalDescriptions.0"), "xi, 272 p. : ill. ; 24 cm.");
  assert_string_equal(str(i, "series.0.value"), "Prentice-Hall software series ; 12");
  assert_string_equal(str(i, "notes.0.note"), "Includes index.");
  assert_string_equal(str(i, "notes.0.instanceNoteTypeId"), fx_ref_id("noteTypes", "General note"));
  assert_true(json_is_false(json_object_get(json_array_get(json_object_get(i, "notes"), 0), "staffOnly")));
  assert_string_equal(str(i, "notes.1.instanceNoteTypeId"), fx_ref_id("noteTypes", "Bibliography note"));
  assert_true(json_is_true(json_object_get(json_array_get(json_object_get(i, "notes"), 2), "staffOnly")));
  json_decref(i);
  mp_record_release(&r);
}

static void test_880_linked_fields_map_to_their_tags_targets(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "100", '1', ' ', "6", "880-01", "a", "Tanaka, Hiroshi.", NULL);
  fx_data(&r, "245", '1', '0', "6", "880-02", "a", "Nihon no chasho", NULL);
  fx_data(&r, "880", '1', ' ', "6", "100-01/$1", "a", "\xE7\x94\xB0\xE4\xB8\xAD, \xE5\x8D\x9A.", NULL);
  fx_data(&r, "880", '1', '0', "6", "245-02/$1", "a", "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\xAE\xE8\x8C\xB6\xE6\x9B\xB8", NULL);
  fx_data(&r, "880", ' ', '0', "6", "650-03/$1", "a", "\xE8\x8C\xB6", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "title"), "Nihon no chasho");
  assert_string_equal(str(i, "contributors.1.name"), "\xE7\x94\xB0\xE4\xB8\xAD, \xE5\x8D\x9A");
  assert_true(json_is_false(json_object_get(json_array_get(json_object_get(i, "contributors"), 1), "primary")));
  assert_string_equal(str(i, "alternativeTitles.0.alternativeTitle"),
                      "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\xAE\xE8\x8C\xB6\xE6\x9B\xB8");
  assert_string_equal(str(i, "subjects.0.typeId"), fx_ref_id("subjectTypes", "Topical term"));
  json_decref(i);
  mp_record_release(&r);
}

static void test_invalid_utf8_becomes_replacement_character(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "Caf\xE9 bad", NULL);
  json_t *i = map_ok(&r);
  assert_string_equal(str(i, "title"), "Caf\xEF\xBF\xBD bad");
  json_decref(i);
  mp_record_release(&r);
}

static void test_not_bibliographic_and_no_title_errors(void **s) {
  mp_record_t r;
  json_t *i = (json_t *)1;
  char err[256];
  base(&r);
  r.leader[6] = 'z';
  fx_data(&r, "245", '0', '0', "a", "T", NULL);
  assert_int_equal(mp_mapping_map(M, &r, &i, err, sizeof err), MP_ENOTBIB);
  assert_null(i);
  assert_string_equal(err, "not a bibliographic record (leader/06 'z')");
  r.leader[6] = 'y';
  assert_int_equal(mp_mapping_map(M, &r, &i, err, sizeof err), MP_ENOTBIB);
  mp_record_release(&r);

  base(&r);
  assert_int_equal(mp_mapping_map(M, &r, &i, err, sizeof err), MP_EMAPPING);
  assert_string_equal(err, "no title: the record has no 245");
  fx_data(&r, "245", '0', '0', "c", "by someone", NULL);
  assert_int_equal(mp_mapping_map(M, &r, &i, err, sizeof err), MP_EMAPPING);
  assert_string_equal(err, "no title: 245 has no title subfields");
  mp_record_release(&r);
}

static void *map_many(void *arg) {
  mp_record_t *r = arg;
  for (int k = 0; k < 2000; k++) {
    json_t *i = NULL;
    char err[128];
    if (mp_mapping_map(M, r, &i, err, sizeof err) != 0)
      return (void *)1;
    const char *t = json_string_value(json_object_get(i, "title"));
    int bad = !t || strcmp(t, "Shared") != 0;
    json_decref(i);
    if (bad)
      return (void *)1;
  }
  return NULL;
}

static void test_concurrent_mapping_with_one_mapping(void **s) {
  mp_record_t r;
  base(&r);
  fx_data(&r, "245", '0', '0', "a", "Shared", NULL);
  fx_data(&r, "650", ' ', '0', "a", "Topic", NULL);
  pthread_t th[4];
  for (int k = 0; k < 4; k++)
    assert_int_equal(pthread_create(&th[k], NULL, map_many, &r), 0);
  for (int k = 0; k < 4; k++) {
    void *ret;
    pthread_join(th[k], &ret);
    assert_null(ret);
  }
  mp_record_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_title_index_title_and_hrid),
      cmocka_unit_test(test_non_filing_counts_utf8_characters_and_capitalises),
      cmocka_unit_test(test_008_dates_and_language_by_char_select),
      cmocka_unit_test(test_041_split_every_three_and_dedup_with_008),
      cmocka_unit_test(test_isbn_repeated_subfields_and_invalid),
      cmocka_unit_test(test_contributors_name_types_primary_and_relators),
      cmocka_unit_test(test_035_oclc_versus_system_number),
      cmocka_unit_test(test_publication_260_and_264_roles_by_indicator),
      cmocka_unit_test(test_subjects_joined_with_dashes_source_and_type),
      cmocka_unit_test(test_856_one_entry_per_url_relationship_by_ind2),
      cmocka_unit_test(test_alternative_titles_by_246_ind2_filter),
      cmocka_unit_test(test_instance_type_from_336_and_fallback),
      cmocka_unit_test(test_notes_series_editions_classifications),
      cmocka_unit_test(test_880_linked_fields_map_to_their_tags_targets),
      cmocka_unit_test(test_invalid_utf8_becomes_replacement_character),
      cmocka_unit_test(test_not_bibliographic_and_no_title_errors),
      cmocka_unit_test(test_concurrent_mapping_with_one_mapping),
  };
  return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
