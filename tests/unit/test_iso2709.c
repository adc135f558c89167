/* test_iso2709.c: ISO 2709 framing, parsing and writing on the real files
 * of tests/data/marc (counts from its SOURCES.md, values checked against
 * yaz-marcdump and a byte-level reading of the files). */
#include "marc/reader_impl.h"
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
#include <unistd.h>
#include <cmocka.h>

typedef struct counts_s {
  uint64_t records, rejected, warnings, bytes;
  size_t max_raw; /* largest framed record */
  size_t max_cap; /* largest input buffer seen */
} counts_t;

/* Read a whole stream, checking the per-call invariants on the way. */
static counts_t drain(mp_marc_reader_t *r) {
  counts_t c = {0};
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF) {
    size_t nd, raw_len;
    const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
    mp_marc_reader_raw(r, &raw_len);
    if (raw_len > c.max_raw)
      c.max_raw = raw_len;
    if (r->in.cap > c.max_cap)
      c.max_cap = r->in.cap;
    if (rc != 0) { /* a rejection always says why */
      bool has_error = false;
      for (size_t i = 0; i < nd; i++)
        has_error |= d[i].severity >= MP_SEV_ERROR;
      assert_true(has_error);
    }
    if (mp_marc_reader_fatal(r))
      break;
  }
  mp_marc_reader_stats_t s;
  mp_marc_reader_stats(r, &s);
  assert_int_equal(s.records + s.rejected, r->recno);
  c.records = s.records;
  c.rejected = s.rejected;
  c.warnings = s.warnings;
  c.bytes = s.bytes;
  return c;
}

static counts_t read_file(const char *rel, const mp_marc_reader_opts_t *o) {
  int err = 0;
  mp_marc_reader_t *r = mp_marc_reader_open(tu_data(rel), o, &err);
  if (!r)
    fail_msg("%s: %s", rel, mp_strerror(err));
  assert_int_equal(mp_marc_reader_format(r), MP_FMT_ISO2709);
  counts_t c = drain(r);
  mp_marc_reader_close(r);
  return c;
}

/* ---- counts ---- */

static const struct {
  const char *file;
  uint64_t records;
} sound[] = {
    {"iso2709/solrmarc--uva_001_2000.mrc", 2000},
    {"iso2709/stanfordsolrmarc--3195846.mrc", 9},
    {"iso2709/mrrctestbed--bibliographic-sample.mrc", 386},
    {"iso2709/folio-mdi--100.mrc", 100},
    {"iso2709/folio-mdi--CornellFOLIOExemplars.mrc", 62},
    {"iso2709/marc4j--065001035.mrc", 40},
    {"iso2709/stanfordsolrmarc--formatRecs.mrc", 90},
    {"iso2709/solrmarc--specTestRecs.mrc", 76},
    {"iso2709/mrrctestbed--authority-sample.mrc", 150},
    {"iso2709/stanfordsolrmarc--unicornWHoldings.mrc", 50},
    {"iso2709/traject--test_data.utf8.mrc", 30},
    {"iso2709/traject--batch.dat", 31},
    {"iso2709/openlibrary--warofrebellionco1473unit_meta.mrc", 1},
    {"iso2709/yaz--marccol1.u8.marc", 19},
    {"iso2709/pymarc--marc.dat", 20},
    {"iso2709/marc4j--brkrtest_UTF8.mrc", 8},
    {"iso2709/marc4j--brkrtest.mrc", 8},
    {"iso2709/marc4j--selectedRecs.mrc", 11},
    {"iso2709/stanfordsolrmarc--summaryHld_1-1000.mrc", 49},
    {"iso2709/stanfordsolrmarc--vernacularSearchTests.mrc", 24},
    {"iso2709/marcperl--title_proper.usmarc", 5},
    {"iso2709/pymarc--test.dat", 10},
    {"iso2709/pymarc--1251.dat", 6},
    {"iso2709/openlibrary--wrapped_lines.mrc", 1},
    {"iso2709/traject--nature.marc", 1},
    {"iso2709/openlibrary--880_arabic_french_many_linkages.mrc", 1},
    {"iso2709/openlibrary--scrapbooksofmoun03tupp_meta.mrc", 1},
    {"iso2709/marc4j--cyrillic_capital_e.mrc", 2},
    {"iso2709/rubymarc--utf8_multirecord.marc", 2},
    {"iso2709/pymarc--diacritic.dat", 1},
    {"iso2709/marc4j--chabon-loc.mrc", 2},
    {"iso2709/traject--louis_armstrong.marc", 1},
    {"iso2709/traject--hebrew880s.marc", 1},
    {"iso2709/openlibrary--ithaca_two_856u.mrc", 1},
    {"iso2709/openlibrary--880_Nihon_no_chasho.mrc", 1},
    {"iso2709/marcperl--cjk1.marc", 1},
    {"iso2709/marc4j--oclc_63111280_export_as_UTF8_from_connexion.mrc", 1},
    {"iso2709/marc4j--kan1222221.mrc", 1},
    {"iso2709/marc4j--unordered-directory-entries.mrc", 1},
    {"iso2709/openlibrary--13dipolarcycload00burk_meta.mrc", 1},
    {"iso2709/openlibrary--0descriptionofta1682unit_meta.mrc", 1},
    {"iso2709/pymarc--alphatag.dat", 1},
    {"iso2709/marcperl--cyrillic.marc", 1},
    {"iso2709/rubymarc--random_tag_order.dat", 1},
    {"iso2709/marc4j--u17_utf8.mrc", 1},
    {"iso2709/pymarc--utf8_with_leader_flag.dat", 1},
    {"iso2709/pymarc--marc8.dat", 1},
    {"iso2709/rubymarc--non-numeric.dat", 1},
    {"iso2709/openlibrary--talis_856.mrc", 1},
    {"iso2709/yaz--marc1.marc", 1},
    {"iso2709/marcperl--hebrew1.marc", 1},
    {"iso2709/yaz--marc3.marc", 1},
    {"iso2709/traject--one-marc8.mrc", 1},
    {"iso2709/traject--emptyish_record.marc", 1},
};

static void test_sound_files_read_every_record(void **s) {
  uint64_t total = 0;
  for (size_t i = 0; i < sizeof sound / sizeof sound[0]; i++) {
    counts_t c = read_file(sound[i].file, NULL);
    if (c.records != sound[i].records || c.rejected != 0)
      fail_msg("%s: %llu records, %llu rejected (want %llu)", sound[i].file,
               (unsigned long long)c.records,
               (unsigned long long)c.rejected,
               (unsigned long long)sound[i].records);
    total += c.records;
  }
  assert_int_equal(sizeof sound / sizeof sound[0], 54);
  assert_int_equal(total, 3219); /* SOURCES.md iso2709/ total */
}

/* Files without problems according to SOURCES.md raise no warning at all;
 * the others warn exactly where SOURCES.md notes a problem. */
static void test_warnings_only_where_documented(void **s) {
  static const struct {
    const char *file;
    uint64_t warnings;
  } w[] = {
      {"iso2709/traject--test_data.utf8.mrc", 0},
      {"iso2709/solrmarc--uva_001_2000.mrc", 0},
      {"iso2709/marc4j--unordered-directory-entries.mrc", 0},
      {"iso2709/pymarc--alphatag.dat", 0},
      /* leader/20-23 != "4500" x6 */
      {"iso2709/stanfordsolrmarc--unicornWHoldings.mrc", 6},
      /* two 520 continuation fields without 0x1F */
      {"iso2709/openlibrary--wrapped_lines.mrc", 2},
      /* leader/10 = '3' and entry map "45  " */
      {"iso2709/yaz--marc1.marc", 2},
  };
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
    counts_t c = read_file(w[i].file, NULL);
    if (c.warnings != w[i].warnings)
      fail_msg("%s: %llu warnings, want %llu", w[i].file,
               (unsigned long long)c.warnings,
               (unsigned long long)w[i].warnings);
  }
}

/* Every ISO 2709 file in malformed/: records + rejected account for the
 * input, and the whole input is consumed. Numbers checked by hand against
 * the bytes (see comments). */
static void test_malformed_files_never_crash(void **s) {
  static const struct {
    const char *file;
    uint64_t records, rejected, size;
  } m[] = {
      /* 16 UTF-8 records with lengths in characters: resynchronised */
      {"malformed/catmandu--bu_bibs.mrc", 100, 0, 212858},
      {"malformed/folio-mdi--0.mrc", 0, 0, 0},
      /* 18 bytes of text without terminator: one truncated record */
      {"malformed/folio-mdi--invalidMarcFile.mrc", 0, 1, 18},
      {"malformed/folio-mdi--sample100.mrc", 100, 0, 147793},
      /* 18 records then 3034 bytes cut at 65536 */
      {"malformed/marc4j--008008027.mrc", 18, 1, 65536},
      /* record 4 is 1,096,887 bytes: framed by its terminator */
      {"malformed/marc4j--bad_hathi_records.mrc", 5, 0, 1105338},
      {"malformed/marc4j--bad_leaders_10_11.mrc", 1, 0, 1794},
      {"malformed/marc4j--error.mrc", 1, 0, 715},
      /* record 5: non-numeric directory entry; record 7: no fields */
      {"malformed/pymarc--bad_records.mrc", 6, 2, 918},
      {"malformed/pymarc--utf8_invalid.mrc", 1, 0, 1004},
      {"malformed/qacat--000-line-seperated.mrc", 20, 0, 20825},
      {"malformed/pymarc--bad_indicator.dat", 1, 0, 1980},
      {"malformed/pymarc--bad_marc8_escape.dat", 1, 0, 1491},
      {"malformed/pymarc--bad_subfield_code.dat", 1, 0, 756},
      {"malformed/pymarc--utf8_without_leader_flag.dat", 1, 0, 1123},
      {"malformed/rubymarc--marc8_accented_chars.marc", 1, 0, 1120},
      {"malformed/rubymarc--utf8_with_bad_bytes.marc", 1, 0, 1396},
      {"malformed/yaz--marc8.marc", 1, 0, 2647},
      /* directory ends with 0x1F where the base address says */
      {"malformed/marcperl--baddir.usmarc", 1, 0, 383},
      /* 6 records, a doubled 0x1D (skipped), 1 stray byte at EOF */
      {"malformed/marcperl--badldr.usmarc", 6, 1, 1718},
      {"malformed/marcperl--cameleof.usmarc", 10, 0, 6594},
      {"malformed/marcperl--filler.usmarc", 3, 0, 2018},
  };
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
    counts_t c = read_file(m[i].file, NULL);
    if (c.records != m[i].records || c.rejected != m[i].rejected ||
        c.bytes != m[i].size)
      fail_msg("%s: %llu records, %llu rejected, %llu bytes", m[i].file,
               (unsigned long long)c.records,
               (unsigned long long)c.rejected, (unsigned long long)c.bytes);
  }
}

/* ---- values and positions ---- */

typedef struct want_s {
  uint64_t recno, offset;
  const char *leader, *f001, *f245a;
} want_t;

static void check_values(const char *rel, const want_t *w, size_t nw) {
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open(tu_data(rel), NULL, &err);
  assert_non_null(r);
  mp_record_t *rec;
  size_t k = 0;
  while (k < nw && mp_marc_reader_next(r, &rec) == 0) {
    if (rec->recno != w[k].recno)
      continue;
    assert_int_equal(rec->offset, w[k].offset);
    assert_string_equal(rec->leader, w[k].leader);
    const mp_field_t *f = mp_record_field(rec, "001");
    assert_non_null(f);
    assert_int_equal(f->len, strlen(w[k].f001));
    assert_memory_equal(f->data, w[k].f001, f->len);
    f = mp_record_field(rec, "245");
    const mp_subfield_t *a = mp_field_subfield(rec, f, 'a');
    assert_non_null(a);
    assert_int_equal(a->len, strlen(w[k].f245a));
    assert_memory_equal(a->data, w[k].f245a, a->len);
    k++;
  }
  assert_int_equal(k, nw);
  mp_marc_reader_close(r);
}

static void test_values_and_offsets(void **s) {
  /* the 2nd record starts where the 1st (799 bytes) ends */
  static const want_t traject[] = {
      {1, 0, "00799cam a2200241 a 4500", "   00282214 ",
       "Fikr-i Aya\xcc\x84z /"},
      {2, 799, "00778cam a22002417a 4500", "   00282371 ",
       "Sa\xcc\x84hiva\xcc\x84l jail ki\xcc\x84 d\xcc\xa3"
       "a\xcc\x84\xca\xbciri\xcc\x84 /"},
      {30, 38081, "01213nam a22003614a 4500", "  2009373513",
       "Ci an zhou bian /"},
  };
  check_values("iso2709/traject--test_data.utf8.mrc", traject, 3);
  static const want_t lc[] = {
      {1, 0, "02411cam a22004815i 4500", "20593163", "Atlas ="},
      {2, 2411, "01470cem a22004334a 4500", "16901760", "Tallinna ="},
      {386, 523561, "02026cam a2200445 a 4500", "14547969",
       "The religion /"},
  };
  check_values("iso2709/mrrctestbed--bibliographic-sample.mrc", lc, 3);
}

static void test_truncated_record_is_positioned(void **s) {
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open(
      tu_data("malformed/marc4j--008008027.mrc"), NULL, &err);
  assert_non_null(r);
  mp_record_t *rec;
  int rc, n = 0;
  while ((rc = mp_marc_reader_next(r, &rec)) == 0)
    n++;
  assert_int_equal(n, 18);
  assert_int_equal(rc, MP_ETRUNCATED);
  size_t nd, raw_len;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 1);
  assert_int_equal(d[0].code, MP_ETRUNCATED);
  assert_int_equal(d[0].recno, 19);
  assert_int_equal(d[0].offset, 65536 - 3034);
  const char *raw = mp_marc_reader_raw(r, &raw_len);
  assert_int_equal(raw_len, 3034);
  assert_memory_equal(raw, "0", 1);
  assert_false(mp_marc_reader_fatal(r));
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_EOF);
  mp_marc_reader_close(r);
}

/* Record 4 of bad_hathi_records is ~1 MB: framed by its terminator with a
 * warning, its buffer growth bounded by the record. */
static void test_record_over_99999_bytes(void **s) {
  counts_t c = read_file("malformed/marc4j--bad_hathi_records.mrc", NULL);
  assert_int_equal(c.records, 5);
  assert_int_equal(c.max_raw, 1096887);
  assert_true(c.max_cap >= c.max_raw && c.max_cap <= 2 * 1024 * 1024);
  /* a cap below the record size rejects it and skips to the next one */
  mp_marc_reader_opts_t o = {.max_record_bytes = 500000};
  c = read_file("malformed/marc4j--bad_hathi_records.mrc", &o);
  assert_int_equal(c.records, 4);
  assert_int_equal(c.rejected, 1);
  assert_int_equal(c.bytes, 1105338);
  assert_true(c.max_cap <= 500000);
}

/* ---- resynchronisation on corrupted lengths (made in memory) ---- */

static void resync_case(const char *len5, bool strict) {
  size_t n;
  char *buf = tu_slurp(tu_data("iso2709/traject--test_data.utf8.mrc"), &n);
  memcpy(buf + 799, len5, 5); /* record 2 is 778 bytes */
  mp_marc_reader_opts_t o = {.strict = strict};
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open_mem("mem", buf, n, &o, &err);
  assert_non_null(r);
  mp_record_t *rec;
  int rc, ok = 0, bad = 0;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF) {
    size_t nd;
    const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
    if (rc == 0)
      ok++;
    else
      bad++;
    if (rc == 0 && rec->recno == 3) /* framing went on correctly */
      assert_int_equal(rec->offset, 799 + 778);
    if (rec && rec->recno == 2 && rc == 0) {
      assert_int_equal(nd, 1);
      assert_int_equal(d[0].code, MP_ELENGTH);
      assert_int_equal(d[0].recno, 2);
      assert_int_equal(d[0].offset, 799);
      assert_memory_equal(mp_record_field(rec, "001")->data, "   00282371 ",
                          12);
    }
    if (rc != 0) {
      assert_int_equal(rc, MP_ELENGTH);
      assert_int_equal(d[nd - 1].recno, 2);
    }
  }
  assert_int_equal(ok, strict ? 29 : 30);
  assert_int_equal(bad, strict ? 1 : 0);
  mp_marc_reader_close(r);
  free(buf);
}

static void test_resync_on_wrong_length(void **s) {
  resync_case("00700", false); /* under-stated */
  resync_case("00900", false); /* over-stated */
  resync_case("00x78", false); /* not a number */
  resync_case("00700", true);
}

/* A terminator lost inside the data: the next record is reached anyway. */
static void test_junk_between_records(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/traject--test_data.utf8.mrc"), &n);
  char *buf = malloc(n + 4);
  memcpy(buf, file, 799);
  memcpy(buf + 799, "\r\n\x1a\0", 4);
  memcpy(buf + 803, file + 799, n - 799);
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open_mem("mem", buf, n + 4, NULL, &err);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(rec->offset, 803);
  size_t nd;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 1);
  assert_int_equal(d[0].severity, MP_SEV_WARNING);
  assert_int_equal(d[0].offset, 799);
  assert_non_null(strstr(d[0].msg, "skipped 4 bytes"));
  counts_t c = drain(r);
  assert_int_equal(c.records, 30);
  mp_marc_reader_close(r);
  free(buf);
  free(file);
}

/* ---- constant memory ---- */

static void test_constant_memory_on_large_input(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/solrmarc--uva_001_2000.mrc"), &n);
  char path[] = "/tmp/mp_test_iso_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(write(fd, file, n), (ssize_t)n);
  close(fd);
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open(path, NULL, &err);
  assert_non_null(r);
  counts_t c = drain(r);
  mp_marc_reader_close(r);
  unlink(path);
  free(file);
  assert_int_equal(c.records, 40000);
  assert_int_equal(c.bytes, 20 * n);
  /* the buffer never grew: every record fits in the first chunk */
  assert_true(c.max_raw < 256 * 1024);
  assert_int_equal(c.max_cap, 256 * 1024);
}

/* ---- writer ---- */

static void roundtrip(const char *rel) {
  size_t n;
  char *file = tu_slurp(tu_data(rel), &n);
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open_mem(rel, file, n, NULL, &err);
  mp_buf_t out;
  mp_buf_init(&out);
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) == 0)
    assert_int_equal(mp_marc_write_iso2709(rec, &out), 0);
  assert_int_equal(rc, MP_EOF);
  if (out.len != n || memcmp(out.data, file, n) != 0)
    fail_msg("%s: written %zu bytes differ from the %zu read", rel, out.len,
             n);
  mp_buf_release(&out);
  mp_marc_reader_close(r);
  free(file);
}

static void test_write_is_byte_identical(void **s) {
  roundtrip("iso2709/traject--test_data.utf8.mrc");
  roundtrip("iso2709/mrrctestbed--bibliographic-sample.mrc");
  roundtrip("iso2709/mrrctestbed--authority-sample.mrc");
  roundtrip("iso2709/yaz--marccol1.u8.marc");
  roundtrip("iso2709/folio-mdi--100.mrc");
  roundtrip("iso2709/stanfordsolrmarc--3195846.mrc");
}

static void test_write_too_big(void **s) {
  mp_record_t r;
  mp_record_init(&r);
  memcpy(r.leader, "00000nam a2200000 a 4500", 24);
  assert_non_null(mp_record_add_control(&r, "001", "x1", 2, false));
  static char big[9000];
  memset(big, 'x', sizeof big);
  for (int i = 0; i < 12; i++) {
    assert_non_null(mp_record_add_datafield(&r, "500", ' ', ' '));
    assert_non_null(mp_record_add_subfield(&r, 'a', big, sizeof big, false));
  }
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_iso2709(&r, &out), MP_ETOOBIG);
  assert_int_equal(out.len, 0);
  r.nfields = 11; /* 001 + 10 notes: 90,xxx bytes fit */
  assert_int_equal(mp_marc_write_iso2709(&r, &out), 0);
  assert_int_equal(out.len, 24 + 11 * 12 + 1 + 3 + 10 * (9000 + 5) + 1);
  /* and the writer's output parses back to the same fields */
  mp_record_t back;
  mp_record_init(&back);
  mp_marc_diag_t d;
  assert_int_equal(mp_marc_parse_iso2709(out.data, out.len, &back, &d), 0);
  assert_int_equal(back.nfields, 11);
  assert_int_equal(back.subfields[9].len, 9000);
  assert_memory_equal(back.leader, "90211nam a2200157 a 4500", 24);
  mp_record_release(&back);
  mp_buf_release(&out);
  mp_record_release(&r);
}

static void test_text_writer(void **s) {
  mp_record_t r;
  mp_record_init(&r);
  memcpy(r.leader, "00000nam a2200000 a 4500", 24);
  mp_record_add_control(&r, "001", "u123", 4, false);
  mp_record_add_datafield(&r, "245", '1', '0');
  mp_record_add_subfield(&r, 'a', "Title /", 7, false);
  mp_record_add_subfield(&r, 'c', "Someone.", 8, false);
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_text(&r, &out), 0);
  assert_string_equal(out.data, "00000nam a2200000 a 4500\n"
                                "001 u123\n"
                                "245 10 $a Title / $c Someone.\n"
                                "\n");
  mp_buf_release(&out);
  mp_record_release(&r);
}

/* ---- single-record parse (message values) ---- */

static void test_parse_single_record(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/traject--test_data.utf8.mrc"), &n);
  mp_record_t r;
  mp_record_init(&r);
  mp_marc_diag_t d;
  assert_int_equal(mp_marc_parse_iso2709(file + 799, 778, &r, &d), 0);
  assert_int_equal(d.code, 0);
  const mp_field_t *f = mp_record_field(&r, "245");
  assert_int_equal(f->ind1, '1');
  assert_int_equal(f->ind2, '0');
  assert_ptr_equal(f->data, file + 799 + 450 + 2); /* zero-copy view */
  assert_int_equal(mp_field_subfield(&r, f, 'c')->len, 41);
  /* a directory entry made non-numeric is an error naming the field */
  file[799 + 24 + 3] = 'x';
  assert_int_equal(mp_marc_parse_iso2709(file + 799, 778, &r, &d),
                   MP_EDIRECTORY);
  assert_int_equal(d.code, MP_EDIRECTORY);
  assert_string_equal(d.tag, "001");
  assert_int_equal(d.offset, 24);
  /* too short to hold a leader */
  assert_int_equal(mp_marc_parse_iso2709("00010", 5, &r, &d), MP_ELEADER);
  mp_record_release(&r);
  free(file);
}

/* A snapshot's view is the same record (views to the same bytes, arrays
 * in the snapshot itself); a record owning bytes has no snapshot. */
static void test_snapshot_view_is_the_record(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/traject--test_data.utf8.mrc"), &n);
  mp_record_t r, q;
  mp_record_init(&r);
  assert_int_equal(mp_marc_parse_iso2709(file + 799, 778, &r, NULL), 0);
  size_t sz = mp_record_snapshot_size(&r);
  assert_int_equal(sz % 8, 0);
  assert_true(sz >= 32 + r.nfields * sizeof(mp_field_t) +
                         r.nsubfields * sizeof(mp_subfield_t));
  char *snap = malloc(sz);
  mp_record_snapshot(&r, snap);
  mp_record_t o; /* another record parsed into o: the view does not care */
  mp_record_init(&o);
  assert_int_equal(mp_marc_parse_iso2709(file, 799, &o, NULL), 0);
  mp_record_view(&q, snap);
  assert_true((char *)q.fields > snap && (char *)q.fields < snap + sz); /* not a copy */
  assert_true((char *)(q.subfields + q.nsubfields) <= snap + sz);
  assert_memory_equal(q.leader, r.leader, 25);
  assert_int_equal(q.nfields, r.nfields);
  assert_int_equal(q.nsubfields, r.nsubfields);
  for (uint32_t i = 0; i < r.nfields; i++) {
    assert_string_equal(q.fields[i].tag, r.fields[i].tag);
    assert_ptr_equal(q.fields[i].data, r.fields[i].data);
    assert_int_equal(q.fields[i].len, r.fields[i].len);
    assert_int_equal(q.fields[i].sf_count, r.fields[i].sf_count);
  }
  const mp_field_t *f = mp_record_field(&q, "245");
  assert_ptr_equal(mp_field_subfield(&q, f, 'c')->data,
                   mp_field_subfield(&r, mp_record_field(&r, "245"), 'c')->data);
  assert_int_equal(mp_field_subfield(&q, f, 'c')->len, 41);
  mp_buf_t a, b;
  mp_buf_init(&a);
  mp_buf_init(&b);
  assert_int_equal(mp_marc_write_iso2709(&r, &a), 0);
  assert_int_equal(mp_marc_write_iso2709(&q, &b), 0);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  assert_non_null(mp_record_add_control(&o, "005", "x", 1, true));
  assert_int_equal(mp_record_snapshot_size(&o), 0);
  mp_record_clear(&o);
  assert_int_not_equal(mp_record_snapshot_size(&o), 0);
  mp_buf_release(&a);
  mp_buf_release(&b);
  mp_record_release(&r);
  mp_record_release(&o); /* q owns nothing: not released */
  free(snap);
  free(file);
  (void)s;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sound_files_read_every_record),
      cmocka_unit_test(test_warnings_only_where_documented),
      cmocka_unit_test(test_malformed_files_never_crash),
      cmocka_unit_test(test_values_and_offsets),
      cmocka_unit_test(test_truncated_record_is_positioned),
      cmocka_unit_test(test_record_over_99999_bytes),
      cmocka_unit_test(test_resync_on_wrong_length),
      cmocka_unit_test(test_junk_between_records),
      cmocka_unit_test(test_constant_memory_on_large_input),
      cmocka_unit_test(test_write_is_byte_identical),
      cmocka_unit_test(test_write_too_big),
      cmocka_unit_test(test_text_writer),
      cmocka_unit_test(test_parse_single_record),
      cmocka_unit_test(test_snapshot_view_is_the_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
