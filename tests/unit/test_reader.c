/* test_reader.c: the generic reader: formats, opening, stdin and memory
 * input, strict mode, the error cap, diagnostics and the raw view. */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void test_format_names(void **s) {
  assert_int_equal(mp_marc_format_parse("iso2709"), MP_FMT_ISO2709);
  assert_int_equal(mp_marc_format_parse("MRC"), MP_FMT_ISO2709);
  assert_int_equal(mp_marc_format_parse("marc"), MP_FMT_ISO2709);
  assert_int_equal(mp_marc_format_parse("xml"), MP_FMT_MARCXML);
  assert_int_equal(mp_marc_format_parse("marcxml"), MP_FMT_MARCXML);
  assert_int_equal(mp_marc_format_parse("json"), MP_FMT_JSON);
  assert_int_equal(mp_marc_format_parse("csv"), -1);
  assert_int_equal(mp_marc_format_parse(NULL), -1);
  assert_string_equal(mp_marc_format_name(MP_FMT_MARCXML), "marcxml");
  assert_string_equal(mp_marc_format_name(MP_FMT_ISO2709), "iso2709");
  assert_string_equal(mp_marc_format_name(MP_FMT_JSON), "json");
}

static void test_format_detect(void **s) {
  assert_int_equal(mp_marc_format_detect("00799cam", 8), MP_FMT_ISO2709);
  assert_int_equal(mp_marc_format_detect("\xEF\xBB\xBF <?xml", 9),
                   MP_FMT_MARCXML);
  assert_int_equal(mp_marc_format_detect("\n  <collection", 14),
                   MP_FMT_MARCXML);
  assert_int_equal(mp_marc_format_detect(" {\"leader\"", 10), MP_FMT_JSON);
  assert_int_equal(mp_marc_format_detect("[{", 2), MP_FMT_JSON);
  assert_int_equal(mp_marc_format_detect("", 0), MP_FMT_ISO2709);
  /* real files: first 4 KiB as the reader sees them */
  size_t n;
  char *p = tu_slurp(tu_data("marcxml/solrmarc--specTestRecs_withBOM.xml"),
                     &n);
  assert_int_equal(mp_marc_format_detect(p, n < 4096 ? n : 4096),
                   MP_FMT_MARCXML);
  free(p);
  p = tu_slurp(tu_data("json/traject--test_data.utf8.json"), &n);
  assert_int_equal(mp_marc_format_detect(p, 4096), MP_FMT_JSON);
  free(p);
}

static void test_open_errors(void **s) {
  int err = 0;
  assert_null(mp_marc_reader_open("/nonexistent/file.mrc", NULL, &err));
  assert_int_equal(err, -ENOENT);
  err = 0;
  mp_marc_reader_t *r =
      mp_marc_reader_open(tu_data("iso2709/pymarc--test.dat"), NULL, &err);
  assert_non_null(r);
  assert_int_equal(err, 0);
  assert_int_equal(mp_marc_reader_format(r), MP_FMT_ISO2709);
  assert_non_null(strstr(mp_marc_reader_name(r), "pymarc--test.dat"));
  mp_marc_reader_close(r);
}

/* stdin ("-") and memory give the same records as the file. */
static void test_stdin_and_memory(void **s) {
  const char *path = tu_data("iso2709/pymarc--test.dat");
  int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);
  assert_true(saved >= 0 && fd >= 0);
  assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
  close(fd);
  int err;
  mp_marc_reader_t *a = mp_marc_reader_open("-", NULL, &err);
  assert_non_null(a);
  assert_string_equal(mp_marc_reader_name(a), "-");
  size_t n;
  char *file = tu_slurp(path, &n);
  mp_marc_reader_t *b = mp_marc_reader_open_mem(NULL, file, n, NULL, &err);
  assert_non_null(b);
  mp_record_t *ra, *rb;
  int count = 0;
  for (;;) {
    int x = mp_marc_reader_next(a, &ra), y = mp_marc_reader_next(b, &rb);
    assert_int_equal(x, y);
    if (x)
      break;
    assert_string_equal(ra->leader, rb->leader);
    assert_int_equal(ra->offset, rb->offset);
    assert_int_equal(ra->nfields, rb->nfields);
    size_t la, lb;
    const char *pa = mp_marc_reader_raw(a, &la), *pb = mp_marc_reader_raw(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    assert_ptr_equal(pb, file + rb->offset); /* memory input: zero copy */
    count++;
  }
  assert_int_equal(count, 10);
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(a, &st);
  assert_int_equal(st.records, 10);
  assert_int_equal(st.bytes, n);
  mp_marc_reader_close(a);
  mp_marc_reader_close(b);
  free(file);
  assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
  close(saved);
}

static uint64_t count_rejected(const char *rel, const mp_marc_reader_opts_t *o,
                               uint64_t *records) {
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open(tu_data(rel), o, &err);
  assert_non_null(r);
  mp_record_t *rec;
  while (mp_marc_reader_next(r, &rec) != MP_EOF)
    if (mp_marc_reader_fatal(r))
      break;
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(r, &st);
  mp_marc_reader_close(r);
  *records = st.records;
  return st.rejected;
}

/* strict rejects what lenient repairs, nothing else */
static void test_strict_mode(void **s) {
  mp_marc_reader_opts_t strict = {.strict = true};
  uint64_t rec;
  /* 6 records with an entry map other than 4500 */
  assert_int_equal(
      count_rejected("iso2709/stanfordsolrmarc--unicornWHoldings.mrc",
                     &strict, &rec),
      6);
  assert_int_equal(rec, 44);
  assert_int_equal(
      count_rejected("iso2709/traject--test_data.utf8.mrc", &strict, &rec), 0);
  assert_int_equal(rec, 30);
  /* all but records 1 and 8 of pymarc's bad_records need a repair */
  assert_int_equal(
      count_rejected("malformed/pymarc--bad_records.mrc", &strict, &rec), 6);
  assert_int_equal(rec, 2);
  /* the wrapped 520 continuation lines */
  assert_int_equal(
      count_rejected("iso2709/openlibrary--wrapped_lines.mrc", &strict, &rec),
      1);
}

static void test_max_errors_ends_stream(void **s) {
  mp_marc_reader_opts_t o = {.strict = true, .max_errors = 3};
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open(
      tu_data("malformed/pymarc--bad_records.mrc"), &o, &err);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_ELEADER);
  assert_false(mp_marc_reader_fatal(r));
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_ELEADER);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_ETOOMANY);
  assert_true(mp_marc_reader_fatal(r));
  size_t nd;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 2); /* the record's own error, then the cap */
  assert_int_equal(d[0].code, MP_EDIRECTORY);
  assert_int_equal(d[1].code, MP_ETOOMANY);
  assert_int_equal(d[1].severity, MP_SEV_FATAL);
  assert_int_equal(d[1].recno, 4);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_EOF);
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(r, &st);
  assert_int_equal(st.records, 1);
  assert_int_equal(st.rejected, 3);
  mp_marc_reader_close(r);
}

/* pymarc bad_records, record 5 (bytes 509-636): a non-ASCII character in
 * the directory (one byte too many: length 13). The
 * error is positioned at the entry and the raw bytes are the record. */
static void test_rejected_record_diag_and_raw(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("malformed/pymarc--bad_records.mrc"), &n);
  int err;
  mp_marc_reader_t *r =
      mp_marc_reader_open(tu_data("malformed/pymarc--bad_records.mrc"), NULL,
                          &err);
  mp_record_t *rec;
  int rc;
  for (int i = 0; i < 5; i++)
    rc = mp_marc_reader_next(r, &rec);
  assert_int_equal(rc, MP_EDIRECTORY);
  size_t nd, raw_len;
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 2);
  assert_int_equal(d[0].severity, MP_SEV_WARNING); /* directory % 12 */
  assert_int_equal(d[1].severity, MP_SEV_ERROR);
  assert_int_equal(d[1].recno, 5);
  assert_int_equal(d[1].offset, 509 + 24); /* the entry */
  const char *raw = mp_marc_reader_raw(r, &raw_len);
  assert_int_equal(raw_len, 637 - 509);
  assert_memory_equal(raw, file + 509, raw_len);
  char line[512];
  mp_marc_diag_format(&d[1], "bad_records.mrc", line, sizeof line);
  assert_non_null(strstr(line, "bad_records.mrc: record 5 at byte 533, "
                               "field 245: error: directory entry 1 has a "
                               "non-numeric length or start \"??0890000\""));
  /* lenient: record 6 (non-numeric base address) is repaired */
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(rec->recno, 6);
  assert_int_equal(rec->nwarnings, 1);
  d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(d[0].code, MP_ELEADER);
  assert_non_null(strstr(d[0].msg, "base address \"f0037\""));
  assert_memory_equal(mp_record_field(rec, "245")->data, "\x1f" "a", 2);
  mp_marc_reader_close(r);
  free(file);
}

static void test_empty_and_not_marc(void **s) {
  int err;
  mp_marc_reader_t *r =
      mp_marc_reader_open(tu_data("malformed/folio-mdi--0.mrc"), NULL, &err);
  mp_record_t *rec;
  size_t nd;
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_EOF);
  mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 0);
  mp_marc_reader_close(r);
  r = mp_marc_reader_open(tu_data("malformed/folio-mdi--invalidMarcFile.mrc"),
                          NULL, &err);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_ETRUNCATED);
  const mp_marc_diag_t *d = mp_marc_reader_diags(r, &nd);
  assert_int_equal(nd, 1);
  assert_int_equal(d[0].recno, 1);
  assert_int_equal(d[0].offset, 0);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_EOF);
  mp_marc_reader_close(r);
}

/* max_record_bytes also bounds memory input: longer records are rejected
 * (21 of traject's 30 records exceed 1000 bytes) and reading goes on. */
static void test_max_record_bytes(void **s) {
  size_t n;
  char *file = tu_slurp(tu_data("iso2709/traject--test_data.utf8.mrc"), &n);
  mp_marc_reader_opts_t o = {.max_record_bytes = 1000};
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open_mem("mem", file, n, &o, &err);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(mp_marc_reader_next(r, &rec), MP_ETOOBIG); /* 1988 B */
  assert_int_equal(mp_marc_reader_next(r, &rec), 0);
  assert_int_equal(rec->offset, 799 + 778 + 1988);
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF)
    assert_true(rc == 0 || rc == MP_ETOOBIG);
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(r, &st);
  assert_int_equal(st.records, 9);
  assert_int_equal(st.rejected, 21);
  assert_int_equal(st.bytes, n);
  mp_marc_reader_close(r);
  free(file);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_names),
      cmocka_unit_test(test_format_detect),
      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_stdin_and_memory),
      cmocka_unit_test(test_strict_mode),
      cmocka_unit_test(test_max_errors_ends_stream),
      cmocka_unit_test(test_rejected_record_diag_and_raw),
      cmocka_unit_test(test_empty_and_not_marc),
      cmocka_unit_test(test_max_record_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
