/* test_marcxml.c: the MARCXML reader and writer on the real files of
 * tests/data/marc (counts from its SOURCES.md) and on small documents
 * that isolate one variant or one fault each. Field values are read after
 * the reader has moved past the record in libxml2 (the subtree is freed
 * before mp_marc_reader_next returns), so under ASan these assertions also
 * prove that no view points into libxml2 memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tu_marc.h"

static const mp_marc_reader_opts_t xml_opts = {.format = MP_FMT_MARCXML};

typedef struct {
  const char *file;
  size_t records;    /* delivered */
  uint64_t errors;   /* error returns (a fatal end counts as one) */
} count_case_t;

/* Every MARCXML file of the data set. SOURCES.md counts <record> elements;
 * the faulty files deliver fewer, as commented. */
static const count_case_t xml_counts[] = {
    {"marcxml/marc4j--1474920681_KOHA_LFL_6_with_comment.xml", 1, 0},
    {"marcxml/marc4j--OCLC_814388508.xml", 1, 0},
    {"marcxml/marc4j--chabon.xml", 2, 0},
    {"marcxml/marcperl--batch-ns.xml", 10, 0},
    {"marcxml/marcperl--batch.xml", 10, 0},
    {"marcxml/marcperl--namespace.xml", 1, 0},
    {"marcxml/openlibrary--0descriptionofta1682unit_marc.xml", 1, 0},
    {"marcxml/openlibrary--13dipolarcycload00burk_marc.xml", 1, 0},
    {"marcxml/openlibrary--39002054008678_yale_edu_marc.xml", 1, 0},
    {"marcxml/openlibrary--nybc200247_marc.xml", 1, 0},
    {"marcxml/openlibrary--scrapbooksofmoun03tupp_marc.xml", 1, 0},
    {"marcxml/openlibrary--warofrebellionco1473unit_marc.xml", 1, 0},
    {"marcxml/pymarc--batch.xml", 2, 0},
    {"marcxml/pymarc--utf8.xml", 1, 0},
    {"marcxml/rubymarc--non-numeric.xml", 1, 0},
    {"marcxml/solrmarc--specTestRecs.xml", 76, 0},
    {"marcxml/solrmarc--specTestRecs_withBOM.xml", 76, 0},
    {"marcxml/stanfordsolrmarc--3195846.xml", 9, 0},
    {"marcxml/stanfordsolrmarc--unicornWHoldings.xml", 50, 0},
    {"marcxml/stanfordsolrmarc--vernacularSearchTests.xml", 24, 0},
    {"marcxml/traject--test_data.utf8.marc.xml", 30, 0},
    /* record 1 has an 082 without subfields: kept with a warning */
    {"malformed/catmandu--broken.xml", 10, 0},
    {"malformed/rubymarc--messed_up_leader.xml", 1, 0},
    /* the one record lacks a tag / a code: rejected */
    {"malformed/marc4j--chabon-missing-datafield-tag.xml", 0, 1},
    {"malformed/marc4j--chabon-missing-subfield-code.xml", 0, 1},
    /* 3 records; the XML breaks inside record 2, which ends the stream */
    {"malformed/rubymarc--three-records-second-bad.xml", 1, 1},
};

static void test_marcxml_counts_match_sources(void **s) {
  for (size_t i = 0; i < sizeof xml_counts / sizeof *xml_counts; i++) {
    tu_records_t t;
    tu_read_file(tu_data(xml_counts[i].file), NULL, &t);
    if (t.n != xml_counts[i].records || t.errors != xml_counts[i].errors)
      fail_msg("%s: %zu records, %llu errors; expected %zu, %llu",
               xml_counts[i].file, t.n, (unsigned long long)t.errors,
               xml_counts[i].records,
               (unsigned long long)xml_counts[i].errors);
    tu_free(&t);
  }
}

static void test_marcxml_field_values(void **s) {
  tu_records_t t;
  tu_read_file(tu_data("marcxml/traject--test_data.utf8.marc.xml"), &xml_opts,
               &t);
  assert_int_equal(t.n, 30);
  const mp_record_t *r = &t.recs[0];
  assert_memory_equal(r->leader, "00799cam a2200241 a 4500", 24);
  assert_int_equal(r->recno, 1);
  assert_string_equal(tu_sf(r, "001", 0), "   00282214 ");
  assert_string_equal(tu_sf(r, "100", 'a'), "Ayaz, Shaikh,");
  assert_string_equal(tu_sf(r, "245", 'a'), "Fikr-i Aya\xCC\x84z /");
  const mp_field_t *f = mp_record_field(r, "245");
  assert_int_equal(f->ind1, '1');
  assert_int_equal(f->ind2, '0');
  assert_int_equal(f->sf_count, 2);
  /* data fields carry ISO 2709 field data, like the ISO reader's */
  assert_int_equal(f->data[0], MP_MARC_SD);
  assert_int_equal(f->data[1], 'a');
  assert_string_equal(tu_sf(&t.recs[29], "001", 0), "  2009373513");
  assert_int_equal(t.recs[29].recno, 30);
  tu_free(&t);
}

static void test_marcxml_prefix_bom_and_comment_variants(void **s) {
  tu_records_t a, b;
  /* marc: prefixes vs default namespace */
  tu_read_file(tu_data("marcxml/marcperl--batch.xml"), NULL, &a);
  tu_read_file(tu_data("marcxml/marcperl--batch-ns.xml"), NULL, &b);
  assert_int_equal(a.n, 10);
  assert_int_equal(b.n, 10);
  for (size_t i = 0; i < a.n; i++)
    tu_assert_same(&a.recs[i], &b.recs[i], TU_LEADER, "batch vs batch-ns");
  tu_free(&a);
  tu_free(&b);
  /* with and without a byte-order mark */
  tu_read_file(tu_data("marcxml/solrmarc--specTestRecs.xml"), NULL, &a);
  tu_read_file(tu_data("marcxml/solrmarc--specTestRecs_withBOM.xml"), NULL,
               &b);
  assert_int_equal(a.n, 76);
  assert_int_equal(b.n, 76);
  for (size_t i = 0; i < a.n; i++)
    tu_assert_same(&a.recs[i], &b.recs[i], TU_LEADER, "specTestRecs vs BOM");
  tu_free(&a);
  tu_free(&b);
  /* no prolog, a comment first, a bare <record> root */
  tu_read_file(
      tu_data("marcxml/marc4j--1474920681_KOHA_LFL_6_with_comment.xml"), NULL,
      &a);
  assert_int_equal(a.n, 1);
  assert_string_equal(tu_sf(&a.recs[0], "001", 0), "121564");
  tu_free(&a);
}

static void test_marcxml_undeclared_prefix_still_reads(void **s) {
  static const char doc[] =
      "<marc:collection><marc:record>"
      "<marc:leader>00000nam a2200000 a 4500</marc:leader>"
      "<marc:controlfield tag='001'>x</marc:controlfield>"
      "</marc:record></marc:collection>";
  tu_records_t t;
  tu_read_mem(doc, sizeof doc - 1, &xml_opts, &t);
  assert_int_equal(t.n, 1);
  assert_int_equal(t.errors, 0);
  assert_string_equal(tu_sf(&t.recs[0], "001", 0), "x");
  tu_free(&t);
}

static void test_marcxml_without_namespace_and_with_entities(void **s) {
  static const char doc[] =
      "<?xml version='1.0'?>\n<!-- export -->\n<collection>\n"
      "<record><leader>00000nam a2200000 a 4500</leader>"
      "<controlfield tag='001'>x&amp;1</controlfield>"
      "<datafield tag='245' ind1='1' ind2='0'>"
      "<subfield code='a'>A &lt;b&gt; <![CDATA[c&d]]> &#x00E9;</subfield>"
      "<subfield code='b'></subfield></datafield></record>\n"
      "<other:record xmlns:other='urn:x'><leader>skipped</leader></other:record>"
      "<record><leader>00000nam a2200000 a 4500</leader></record>"
      "</collection>";
  tu_records_t t;
  tu_read_mem(doc, sizeof doc - 1, &xml_opts, &t);
  assert_int_equal(t.n, 2); /* the foreign-namespace record is not MARC */
  assert_string_equal(tu_sf(&t.recs[0], "001", 0), "x&1");
  assert_string_equal(tu_sf(&t.recs[0], "245", 'a'), "A <b> c&d \xC3\xA9");
  const mp_field_t *f = mp_record_field(&t.recs[0], "245");
  assert_int_equal(f->sf_count, 2);
  assert_int_equal(mp_field_subfields(&t.recs[0], f)[1].len, 0);
  assert_int_equal(t.recs[1].nfields, 0);
  tu_free(&t);
}

/* One record from a document, with the diagnostics of that call. */
static int one(const char *doc, bool strict, mp_record_t *copy,
               mp_marc_diag_t *d0, size_t *ndiag) {
  mp_marc_reader_opts_t o = {.format = MP_FMT_MARCXML, .strict = strict};
  int err;
  mp_marc_reader_t *rd =
      mp_marc_reader_open_mem("t.xml", doc, strlen(doc), &o, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  int rc = mp_marc_reader_next(rd, &rec);
  if (rc == 0)
    assert_int_equal(mp_record_clone(copy, rec), 0);
  const mp_marc_diag_t *d = mp_marc_reader_diags(rd, ndiag);
  if (*ndiag)
    *d0 = d[0];
  mp_marc_reader_close(rd);
  return rc;
}

static void test_marcxml_leader_repaired_or_rejected(void **s) {
  static const char shortldr[] =
      "<record xmlns='http://www.loc.gov/MARC21/slim'>\n"
      "<leader>00000nam</leader><controlfield tag='001'>1</controlfield>"
      "</record>";
  mp_record_t r;
  mp_record_init(&r);
  mp_marc_diag_t d;
  size_t n;
  assert_int_equal(one(shortldr, false, &r, &d, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(d.severity, MP_SEV_WARNING);
  assert_string_equal(d.msg, "leader is 8 bytes, not 24 (repaired) (line 2)");
  assert_memory_equal(r.leader, "00000nam a              ", 24); /* 09 = a */
  assert_int_equal(r.nwarnings, 1);
  assert_int_equal(one(shortldr, true, &r, &d, &n), MP_ELEADER);
  assert_int_equal(d.severity, MP_SEV_ERROR);
  /* no leader at all: a default one, with a warning */
  static const char noldr[] =
      "<record><controlfield tag='001'>1</controlfield></record>";
  assert_int_equal(one(noldr, false, &r, &d, &n), 0);
  assert_string_equal(d.msg, "record has no leader (repaired) (line 1)");
  assert_memory_equal(r.leader + 10, "22", 2);
  assert_memory_equal(r.leader + 20, "4500", 4);
  mp_record_release(&r);
}

static void test_marcxml_missing_tag_or_code_rejects_record(void **s) {
  int err;
  mp_marc_reader_t *rd = mp_marc_reader_open(
      tu_data("malformed/marc4j--chabon-missing-datafield-tag.xml"),
      &xml_opts, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EFIELD);
  assert_false(mp_marc_reader_fatal(rd));
  size_t n, rawlen;
  const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &n);
  /* this file also misspells <subfield> in its 020 */
  assert_int_equal(n, 3);
  assert_string_equal(d[0].msg, "element <subfields> ignored (line 8)");
  assert_string_equal(d[1].tag, "020");
  assert_string_equal(d[1].msg, "data field has no subfields (repaired) (line 7)");
  assert_int_equal(d[2].recno, 1);
  assert_int_equal(d[2].severity, MP_SEV_ERROR);
  assert_string_equal(d[2].msg, "field without tag (line 61)");
  const char *raw = mp_marc_reader_raw(rd, &rawlen);
  assert_non_null(raw);
  assert_non_null(memmem(raw, rawlen, "<datafield ind1=\" \" ind2=\"7\">", 29));
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EOF);
  mp_marc_reader_close(rd);

  rd = mp_marc_reader_open(
      tu_data("malformed/marc4j--chabon-missing-subfield-code.xml"), NULL,
      &err);
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EFIELD);
  d = mp_marc_reader_diags(rd, &n);
  assert_string_equal(d[0].tag, "020");
  assert_string_equal(d[0].msg, "subfield without code (line 8)");
  mp_marc_reader_close(rd);
}

static void test_marcxml_malformed_xml_ends_stream_after_good_records(void **s) {
  int err;
  mp_marc_reader_t *rd = mp_marc_reader_open(
      tu_data("malformed/rubymarc--three-records-second-bad.xml"), NULL, &err);
  assert_non_null(rd);
  assert_int_equal(mp_marc_reader_format(rd), MP_FMT_MARCXML);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), 0);
  assert_string_equal(tu_sf(rec, "001", 0), "afc99990058366");
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EXML);
  assert_true(mp_marc_reader_fatal(rd));
  size_t n;
  const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &n);
  assert_int_equal(n, 1);
  assert_int_equal(d[0].recno, 2);
  assert_true(d[0].offset > 3000 && d[0].offset < 7874);
  assert_non_null(strstr(d[0].msg, "malformed xml at line 72 column "));
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EOF);
  mp_marc_reader_close(rd);
}

static void test_marcxml_writer_round_trips(void **s) {
  tu_records_t a, b;
  tu_read_file(tu_data("marcxml/stanfordsolrmarc--unicornWHoldings.xml"), NULL,
               &a);
  assert_int_equal(a.n, 50);
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_marcxml_begin(&out), 0);
  for (size_t i = 0; i < a.n; i++)
    assert_int_equal(mp_marc_write_marcxml(&a.recs[i], &out), 0);
  assert_int_equal(mp_marc_write_marcxml_end(&out), 0);
  assert_non_null(strstr(out.data, "<collection xmlns=\"http://www.loc.gov/"
                                   "MARC21/slim\">"));
  tu_read_mem(out.data, out.len, NULL, &b);
  assert_int_equal(b.n, 50);
  assert_int_equal(b.warnings, 0);
  for (size_t i = 0; i < a.n; i++)
    tu_assert_same(&a.recs[i], &b.recs[i], TU_LEADER, "unicorn xml -> xml");
  tu_free(&a);
  tu_free(&b);
  mp_buf_release(&out);
}

static void test_marcxml_writer_escapes(void **s) {
  mp_record_t r;
  mp_record_init(&r);
  memcpy(r.leader, "00000nam a2200000 a 4500", 24);
  assert_non_null(mp_record_add_control(&r, "001", "a<b>&\"c\"", 8, false));
  assert_non_null(mp_record_add_datafield(&r, "245", '"', '&'));
  assert_non_null(mp_record_add_subfield(&r, '<', "x\r\ny\x01z\xff", 7, false));
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_marcxml(&r, &out), 0);
  assert_non_null(strstr(out.data, "<controlfield tag=\"001\">a&lt;b&gt;&amp;"
                                   "\"c\"</controlfield>"));
  assert_non_null(strstr(out.data, "ind1=\"&quot;\" ind2=\"&amp;\""));
  assert_non_null(strstr(out.data, "<subfield code=\"&lt;\">x&#13;\ny"
                                   "\xEF\xBF\xBDz\xEF\xBF\xBD</subfield>"));
  tu_records_t t;
  tu_read_mem(out.data, out.len, NULL, &t);
  assert_int_equal(t.n, 1);
  assert_string_equal(tu_sf(&t.recs[0], "001", 0), "a<b>&\"c\"");
  assert_string_equal(tu_sf(&t.recs[0], "245", '<'),
                      "x\r\ny\xEF\xBF\xBDz\xEF\xBF\xBD");
  tu_free(&t);
  mp_buf_release(&out);
  mp_record_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_marcxml_counts_match_sources),
      cmocka_unit_test(test_marcxml_field_values),
      cmocka_unit_test(test_marcxml_prefix_bom_and_comment_variants),
      cmocka_unit_test(test_marcxml_without_namespace_and_with_entities),
      cmocka_unit_test(test_marcxml_undeclared_prefix_still_reads),
      cmocka_unit_test(test_marcxml_leader_repaired_or_rejected),
      cmocka_unit_test(test_marcxml_missing_tag_or_code_rejects_record),
      cmocka_unit_test(test_marcxml_malformed_xml_ends_stream_after_good_records),
      cmocka_unit_test(test_marcxml_writer_round_trips),
      cmocka_unit_test(test_marcxml_writer_escapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
