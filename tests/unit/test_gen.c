/* test_gen.c: the gen module: ISBN check digits, the source pool's
 * filters, the record variations, and whole generated files read back
 * with the project's reader in every format. */
#include "marcpipe/error.h"
#include "marcpipe/gen.h"
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

/* ---- helpers ---- */

static void add_sf(mp_record_t *r, char code, const char *s) {
  assert_non_null(mp_record_add_subfield(r, code, s, strlen(s), true));
}

/* Set the last field's data from its subfields, as a reader would. */
static void seal(mp_record_t *r) {
  mp_field_t *f = &r->fields[r->nfields - 1];
  size_t n = 0;
  for (uint32_t j = 0; j < f->sf_count; j++)
    n += 2 + r->subfields[f->sf_first + j].len;
  char *buf = mp_arena_alloc(&r->arena, n + 1);
  assert_non_null(buf);
  size_t k = 0;
  for (uint32_t j = 0; j < f->sf_count; j++) {
    const mp_subfield_t *s = &r->subfields[f->sf_first + j];
    buf[k++] = MP_MARC_SD;
    buf[k++] = s->code;
    memcpy(buf + k, s->data, s->len);
    k += s->len;
  }
  buf[k] = '\0';
  f->data = buf;
  f->len = (uint32_t)k;
}

/* Add a data field: (code, value) pairs after the indicators, ending
 * with code 0. */
static void add_df(mp_record_t *r, const char *tag, int i1, int i2, ...) {
  mp_record_add_datafield(r, tag, (char)i1, (char)i2);
  va_list ap;
  va_start(ap, i2);
  for (int code; (code = va_arg(ap, int)) != 0;)
    add_sf(r, (char)code, va_arg(ap, const char *));
  va_end(ap);
  seal(r);
}

/* A small book record: leader/06 = type. */
static void make_book(mp_record_t *r, char type, const char *title,
                      const char *isbn) {
  mp_record_init(r);
  memcpy(r->leader, "00000nam a2200000 a 4500", 24);
  r->leader[6] = type;
  assert_non_null(mp_record_add_control(r, "001", "src1", 4, true));
  assert_non_null(mp_record_add_control(r, "003", "DLC", 3, true));
  assert_non_null(mp_record_add_control(
      r, "008", "850101s1985    nyu           000 0 eng d", 40, true));
  add_df(r, "010", ' ', ' ', 'a', "   85012345 ", 0);
  add_df(r, "020", ' ', ' ', 'a', isbn, 'c', "$12.00", 0);
  add_df(r, "035", ' ', ' ', 'a', "(OCoLC)ocm12345678", 0);
  add_df(r, "035", ' ', ' ', 'a', "(Sirsi) a123", 0);
  add_df(r, "245", '1', '0', 'a', title, 'c', "by someone.", 0);
  add_df(r, "650", ' ', '0', 'a', "Rivers", 'z', "Europe.", 0);
}

static const mp_subfield_t *sub(const mp_record_t *r, const char *tag,
                                char code) {
  const mp_field_t *f = mp_record_field(r, tag);
  return f ? mp_field_subfield(r, f, code) : NULL;
}

static char *dupv(const char *p, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the n strings and assert no two are equal; frees them. */
static void assert_all_distinct(char **v, size_t n) {
  if (n > 1)
    qsort(v, n, sizeof *v, cmp_str);
  for (size_t i = 1; i < n; i++)
    if (strcmp(v[i - 1], v[i]) == 0)
      fail_msg("duplicate value '%s'", v[i]);
  for (size_t i = 0; i < n; i++)
    free(v[i]);
}

/* A loaded pool of two books and one score. */
static mp_gen_pool_t *small_pool(void) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  assert_non_null(p);
  mp_record_t r;
  make_book(&r, 'a', "Rivers of the northern plains /", "0306406152 (pbk.)");
  assert_int_equal(mp_gen_pool_add(p, &r), 1);
  mp_record_release(&r);
  make_book(&r, 'c', "Sonatas for violin and harpsichord :", "9780306406157");
  assert_int_equal(mp_gen_pool_add(p, &r), 1);
  mp_record_release(&r);
  return p;
}

/* ---- ISBN ---- */

static void test_isbn_check_digits(void **s) {
  assert_int_equal(mp_isbn_check10("030640615"), '2');
  assert_int_equal(mp_isbn_check10("080442957"), 'X');
  assert_int_equal(mp_isbn_check13("978030640615"), '7');
  assert_true(mp_isbn_valid("0-306-40615-2", 13));
  assert_true(mp_isbn_valid("080442957X", 10));
  assert_true(mp_isbn_valid("978-0-306-40615-7", 17));
  assert_false(mp_isbn_valid("0306406153", 10));
  assert_false(mp_isbn_valid("9780306406158", 13));
  assert_false(mp_isbn_valid("03064061", 8));
  assert_false(mp_isbn_valid("978030640615X", 13));
}

/* ---- pool ---- */

static void test_pool_keeps_only_bibliographic_records(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  mp_record_t r;
  const char *types = "acdefgijkmoprtzyuvxwbhnlqs ";
  size_t kept = 0;
  for (const char *t = types; *t; t++) {
    make_book(&r, *t, "A title /", "0306406152");
    int rc = mp_gen_pool_add(p, &r);
    assert_true(rc == 0 || rc == 1);
    kept += (size_t)rc;
    assert_int_equal(rc, strchr("acdefgijkmoprt", *t) != NULL);
    mp_record_release(&r);
  }
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  assert_int_equal(kept, 14);
  assert_int_equal(mp_gen_pool_size(p), 14);
  assert_int_equal(st.used, 14);
  assert_int_equal(st.not_bib, strlen(types) - 14);
  /* "title" from each kept 245 $a ("A" is too short) */
  assert_int_equal(st.title_words, 14);
  mp_gen_pool_destroy(p);
}

/* A book with `count` 500 notes of `len` bytes each. */
static void book_with_notes(mp_record_t *r, int count, size_t len) {
  static char note[9999];
  memset(note, 'x', sizeof note);
  make_book(r, 'a', "Notes /", "0306406152");
  for (int i = 0; i < count; i++) {
    mp_record_add_datafield(r, "500", ' ', ' ');
    assert_non_null(mp_record_add_subfield(r, 'a', note, len, false));
    seal(r);
  }
}

static void test_pool_skips_records_too_big_for_iso2709(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  static const struct {
    int count;
    size_t len;
    int kept;
  } cases[] = {
      {12, 9000, 0}, /* 108 KB: over 99,999 */
      {10, 9000, 1}, /* about 90 KB: fits */
      {1, 9990, 0},  /* one field near 9,999 bytes: no room to grow */
      {1, 9000, 1},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    mp_record_t r;
    book_with_notes(&r, cases[k].count, cases[k].len);
    assert_int_equal(mp_gen_pool_add(p, &r), cases[k].kept);
    mp_record_release(&r);
  }
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  assert_int_equal(st.too_big, 2);
  assert_int_equal(st.used, 2);
  /* what was kept stays writable as ISO 2709 after its variations */
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  o.id_prefix = "a-prefix-of-exactly-32-bytes-xxx";
  o.org_code = "org-of-16-bytes-";
  FILE *devnull = fopen("/dev/null", "wb");
  assert_non_null(devnull);
  assert_int_equal(
      mp_gen_write(p, &o, 200, MP_FMT_ISO2709, fileno(devnull), NULL, NULL), 0);
  fclose(devnull);
  mp_gen_pool_destroy(p);
}

static void test_pool_cap(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(3);
  mp_record_t r;
  make_book(&r, 'a', "Capped /", "0306406152");
  for (int i = 0; i < 5; i++)
    assert_int_equal(mp_gen_pool_add(p, &r), i < 3);
  mp_record_release(&r);
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  assert_int_equal(st.over_cap, 2);
  assert_int_equal(mp_gen_pool_size(p), 3);
  mp_gen_pool_destroy(p);
}

static void test_make_on_empty_pool_fails(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  mp_record_t out;
  mp_record_init(&out);
  assert_int_equal(mp_gen_make(p, &o, 0, &out), MP_ENOTFOUND);
  mp_record_release(&out);
  mp_gen_pool_destroy(p);
}

/* ---- variations ---- */

/* Field data must be the subfields with their delimiters. */
static void assert_data_matches_subfields(const mp_record_t *r) {
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    if (f->is_control)
      continue;
    size_t k = 0;
    for (uint32_t j = 0; j < f->sf_count; j++) {
      const mp_subfield_t *sf = &r->subfields[f->sf_first + j];
      assert_true(k + 2 + sf->len <= f->len);
      assert_int_equal(f->data[k], MP_MARC_SD);
      assert_int_equal(f->data[k + 1], sf->code);
      assert_memory_equal(f->data + k + 2, sf->data, sf->len);
      k += 2 + sf->len;
    }
    assert_int_equal(k, f->len);
  }
}

static void test_make_varies_ids_and_titles(void **s) {
  mp_gen_pool_t *p = small_pool();
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  mp_record_t out;
  mp_record_init(&out);
  enum { N = 5000 };
  char **ids = calloc(N, sizeof *ids), **oclc = calloc(N, sizeof *oclc),
       **isbn = calloc(N, sizeof *isbn), **titles = calloc(N, sizeof *titles),
       **lccn = calloc(N, sizeof *lccn);
  for (uint64_t i = 0; i < N; i++) {
    assert_int_equal(mp_gen_make(p, &o, i, &out), 0);
    assert_data_matches_subfields(&out);
    assert_int_equal(out.leader[9], 'a');
    /* 001 first, then 003; the source's 001/003 are gone */
    assert_string_equal(out.fields[0].tag, "001");
    assert_string_equal(out.fields[1].tag, "003");
    char want[32];
    snprintf(want, sizeof want, "gen%09llu", (unsigned long long)i + 1);
    assert_int_equal(out.fields[0].len, strlen(want));
    assert_memory_equal(out.fields[0].data, want, strlen(want));
    assert_memory_equal(out.fields[1].data, "MPGEN", 5);
    size_t n001 = 0;
    for (uint32_t k = 0; k < out.nfields; k++)
      n001 +=
          !strcmp(out.fields[k].tag, "001") + !strcmp(out.fields[k].tag, "003");
    assert_int_equal(n001, 2);
    ids[i] = dupv(out.fields[0].data, out.fields[0].len);

    const mp_subfield_t *a = sub(&out, "020", 'a');
    assert_non_null(a);
    /* source 0306406152 (pbk.) stays 10 digits + " (pbk.)"; 978... stays 13 */
    bool ten = a->len == 17;
    assert_true(ten || a->len == 13);
    if (ten)
      assert_memory_equal(a->data + 10, " (pbk.)", 7);
    assert_true(mp_isbn_valid(a->data, ten ? 10 : 13));
    isbn[i] = dupv(a->data, ten ? 10 : 13);
    assert_memory_equal(sub(&out, "020", 'c')->data, "$12.00", 6);

    const mp_subfield_t *o35 = sub(&out, "035", 'a');
    assert_int_equal(o35->len, strlen("(OCoLC)ocm") + 10);
    assert_memory_equal(o35->data, "(OCoLC)ocm", 10);
    oclc[i] = dupv(o35->data, o35->len);
    const mp_subfield_t *l10 = sub(&out, "010", 'a');
    assert_int_equal(l10->len, 13);
    assert_memory_equal(l10->data, "   ", 3);
    lccn[i] = dupv(l10->data, l10->len);

    const mp_subfield_t *t = sub(&out, "245", 'a');
    bool rivers = t->len > 5 && !memcmp(t->data, "Rivers", 6);
    const char *body = rivers ? "Rivers of the northern plains "
                              : "Sonatas for violin and harpsichord ";
    assert_memory_equal(t->data, body, strlen(body));
    assert_true(t->len > strlen(body) + 2);
    assert_memory_equal(t->data + t->len - 2, rivers ? " /" : " :", 2);
    titles[i] = dupv(t->data, t->len);
    /* untouched fields are the source's bytes */
    assert_memory_equal(sub(&out, "650", 'z')->data, "Europe.", 7);
  }
  /* the second 035 ("(Sirsi) a123") became unique as well */
  assert_all_distinct(ids, N);
  assert_all_distinct(oclc, N);
  assert_all_distinct(isbn, N);
  assert_all_distinct(lccn, N);
  /* titles repeat only rarely: 9 words, 1-3 appended, 2 sources */
  qsort(titles, N, sizeof *titles, cmp_str);
  size_t distinct = 1;
  for (size_t i = 1; i < N; i++)
    distinct += strcmp(titles[i - 1], titles[i]) != 0;
  assert_true(distinct > 800);
  for (size_t i = 0; i < N; i++)
    free(titles[i]);
  free(ids);
  free(oclc);
  free(isbn);
  free(lccn);
  free(titles);
  mp_record_release(&out);
  mp_gen_pool_destroy(p);
}

static void test_make_is_deterministic_by_seed(void **s) {
  mp_gen_pool_t *p = small_pool();
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  o.seed = 42;
  mp_record_t a, b;
  mp_record_init(&a);
  mp_record_init(&b);
  size_t differ = 0;
  for (uint64_t i = 0; i < 200; i++) {
    o.seed = 42;
    assert_int_equal(mp_gen_make(p, &o, i, &a), 0);
    assert_int_equal(mp_gen_make(p, &o, i, &b), 0);
    assert_int_equal(a.nfields, b.nfields);
    for (uint32_t k = 0; k < a.nfields; k++) {
      assert_int_equal(a.fields[k].len, b.fields[k].len);
      assert_memory_equal(a.fields[k].data, b.fields[k].data, a.fields[k].len);
    }
    o.seed = 43;
    assert_int_equal(mp_gen_make(p, &o, i, &b), 0);
    const mp_subfield_t *ta = sub(&a, "245", 'a'), *tb = sub(&b, "245", 'a');
    const mp_subfield_t *ia = sub(&a, "020", 'a'), *ib = sub(&b, "020", 'a');
    differ += ta->len != tb->len || memcmp(ta->data, tb->data, ta->len) ||
              ia->len != ib->len || memcmp(ia->data, ib->data, ia->len);
  }
  assert_true(differ > 190);
  mp_record_release(&a);
  mp_record_release(&b);
  mp_gen_pool_destroy(p);
}

static void test_make_uses_prefix_first_id_and_org(void **s) {
  mp_gen_pool_t *p = small_pool();
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  o.id_prefix = "bench-";
  o.first_id = 1000000000;
  o.org_code = "XX-AbC";
  mp_record_t out;
  mp_record_init(&out);
  assert_int_equal(mp_gen_make(p, &o, 7, &out), 0);
  assert_int_equal(out.fields[0].len, strlen("bench-1000000007"));
  assert_memory_equal(out.fields[0].data, "bench-1000000007", 16);
  assert_int_equal(out.fields[1].len, 6);
  assert_memory_equal(out.fields[1].data, "XX-AbC", 6);
  o.org_code = "an-org-code-longer-than-16";
  assert_int_equal(mp_gen_make(p, &o, 7, &out), MP_EUSAGE);
  mp_record_release(&out);
  mp_gen_pool_destroy(p);
}

/* ---- files written and read back ---- */

typedef struct {
  uint64_t records, rejected, bad_isbn, isbns, not_utf8;
  char **ids;
  size_t cap;
} readback_t;

static char *temp_path(void) {
  char *t = strdup("/tmp/mp-test-gen-XXXXXX");
  int fd = mkstemp(t);
  assert_true(fd >= 0);
  close(fd);
  return t;
}

static char *gen_file(const mp_gen_pool_t *p, const mp_gen_opts_t *o,
                      uint64_t n, mp_marc_format_t fmt) {
  char *path = temp_path();
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(mp_gen_write(p, o, n, fmt, fileno(f), NULL, NULL), 0);
  fclose(f);
  return path;
}

static void read_back(const char *path, mp_marc_format_t fmt, readback_t *rb) {
  memset(rb, 0, sizeof *rb);
  mp_marc_reader_opts_t ro = {.format = fmt};
  int err = 0;
  mp_marc_reader_t *r = mp_marc_reader_open(path, &ro, &err);
  if (!r)
    fail_msg("cannot open %s: %s", path, mp_strerror(err));
  for (;;) {
    mp_record_t *rec;
    int rc = mp_marc_reader_next(r, &rec);
    if (rc == MP_EOF)
      break;
    if (rc < 0) {
      rb->rejected++;
      if (mp_marc_reader_fatal(r))
        break;
      continue;
    }
    if (rb->records == rb->cap) {
      rb->cap = rb->cap ? 2 * rb->cap : 1024;
      rb->ids = realloc(rb->ids, rb->cap * sizeof *rb->ids);
    }
    const mp_field_t *f = mp_record_field(rec, "001");
    assert_non_null(f);
    rb->ids[rb->records++] = dupv(f->data, f->len);
    rb->not_utf8 += rec->leader[9] != 'a';
    for (uint32_t k = 0; k < rec->nfields; k++) {
      const mp_field_t *fi = &rec->fields[k];
      if (strcmp(fi->tag, "020") || fi->is_control)
        continue;
      for (uint32_t j = 0; j < fi->sf_count; j++) {
        const mp_subfield_t *sf = &rec->subfields[fi->sf_first + j];
        if (sf->code != 'a')
          continue;
        size_t len = 0;
        while (len < sf->len && strchr("0123456789Xx-", sf->data[len]))
          len++;
        rb->isbns++;
        rb->bad_isbn += !mp_isbn_valid(sf->data, len);
      }
    }
  }
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(r, &st);
  assert_int_equal(st.records, rb->records);
  mp_marc_reader_close(r);
}

static mp_gen_pool_t *sample_pool(void) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  char err[512];
  if (mp_gen_pool_load(p, tu_fixture("gen-sample"), err, sizeof err))
    fail_msg("%s", err);
  return p;
}

static void test_sample_pool_loads_every_record(void **s) {
  mp_gen_pool_t *p = sample_pool();
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  /* 30 traject + 386 LC + 100 folio + 19 yaz, all bibliographic */
  assert_int_equal(st.read, 535);
  assert_int_equal(st.used, 535);
  assert_int_equal(st.rejected, 0);
  assert_true(st.title_words > 1000);
  mp_gen_pool_destroy(p);
}

static void test_default_source_is_the_bundled_sample(void **s) {
  setenv(MP_GEN_SAMPLE_ENV, "/some/where.mrc", 1);
  assert_string_equal(mp_gen_default_source(), "/some/where.mrc");
  unsetenv(MP_GEN_SAMPLE_ENV);
  const char *d = mp_gen_default_source();
  const char *tail = "/tests/fixtures/gen-sample";
  assert_true(strlen(d) > strlen(tail));
  assert_string_equal(d + strlen(d) - strlen(tail), tail);
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  assert_int_equal(mp_gen_pool_load(p, d, NULL, 0), 0);
  assert_int_equal(mp_gen_pool_size(p), 535);
  mp_gen_pool_destroy(p);
}

static void check_format(mp_marc_format_t fmt, uint64_t n) {
  mp_gen_pool_t *p = sample_pool();
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  char *path = gen_file(p, &o, n, fmt);
  readback_t rb;
  read_back(path, fmt, &rb);
  assert_int_equal(rb.rejected, 0);
  assert_int_equal(rb.records, n);
  assert_int_equal(rb.not_utf8, 0);
  assert_int_equal(rb.bad_isbn, 0);
  if (n >= 1000)
    assert_true(rb.isbns > n / 10);
  for (uint64_t i = 0; i < rb.records; i++) {
    char want[32];
    snprintf(want, sizeof want, "gen%09llu", (unsigned long long)i + 1);
    assert_string_equal(rb.ids[i], want);
  }
  assert_all_distinct(rb.ids, rb.records);
  free(rb.ids);
  unlink(path);
  free(path);
  mp_gen_pool_destroy(p);
}

static void test_iso2709_reads_back(void **s) {
  check_format(MP_FMT_ISO2709, 20000);
}
static void test_marcxml_reads_back(void **s) {
  check_format(MP_FMT_MARCXML, 2000);
}
static void test_json_reads_back(void **s) { check_format(MP_FMT_JSON, 2000); }
static void test_zero_records_give_empty_valid_files(void **s) {
  check_format(MP_FMT_ISO2709, 0);
  check_format(MP_FMT_MARCXML, 0);
  check_format(MP_FMT_JSON, 0);
}

static void test_files_deterministic_by_seed(void **s) {
  mp_gen_pool_t *p = sample_pool();
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  o.seed = 7;
  char *a = gen_file(p, &o, 3000, MP_FMT_ISO2709);
  char *b = gen_file(p, &o, 3000, MP_FMT_ISO2709);
  o.seed = 8;
  char *c = gen_file(p, &o, 3000, MP_FMT_ISO2709);
  size_t la, lb, lc;
  char *da = tu_slurp(a, &la), *db = tu_slurp(b, &lb), *dc = tu_slurp(c, &lc);
  assert_true(la > 3000 * 500);
  assert_int_equal(la, lb);
  assert_memory_equal(da, db, la);
  assert_true(la != lc || memcmp(da, dc, la) != 0);
  free(da);
  free(db);
  free(dc);
  unlink(a);
  unlink(b);
  unlink(c);
  free(a);
  free(b);
  free(c);
  mp_gen_pool_destroy(p);
}

static void test_marc8_sources_are_converted(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  char err[512];
  if (mp_gen_pool_load(p, tu_data("iso2709/solrmarc--uva_001_2000.mrc"), err,
                       sizeof err))
    fail_msg("%s", err);
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  /* types a,j,c,g,i,e: all bibliographic */
  assert_int_equal(st.read, 2000);
  assert_int_equal(st.used, 2000);
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  char *path = gen_file(p, &o, 1000, MP_FMT_ISO2709);
  readback_t rb;
  read_back(path, MP_FMT_ISO2709, &rb);
  assert_int_equal(rb.records, 1000);
  assert_int_equal(rb.rejected, 0);
  assert_int_equal(rb.not_utf8, 0);
  assert_int_equal(rb.bad_isbn, 0);
  assert_all_distinct(rb.ids, rb.records);
  free(rb.ids);
  unlink(path);
  free(path);
  mp_gen_pool_destroy(p);
}

static void test_authority_file_gives_no_sources(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  assert_int_equal(
      mp_gen_pool_load(p, tu_data("iso2709/mrrctestbed--authority-sample.mrc"),
                       NULL, 0),
      0);
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(p, &st);
  assert_int_equal(st.not_bib, 150);
  assert_int_equal(mp_gen_pool_size(p), 0);
  mp_gen_opts_t o;
  mp_gen_opts_default(&o);
  assert_int_equal(mp_gen_write(p, &o, 10, MP_FMT_ISO2709, -1, NULL, NULL),
                   MP_ENOTFOUND);
  mp_gen_pool_destroy(p);
}

static void test_unreadable_source_names_the_file(void **s) {
  mp_gen_pool_t *p = mp_gen_pool_new(0);
  char err[512] = "";
  int rc = mp_gen_pool_load(p, "/nonexistent/gen-source.mrc", err, sizeof err);
  assert_true(rc < 0);
  assert_non_null(strstr(err, "/nonexistent/gen-source.mrc"));
  mp_gen_pool_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isbn_check_digits),
      cmocka_unit_test(test_pool_keeps_only_bibliographic_records),
      cmocka_unit_test(test_pool_skips_records_too_big_for_iso2709),
      cmocka_unit_test(test_pool_cap),
      cmocka_unit_test(test_make_on_empty_pool_fails),
      cmocka_unit_test(test_make_varies_ids_and_titles),
      cmocka_unit_test(test_make_is_deterministic_by_seed),
      cmocka_unit_test(test_make_uses_prefix_first_id_and_org),
      cmocka_unit_test(test_sample_pool_loads_every_record),
      cmocka_unit_test(test_default_source_is_the_bundled_sample),
      cmocka_unit_test(test_iso2709_reads_back),
      cmocka_unit_test(test_marcxml_reads_back),
      cmocka_unit_test(test_json_reads_back),
      cmocka_unit_test(test_zero_records_give_empty_valid_files),
      cmocka_unit_test(test_files_deterministic_by_seed),
      cmocka_unit_test(test_marc8_sources_are_converted),
      cmocka_unit_test(test_authority_file_gives_no_sources),
      cmocka_unit_test(test_unreadable_source_names_the_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
