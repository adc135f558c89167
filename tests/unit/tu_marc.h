/* tu_marc.h: record helpers shared by the format tests (test_marcxml.c,
 * test_json.c, test_formats.c): read a whole file or buffer into owned
 * records, compare two records field by field. Header-only (static
 * functions) because each unit test links only itself and testutil.c.
 * Include after <cmocka.h>. */
#ifndef MP_TU_MARC_H
#define MP_TU_MARC_H

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tu_records_s {
  mp_record_t *recs; /* clones, owned */
  size_t n;
  uint64_t rejected, warnings; /* the reader's counters */
  uint64_t errors;   /* error returns: rejected records and a fatal end */
  int last;          /* the last non-EOF error, 0 if none */
} tu_records_t;

static inline void tu_drain(mp_marc_reader_t *rd, tu_records_t *out) {
  memset(out, 0, sizeof *out);
  size_t cap = 0;
  for (;;) {
    mp_record_t *rec;
    int rc = mp_marc_reader_next(rd, &rec);
    if (rc == MP_EOF)
      break;
    if (rc < 0) {
      out->last = rc;
      out->errors++;
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      out->recs = realloc(out->recs, cap * sizeof *out->recs);
      assert_non_null(out->recs);
    }
    mp_record_init(&out->recs[out->n]);
    assert_int_equal(mp_record_clone(&out->recs[out->n], rec), 0);
    out->n++;
  }
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(rd, &st);
  assert_int_equal(st.records, out->n);
  out->rejected = st.rejected;
  out->warnings = st.warnings;
}

/* Read every record of a file (format detected unless opts says). */
static inline void tu_read_file(const char *path,
                                const mp_marc_reader_opts_t *opts,
                                tu_records_t *out) {
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, opts, &err);
  if (!rd)
    fail_msg("cannot open %s: %s", path, mp_strerror(err));
  tu_drain(rd, out);
  mp_marc_reader_close(rd);
}

static inline void tu_read_mem(const char *data, size_t len,
                               const mp_marc_reader_opts_t *opts,
                               tu_records_t *out) {
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open_mem("mem", data, len, opts, &err);
  if (!rd)
    fail_msg("cannot open memory input: %s", mp_strerror(err));
  tu_drain(rd, out);
  mp_marc_reader_close(rd);
}

static inline void tu_free(tu_records_t *t) {
  for (size_t i = 0; i < t->n; i++)
    mp_record_release(&t->recs[i]);
  free(t->recs);
  memset(t, 0, sizeof *t);
}

enum {
  TU_LEADER = 1, /* compare the leaders too */
  TU_ASCII = 2,  /* compare values only where both are ASCII (for twins
                    whose non-ASCII text differs in Unicode normalisation) */
};

static inline bool tu_ascii(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)p[i] >= 0x80)
      return false;
  return true;
}

static inline bool tu_same_value(const char *p, size_t n, const char *q,
                                 size_t m, int flags) {
  if ((flags & TU_ASCII) && !(tu_ascii(p, n) && tu_ascii(q, m)))
    return true;
  return n == m && memcmp(p, q, n) == 0;
}

/* Fail unless a and b hold the same fields in the same order: tags,
 * indicators, control data, subfield codes and values (and leaders with
 * TU_LEADER). `what` names the pair in the failure message. */
static inline void tu_assert_same(const mp_record_t *a, const mp_record_t *b,
                                  int flags, const char *what) {
  if ((flags & TU_LEADER) && memcmp(a->leader, b->leader, 24))
    fail_msg("%s: leaders differ: '%s' vs '%s'", what, a->leader, b->leader);
  if (a->nfields != b->nfields)
    fail_msg("%s: %u fields vs %u", what, a->nfields, b->nfields);
  for (uint32_t i = 0; i < a->nfields; i++) {
    const mp_field_t *f = &a->fields[i], *g = &b->fields[i];
    if (strcmp(f->tag, g->tag) || f->is_control != g->is_control)
      fail_msg("%s: field %u: %s vs %s", what, i, f->tag, g->tag);
    if (f->is_control) {
      if (!tu_same_value(f->data, f->len, g->data, g->len, flags))
        fail_msg("%s: field %s: '%.*s' vs '%.*s'", what, f->tag, (int)f->len,
                 f->data, (int)g->len, g->data);
      continue;
    }
    if (f->ind1 != g->ind1 || f->ind2 != g->ind2 || f->sf_count != g->sf_count)
      fail_msg("%s: field %s (#%u): indicators '%c%c' vs '%c%c', %u vs %u "
               "subfields", what, f->tag, i, f->ind1, f->ind2, g->ind1,
               g->ind2, f->sf_count, g->sf_count);
    const mp_subfield_t *s = mp_field_subfields(a, f);
    const mp_subfield_t *t = mp_field_subfields(b, g);
    for (uint32_t j = 0; j < f->sf_count; j++)
      if (s[j].code != t[j].code ||
          !tu_same_value(s[j].data, s[j].len, t[j].data, t[j].len, flags))
        fail_msg("%s: field %s $%c: '%.*s' vs $%c '%.*s'", what, f->tag,
                 s[j].code, (int)s[j].len, s[j].data, t[j].code,
                 (int)t[j].len, t[j].data);
  }
}

/* Value of the first subfield `code` of the first field `tag`, as a
 * NUL-terminated string in a static buffer ("" when absent). */
static inline const char *tu_sf(const mp_record_t *r, const char *tag,
                                char code) {
  static char buf[1024];
  buf[0] = '\0';
  const mp_field_t *f = mp_record_field(r, tag);
  if (!f)
    return buf;
  const char *p = f->data;
  uint32_t n = f->len;
  if (!f->is_control) {
    const mp_subfield_t *s = mp_field_subfield(r, f, code);
    if (!s)
      return buf;
    p = s->data;
    n = s->len;
  }
  snprintf(buf, sizeof buf, "%.*s", (int)n, p);
  return buf;
}

#endif
