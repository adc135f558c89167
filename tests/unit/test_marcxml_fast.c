/* test_marcxml_fast.c: the MARCXML fast scanner against the libxml2 path.
 * Every data-set file, and inputs built to cross buffer boundaries or to
 * make the scanner hand over to libxml2, must give the same records, the
 * same return codes and the same diagnostics (offsets aside: the scanner's
 * are exact, libxml2's approximate) both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "marc/marcxml_fast.h"
#include "testutil.h"
#include "tu_marc.h"

#include <dirent.h>
#include <unistd.h>

/* One pass: records (cloned) and a log of return codes and diagnostics. */
typedef struct {
  tu_records_t recs;
  char log[16384];
  size_t loglen;
  size_t exact; /* records whose offset is the '<' of a record start tag */
} run_t;

static void logf_(run_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->log + o->loglen, sizeof o->log - o->loglen, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof o->log - o->loglen)
    o->loglen += (size_t)n;
}

static bool at_record_tag(const char *data, size_t len, uint64_t off) {
  if (off >= len || data[off] != '<')
    return false;
  const char *p = data + off + 1, *end = data + len;
  while (p < end && *p != ' ' && *p != '>' && *p != '/' && *p != ':')
    p++;
  if (p < end && *p == ':')
    p++;
  else
    p = data + off + 1;
  return end - p >= 6 && memcmp(p, "record", 6) == 0;
}

/* Read `path` (or the memory buffer when path is NULL) with or without the
 * fast scanner. data/len: the same bytes, to check offsets. */
static void run(const char *path, const char *data, size_t len, bool fast,
                run_t *o) {
  memset(o, 0, sizeof *o);
  mp__marcxml_no_fast = !fast;
  int err = 0;
  mp_marc_reader_opts_t opts = {.format = MP_FMT_MARCXML};
  mp_marc_reader_t *rd =
      path ? mp_marc_reader_open(path, &opts, &err)
           : mp_marc_reader_open_mem("mem", data, len, &opts, &err);
  mp__marcxml_no_fast = false;
  assert_non_null(rd);
  size_t cap = 0;
  for (;;) {
    mp_record_t *rec;
    int rc = mp_marc_reader_next(rd, &rec);
    size_t nd;
    const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &nd);
    logf_(o, "rc %d\n", rc);
    for (size_t i = 0; i < nd; i++)
      logf_(o, "  #%llu %d %s: %s\n", (unsigned long long)d[i].recno,
            (int)d[i].severity, d[i].tag, d[i].msg);
    if (rc == MP_EOF || (rc < 0 && mp_marc_reader_fatal(rd)))
      break;
    if (rc < 0)
      continue;
    if (at_record_tag(data, len, rec->offset))
      o->exact++;
    if (o->recs.n == cap) {
      cap = cap ? cap * 2 : 16;
      o->recs.recs = realloc(o->recs.recs, cap * sizeof *o->recs.recs);
      assert_non_null(o->recs.recs);
    }
    mp_record_init(&o->recs.recs[o->recs.n]);
    assert_int_equal(mp_record_clone(&o->recs.recs[o->recs.n], rec), 0);
    o->recs.n++;
  }
  mp_marc_reader_close(rd);
}

/* Both ways give the same; returns the fast run's exact-offset count. */
static size_t compare(const char *path, const char *data, size_t len,
                      size_t *nrecs) {
  run_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  run(path, data, len, true, a);
  run(path, data, len, false, b);
  if (strcmp(a->log, b->log) != 0)
    fail_msg("%s: fast:\n%s\nlibxml2:\n%s", path ? path : "mem", a->log,
             b->log);
  assert_int_equal(a->recs.n, b->recs.n);
  for (size_t i = 0; i < a->recs.n; i++)
    tu_assert_same(&a->recs.recs[i], &b->recs.recs[i], TU_LEADER,
                   path ? path : "mem");
  size_t exact = a->exact;
  *nrecs = a->recs.n;
  tu_free(&a->recs);
  tu_free(&b->recs);
  free(a);
  free(b);
  return exact;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every .xml file of a data-set directory: same both ways. Returns the
 * number of files whose every record had an exact offset (fast path kept
 * to the end). */
static int compare_dir(const char *dir, int *files) {
  char path[4096];
  snprintf(path, sizeof path, "%s", tu_data(dir));
  DIR *d = opendir(path);
  assert_non_null(d);
  struct dirent *e;
  int fast_files = 0;
  *files = 0;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".xml"))
      continue;
    char file[4096 + 260];
    snprintf(file, sizeof file, "%s/%s", path, e->d_name);
    size_t len, n;
    char *data = tu_slurp(file, &len);
    size_t exact = compare(file, data, len, &n);
    (*files)++;
    fast_files += n > 0 && exact == n;
    free(data);
  }
  closedir(d);
  return fast_files;
}

static void test_data_set_same_both_ways(void **s) {
  (void)s;
  int files;
  int fast = compare_dir("marcxml", &files);
  assert_int_equal(files, 21);
  /* the scanner keeps to the end in every well-formed file */
  assert_int_equal(fast, 21);
  fast = compare_dir("malformed", &files);
  assert_int_equal(files, 5);
  /* the two chabon files reject their only record (nothing delivered);
   * three-records-second-bad delivers record 1 from the scanner, which
   * hands the broken record 2 over to libxml2 */
  assert_int_equal(fast, 3);
}

#define REC(id, body)                                                          \
  "<record><leader>00000nam a2200000 a 4500</leader>"                          \
  "<controlfield tag=\"001\">" id "</controlfield>"                            \
  "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">" body   \
  "</subfield></datafield></record>\n"

static void test_entities_and_references_decoded(void **s) {
  (void)s;
  static const char doc[] =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<!-- a comment --><?pi data?>\n"
      "<marc:collection xmlns:marc=\"http://www.loc.gov/MARC21/slim\">\n"
      "<marc:record><marc:leader>00000nam a2200000 a 4500</marc:leader>"
      "<marc:datafield tag='245' ind1='1' ind2='0'>"
      "<marc:subfield code='a'>A &amp; B &lt;&gt; &quot;&apos; &#233;&#x4E2D;"
      "&#x1F600; \xC3\xA9</marc:subfield><marc:subfield code='b'/>"
      "</marc:datafield></marc:record>\n</marc:collection>\n";
  run_t *o = malloc(sizeof *o);
  assert_non_null(o);
  run(NULL, doc, sizeof doc - 1, true, o);
  assert_int_equal(o->recs.n, 1);
  assert_int_equal(o->exact, 1);
  assert_string_equal(tu_sf(&o->recs.recs[0], "245", 'a'),
                      "A & B <> \"' \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80 "
                      "\xC3\xA9");
  assert_string_equal(tu_sf(&o->recs.recs[0], "245", 'b'), "");
  tu_free(&o->recs);
  free(o);
  size_t n;
  compare(NULL, doc, sizeof doc - 1, &n);
  assert_int_equal(n, 1);
}

/* Record 2 has a CDATA section: records 1 comes from the scanner, the rest
 * from libxml2 after the hand-over, numbered on. */
static const char cdata_doc[] =
    "<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n" REC("r1", "one")
        REC("r2", "<![CDATA[two & <more>]]>") REC("r3", "three")
    "</collection>\n";

static void check_cdata_run(const char *path) {
  run_t *o = malloc(sizeof *o);
  assert_non_null(o);
  run(path, cdata_doc, sizeof cdata_doc - 1, true, o);
  assert_int_equal(o->recs.n, 3);
  assert_int_equal(o->exact, 1); /* only record 1 from the scanner */
  assert_int_equal(o->recs.recs[0].recno, 1);
  assert_int_equal(o->recs.recs[1].recno, 2);
  assert_int_equal(o->recs.recs[2].recno, 3);
  assert_string_equal(tu_sf(&o->recs.recs[0], "245", 'a'), "one");
  assert_string_equal(tu_sf(&o->recs.recs[1], "245", 'a'), "two & <more>");
  assert_string_equal(tu_sf(&o->recs.recs[2], "001", 0), "r3");
  tu_free(&o->recs);
  free(o);
}

static char *temp_file(const char *data, size_t len) {
  static char path[] = "/tmp/mp_xml_fast_XXXXXX";
  strcpy(path, "/tmp/mp_xml_fast_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  close(fd);
  return path;
}

static void test_hand_over_to_libxml2_memory_and_file(void **s) {
  (void)s;
  check_cdata_run(NULL);
  char *path = temp_file(cdata_doc, sizeof cdata_doc - 1);
  check_cdata_run(path); /* rewinds the file */
  size_t n;
  compare(path, cdata_doc, sizeof cdata_doc - 1, &n);
  assert_int_equal(n, 3);
  unlink(path);
}

static void test_broken_xml_after_good_records(void **s) {
  (void)s;
  static const char doc[] = "<collection>\n" REC("r1", "one")
      REC("r2", "two") "<record><leader>x</leader></recrod>\n"
      "</collection>\n";
  run_t *o = malloc(sizeof *o);
  assert_non_null(o);
  run(NULL, doc, sizeof doc - 1, true, o);
  assert_int_equal(o->recs.n, 2);
  assert_non_null(strstr(o->log, "rc -"));
  assert_non_null(strstr(o->log, "#3 3 : malformed xml at line 4 column"));
  tu_free(&o->recs);
  free(o);
  /* (libxml2 alone parses this small buffer ahead and fails at once) */
  size_t n;
  /* a DOCTYPE goes to libxml2 from the start */
  static const char dt[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE collection>\n"
                           "<collection>" REC("r1", "one") "</collection>";
  assert_int_equal(compare(NULL, dt, sizeof dt - 1, &n), 0);
  assert_int_equal(n, 1);
}

/* A file far larger than the input buffer, records of growing size (one
 * larger than the buffer) with references and multi-byte text, so that
 * every construct meets a window end somewhere. */
static void test_large_file_window_boundaries(void **s) {
  (void)s;
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp_buf_puts(&b, "<?xml version=\"1.0\"?>\n<collection "
                                   "xmlns=\"http://www.loc.gov/MARC21/slim\">\n"),
                   0);
  for (int i = 0; i < 3000; i++) {
    assert_int_equal(
        mp_buf_printf(&b,
                      "  <record>\n    <leader>00000nam a2200000 a 4500</leader>\n"
                      "    <controlfield tag=\"001\">id%d</controlfield>\n"
                      "    <datafield tag=\"245\" ind1=\"%d\" ind2=\" \">\n"
                      "      <subfield code=\"a\">",
                      i, i % 10),
        0);
    int words = i == 1500 ? 40000 : i % 97;
    for (int w = 0; w < words; w++)
      assert_int_equal(mp_buf_puts(&b, w % 3 ? "caf\xC3\xA9 " : "a&amp;b&#x4E2D; "), 0);
    assert_int_equal(mp_buf_puts(&b, "</subfield>\n    </datafield>\n  </record>\n"), 0);
  }
  assert_int_equal(mp_buf_puts(&b, "</collection>\n"), 0);
  char *path = temp_file(b.data, b.len);
  size_t n;
  size_t exact = compare(path, b.data, b.len, &n);
  assert_int_equal(n, 3000);
  assert_int_equal(exact, 3000);
  unlink(path);
  mp_buf_release(&b);
}

/* Input that is not XML, short enough that libxml2 takes all of it when
 * its reader starts (it reads ahead for the encoding): the libxml2 path
 * (stdin and pipes always take it) must end with the same positioned
 * error as the scanner's hand-over, never with zero records and no error.
 * White space alone stays zero records both ways. */
static void test_short_garbage_is_malformed_both_ways(void **s) {
  (void)s;
  static const char *bad[] = {"< 5", "<? ", "<=?\x03", "abc", "<a",
                              "x",   "<a>  ", "}\n\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    size_t n = 99;
    compare(NULL, bad[i], strlen(bad[i]), &n);
    assert_int_equal(n, 0);
    run_t *o = malloc(sizeof *o);
    assert_non_null(o);
    run(NULL, bad[i], strlen(bad[i]), false, o);
    char want[64];
    snprintf(want, sizeof want, "rc %d\n  #1 3 : malformed xml at line 1 column ",
             MP_EXML);
    if (strncmp(o->log, want, strlen(want)) != 0)
      fail_msg("'%s': libxml2 path log:\n%s", bad[i], o->log);
    free(o);
  }
  static const char *blank[] = {"", " ", "\n\t \r\n"};
  for (size_t i = 0; i < sizeof blank / sizeof *blank; i++) {
    size_t n = 99;
    compare(NULL, blank[i], strlen(blank[i]), &n);
    assert_int_equal(n, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_set_same_both_ways),
      cmocka_unit_test(test_entities_and_references_decoded),
      cmocka_unit_test(test_hand_over_to_libxml2_memory_and_file),
      cmocka_unit_test(test_broken_xml_after_good_records),
      cmocka_unit_test(test_short_garbage_is_malformed_both_ways),
      cmocka_unit_test(test_large_file_window_boundaries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
