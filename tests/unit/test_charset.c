/* test_charset.c: the reader's charset step on real files: MARC-8 -> UTF-8
 * (checked against the UTF-8 twin file and yaz-marcdump -f MARC-8 -t UTF-8
 * output), forced charsets, UTF-8 validation, mislabelled records. */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static mp_marc_reader_t *open_data(const char *rel,
                                   const mp_marc_reader_opts_t *o) {
  int err = 0;
  mp_marc_reader_t *r = mp_marc_reader_open(tu_data(rel), o, &err);
  if (!r)
    fail_msg("%s: %s", rel, mp_strerror(err));
  return r;
}

/* Strict UTF-8 check (no overlongs, surrogates or values > U+10FFFF). */
static bool valid_utf8(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
             : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!k || i + k > n)
      return false;
    for (size_t j = 1; j < k; j++)
      if ((p[i + j] & 0xC0) != 0x80)
        return false;
    if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F) ||
        (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
      return false;
    i += k;
  }
  return true;
}

static void assert_record_utf8(const mp_record_t *rec) {
  assert_int_equal(rec->leader[9], 'a');
  for (uint32_t i = 0; i < rec->nfields; i++) {
    const mp_field_t *f = &rec->fields[i];
    if (!valid_utf8(f->data, f->len))
      fail_msg("record %llu field %s: invalid utf-8",
               (unsigned long long)rec->recno, f->tag);
    for (uint32_t j = 0; j < f->sf_count; j++) {
      const mp_subfield_t *sf = &rec->subfields[f->sf_first + j];
      assert_true(valid_utf8(sf->data, sf->len));
    }
  }
}

/* Every record of every file comes out as valid UTF-8 with leader/09 'a'. */
static void test_all_output_is_utf8(void **s) {
  static const char *files[] = {
      "iso2709/solrmarc--uva_001_2000.mrc",
      "iso2709/stanfordsolrmarc--formatRecs.mrc",
      "iso2709/stanfordsolrmarc--vernacularSearchTests.mrc",
      "iso2709/marcperl--cjk1.marc",
      "iso2709/marcperl--hebrew1.marc",
      "iso2709/pymarc--1251.dat",
      "malformed/catmandu--bu_bibs.mrc",
      "malformed/folio-mdi--sample100.mrc",
      "malformed/rubymarc--marc8_accented_chars.marc",
      "malformed/pymarc--bad_marc8_escape.dat",
      "malformed/yaz--marc8.marc",
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    mp_marc_reader_t *r = open_data(files[i], NULL);
    mp_record_t *rec;
    int rc;
    while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF)
      if (rc == 0)
        assert_record_utf8(rec);
    mp_marc_reader_close(r);
  }
}

/* Same 8 records, MARC-8 and UTF-8: identical fields after conversion
 * (both are decomposed: base letter then combining mark). Only the leader
 * lengths and base addresses differ (UTF-8 takes more bytes). */
static void test_marc8_twins_match(void **s) {
  mp_marc_reader_t *a = open_data("iso2709/marc4j--brkrtest.mrc", NULL);
  mp_marc_reader_t *b = open_data("iso2709/marc4j--brkrtest_UTF8.mrc", NULL);
  mp_record_t ra, *rec;
  mp_record_init(&ra);
  int n = 0, non_ascii = 0;
  while (mp_marc_reader_next(a, &rec) == 0) {
    assert_int_equal(mp_record_clone(&ra, rec), 0);
    assert_int_equal(mp_marc_reader_next(b, &rec), 0);
    assert_memory_equal(ra.leader + 5, rec->leader + 5, 7);
    assert_memory_equal(ra.leader + 17, rec->leader + 17, 7);
    assert_int_equal(ra.nfields, rec->nfields);
    for (uint32_t i = 0; i < ra.nfields; i++) {
      const mp_field_t *x = &ra.fields[i], *y = &rec->fields[i];
      assert_string_equal(x->tag, y->tag);
      if (x->len != y->len || memcmp(x->data, y->data, x->len) != 0)
        fail_msg("record %d field %s differs", n + 1, x->tag);
      for (uint32_t k = 0; k < x->len; k++)
        non_ascii += (unsigned char)x->data[k] >= 0x80;
    }
    n++;
  }
  assert_int_equal(n, 8);
  assert_int_equal(non_ascii, 605); /* bytes of non-ASCII characters */
  assert_int_equal(mp_marc_reader_next(b, &rec), MP_EOF);
  mp_record_release(&ra);
  mp_marc_reader_close(a);
  mp_marc_reader_close(b);
}

static const mp_subfield_t *sf_of(const mp_record_t *rec, const char *tag,
                                  char code) {
  const mp_field_t *f = mp_record_field(rec, tag);
  assert_non_null(f);
  const mp_subfield_t *sf = mp_field_subfield(rec, f, code);
  assert_non_null(sf);
  return sf;
}

static void assert_sf(const mp_subfield_t *sf, const char *want) {
  if (sf->len != strlen(want) || memcmp(sf->data, want, sf->len) != 0)
    fail_msg("got \"%.*s\", want \"%s\"", (int)sf->len, sf->data, want);
}

/* Values as printed by yaz-marcdump -f MARC-8 -t UTF-8 -l 9=97. */
static void test_marc8_values_match_yaz(void **s) {
  mp_marc_reader_t *r = open_data("iso2709/solrmarc--uva_001_2000.mrc", NULL);
  mp_record_t *rec;
  while (mp_marc_reader_next(r, &rec) == 0) {
    if (rec->recno == 1)
      assert_string_equal(rec->leader, "01021nam a2200277 a 4500");
    if (rec->recno == 2)
      assert_sf(sf_of(rec, "245", 'a'),
                "Iskusstvo perevoda i zhizn\xca\xb9 literatury :");
    if (rec->recno == 4)
      assert_sf(sf_of(rec, "245", 'a'),
                "The princes of Ha\xcc\x80-tie\xcc\x82n (1682-1867) /");
  }
  mp_marc_reader_close(r);
}

/* pymarc--1251.dat: cp1251 bytes under a MARC-8 leader; opts.charset. */
static void test_forced_charset(void **s) {
  mp_marc_reader_opts_t o = {.charset = "cp1251"};
  mp_marc_reader_t *r = open_data("iso2709/pymarc--1251.dat", &o);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_sf(sf_of(rec, "245", 'a'),
            "\xd0\x9e\xd1\x81\xd0\xbd\xd0\xbe\xd0\xb2\xd1\x8b "
            "\xd0\xb3\xd0\xb8\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb8"
            "\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe "
            "\xd1\x80\xd0\xb0\xd1\x81\xd1\x87\xd0\xb5\xd1\x82\xd0\xb0 "
            "\xd0\xb8\xd0\xbd\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb5\xd1\x80\xd0\xbd"
            "\xd1\x8b\xd1\x85 \xd1\x81\xd0\xb5\xd1\x82\xd0\xb5\xd0\xb9");
  size_t nd;
  mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 0);
  assert_int_equal(rec->leader[9], 'a');
  mp_marc_reader_close(r);
  /* an unknown charset name fails at open */
  o.charset = "no-such-charset";
  int err = 0;
  assert_null(mp_marc_reader_open(tu_data("iso2709/pymarc--1251.dat"), &o,
                                  &err));
  assert_int_equal(err, MP_ECHARSET);
}

static void test_invalid_utf8_replaced_with_warning(void **s) {
  mp_marc_reader_t *r =
      open_data("malformed/rubymarc--utf8_with_bad_bytes.marc", NULL);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  size_t nd;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 1);
  assert_int_equal(d[0].code, MP_ECHARSET);
  assert_int_equal(d[0].severity, MP_SEV_WARNING);
  assert_string_equal(d[0].tag, "245");
  const mp_field_t *f = mp_record_field(rec, "245");
  bool fffd = false;
  for (uint32_t j = 0; j < f->sf_count; j++) {
    const mp_subfield_t *sf = &rec->subfields[f->sf_first + j];
    fffd |= memmem(sf->data, sf->len, "\xEF\xBF\xBD", 3) != NULL;
  }
  assert_true(fffd);
  assert_true(memmem(f->data, f->len, "\xEF\xBF\xBD", 3) != NULL);
  assert_record_utf8(rec);
  mp_marc_reader_close(r);
}

/* Leader says MARC-8, bytes are UTF-8: read as UTF-8 with a warning, same
 * fields as the correctly flagged twin. */
static void test_utf8_without_leader_flag(void **s) {
  mp_marc_reader_t *a =
      open_data("malformed/pymarc--utf8_without_leader_flag.dat", NULL);
  mp_marc_reader_t *b =
      open_data("iso2709/pymarc--utf8_with_leader_flag.dat", NULL);
  mp_record_t *ra, *rb;
  assert_int_equal(mp_marc_reader_next(a, &ra), 0);
  size_t nd;
  const mp_marc_diag_t *d = mp_marc_reader_diags(a, &nd);
  assert_int_equal(nd, 1);
  assert_int_equal(d[0].code, MP_ECHARSET);
  assert_non_null(strstr(d[0].msg, "valid utf-8"));
  assert_int_equal(mp_marc_reader_next(b, &rb), 0);
  assert_string_equal(ra->leader, rb->leader);
  assert_int_equal(ra->nfields, rb->nfields);
  for (uint32_t i = 0; i < ra->nfields; i++)
    assert_memory_equal(ra->fields[i].data, rb->fields[i].data,
                        ra->fields[i].len);
  mp_marc_reader_close(a);
  mp_marc_reader_close(b);
}

/* bu_bibs: 16 of 100 records flagged MARC-8 carry UTF-8 (SOURCES.md) and
 * their lengths are wrong; each is detected once, the others stay MARC-8. */
static void test_utf8_detected_per_record(void **s) {
  mp_marc_reader_t *r = open_data("malformed/catmandu--bu_bibs.mrc", NULL);
  mp_record_t *rec;
  int detected = 0, n = 0;
  while (mp_marc_reader_next(r, &rec) == 0) {
    size_t nd;
    const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
    for (size_t i = 0; i < nd; i++)
      detected += strstr(d[i].msg, "data is valid utf-8") != NULL;
    if (rec->recno == 3) /* the first of them */
      assert_int_equal(detected, 1);
    assert_record_utf8(rec);
    n++;
  }
  assert_int_equal(n, 100);
  assert_int_equal(detected, 16);
  mp_marc_reader_close(r);
}

static void test_bad_marc8_escape_is_best_effort(void **s) {
  mp_marc_reader_t *r =
      open_data("malformed/pymarc--bad_marc8_escape.dat", NULL);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  size_t nd;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 8);
  assert_string_equal(d[1].tag, "245");
  assert_non_null(strstr(d[1].msg, "invalid marc-8"));
  /* text before the bad escape survives */
  const mp_subfield_t *a = sf_of(rec, "245", 'a');
  assert_true(a->len > 20);
  assert_memory_equal(a->data, "Bulletin de la Soci", 19);
  assert_record_utf8(rec);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_EOF);
  mp_marc_reader_close(r);
}

static void test_keep_charset_leaves_bytes(void **s) {
  mp_marc_reader_opts_t o = {.keep_charset = true};
  mp_marc_reader_t *r = open_data("iso2709/traject--one-marc8.mrc", &o);
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/traject--one-marc8.mrc"), &n);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(rec->leader[9], ' ');
  for (uint32_t i = 0; i < rec->nfields; i++) /* views into the input */
    assert_true(memmem(file, n, rec->fields[i].data, rec->fields[i].len));
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_iso2709(rec, &out), 0);
  assert_int_equal(out.len, n);
  assert_memory_equal(out.data, file, n);
  mp_buf_release(&out);
  free(file);
  mp_marc_reader_close(r);
}

/* One file mixing MARC-8 and UTF-8 records: decided per record. */
static void test_mixed_file_per_record(void **s) {
  mp_marc_reader_t *r =
      open_data("iso2709/stanfordsolrmarc--vernacularSearchTests.mrc", NULL);
  mp_record_t *rec;
  int n = 0;
  while (mp_marc_reader_next(r, &rec) == 0) {
    assert_record_utf8(rec);
    n++;
  }
  assert_int_equal(n, 24);
  mp_marc_reader_close(r);
}

/* The whole text rendering of MARC-8 files equals yaz-marcdump's MARC-8 ->
 * UTF-8 conversion byte for byte (skipped when yaz-marcdump is absent). */
static void test_text_output_matches_yaz_marcdump(void **s) {
  static const char *files[] = {
      "iso2709/solrmarc--uva_001_2000.mrc", "iso2709/marc4j--brkrtest.mrc",
      "iso2709/marcperl--cjk1.marc",        "iso2709/marcperl--hebrew1.marc",
      "iso2709/marcperl--cyrillic.marc",    "iso2709/traject--one-marc8.mrc",
  };
  if (system("yaz-marcdump -V >/dev/null 2>&1") != 0)
    skip();
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "yaz-marcdump -f MARC-8 -t UTF-8 -l 9=97 '%s'",
             tu_data(files[i]));
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    mp_buf_t yaz, ours;
    mp_buf_init(&yaz);
    mp_buf_init(&ours);
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
      assert_int_equal(mp_buf_append(&yaz, chunk, k), 0);
    assert_int_equal(pclose(f), 0);
    mp_marc_reader_t *r = open_data(files[i], NULL);
    mp_record_t *rec;
    while (mp_marc_reader_next(r, &rec) == 0)
      assert_int_equal(mp_marc_write_text(rec, &ours), 0);
    mp_marc_reader_close(r);
    if (ours.len != yaz.len || memcmp(ours.data, yaz.data, yaz.len) != 0)
      fail_msg("%s: text differs from yaz-marcdump", files[i]);
    assert_true(yaz.len > 500);
    mp_buf_release(&yaz);
    mp_buf_release(&ours);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_output_is_utf8),
      cmocka_unit_test(test_marc8_twins_match),
      cmocka_unit_test(test_marc8_values_match_yaz),
      cmocka_unit_test(test_forced_charset),
      cmocka_unit_test(test_invalid_utf8_replaced_with_warning),
      cmocka_unit_test(test_utf8_without_leader_flag),
      cmocka_unit_test(test_utf8_detected_per_record),
      cmocka_unit_test(test_bad_marc8_escape_is_best_effort),
      cmocka_unit_test(test_keep_charset_leaves_bytes),
      cmocka_unit_test(test_mixed_file_per_record),
      cmocka_unit_test(test_text_output_matches_yaz_marcdump),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
