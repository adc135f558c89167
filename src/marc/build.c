/* build.c: checks and repairs shared by the MARCXML and JSON readers (see
 * build.h for the rules). Every string is copied: the record owns its
 * bytes in its arena. Single owner. */
#include "marc/build.h"

#include "marcpipe/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Leader given to a record that has none: lengths zero (writers recompute
 * them), the usual indicator/subfield-code counts and entry map. */
static const char default_leader[] = "00000     2200000   4500";

static void say(mp_build_t *b, int code, mp_severity_t sev, const char *tag,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void say(mp_build_t *b, int code, mp_severity_t sev, const char *tag,
                const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (b->diag)
    b->diag(b->ctx, code, sev, tag, msg);
}

/* A repair: a warning in lenient mode, an error (returned) in strict. */
static int repair(mp_build_t *b, int code, const char *tag, const char *what) {
  if (b->strict) {
    say(b, code, MP_SEV_ERROR, tag, "%s", what);
    return code;
  }
  say(b, code, MP_SEV_WARNING, tag, "%s (repaired)", what);
  return 0;
}

void mp__build_init(mp_build_t *b, bool strict, mp_build_diag_fn diag,
                    void *ctx) {
  memset(b, 0, sizeof *b);
  b->strict = strict;
  b->diag = diag;
  b->ctx = ctx;
  mp_buf_init(&b->field);
}

void mp__build_release(mp_build_t *b) { mp_buf_release(&b->field); }

void mp__build_begin(mp_build_t *b, mp_record_t *rec) {
  b->rec = rec;
  b->open = false;
  mp_buf_clear(&b->field);
}

/* Copy p into out (at most cap bytes), each U+00A0 (a no-break space some
 * exports write for a blank) as a blank. Returns the length it would
 * have; *nbsp tells whether one was seen. */
static size_t blanks(char *out, size_t cap, const char *p, size_t n,
                     bool *nbsp) {
  size_t k = 0;
  *nbsp = false;
  for (size_t i = 0; i < n; i++, k++) {
    char c = p[i];
    if ((unsigned char)c == 0xC2 && i + 1 < n &&
        (unsigned char)p[i + 1] == 0xA0) {
      c = ' ';
      i++;
      *nbsp = true;
    }
    if (k < cap)
      out[k] = c;
  }
  return k;
}

int mp__build_leader(mp_build_t *b, const char *p, size_t n) {
  if (!p)
    return 0; /* reported by mp__build_end */
  memset(b->rec->leader, ' ', 24);
  bool nbsp;
  size_t len = blanks(b->rec->leader, 24, p, n, &nbsp);
  int rc = 0;
  if (nbsp)
    rc = repair(b, MP_ELEADER, "", "no-break space in leader read as blank");
  if (len == 24 || rc)
    return rc;
  char what[80];
  snprintf(what, sizeof what, "leader is %zu bytes, not 24", len);
  return repair(b, MP_ELEADER, "", what);
}

/* Copy a tag into out[4], repairing its length. */
static int take_tag(mp_build_t *b, const char *tag, size_t tlen,
                    char out[4]) {
  memcpy(out, "000", 4);
  if (!tag || tlen == 0) {
    say(b, MP_EFIELD, MP_SEV_ERROR, "", "field without tag");
    return MP_EFIELD;
  }
  size_t k = tlen < 3 ? tlen : 3;
  memcpy(out + 3 - k, tag, k); /* "45" -> "045" */
  if (tlen == 3)
    return 0;
  char what[80];
  snprintf(what, sizeof what, "tag '%.*s' is not 3 bytes",
           (int)(tlen < 16 ? tlen : 16), tag);
  return repair(b, MP_EFIELD, out, what);
}

/* Close the open data field (mp__build_field_end): copy its bytes to the arena, point its
 * subfield views into the copy. A field without subfields is kept (ISO
 * 2709 can carry it) with a warning; strict mode rejects it. */
int mp__build_field_end(mp_build_t *b) {
  if (!b->open)
    return 0;
  b->open = false;
  mp_record_t *r = b->rec;
  mp_field_t *f = &r->fields[r->nfields - 1];
  if (f->sf_count == 0) {
    int rc = repair(b, MP_EFIELD, f->tag, "data field has no subfields");
    if (rc)
      return rc;
  }
  const char *base = b->field.len
                         ? mp_arena_dup(&r->arena, b->field.data, b->field.len)
                         : "";
  if (!base)
    return MP_ENOMEM;
  f->data = base;
  f->len = (uint32_t)b->field.len;
  size_t at = 0;
  for (uint32_t i = 0; i < f->sf_count; i++) {
    mp_subfield_t *s = &r->subfields[f->sf_first + i];
    s->data = base + at + 2; /* after 0x1F and the code */
    at += 2 + s->len;
  }
  mp_buf_clear(&b->field);
  return 0;
}

int mp__build_control(mp_build_t *b, const char *tag, size_t tlen,
                      const char *p, size_t n) {
  int rc = mp__build_field_end(b);
  char t[4];
  if (rc || (rc = take_tag(b, tag, tlen, t)))
    return rc;
  return mp_record_add_control(b->rec, t, p, n, true) ? 0 : MP_ENOMEM;
}

static int take_ind(mp_build_t *b, const char *tag, const char *ind,
                    size_t n, int which, char *out) {
  *out = ' ';
  if (!ind || n == 0)
    return 0; /* an absent indicator is blank */
  bool nbsp;
  size_t len = blanks(out, 1, ind, n, &nbsp);
  if (len == 1 && !nbsp)
    return 0;
  if (len == 1)
    return repair(b, MP_EFIELD, tag, "no-break space in indicator read as blank");
  char what[80];
  snprintf(what, sizeof what, "indicator %d '%.*s' is longer than 1 byte",
           which, (int)(n < 16 ? n : 16), ind);
  return repair(b, MP_EFIELD, tag, what);
}

int mp__build_datafield(mp_build_t *b, const char *tag, size_t tlen,
                        const char *ind1, size_t n1, const char *ind2,
                        size_t n2) {
  int rc = mp__build_field_end(b);
  char t[4], i1, i2;
  if (rc || (rc = take_tag(b, tag, tlen, t)) ||
      (rc = take_ind(b, t, ind1, n1, 1, &i1)) ||
      (rc = take_ind(b, t, ind2, n2, 2, &i2)))
    return rc;
  if (!mp_record_add_datafield(b->rec, t, i1, i2))
    return MP_ENOMEM;
  b->open = true;
  return 0;
}

int mp__build_subfield(mp_build_t *b, const char *code, size_t clen,
                       const char *p, size_t n) {
  mp_record_t *r = b->rec;
  if (!b->open)
    return MP_EUSAGE; /* caller bug: no data field open */
  const char *tag = r->fields[r->nfields - 1].tag;
  if (!code || clen == 0) {
    say(b, MP_EFIELD, MP_SEV_ERROR, tag, "subfield without code");
    return MP_EFIELD;
  }
  if (clen > 1) {
    char what[80];
    snprintf(what, sizeof what, "subfield code '%.*s' is longer than 1 byte",
             (int)(clen < 16 ? clen : 16), code);
    int rc = repair(b, MP_EFIELD, tag, what);
    if (rc)
      return rc;
  }
  char head[2] = {MP_MARC_SD, code[0]};
  if (mp_buf_append(&b->field, head, 2) || mp_buf_append(&b->field, p, n))
    return MP_ENOMEM;
  /* The view is fixed by close_field(); any non-NULL pointer will do now. */
  return mp_record_add_subfield(r, code[0], n ? p : "", n, false) ? 0
                                                                  : MP_ENOMEM;
}

int mp__build_end(mp_build_t *b, bool had_leader) {
  int rc = mp__build_field_end(b);
  if (rc || had_leader)
    return rc;
  memcpy(b->rec->leader, default_leader, 24);
  return repair(b, MP_ELEADER, "", "record has no leader");
}
