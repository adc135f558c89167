/* test_iso2709_fast.c: the fast paths of ISO 2709 reading, each against a
 * plain reference and on both of its branches:
 *  - directory entries converted a word at a time (mp__iso_entry) against
 *    mp__iso_digits, for every byte value in every position;
 *  - subfields split by the 16-byte / 8-byte / byte delimiter scan against
 *    a byte-by-byte split, for fields of every length up to 150 (two full
 *    64-byte masks and a tail, each way the last load overlaps) with
 *    delimiters, empty codes, leading text and non-ASCII bytes at every
 *    place, and the parser's "views are ASCII" answer against a scan;
 *  - numeric tags (data field even without 0x1F) against tags with one
 *    byte just outside the digits;
 *  - the charset step for records flagged UTF-8: untouched views when the
 *    record is clean (ASCII, and valid multibyte), repairs as before when it
 *    is not (invalid bytes, a non-ASCII subfield code, a directory entry
 *    that starts inside a character).
 */
#include "marc/iso2709_impl.h"
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
#include <cmocka.h>

/* ---- directory entries ---- */

static void check_entry(const char e[12]) {
  uint32_t len = 7, start = 7;
  long rl = mp__iso_digits(e + 3, 4), rs = mp__iso_digits(e + 7, 5);
  bool ok = mp__iso_entry(e, &len, &start);
  assert_int_equal(ok, rl >= 0 && rs >= 0);
  if (ok) {
    assert_int_equal(len, (uint32_t)rl);
    assert_int_equal(start, (uint32_t)rs);
  }
}

static void test_entry_word_matches_digits(void **s) {
  char e[13] = "245001200345";
  check_entry(e);
  uint32_t len, start;
  assert_true(mp__iso_entry(e, &len, &start));
  assert_int_equal(len, 12);
  assert_int_equal(start, 345);
  memcpy(e, "100999999999", 12);
  assert_true(mp__iso_entry(e, &len, &start));
  assert_int_equal(len, 9999);
  assert_int_equal(start, 99999);
  int bad = 0;
  for (int pos = 3; pos < 12; pos++)
    for (int b = 0; b < 256; b++) {
      memcpy(e, "245001200345", 12);
      e[pos] = (char)b;
      check_entry(e);
      bad += !mp__iso_entry(e, &len, &start);
    }
  assert_int_equal(bad, 9 * 246); /* every non-digit in every position */
  srand(7);
  for (int k = 0; k < 100000; k++) {
    for (int i = 0; i < 12; i++)
      e[i] = (char)(rand() % 4 ? '0' + rand() % 10 : rand() % 256);
    check_entry(e);
  }
}

/* ---- subfields ---- */

/* A one-field record: leader, one directory entry for tag, data + 0x1E. */
static size_t one_field(char *out, const char *tag, const char *data,
                        size_t n) {
  size_t base = 24 + 12 + 1, total = base + n + 1 + 1;
  char head[80];
  snprintf(head, sizeof head, "%05zunam a22%05zu   4500%.3s%04zu%05d", total,
           base, tag, n + 1, 0);
  memcpy(out, head, 36);
  out[36] = MP_MARC_FT;
  memcpy(out + base, data, n);
  out[base + n] = MP_MARC_FT;
  out[base + n + 1] = MP_MARC_RT;
  return total;
}

typedef struct ref_sf_s {
  char code;
  size_t at, len; /* offset of the data in the field's view */
} ref_sf_t;

/* Byte-by-byte split of a data field view (what the parser did before);
 * returns the count, *empty = delimiters without a code. */
static size_t ref_split(const char *v, size_t n, ref_sf_t *out,
                        size_t *empty) {
  size_t k = 0, i = 0;
  *empty = 0;
  if (n && v[0] != MP_MARC_SD) {
    while (i < n && v[i] != MP_MARC_SD)
      i++;
    out[k++] = (ref_sf_t){'a', 0, i};
  }
  while (i < n) { /* v[i] is a delimiter */
    size_t j = i + 1;
    while (j < n && v[j] != MP_MARC_SD)
      j++;
    if (j == i + 1)
      (*empty)++;
    else
      out[k++] = (ref_sf_t){v[i + 1], i + 2, j - i - 2};
    i = j;
  }
  return k;
}

typedef struct warn_count_s {
  int warnings, errors;
} warn_count_t;

static void count_diag(void *ud, int code, mp_severity_t sev, size_t off,
                       const char *tag, const char *msg) {
  warn_count_t *w = ud;
  if (sev == MP_SEV_WARNING)
    w->warnings++;
  else
    w->errors++;
}

static void check_split(const char *field, size_t n) {
  char rec_bytes[256];
  size_t total = one_field(rec_bytes, "245", field, n);
  mp_record_t rec;
  mp_record_init(&rec);
  bool ascii = false;
  warn_count_t w = {0};
  mp_iso_ctx_t ctx = {.emit = count_diag, .ud = &w, .ascii = &ascii};
  int rc = mp__iso2709_parse(rec_bytes, total, &rec, &ctx);
  ref_sf_t ref[128];
  size_t empty, nref = n >= 2 ? ref_split(field + 2, n - 2, ref, &empty) : 0;
  if (n < 2) { /* shorter than its indicators: repaired, no subfields */
    assert_int_equal(rc, 0);
    assert_int_equal(rec.nsubfields, 0);
    mp_record_release(&rec);
    return;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(rec.nfields, 1);
  const mp_field_t *f = &rec.fields[0];
  assert_int_equal(f->ind1, field[0]);
  assert_int_equal(f->ind2, field[1]);
  assert_int_equal(f->sf_count, nref);
  bool lead = n > 2 && field[2] != MP_MARC_SD;
  assert_int_equal(w.warnings, (int)empty + (lead ? 1 : 0));
  const char *view = rec_bytes + 37 + 2;
  for (size_t k = 0; k < nref; k++) {
    const mp_subfield_t *sf = &rec.subfields[f->sf_first + k];
    assert_int_equal(sf->code, ref[k].code);
    assert_int_equal(sf->len, ref[k].len);
    if (ref[k].len)
      assert_ptr_equal(sf->data, view + ref[k].at);
  }
  bool high = false;
  for (size_t i = 2; i < n; i++)
    high |= (unsigned char)field[i] >= 0x80;
  assert_int_equal(ascii, !high);
  mp_record_release(&rec);
}

static void test_subfield_scan_matches_bytewise_split(void **s) {
  char field[160];
  int cases = 0;
  for (size_t n = 0; n <= 150; n++) {
    /* delimiter at every position, alone and with its neighbours */
    for (size_t at = 2; at < n; at++)
      for (int variant = 0; variant < 6; variant++) {
        memset(field, 'x', n);
        if (n > 0)
          field[0] = '1';
        if (n > 1)
          field[1] = ' ';
        if (n > 2 && variant != 1)
          field[2] = MP_MARC_SD; /* variant 1: leading text */
        field[at] = MP_MARC_SD;
        if (variant == 2 && at + 1 < n)
          field[at + 1] = MP_MARC_SD; /* empty code */
        if (variant == 3)
          field[n - 1] = MP_MARC_SD; /* delimiter last: empty code */
        if (variant == 4)
          field[at - 1 > 2 ? at - 1 : 2] = (char)0xC3; /* not ASCII */
        if (variant == 5)
          for (size_t i = 3; i < n; i += 3)
            field[i] = MP_MARC_SD; /* dense */
        check_split(field, n);
        cases++;
      }
    memset(field, 'y', n); /* no delimiter at all */
    check_split(field, n);
    if (n > 2) {
      field[n - 1] = (char)0x80; /* high byte in the byte-step tail */
      check_split(field, n);
    }
  }
  assert_true(cases > 10000);
}

/* A field without 0x1F is a data field when its tag is numeric (and not
 * 00X), a control field otherwise: every numeric tag, and tags with one
 * byte just outside '0'..'9' (tag digits are checked byte by byte). */
/* Parse a one-field record of `tag` holding text without 0x1F: whether the
 * field came out as a control field; *warnings set. */
static bool parsed_as_control(const char *tag, int *warnings) {
  static const char text[] = "  plain text";
  char rec_bytes[128];
  size_t total = one_field(rec_bytes, tag, text, sizeof text - 1);
  mp_record_t rec;
  mp_record_init(&rec);
  warn_count_t w = {0};
  mp_iso_ctx_t ctx = {.emit = count_diag, .ud = &w};
  assert_int_equal(mp__iso2709_parse(rec_bytes, total, &rec, &ctx), 0);
  bool control = rec.fields[0].is_control;
  mp_record_release(&rec);
  *warnings = w.warnings;
  return control;
}

static void test_numeric_tags_decide_field_kind(void **s) {
  char tag[8];
  int warnings;
  for (int t = 0; t < 1000; t++) {
    snprintf(tag, sizeof tag, "%03d", t);
    /* 00X: control; else a data field whose text is kept as $a (warned) */
    assert_int_equal(parsed_as_control(tag, &warnings), t < 10);
    assert_int_equal(warnings, t < 10 ? 0 : 1);
  }
  static const char *odd[] = {"8A0", "A30", "83X", "8/0", "8:0", "/30",
                              ":30", "83/", "83:", "8\2000"};
  for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
    assert_true(parsed_as_control(odd[k], &warnings));
    assert_int_equal(warnings, 0);
  }
}

/* ---- charset step, records flagged UTF-8 ---- */

/* A record from (tag, value) pairs laid out one after another; `starts`
 * may override directory starts (NULL = consecutive). */
static size_t build(char *out, const char *const *tags,
                    const char *const *vals, const size_t *starts, int nf) {
  size_t base = 24 + 12 * (size_t)nf + 1, pos = 0;
  char *data = out + base;
  for (int i = 0; i < nf; i++) {
    size_t len = strlen(vals[i]) + 1;
    size_t st = starts ? starts[i] : pos;
    char ent[48];
    snprintf(ent, sizeof ent, "%.3s%04zu%05zu", tags[i], len, st);
    memcpy(out + 24 + 12 * i, ent, 12);
    if (!starts || starts[i] == pos) {
      memcpy(data + pos, vals[i], len - 1);
      data[pos + len - 1] = MP_MARC_FT;
      pos += len;
    }
  }
  out[base - 1] = MP_MARC_FT;
  data[pos] = MP_MARC_RT;
  size_t total = base + pos + 1;
  char lead[25];
  snprintf(lead, sizeof lead, "%05zunam a22%05zu   4500", total, base);
  memcpy(out, lead, 24);
  return total;
}

typedef struct read_one_s {
  mp_marc_reader_t *r;
  mp_record_t *rec;
  const char *buf;
  size_t ndiags;
  const mp_marc_diag_t *diags;
} read_one_t;

static read_one_t read_one(const char *buf, size_t n) {
  int err;
  read_one_t o = {0};
  o.buf = buf;
  o.r = mp_marc_reader_open_mem("mem", buf, n, NULL, &err);
  assert_non_null(o.r);
  assert_int_equal(mp_marc_reader_next(o.r, &o.rec), 0);
  o.diags = mp_marc_reader_diags(o.r, &o.ndiags);
  return o;
}

/* build() a record flagged UTF-8 (leader/09 'a') into buf and read it;
 * *n set to its size. */
static read_one_t read_utf8(char *buf, size_t *n, const char *const *tags,
                            const char *const *vals, const size_t *starts,
                            int nf) {
  *n = build(buf, tags, vals, starts, nf);
  buf[9] = 'a';
  return read_one(buf, *n);
}

static bool inside(const read_one_t *o, const char *p, size_t n) {
  return p >= o->buf && p < o->buf + n;
}

static void test_utf8_records_clean_and_repaired(void **s) {
  char buf[512];
  /* clean, ASCII: views point into the input, no warning */
  const char *t1[] = {"001", "245"};
  const char *v1[] = {"abc", "10\x1F" "aTitle\x1F" "bmore"};
  size_t n;
  read_one_t o = read_utf8(buf, &n, t1, v1, NULL, 2);
  assert_int_equal(o.ndiags, 0);
  assert_true(inside(&o, o.rec->fields[0].data, n));
  assert_true(inside(&o, o.rec->subfields[0].data, n));
  assert_memory_equal(o.rec->subfields[1].data, "more", 4);
  mp_marc_reader_close(o.r);

  /* clean, multibyte: still untouched views, no warning */
  const char *v2[] = {"\xC3\xA9t\xC3\xA9", "10\x1F" "a\xE6\x97\xA5\xE6\x9C\xAC\x1F" "b\xF0\x9F\x98\x80"};
  o = read_utf8(buf, &n, t1, v2, NULL, 2);
  assert_int_equal(o.ndiags, 0);
  assert_true(inside(&o, o.rec->fields[0].data, n));
  assert_true(inside(&o, o.rec->subfields[0].data, n));
  assert_int_equal(o.rec->subfields[0].len, 6);
  mp_marc_reader_close(o.r);

  /* an invalid byte: replaced, warning naming the field */
  const char *v3[] = {"abc", "10\x1F" "aok\x1F" "bba\xFF" "d"};
  o = read_utf8(buf, &n, t1, v3, NULL, 2);
  assert_int_equal(o.ndiags, 1);
  assert_string_equal(o.diags[0].tag, "245");
  assert_string_equal(o.diags[0].msg, "invalid utf-8 replaced by U+FFFD");
  assert_int_equal(o.rec->subfields[1].len, 6);
  assert_memory_equal(o.rec->subfields[1].data, "ba\xEF\xBF\xBD" "d", 6);
  assert_true(inside(&o, o.rec->subfields[0].data, n)); /* unchanged */
  mp_marc_reader_close(o.r);

  /* valid UTF-8 bytes, but a subfield code that is a lead byte: the code
     is reported and its data (starting with a continuation byte) fixed */
  const char *v4[] = {"abc", "10\x1F\xC3\xA9xyz"};
  o = read_utf8(buf, &n, t1, v4, NULL, 2);
  assert_int_equal(o.ndiags, 2);
  assert_string_equal(o.diags[0].msg, "subfield code 0xC3 is not ascii");
  assert_string_equal(o.diags[1].msg, "invalid utf-8 replaced by U+FFFD");
  assert_int_equal(o.rec->subfields[0].code, (char)0xC3);
  assert_memory_equal(o.rec->subfields[0].data, "\xEF\xBF\xBDxyz", 6);
  mp_marc_reader_close(o.r);

  /* the whole record is valid UTF-8, but field 002 starts inside the é of
     001 (its entry points at the continuation byte) */
  const char *t5[] = {"001", "002"};
  const char *v5[] = {"ab\xC3\xA9", "\xA9"};
  size_t st5[] = {0, 3};
  o = read_utf8(buf, &n, t5, v5, st5, 2);
  assert_int_equal(o.ndiags, 1);
  assert_string_equal(o.diags[0].tag, "002");
  assert_int_equal(o.rec->fields[1].len, 3);
  assert_memory_equal(o.rec->fields[1].data, "\xEF\xBF\xBD", 3);
  assert_true(inside(&o, o.rec->fields[0].data, n));
  mp_marc_reader_close(o.r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_entry_word_matches_digits),
      cmocka_unit_test(test_subfield_scan_matches_bytewise_split),
      cmocka_unit_test(test_numeric_tags_decide_field_kind),
      cmocka_unit_test(test_utf8_records_clean_and_repaired),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
