/* test_mapping_real.c: FOLIO's default rules on the real MARC files.
 * Every record of every file in iso2709/ maps as its family (SOURCES.md:
 * 3,219 records; 150 authority, 49 holdings, the rest bibliographic) and
 * none fails; chosen records of each family are checked field by field
 * against their MARC (values read with yaz-marcdump) as FOLIO's rules map
 * them: 245 with $c, one final ISBD character removed, "/" removed from
 * Dewey numbers, 880s as the fields they stand for, repeated 856 $u joined,
 * leader/05 'd' as deleted and suppressed; MARC-8 records map exactly like
 * their UTF-8 twins. */
#include "mapping/mapping_impl.h"
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
  int records, fam[MP_FAMILIES], none, failed, dumped;
} tally_t;

/* The text mp_mapping_map_text wrote for rec is canonical compact JSON:
 * jansson parses it and json_dumps(JSON_COMPACT) of that gives the same
 * bytes (order, escapes, no spaces), after what the buffer held. An "id"
 * given goes in: last, the rest unchanged. */
static void check_text(const mp_record_t *rec, const json_t *o, tally_t *t) {
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp_buf_append(&b, "x", 1), 0); /* appends after it */
  char why[256];
  mp_mapped_t info;
  assert_int_equal(mp_mapping_map_text(M, rec, MP_FAMILY_NONE, NULL, &b, &info,
                                       NULL, NULL, why, sizeof why), 0);
  json_error_t je;
  json_t *p = json_loadb(b.data + 1, b.len - 1, JSON_ALLOW_NUL, &je);
  if (!p)
    fail_msg("not JSON: %s: %.200s", je.text, b.data + 1);
  char *again = json_dumps(p, JSON_COMPACT);
  assert_non_null(again);
  assert_int_equal(b.len - 1, strlen(again));
  assert_memory_equal(b.data + 1, again, b.len - 1);
  assert_true(json_equal(p, o)); /* the tree tools get is this text */
  const char *h = json_string_value(json_object_get(p, "hrid"));
  if (h)
    assert_string_equal(info.hrid, h);
  else
    assert_null(info.hrid);
  /* with an id */
  mp_buf_clear(&b);
  assert_int_equal(mp_mapping_map_text(M, rec, MP_FAMILY_NONE, "an-id", &b,
                                       NULL, NULL, NULL, why, sizeof why), 0);
  json_t *q = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &je);
  assert_non_null(q);
  assert_string_equal(json_string_value(json_object_get(q, "id")), "an-id");
  if (!json_object_get(p, "id")) {
    json_object_set_new(p, "id", json_string("an-id"));
    char *want = json_dumps(p, JSON_COMPACT);
    assert_string_equal(b.data, want);
    free(want);
  }
  json_decref(q);
  free(again);
  json_decref(p);
  mp_buf_release(&b);
  t->dumped++;
}

/* Map every record of path; results appended to out (if not NULL). */
static void map_file(const char *path, tally_t *t, json_t *out) {
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, NULL, &err);
  if (!rd)
    fail_msg("%s: %s", path, mp_strerror(err));
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(rd, &rec)) != MP_EOF) {
    t->records++;
    if (rc) {
      t->failed++;
      fprintf(stderr, "%s: record %d rejected by the reader\n", path, t->records);
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    json_t *o = NULL;
    char why[256];
    mp_family_t fam;
    rc = mp_mapping_map_record(M, rec, MP_FAMILY_NONE, &o, &fam, NULL, NULL,
                               why, sizeof why);
    if (rc == MP_ENOTBIB) {
      t->none++;
      continue;
    }
    if (rc) {
      t->failed++;
      fprintf(stderr, "%s: record %d: %s\n", path, t->records, why);
      continue;
    }
    t->fam[fam]++;
    check_text(rec, o, t);
    if (out)
      json_array_append(out, o);
    json_decref(o);
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
  fail_msg("no record with hrid \"%s\"", hrid);
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

static void test_every_iso2709_record_maps_as_its_family(void **s) {
  tally_t t = {0};
  int files = 0;
  char dirpath[4096];
  snprintf(dirpath, sizeof dirpath, "%s", tu_data("iso2709"));
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
  assert_int_equal(t.fam[MP_FAMILY_AUTHORITY], 150);
  assert_int_equal(t.fam[MP_FAMILY_HOLDINGS], 49);
  assert_int_equal(t.fam[MP_FAMILY_BIB], 3020);
  assert_int_equal(t.none, 0);
  assert_int_equal(t.failed, 0);
  assert_int_equal(t.dumped, 3219);
}

/* The jansson tree j as a value tree (strings, booleans, arrays, objects:
 * what a mapped record holds); keys are j's own. */
static mp__val_t *from_jansson(mp__vt_t *vt, json_t *j) {
  switch (json_typeof(j)) {
  case JSON_STRING:
    return mp__v_str(vt, json_string_value(j), json_string_length(j));
  case JSON_TRUE:
  case JSON_FALSE:
    return mp__v_bool(json_is_true(j));
  case JSON_ARRAY: {
    mp__val_t *a = mp__v_arr(vt);
    size_t i;
    json_t *x;
    json_array_foreach(j, i, x) assert_int_equal(mp__v_push(vt, a, from_jansson(vt, x)), 0);
    return a;
  }
  case JSON_OBJECT: {
    mp__val_t *o = mp__v_obj(vt);
    for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it))
      assert_int_equal(mp__v_set(vt, o, json_object_iter_key(it),
                                 from_jansson(vt, json_object_iter_value(it))),
                       0);
    return o;
  }
  default:
    fail_msg("no such value in a mapped record");
    return NULL;
  }
}

/* mp__v_write of v is json_dumps(j, JSON_COMPACT), after what b held. */
static void same_text(const mp__val_t *v, const json_t *j, tally_t *t) {
  char *want = json_dumps(j, JSON_COMPACT);
  assert_non_null(want);
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp_buf_append(&b, "x", 1), 0);
  assert_int_equal(mp__v_write(v, &b), 0);
  assert_int_equal(b.len, 1 + strlen(want));
  assert_memory_equal(b.data + 1, want, b.len - 1);
  mp_buf_release(&b);
  free(want);
  t->dumped++;
}

/* Escapes, nesting, empty containers and the scalars a record holds: the
 * value tree's text is jansson's for the same tree; set, delete and remove
 * keep jansson's order; equality is json_equal's; the cap holds. */
static void test_tree_text_matches_jansson(void **s) {
  (void)s;
  tally_t t = {0};
  mp__vt_t vt;
  mp__vt_init(&vt);
  json_t *o = json_pack(
      "{s:s, s:s#, s:[], s:{}, s:[b, b], s:{s:[{s:s}]}, s:s}",
      "esc", "q\"b\\s/t\tn\nr\rb\bf\f\x01\x1f\x7f end", "nul", "a\0b", 3,
      "ea", "eo", "bools", 1, 0, "deep", "k", "id",
      "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", "k\"ey\n", "v");
  assert_non_null(o);
  mp__val_t *vo = from_jansson(&vt, o);
  same_text(vo, o, &t);
  json_t *e = json_object();
  same_text(from_jansson(&vt, e), e, &t);
  assert_int_equal(t.dumped, 2);
  /* each byte that needs a look, at every position of an 8-byte word */
  static const char *const specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f",
                                         "/", "\xc3\xa9", "\xe2\x82\xac", " ",
                                         "\xc2\xa2", "\xc2\x9c", "\xe2\x80\xa8"};
  size_t nsp = sizeof specials / sizeof *specials;
  for (size_t sp = 0; sp < nsp; sp++)
    for (size_t pos = 0; pos < 18; pos++) {
      char v[40];
      memset(v, 'a', sizeof v);
      size_t sl = strlen(specials[sp]);
      memcpy(v + pos, specials[sp], sl);
      json_t *a = json_pack("[s#]", v, pos + sl + pos % 5);
      assert_non_null(a);
      same_text(from_jansson(&vt, a), a, &t);
      json_decref(a);
    }
  assert_int_equal(t.dumped, 2 + nsp * 18);
  /* the same edits on both trees */
  json_object_set_new(o, "esc", json_string("again")); /* in place */
  assert_int_equal(mp__v_set(&vt, vo, "esc", mp__v_str(&vt, "again", 5)), 0);
  mp__v_del(vo, "nul"); /* first: vo's keys are o's strings, which the
                          * next line frees */
  json_object_del(o, "nul");
  json_object_set_new(o, "nul", json_true()); /* last now */
  assert_int_equal(mp__v_set(&vt, vo, "nul", mp__v_bool(true)), 0);
  json_array_remove(json_object_get(o, "bools"), 0);
  mp__v_remove(mp__v_get(vo, "bools"), 0);
  json_array_append_new(json_object_get(o, "ea"), json_string("x"));
  assert_int_equal(mp__v_push(&vt, mp__v_get(vo, "ea"), mp__v_str(&vt, "x", 1)), 0);
  same_text(vo, o, &t);
  assert_string_equal(mp__v_cstr(mp__v_get(vo, "k\"ey\n")), "v");
  assert_null(mp__v_get(vo, "absent"));
  assert_int_equal(mp__v_size(mp__v_get(vo, "bools")), 1);
  /* json_equal: members in any order, strings by their bytes */
  json_t *x = json_pack("{s:s,s:[s]}", "a", "1", "b", "2");
  json_t *y = json_pack("{s:[s],s:s}", "b", "2", "a", "1");
  json_t *z = json_pack("{s:[s],s:s#}", "b", "2", "a", "1\0", 2);
  assert_true(mp__v_equal(from_jansson(&vt, x), from_jansson(&vt, y)));
  assert_false(mp__v_equal(from_jansson(&vt, x), from_jansson(&vt, z)));
  assert_false(mp__v_equal(mp__v_str(&vt, "ab", 2), mp__v_str(&vt, "ac", 2)));
  json_decref(x), json_decref(y), json_decref(z);
  /* the cap: allocations fail past it, and work again after a reset */
  mp__vt_reset(&vt);
  vt.cap = 4096;
  size_t made = 0;
  while (mp__v_str(&vt, "0123456789abcdef0123456789abcdef", 32))
    made++;
  assert_true(vt.over);
  assert_in_range(made, 4096 / 128, 4096 / 32);
  assert_null(mp__v_obj(&vt));
  mp__vt_reset(&vt);
  assert_false(vt.over);
  assert_non_null(mp__v_obj(&vt));
  mp__vt_release(&vt);
  json_decref(e);
  json_decref(o);
}

/* A record whose tree would pass the cap is refused, MP_ETOOBIG with a
 * reason, and the next record maps again. */
static void test_record_past_the_cap_is_refused(void **s) {
  (void)s;
  int err = 0;
  mp_marc_reader_t *rd =
      mp_marc_reader_open(tu_data("iso2709/pymarc--test.dat"), NULL, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), 0);
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp_buf_append(&b, "keep", 4), 0);
  char why[256];
  mp__mapping_tree_cap(512);
  assert_int_equal(mp_mapping_map_text(M, rec, MP_FAMILY_NONE, NULL, &b, NULL,
                                       NULL, NULL, why, sizeof why),
                   MP_ETOOBIG);
  assert_non_null(strstr(why, "more than 512 bytes"));
  assert_string_equal(b.data, "keep");
  mp__mapping_tree_cap(0);
  assert_int_equal(mp_mapping_map_text(M, rec, MP_FAMILY_NONE, NULL, &b, NULL,
                                       NULL, NULL, why, sizeof why),
                   0);
  assert_true(b.len > 1000);
  mp_buf_release(&b);
  mp_marc_reader_close(rd);
}

static void test_camel_book(void **s) {
  json_t *all = map_all("iso2709/pymarc--test.dat");
  assert_int_equal(json_array_size(all), 10);
  /* 001 "fol05731351 ": FOLIO keeps the control field as it is */
  json_t *i = by_hrid(all, "fol05731351 ");
  /* 245 10 $a ActivePerl with ASP and ADO / $c Tobias Martinsson. */
  assert_string_equal(get(i, "title", 0, NULL),
                      "ActivePerl with ASP and ADO / Tobias Martinsson.");
  /* indexTitle: $a $n $p $b as they are (ind2 0: no prefix removed) */
  assert_string_equal(get(i, "indexTitle", 0, NULL), "ActivePerl with ASP and ADO /");
  /* 010 $a "   00020737 " trimmed; 020 $a with its qualifier */
  assert_string_equal(get(i, "identifiers", 0, "value"), "00020737");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 0, "identifierTypeId")), "LCCN");
  assert_string_equal(get(i, "identifiers", 1, "value"), "0471383147 (paper/cd-rom : alk. paper)");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 1, "identifierTypeId")), "ISBN");
  /* 100 1  $a Martinsson, Tobias, $d 1976- */
  assert_string_equal(get(i, "contributors", 0, "name"), "Martinsson, Tobias, 1976-");
  assert_string_equal(fx_ref_name("contributorNameTypes", get(i, "contributors", 0, "contributorNameTypeId")),
                      "Personal name");
  assert_true(json_is_true(json_object_get(json_array_get(json_object_get(i, "contributors"), 0), "primary")));
  /* 260 $a New York : $b John Wiley & Sons, $c 2000. */
  assert_string_equal(get(i, "publication", 0, "place"), "New York");
  assert_string_equal(get(i, "publication", 0, "publisher"), "John Wiley & Sons");
  assert_string_equal(get(i, "publication", 0, "dateOfPublication"), "2000");
  /* 050 00 $a QA76.73.P22 $b M33 2000; 082 00 $a 005.13/3 ("/" removed) */
  assert_string_equal(get(i, "classifications", 0, "classificationNumber"), "QA76.73.P22 M33 2000");
  assert_string_equal(fx_ref_name("classificationTypes", get(i, "classifications", 0, "classificationTypeId")), "LC");
  assert_string_equal(get(i, "classifications", 1, "classificationNumber"), "005.133");
  assert_string_equal(fx_ref_name("classificationTypes", get(i, "classifications", 1, "classificationTypeId")), "Dewey");
  /* 650  0 then 630 00: LCSH, typed by tag */
  assert_string_equal(get(i, "subjects", 0, "value"), "Perl (Computer program language)");
  assert_string_equal(fx_ref_name("subjectSources", get(i, "subjects", 0, "sourceId")),
                      "Library of Congress Subject Headings");
  assert_string_equal(fx_ref_name("subjectTypes", get(i, "subjects", 0, "typeId")), "Topical term");
  assert_string_equal(fx_ref_name("subjectTypes", get(i, "subjects", 1, "typeId")), "Uniform title");
  assert_string_equal(get(i, "languages", 0, NULL), "eng");
  /* 008/06-14 "s2000    " */
  assert_string_equal(get(i, "dates", 0, "date1"), "2000");
  assert_string_equal(fx_ref_name("instanceDateTypes", get(i, "dates", 0, "dateTypeId")), "Single known date/probable date");
  /* no 336: the unspecified type; leader/07 m: single unit */
  assert_string_equal(fx_ref_name("instanceTypes", get(i, "instanceTypeId", 0, NULL)), "unspecified");
  assert_string_equal(fx_ref_name("issuanceModes", get(i, "modeOfIssuanceId", 0, NULL)), "single unit");
  /* 500 $a "Wiley Computer Publishing." kept whole */
  assert_string_equal(get(i, "notes", 0, "note"), "\"Wiley Computer Publishing.\"");
  assert_string_equal(fx_ref_name("instanceNoteTypes", get(i, "notes", 0, "instanceNoteTypeId")), "General note");
  json_decref(all);
}

static void test_lc_record_264_041_and_880(void **s) {
  json_t *all = map_all("iso2709/mrrctestbed--bibliographic-sample.mrc");
  assert_int_equal(json_array_size(all), 386);
  json_t *i = by_hrid(all, "18700326");
  /* 041 0  $a arm $a eng $a rus */
  json_t *langs = json_object_get(i, "languages");
  assert_int_equal(json_array_size(langs), 3);
  assert_string_equal(get(i, "languages", 2, NULL), "rus");
  /* 264  1 $a Erevan : $b EPH hratarakchʻutʻyun, $c 2014- */
  assert_string_equal(get(i, "publication", 0, "place"), "Erevan");
  assert_string_equal(get(i, "publication", 0, "publisher"), "EPH hratarakch\xCA\xBBut\xCA\xBByun");
  assert_string_equal(get(i, "publication", 0, "role"), "Publication");
  /* 100 1  $a Aghababyan, A. S. $q (Alvina S.), $e author. */
  assert_string_equal(get(i, "contributors", 0, "name"), "Aghababyan, A. S. (Alvina S.)");
  assert_string_equal(fx_ref_name("contributorTypes", get(i, "contributors", 0, "contributorTypeId")), "Author");
  /* 651  0 $a Nagorno-Karabakh (Azerbaijan) $x History. */
  assert_string_equal(get(i, "subjects", 0, "value"), "Nagorno-Karabakh (Azerbaijan)--History");
  assert_string_equal(fx_ref_name("subjectTypes", get(i, "subjects", 0, "typeId")), "Geographic name");
  /* 880 $6 246-..: the Cyrillic title as an alternative title */
  assert_int_equal(json_array_size(json_object_get(i, "alternativeTitles")), 3);
  assert_string_equal(get(i, "alternativeTitles", 1, "alternativeTitle"),
                      "\xD0\x90\xD1\x80\xD1\x86\xD0\xB0\xD1\x85");
  json_decref(all);
}

static void test_880_japanese(void **s) {
  json_t *all = map_all("iso2709/openlibrary--880_Nihon_no_chasho.mrc");
  json_t *i = by_hrid(all, "3835178");
  /* 035 $a (OCoLC)502869803, (OCoLC)ocn502869803: OCLC; (NNC)...: other */
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 0, "identifierTypeId")), "OCLC");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 1, "identifierTypeId")), "OCLC");
  assert_string_equal(fx_ref_name("identifierTypes", get(i, "identifiers", 3, "identifierTypeId")),
                      "System control number");
  /* 880 00 $6 245-01 -> 246: 日本 の 茶書 */
  assert_string_equal(get(i, "alternativeTitles", 0, "alternativeTitle"),
                      "\xE6\x97\xA5\xE6\x9C\xAC \xE3\x81\xAE \xE8\x8C\xB6\xE6\x9B\xB8");
  /* 3 romanised 700s then their 3 vernacular 880s, none primary */
  json_t *c = json_object_get(i, "contributors");
  assert_int_equal(json_array_size(c), 6);
  assert_string_equal(get(i, "contributors", 3, "name"),
                      "\xE6\x9E\x97\xE5\xB1\x8B \xE8\xBE\xB0\xE4\xB8\x89\xE9\x83\x8E, 1914-1998");
  assert_true(json_is_false(json_object_get(json_array_get(c, 3), "primary")));
  json_decref(all);
}

static void test_856_repeated_u_joined(void **s) {
  json_t *all = map_all("iso2709/openlibrary--ithaca_two_856u.mrc");
  json_t *i = by_hrid(all, "152273");
  /* 856 41 $3 2000-2001 $u A $u B: FOLIO's rule makes ONE link whose uri
   * is both $u joined by a space */
  json_t *ea = json_object_get(i, "electronicAccess");
  assert_int_equal(json_array_size(ea), 1);
  assert_string_equal(get(i, "electronicAccess", 0, "uri"),
                      "http://bibpurl.oclc.org/web/240 "
                      "http://www.statistics.gov.uk/statbase/Product.asp?vlnk=5703");
  assert_string_equal(get(i, "electronicAccess", 0, "materialsSpecification"), "2000-2001");
  assert_string_equal(fx_ref_name("electronicAccessRelationships",
                                  get(i, "electronicAccess", 0, "relationshipId")),
                      "Version of resource");
  /* 245 10 $a Britain / $c issued by the Central Office of Information. */
  assert_string_equal(get(i, "title", 0, NULL),
                      "Britain / issued by the Central Office of Information.");
  /* 008 "d19502001": ceased publication */
  assert_string_equal(get(i, "dates", 0, "date1"), "1950");
  assert_string_equal(get(i, "dates", 0, "date2"), "2001");
  assert_string_equal(fx_ref_name("instanceDateTypes", get(i, "dates", 0, "dateTypeId")),
                      "Continuing resource ceased publication");
  json_decref(all);
}

/* leader/05 'd': deleted, and suppressed from staff and discovery */
static void test_deleted_record(void **s) {
  json_t *all = map_all("iso2709/traject--test_data.utf8.mrc");
  size_t n = 0, k;
  json_t *x;
  json_array_foreach(all, k, x) if (json_is_true(json_object_get(x, "deleted"))) {
    n++;
    assert_true(json_is_true(json_object_get(x, "staffSuppress")));
    assert_true(json_is_true(json_object_get(x, "discoverySuppress")));
  }
  assert_int_equal(n, 1);
  json_decref(all);
}

static void test_holdings_and_authority(void **s) {
  json_t *h = map_all("iso2709/stanfordsolrmarc--summaryHld_1-1000.mrc");
  assert_int_equal(json_array_size(h), 49);
  json_t *u27 = by_hrid(h, "u27");
  /* 866  0 $8 1 $a t.1-3  (1979-1983) x3 */
  assert_int_equal(json_array_size(json_object_get(u27, "holdingsStatements")), 3);
  assert_string_equal(get(u27, "holdingsStatements", 0, "statement"), "t.1-3  (1979-1983)");
  /* leader/06 y */
  assert_string_equal(fx_ref_name("holdingsTypes", get(u27, "holdingsTypeId", 0, NULL)), "Serial");
  assert_string_equal(get(u27, "sourceId", 0, NULL), "036ee84a-6afd-4c3c-9ad3-4a12ab875f59");
  json_decref(h);
  json_t *a = map_all("iso2709/mrrctestbed--authority-sample.mrc");
  assert_int_equal(json_array_size(a), 150);
  json_t *r = json_array_get(a, 1);
  /* 100 1  $a Sorensen-Smith, Lucie; 400 1  $a Smith, Lucie Sorensen- */
  assert_string_equal(get(r, "personalName", 0, NULL), "Sorensen-Smith, Lucie");
  assert_string_equal(get(r, "sftPersonalName", 0, NULL), "Smith, Lucie Sorensen-");
  /* 010 $a "n  00000492 " and 035 $a (OCoLC)oca05144889 */
  assert_string_equal(get(r, "identifiers", 1, "value"), "n  00000492");
  assert_string_equal(get(r, "identifiers", 2, "value"), "(OCoLC)oca05144889");
  json_decref(a);
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
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_iso2709_record_maps_as_its_family),
      cmocka_unit_test(test_tree_text_matches_jansson),
      cmocka_unit_test(test_record_past_the_cap_is_refused),
      cmocka_unit_test(test_camel_book),
      cmocka_unit_test(test_lc_record_264_041_and_880),
      cmocka_unit_test(test_880_japanese),
      cmocka_unit_test(test_856_repeated_u_joined),
      cmocka_unit_test(test_deleted_record),
      cmocka_unit_test(test_holdings_and_authority),
      cmocka_unit_test(test_marc8_maps_like_its_utf8_twin),
  };
  return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
