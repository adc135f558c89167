/* test_mapping_real.c: the default rules on the real MARC files.
 * Every record of every file in iso2709/ maps (bibliographic) or is refused
 * as not bibliographic, with the exact counts of SOURCES.md; chosen records
 * are checked field by field against their MARC (values read with
 * yaz-marcdump), including 880 vernacular fields and MARC-8 records after
 * conversion (which must map exactly like their UTF-8 twins). */
#include "mapping_fixture.h"

#include "marcpipe/error.h"

#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>


typedef struct tally_s {
  int records, bib, nonbib, failed, empty_title;
} tally_t;

/* Map every record of path; Instances appended to out (if not NULL). */
static void map_file(const char *path, tally_t *t, json_t *out) {
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, NULL, &err);
  if (!rd)
    fail_msg("%s: %s", path, mp_strerror(err));
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(rd, &rec)) != MP_EOF_) {
    t->records++;
    if (rc) {
      t->failed++;
      fprintf(stderr, "%s: record %d rejected by the reader\n", path, t->records);
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    json_t *inst = NULL;
    char why[256];
    rc = mp_mapping_map(M, rec, &inst, why, sizeof why);
    if (rc == MP_ENOTBIB) {
      t->nonbib++;
      continue;
    }
    if (rc) {
      t->failed++;
      fprintf(stderr, "%s: record %d: %s\n", path, t->records, why);
      continue;
    }
    t->bib++;
    const char *title = json_string_value(json_object_get(inst, "title"));
    if (!title || !title[0])
      t->empty_title++;
    if (out)
      json_array_append(out, inst);
    json_decref(inst);
  }
  mp_marc_reader_close(rd);
}

static json_t *map_all(const char *rel) {
  tally_t t = {0};
  json_t *out = json_array();
  map_file(tu_data(rel), &t, out);
  assert_int_equal(t.failed, 0);
  return out;
}

static json_t *by_hrid(json_t *all, const char *hrid) {
  size_t i;
  json_t *x;
  json_array_foreach(all, i, x) {
    const char *h = json_string_value(json_object_get(x, "hrid"));
    if (h && strcmp(h, hrid) == 0)
      return x;
  }
  fail_msg("no instance with hrid %s", hrid);
  return NULL;
}

static const char *get(json_t *o, const char *a, size_t i, const char *b) {
  json_t *v = json_object_get(o, a);
  if (json_is_array(v))
    v = json_array_get(v, i);
  if (b)
    v = json_object_get(v, b);
  return json_string_value(v);
}

static void test_every_iso2709_record_maps_or_is_not_bib(void **s) {
  tally_t t = {0};
  int files = 0;
  const char *dir = tu_data("iso2709");
  char dirpath[4096];
  snprintf(dirpath, sizeof dirpath, "%s", dir);
  DIR *d = opendir(dirpath);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
    map_file(path, &t, NULL);
    files++;
  }
  closedir(d);
  /* SOURCES.md: 54 files, 3219 records; 150 authority (z) + 49 holdings
   * (y 47, v 2) records; everything else bibliographic */
  assert_int_equal(files, 54);
  assert_int_equal(t.records, 3219);
  assert_int_equal(t.nonbib, 199);
  assert_int_equal(t.bib, 3020);
  assert_int_equal(t.failed, 0);
  assert_int_equal(t.empty_title, 0);
}

static void test_camel_book_from_260(void **s) {
  json_t *all = map_all("iso2709/pymarc--test.dat");
  assert_int_equal(json_array_size(all), 10);
  json_t *i = by_hrid(all, "fol05731351");
  assert_string_equal(get(i, "title", 0, NULL), "ActivePerl with ASP and ADO");
  assert_string_equal(get(i, "identifiers", 0, "value"), "00020737");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 0, "identifierTypeId")), "LCCN");
  assert_string_equal(get(i, "identifiers", 1, "value"), "0471383147 (paper/cd-rom : alk. paper)");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 1, "identifierTypeId")), "ISBN");
  assert_string_equal(get(i, "contributors", 0, "name"), "Martinsson, Tobias, 1976-");
  assert_true(json_is_true(json_object_get(json_array_get(json_object_get(i, "contributors"), 0), "primary")));
  assert_string_equal(get(i, "publication", 0, "place"), "New York");
  assert_string_equal(get(i, "publication", 0, "publisher"), "John Wiley & Sons");
  assert_string_equal(get(i, "publication", 0, "dateOfPublication"), "2000");
  assert_null(get(i, "publication", 0, "role"));
  assert_string_equal(get(i, "subjects", 0, "value"), "Perl (Computer program language)");
  assert_string_equal(fx_ref_name("subjectSources", get(i, "subjects", 0, "sourceId")),
                      "Library of Congress Subject Headings");
  assert_string_equal(get(i, "classifications", 0, "classificationNumber"), "QA76.73.P22 M33 2000");
  assert_string_equal(get(i, "classifications", 1, "classificationNumber"), "005.13/3");
  assert_string_equal(get(i, "languages", 0, NULL), "eng");
  assert_string_equal(get(i, "dates", 0, "date1"), "2000");
  /* no 336: the fallback type */
  assert_string_equal(fx_ref_name("instanceTypes", get(i, "instanceTypeId", 0, NULL)), "unspecified");
  json_decref(all);
}

static void test_264_relators_041_and_880_from_lc(void **s) {
  json_t *all = map_all("iso2709/mrrctestbed--bibliographic-sample.mrc");
  assert_int_equal(json_array_size(all), 386);
  json_t *i = by_hrid(all, "18700326");
  /* 245 10 $a Artsʻakh  / $c ... */
  assert_string_equal(get(i, "title", 0, NULL), "Arts\xCA\xBB" "akh");
  /* 041 0  $a arm $a eng $a rus */
  json_t *langs = json_object_get(i, "languages");
  assert_int_equal(json_array_size(langs), 3);
  assert_string_equal(get(i, "languages", 0, NULL), "arm");
  assert_string_equal(get(i, "languages", 2, NULL), "rus");
  /* 264  1 $a Erevan : $b EPH hratarakchʻutʻyun, $c 2014- */
  assert_string_equal(get(i, "publication", 0, "place"), "Erevan");
  assert_string_equal(get(i, "publication", 0, "publisher"), "EPH hratarakch\xCA\xBBut\xCA\xBByun");
  assert_string_equal(get(i, "publication", 0, "dateOfPublication"), "2014-");
  assert_string_equal(get(i, "publication", 0, "role"), "Publication");
  /* 100 1  $a Aghababyan, A. S. $q (Alvina S.), $e author. */
  assert_string_equal(get(i, "contributors", 0, "name"), "Aghababyan, A. S. (Alvina S.)");
  assert_string_equal(fx_ref_name("contributorTypes", get(i, "contributors", 0, "contributorTypeId")), "author");
  assert_string_equal(fx_ref_name("contributorNameTypes", get(i, "contributors", 0, "contributorNameTypeId")), "Personal name");
  assert_string_equal(get(i, "contributors", 1, "name"), "Gharibyan, Alik");
  /* 651  0 $a Nagorno-Karabakh (Azerbaijan) $x History. */
  assert_string_equal(get(i, "subjects", 0, "value"), "Nagorno-Karabakh (Azerbaijan)--History");
  assert_string_equal(fx_ref_name("subjectTypes", get(i, "subjects", 0, "typeId")), "Geographic name");
  /* 880 linked to 246: Cyrillic alternative title */
  int cyr = 0;
  for (size_t k = 0; k < json_array_size(json_object_get(i, "alternativeTitles")); k++)
    cyr += strcmp(get(i, "alternativeTitles", k, "alternativeTitle"),
                  "\xD0\x90\xD1\x80\xD1\x86\xD0\xB0\xD1\x85") == 0;
  assert_int_equal(cyr, 1);
  assert_string_equal(fx_ref_name("instanceTypes", get(i, "instanceTypeId", 0, NULL)), "unspecified");
  json_decref(all);
}

static void test_880_japanese_and_oclc_numbers(void **s) {
  json_t *all = map_all("iso2709/openlibrary--880_Nihon_no_chasho.mrc");
  json_t *i = by_hrid(all, "3835178");
  assert_string_equal(get(i, "title", 0, NULL), "Nihon no chasho");
  /* 035 $a (OCoLC)502869803 and (OCoLC)ocn502869803: OCLC; (NNC)...: other */
  assert_string_equal(get(i, "identifiers", 0, "value"), "(OCoLC)502869803");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 0, "identifierTypeId")), "OCLC");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 1, "identifierTypeId")), "OCLC");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 3, "identifierTypeId")), "System control number");
  /* 880 00 $6 245-01/$1 $a 日本 の 茶書 / ... */
  assert_string_equal(get(i, "alternativeTitles", 0, "alternativeTitle"),
                      "\xE6\x97\xA5\xE6\x9C\xAC \xE3\x81\xAE \xE8\x8C\xB6\xE6\x9B\xB8");
  /* 3 romanised 700s then their 3 vernacular 880s */
  assert_int_equal(json_array_size(json_object_get(i, "contributors")), 6);
  assert_string_equal(get(i, "contributors", 0, "name"), "Hayashiya, Tatsusaburo\xCC\x84, 1914-1998" /* decomposed */);
  assert_string_equal(get(i, "contributors", 3, "name"),
                      "\xE6\x9E\x97\xE5\xB1\x8B \xE8\xBE\xB0\xE4\xB8\x89\xE9\x83\x8E, 1914-1998");
  assert_string_equal(get(i, "publication", 1, "place"), "\xE6\x9D\xB1\xE4\xBA\xAC");
  /* 490 and 830 give the same series once, romanised and vernacular */
  assert_int_equal(json_array_size(json_object_get(i, "series")), 2);
  assert_string_equal(get(i, "series", 0, "value"), "To\xCC\x84yo\xCC\x84 bunko ; 201, 206");
  assert_string_equal(get(i, "dates", 0, "date1"), "1971");
  assert_string_equal(get(i, "dates", 0, "date2"), "1972");
  assert_string_equal(get(i, "languages", 0, NULL), "jpn");
  assert_string_equal(fx_ref_name("instanceTypes", get(i, "instanceTypeId", 0, NULL)), "text");
  json_decref(all);

  /* the match keys of the same record */
  int err;
  mp_marc_reader_t *rd = mp_marc_reader_open(
      tu_data("iso2709/openlibrary--880_Nihon_no_chasho.mrc"), NULL, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), 0);
  mp_match_keys_t k;
  size_t rawlen;
  const char *raw = mp_marc_reader_raw(rd, &rawlen);
  mp_match_keys(rec, raw, rawlen, &k);
  assert_string_equal(k.primary, "3835178");
  assert_int_equal(k.noclc, 1);
  assert_string_equal(k.oclc[0], "502869803");
  mp_marc_reader_close(rd);
}

static void test_856_two_urls(void **s) {
  json_t *all = map_all("iso2709/openlibrary--ithaca_two_856u.mrc");
  json_t *i = by_hrid(all, "152273");
  /* 856 41 $3 2000-2001 $u http://bibpurl.oclc.org/web/240 $u http://www.statistics... */
  json_t *ea = json_object_get(i, "electronicAccess");
  assert_int_equal(json_array_size(ea), 2);
  assert_string_equal(get(i, "electronicAccess", 0, "uri"), "http://bibpurl.oclc.org/web/240");
  assert_string_equal(get(i, "electronicAccess", 1, "uri"),
                      "http://www.statistics.gov.uk/statbase/Product.asp?vlnk=5703");
  assert_string_equal(get(i, "electronicAccess", 1, "materialsSpecification"), "2000-2001");
  assert_string_equal(fx_ref_name("electronicAccessRelationships",
                               get(i, "electronicAccess", 0, "relationshipId")),
                      "Version of resource");
  /* 245 10 $a Britain / $c ...; 260 $a London : $b [s.n., $c 1949?]-c2000. */
  assert_string_equal(get(i, "title", 0, NULL), "Britain");
  assert_string_equal(get(i, "publication", 0, "dateOfPublication"), "1949?]-c2000");
  assert_string_equal(get(i, "dates", 0, "date1"), "1950");
  assert_string_equal(get(i, "dates", 0, "date2"), "2001");
  json_decref(all);
}

static void test_marc8_maps_like_its_utf8_twin(void **s) {
  json_t *a = map_all("iso2709/marc4j--brkrtest.mrc");
  json_t *b = map_all("iso2709/marc4j--brkrtest_UTF8.mrc");
  assert_int_equal(json_array_size(a), 8);
  assert_int_equal(json_array_size(b), 8);
  for (size_t k = 0; k < 8; k++)
    assert_true(json_equal(json_array_get(a, k), json_array_get(b, k)));
  json_decref(a);
  json_decref(b);
  /* the UVA MARC-8 file: all 2000 map, non-ASCII titles come out UTF-8 */
  json_t *uva = map_all("iso2709/solrmarc--uva_001_2000.mrc");
  assert_int_equal(json_array_size(uva), 2000);
  json_decref(uva);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_iso2709_record_maps_or_is_not_bib),
      cmocka_unit_test(test_camel_book_from_260),
      cmocka_unit_test(test_264_relators_041_and_880_from_lc),
      cmocka_unit_test(test_880_japanese_and_oclc_numbers),
      cmocka_unit_test(test_856_two_urls),
      cmocka_unit_test(test_marc8_maps_like_its_utf8_twin),
  };
  return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
