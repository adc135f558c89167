/* test_formats.c: the same records read from different formats are the
 * same records, field by field, and conversions between formats round-trip
 * byte for byte. Pairs come from tests/data/marc (SOURCES.md lists them):
 * traject test_data.utf8 (.mrc/.marc.xml/.json), solrmarc specTestRecs
 * (MARC-8 .mrc converted to UTF-8 vs the UTF-8 .xml, with and without a
 * BOM), pymarc batch (.xml/.json), stanford 3195846 (.mrc/.xml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tu_marc.h"

/* Read two files and assert they hold the same n records. */
static void same_records(const char *a_rel, const char *b_rel, size_t n,
                         int flags) {
  tu_records_t a, b;
  tu_read_file(tu_data(a_rel), NULL, &a);
  tu_read_file(tu_data(b_rel), NULL, &b);
  if (a.n != n || b.n != n)
    fail_msg("%s: %zu records, %s: %zu; expected %zu", a_rel, a.n, b_rel, b.n,
             n);
  char what[512];
  for (size_t i = 0; i < n; i++) {
    snprintf(what, sizeof what, "%s vs %s, record %zu", a_rel, b_rel, i + 1);
    tu_assert_same(&a.recs[i], &b.recs[i], flags, what);
  }
  tu_free(&a);
  tu_free(&b);
}

static void test_formats_traject_iso_xml_json_identical(void **s) {
  same_records("iso2709/traject--test_data.utf8.mrc",
               "marcxml/traject--test_data.utf8.marc.xml", 30, TU_LEADER);
  same_records("iso2709/traject--test_data.utf8.mrc",
               "json/traject--test_data.utf8.json", 30, TU_LEADER);
}

/* MARC-8 converts to decomposed UTF-8 (base letter, combining mark). The
 * XML twin agrees byte for byte on records 1-70; records 71-76 of the XML
 * are precomposed (NFC), so there only the structure and the ASCII values
 * are compared (their leaders' lengths differ with the byte counts). */
static void marc8_twins(const char *xml_rel) {
  tu_records_t a, b;
  tu_read_file(tu_data("iso2709/solrmarc--specTestRecs.mrc"), NULL, &a);
  tu_read_file(tu_data(xml_rel), NULL, &b);
  assert_int_equal(a.n, 76);
  assert_int_equal(b.n, 76);
  char what[256];
  for (size_t i = 0; i < 76; i++) {
    snprintf(what, sizeof what, "specTestRecs.mrc vs %s, record %zu", xml_rel,
             i + 1);
    tu_assert_same(&a.recs[i], &b.recs[i], i < 70 ? TU_LEADER : TU_ASCII,
                   what);
  }
  /* a converted MARC-8 value: 100 $a of record 1 (i + combining breve) */
  assert_int_equal(a.recs[0].leader[9], 'a');
  assert_string_equal(tu_sf(&a.recs[0], "100", 'a'),
                      "Fedorov, Andrei\xCC\x86 Venediktovich.");
  tu_free(&a);
  tu_free(&b);
}

static void test_formats_marc8_iso_equals_utf8_xml(void **s) {
  marc8_twins("marcxml/solrmarc--specTestRecs.xml");
  marc8_twins("marcxml/solrmarc--specTestRecs_withBOM.xml");
}

static void test_formats_pymarc_xml_equals_json(void **s) {
  same_records("marcxml/pymarc--batch.xml", "json/pymarc--batch.json", 2,
               true);
}

static void test_formats_large_serial_iso_equals_xml(void **s) {
  same_records("iso2709/stanfordsolrmarc--3195846.mrc",
               "marcxml/stanfordsolrmarc--3195846.xml", 9, TU_LEADER);
}

typedef int (*write_fn)(const mp_record_t *, mp_buf_t *);

/* ISO file -> (MARCXML or JSON) -> ISO: the bytes must come back. */
static void round_trip(const char *rel, size_t n, bool xml) {
  size_t len;
  char *orig = tu_slurp(tu_data(rel), &len);
  tu_records_t a, b;
  tu_read_mem(orig, len, NULL, &a);
  assert_int_equal(a.n, n);
  mp_buf_t mid, iso;
  mp_buf_init(&mid);
  mp_buf_init(&iso);
  if (xml)
    assert_int_equal(mp_marc_write_marcxml_begin(&mid), 0);
  for (size_t i = 0; i < a.n; i++) {
    assert_int_equal(xml ? mp_marc_write_marcxml(&a.recs[i], &mid)
                         : mp_marc_write_json(&a.recs[i], &mid),
                     0);
    if (!xml)
      assert_int_equal(mp_buf_putc(&mid, '\n'), 0);
  }
  if (xml)
    assert_int_equal(mp_marc_write_marcxml_end(&mid), 0);
  mp_marc_reader_opts_t o = {.format = xml ? MP_FMT_MARCXML : MP_FMT_JSON};
  tu_read_mem(mid.data, mid.len, &o, &b);
  assert_int_equal(b.n, n);
  assert_int_equal(b.warnings, 0);
  for (size_t i = 0; i < b.n; i++)
    assert_int_equal(mp_marc_write_iso2709(&b.recs[i], &iso), 0);
  if (iso.len != len || memcmp(iso.data, orig, len))
    fail_msg("%s via %s: %zu bytes back, %zu in the file, first difference "
             "at byte %zu", rel, xml ? "marcxml" : "json", iso.len, len,
             (size_t)({
               size_t k = 0;
               while (k < len && k < iso.len && iso.data[k] == orig[k])
                 k++;
               k;
             }));
  tu_free(&a);
  tu_free(&b);
  mp_buf_release(&mid);
  mp_buf_release(&iso);
  free(orig);
}

static void test_formats_iso_marcxml_iso_byte_identical(void **s) {
  round_trip("iso2709/traject--test_data.utf8.mrc", 30, TU_LEADER);
  round_trip("iso2709/mrrctestbed--bibliographic-sample.mrc", 386, TU_LEADER);
}

static void test_formats_iso_json_iso_byte_identical(void **s) {
  round_trip("iso2709/traject--test_data.utf8.mrc", 30, false);
  round_trip("iso2709/mrrctestbed--bibliographic-sample.mrc", 386, false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_formats_traject_iso_xml_json_identical),
      cmocka_unit_test(test_formats_marc8_iso_equals_utf8_xml),
      cmocka_unit_test(test_formats_pymarc_xml_equals_json),
      cmocka_unit_test(test_formats_large_serial_iso_equals_xml),
      cmocka_unit_test(test_formats_iso_marcxml_iso_byte_identical),
      cmocka_unit_test(test_formats_iso_json_iso_byte_identical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
