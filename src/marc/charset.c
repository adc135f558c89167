/* charset.c: bring each record the reader returns to UTF-8 (reader_impl.h).
 *
 * Decision per record (unless opts.keep_charset, which leaves bytes alone):
 *  - opts.charset names a non-UTF-8 charset: convert every field from it;
 *  - MARCXML/JSON input, leader/09 'a', or opts.charset UTF-8: validate;
 *    invalid sequences become U+FFFD with a warning naming the field;
 *  - otherwise (leader/09 blank, or any other value, with a warning) the
 *    record is MARC-8 and is converted with yaz's MARC-8 decoder (output is
 *    decomposed: base letter then combining marks). Exception: a "MARC-8"
 *    record whose bytes are all valid UTF-8, contain at least one multibyte
 *    sequence and no escape (0x1B) is read as UTF-8 with a warning. MARC-8
 *    cannot produce that pattern in practice: its diacritics (0xE0-0xFE)
 *    precede ASCII base letters, never UTF-8 continuation bytes (0x80-0xBF).
 * Converted data go to the record's arena; leader/09 becomes 'a'. Pure
 * ASCII fields (without 0x1B) are left as views (fast path). Invalid MARC-8
 * is replaced by U+FFFD with a warning, never an error.
 * State (yaz iconv handles, scratch buffer) is per reader, one thread. The
 * MARC-8 decoder is opened on the first MARC-8 record, so readers of UTF-8
 * only input (all MARCXML and JSON, most ISO 2709) never open it; the
 * decoder for opts.charset is opened with the reader, so an unknown name
 * fails the open.
 */
#include "marc/reader_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaz/yaz-iconv.h>

typedef struct cs_s {
  yaz_iconv_t marc8;  /* MARC-8 -> UTF-8, opened on first use */
  yaz_iconv_t forced; /* opts.charset -> UTF-8 (NULL when UTF-8 or unset) */
  bool forced_utf8;
  mp_buf_t out;       /* conversion scratch */
} cs_t;

typedef enum { AS_UTF8, AS_MARC8, AS_FORCED } cs_mode_t;

static const char fffd[] = "\xEF\xBF\xBD";

static bool is_utf8_name(const char *s) {
  return strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0;
}

int mp__charset_open(mp_marc_reader_t *r) {
  cs_t *cs = calloc(1, sizeof *cs);
  if (!cs)
    return MP_ENOMEM;
  r->charset = cs;
  mp_buf_init(&cs->out);
  if (r->opts.keep_charset)
    return 0;
  if (r->opts.charset && is_utf8_name(r->opts.charset))
    cs->forced_utf8 = true;
  else if (r->opts.charset &&
           !(cs->forced = yaz_iconv_open("UTF-8", r->opts.charset)))
    return MP_ECHARSET;
  return 0;
}

void mp__charset_close(mp_marc_reader_t *r) {
  cs_t *cs = r->charset;
  if (!cs)
    return;
  if (cs->marc8)
    yaz_iconv_close(cs->marc8);
  if (cs->forced)
    yaz_iconv_close(cs->forced);
  mp_buf_release(&cs->out);
  free(cs);
  r->charset = NULL;
}

/* ---- byte scanning ---- */

/* True when p[0..n) is ASCII without ESC: nothing to convert or check. */
static bool plain_ascii(const char *p, size_t n) {
  return mp_utf8_ascii_prefix(p, n) == n && !memchr(p, 0x1B, n);
}

/* 1: valid with multibyte sequences, 0: valid ASCII, -1: invalid. */
static int utf8_class(const char *s, size_t n) {
  bool multi = false;
  if (mp_utf8_valid_prefix(s, n, &multi) != n)
    return -1;
  return multi;
}

/* ---- conversion of one view into cs->out ---- */

static int fix_utf8(cs_t *cs, const char *s, size_t n, bool *bad) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t k = mp_utf8_seq(p + i, n - i);
    int rc = k ? mp_buf_append(&cs->out, p + i, k)
               : mp_buf_append(&cs->out, fffd, 3);
    if (rc)
      return rc;
    *bad |= k == 0;
    i += k ? k : 1;
  }
  return 0;
}

static int iconv_step(cs_t *cs, yaz_iconv_t cd, char **in, size_t *left,
                      bool *bad) {
  if (mp_buf_reserve(&cs->out, *left * 4 + 16))
    return MP_ENOMEM;
  char *o = cs->out.data + cs->out.len;
  size_t room = cs->out.cap - cs->out.len - 1;
  size_t k = yaz_iconv(cd, in, left, &o, &room);
  cs->out.len = (size_t)(o - cs->out.data);
  if (k != (size_t)-1)
    return 0;
  int e = yaz_iconv_error(cd);
  if (e == YAZ_ICONV_E2BIG)
    return 0;
  *bad = true;
  if (mp_buf_append(&cs->out, fffd, 3))
    return MP_ENOMEM;
  if (e == YAZ_ICONV_EINVAL || !in || !*left) {
    *left = 0;
    return 0;
  }
  (*in)++, (*left)--; /* skip the offending byte */
  return 0;
}

static int convert(cs_t *cs, yaz_iconv_t cd, const char *s, size_t n,
                   bool *bad) {
  char *in = (char *)s;
  size_t left = n;
  while (left) {
    int rc = iconv_step(cs, cd, &in, &left, bad);
    if (rc)
      return rc;
  }
  /* flush held combining marks and reset the escape state */
  if (mp_buf_reserve(&cs->out, 64))
    return MP_ENOMEM;
  char *o = cs->out.data + cs->out.len;
  size_t room = cs->out.cap - cs->out.len - 1;
  yaz_iconv(cd, NULL, NULL, &o, &room);
  cs->out.len = (size_t)(o - cs->out.data);
  return 0;
}

/* Convert *s (*n bytes) by mode; the view is replaced (unchanged when no
 * conversion was needed, else in the record's arena). */
static int recode(mp_marc_reader_t *r, mp_record_t *rec, cs_mode_t mode,
                  const char **s, uint32_t *n, bool *bad) {
  cs_t *cs = r->charset;
  if (plain_ascii(*s, *n))
    return 0;
  if (mode == AS_UTF8 && utf8_class(*s, *n) >= 0)
    return 0;
  mp_buf_clear(&cs->out);
  int rc = mode == AS_UTF8 ? fix_utf8(cs, *s, *n, bad)
                           : convert(cs, mode == AS_MARC8 ? cs->marc8
                                                          : cs->forced,
                                     *s, *n, bad);
  if (rc)
    return rc;
  char *d = mp_arena_dup(&rec->arena, cs->out.data, cs->out.len);
  if (!d)
    return MP_ENOMEM;
  *s = d;
  *n = (uint32_t)cs->out.len;
  return 0;
}

/* Rebuild a data field's byte view from its (converted) subfields. */
static int rebuild_field(mp_record_t *rec, mp_field_t *f) {
  size_t n = 0;
  mp_subfield_t *sf = f->sf_count ? rec->subfields + f->sf_first : NULL;
  for (uint32_t j = 0; j < f->sf_count; j++)
    n += 2 + sf[j].len;
  char *d = mp_arena_alloc(&rec->arena, n + 1), *o = d;
  if (!d)
    return MP_ENOMEM;
  for (uint32_t j = 0; j < f->sf_count; j++) {
    *o++ = MP_MARC_SD;
    *o++ = sf[j].code;
    memcpy(o, sf[j].data, sf[j].len);
    o += sf[j].len;
  }
  *o = '\0';
  f->data = d;
  f->len = (uint32_t)n;
  return 0;
}

static int recode_field(mp_marc_reader_t *r, mp_record_t *rec, mp_field_t *f,
                        cs_mode_t mode, bool *bad) {
  if (f->is_control)
    return recode(r, rec, mode, &f->data, &f->len, bad);
  bool changed = false;
  mp_subfield_t *sf = f->sf_count ? rec->subfields + f->sf_first : NULL;
  for (uint32_t j = 0; j < f->sf_count; j++) {
    const char *old = sf[j].data;
    int rc = recode(r, rec, mode, &sf[j].data, &sf[j].len, bad);
    if (rc)
      return rc;
    changed |= sf[j].data != old;
    if (mode == AS_UTF8 && (unsigned char)sf[j].code >= 0x80)
      mp__reader_diag(r, MP_ECHARSET, MP_SEV_WARNING, rec->offset, f->tag,
                      "subfield code 0x%02X is not ascii",
                      (unsigned char)sf[j].code);
  }
  return changed ? rebuild_field(rec, f) : 0;
}

/* ---- per-record decision ---- */

/* MARC-8 claimed but the record's bytes (ISO 2709: the whole framed
 * record, so a directory that cuts fields mid-character does not matter)
 * are valid UTF-8 with multibyte sequences and no escape. */
static bool looks_utf8(const char *raw, size_t n) {
  return raw && !memchr(raw, 0x1B, n) && utf8_class(raw, n) > 0;
}

static cs_mode_t choose_mode(mp_marc_reader_t *r, mp_record_t *rec) {
  cs_t *cs = r->charset;
  if (cs->forced)
    return AS_FORCED;
  if (cs->forced_utf8 || r->format != MP_FMT_ISO2709 || rec->leader[9] == 'a')
    return AS_UTF8;
  size_t raw_len;
  const char *raw = mp_marc_reader_raw(r, &raw_len);
  if (looks_utf8(raw, raw_len)) {
    mp__reader_diag(r, MP_ECHARSET, MP_SEV_WARNING, rec->offset, NULL,
                    "leader/09 says marc-8 but the data is valid utf-8; read "
                    "as utf-8");
    return AS_UTF8;
  }
  if (rec->leader[9] != ' ')
    mp__reader_diag(r, MP_ECHARSET, MP_SEV_WARNING, rec->offset, NULL,
                    "leader/09 '%c' is neither blank nor 'a'; read as marc-8",
                    rec->leader[9] > 0x20 && rec->leader[9] < 0x7F
                        ? rec->leader[9]
                        : '?');
  return AS_MARC8;
}

static bool is_continuation(char c) {
  return ((unsigned char)c & 0xC0) == 0x80;
}

/* An ISO 2709 record that UTF-8 mode leaves as it is, checked in one pass
 * over its raw bytes instead of one per field: the raw record is valid
 * UTF-8, every field view starts and ends on a character boundary (the
 * directory may point anywhere), and every subfield code is ASCII. Then
 * each view is valid, and so is each subfield: it starts after its ASCII
 * code (or at the start of its field's view) and ends before a 0x1F or at
 * the end of the view. Views of ISO 2709 records point into raw. */
static bool iso_utf8_clean(const mp_record_t *rec, const char *raw,
                           size_t n) {
  if (utf8_class(raw, n) < 0)
    return false;
  unsigned char codes = 0;
  for (uint32_t j = 0; j < rec->nsubfields; j++)
    codes |= (unsigned char)rec->subfields[j].code;
  if (codes >= 0x80)
    return false;
  const char *end = raw + n;
  for (uint32_t i = 0; i < rec->nfields; i++) {
    const mp_field_t *f = &rec->fields[i];
    if (f->len && (is_continuation(f->data[0]) ||
                   (f->data + f->len < end && is_continuation(f->data[f->len]))))
      return false;
  }
  return true;
}

int mp__charset_normalize(mp_marc_reader_t *r, mp_record_t *rec) {
  cs_t *cs = r->charset;
  if (!cs || r->opts.keep_charset)
    return 0;
  size_t raw_len = 0; /* asked for ISO 2709 only: MARCXML makes it lazily */
  const char *raw =
      r->format == MP_FMT_ISO2709 ? mp_marc_reader_raw(r, &raw_len) : NULL;
  /* ISO 2709 data-field views span their subfields: one check per field */
  bool spans = r->format == MP_FMT_ISO2709;
  /* UTF-8 by leader/09 (the common case): nothing to check when the
   * backend saw only ASCII in the field views, else one pass; an ESC
   * means nothing in UTF-8, so plain_ascii's search for it is not needed */
  if (raw && rec->leader[9] == 'a' && !cs->forced &&
      (r->views_ascii || iso_utf8_clean(rec, raw, raw_len)))
    return 0;
  if (raw &&
      (rec->leader[9] == ' ' || rec->leader[9] == 'a') &&
      plain_ascii(raw, raw_len)) {
    rec->leader[9] = 'a'; /* whole record ASCII: same bytes in UTF-8 */
    return 0;
  }
  cs_mode_t mode = choose_mode(r, rec);
  if (mode == AS_MARC8 && !cs->marc8 &&
      !(cs->marc8 = yaz_iconv_open("UTF-8", "MARC8"))) {
    mp__reader_diag(r, MP_ECHARSET, MP_SEV_ERROR, rec->offset, NULL,
                    "cannot open the marc-8 decoder");
    return MP_ECHARSET;
  }
  static const char *what[] = {"invalid utf-8", "invalid marc-8",
                               "bytes invalid in the given charset"};
  for (uint32_t i = 0; i < rec->nfields; i++) {
    mp_field_t *f = &rec->fields[i];
    if ((spans || f->is_control) && plain_ascii(f->data, f->len))
      continue;
    bool bad = false;
    int rc = recode_field(r, rec, f, mode, &bad);
    if (rc)
      return rc;
    if (bad)
      mp__reader_diag(r, MP_ECHARSET, MP_SEV_WARNING, rec->offset,
                      rec->fields[i].tag, "%s replaced by U+FFFD", what[mode]);
  }
  rec->leader[9] = 'a';
  return 0;
}
