/* iso2709_reader.c: the ISO 2709 stream backend (see reader_impl.h).
 *
 * Framing only; iso2709_parse.c checks and parses each framed record.
 * A record starts at the first byte that is not junk (whitespace, NUL,
 * 0x1A, stray terminators: skipped with a warning) and ends at its
 * leader's length when the byte there is 0x1D; otherwise at the first 0x1D
 * (resynchronisation: the length was under- or over-stated, or the record
 * is longer than 99,999 bytes). No 0x1D before end of input: the remaining
 * bytes are rejected as truncated. No 0x1D within max_record_bytes: the
 * record is rejected and the next call skips to the next 0x1D.
 * Both skips are bounded, so input that is not MARC ends the stream (a
 * fatal MP_EFORMAT) within a bounded amount of it, whatever its length
 * (/dev/zero included): more than MP_MARC_MAX_JUNK bytes of junk in a row,
 * or no 0x1D within max_record_bytes after an oversized record.
 * Views in r->rec point into r->in's buffer: valid until the next call.
 * One reader, one thread.
 */
#include "marc/iso2709_impl.h"
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct iso_state_s {
  bool skip_to_rt; /* an oversized record was rejected: discard to 0x1D */
} iso_state_t;

static bool is_junk(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0' ||
         c == 0x1A || c == MP_MARC_RT || c == MP_MARC_FT;
}

/* Discard up to and including the next 0x1D (after an oversized record).
 * 0, an I/O error, or MP_EFORMAT when none comes within limit bytes. */
static long skip_to_rt(mp_input_t *in, size_t limit) {
  for (size_t gone = 0;; ) {
    if (gone > limit)
      return MP_EFORMAT;
    long avail = mp__input_fill(in, 1, limit);
    if (avail <= 0)
      return avail;
    const char *p = in->data + in->pos;
    const char *rt = memchr(p, MP_MARC_RT, (size_t)avail);
    if (rt) {
      in->pos += (size_t)(rt - p) + 1;
      return 0;
    }
    in->pos += (size_t)avail;
    gone += (size_t)avail;
  }
}

/* Skip junk before a record; returns bytes available after it (0 = EOF),
 * an I/O error, or MP_EFORMAT after more than MP_MARC_MAX_JUNK bytes. */
static long skip_junk(mp_input_t *in, size_t limit, size_t *skipped) {
  *skipped = 0;
  for (;;) {
    long avail = mp__input_fill(in, 1, limit);
    if (avail <= 0)
      return avail;
    const unsigned char *p = (const unsigned char *)in->data + in->pos;
    size_t i = 0;
    while (i < (size_t)avail && is_junk(p[i]))
      i++;
    in->pos += i;
    *skipped += i;
    if (*skipped > MP_MARC_MAX_JUNK)
      return MP_EFORMAT;
    if (i < (size_t)avail)
      return mp__input_fill(in, 1, limit);
  }
}

/* Frame the record at in->pos: *n bytes. 0, MP_ETRUNCATED (*n = what is
 * left), MP_ETOOBIG (*n = limit) or an I/O error. */
static int frame(mp_input_t *in, size_t limit, size_t *n) {
  long avail = mp__input_fill(in, 24, limit);
  if (avail < 0)
    return (int)avail;
  long len = avail >= 5 ? mp__iso_digits(in->data + in->pos, 5) : -1;
  if (len >= 26 && (size_t)len <= limit) {
    avail = mp__input_fill(in, (size_t)len, limit);
    if (avail < 0)
      return (int)avail;
    if (avail >= len && in->data[in->pos + (size_t)len - 1] == MP_MARC_RT) {
      *n = (size_t)len;
      return 0;
    }
  }
  size_t scanned = 0;
  for (;;) {
    const char *p = in->data + in->pos;
    size_t upto = (size_t)avail < limit ? (size_t)avail : limit;
    const char *rt = memchr(p + scanned, MP_MARC_RT, upto - scanned);
    if (rt) {
      *n = (size_t)(rt - p) + 1;
      return 0;
    }
    scanned = upto;
    *n = scanned;
    if (scanned >= limit)
      return MP_ETOOBIG;
    if (in->eof)
      return MP_ETRUNCATED;
    avail = mp__input_fill(in, scanned + 1, limit);
    if (avail < 0)
      return (int)avail;
    if ((size_t)avail <= scanned && in->eof)
      return MP_ETRUNCATED;
  }
}

static void emit(void *ud, int code, mp_severity_t sev, size_t off,
                 const char *tag, const char *msg) {
  mp_marc_reader_t *r = ud;
  mp__reader_diag(r, code, sev, r->rec.offset + off, tag, "%s", msg);
}

static int reject_frame(mp_marc_reader_t *r, iso_state_t *st, int rc,
                        size_t n) {
  if (rc == MP_ETRUNCATED)
    mp__reader_diag(r, rc, MP_SEV_ERROR, r->rec.offset, NULL,
                    "truncated record: %zu bytes without a record terminator "
                    "at the end of input",
                    n);
  else if (rc == MP_ETOOBIG) {
    mp__reader_diag(r, rc, MP_SEV_ERROR, r->rec.offset, NULL,
                    "no record terminator within %zu bytes "
                    "(max_record_bytes); skipping to the next one",
                    n);
    st->skip_to_rt = true;
  } else {
    mp__reader_diag(r, rc, MP_SEV_FATAL, r->rec.offset, NULL,
                    "read error: %s", mp_strerror(rc));
    r->fatal = true;
  }
  mp__reader_set_raw(r, r->in.data + r->in.pos, n);
  r->in.pos += n;
  return rc;
}

static int iso_next(mp_marc_reader_t *r) {
  iso_state_t *st = r->impl;
  mp_input_t *in = &r->in;
  size_t limit = r->opts.max_record_bytes, skipped, n = 0;
  long avail = st->skip_to_rt ? skip_to_rt(in, limit) : 0;
  bool resync = st->skip_to_rt;
  st->skip_to_rt = false;
  skipped = 0;
  if (avail >= 0)
    avail = skip_junk(in, limit, &skipped);
  if (avail == MP_EFORMAT) { /* not MARC: give up within a bound */
    r->fatal = true;
    r->rec.recno = ++r->recno;
    if (resync && !skipped)
      mp__reader_diag(r, MP_EFORMAT, MP_SEV_FATAL, in->base + in->pos, NULL,
                      "not MARC: no record terminator within %zu bytes after "
                      "a record without one; giving up",
                      limit);
    else
      mp__reader_diag(r, MP_EFORMAT, MP_SEV_FATAL, in->base + in->pos - skipped,
                      NULL,
                      "not MARC: more than %d bytes of NUL, whitespace or "
                      "control bytes without a record; giving up",
                      MP_MARC_MAX_JUNK);
    return MP_EFORMAT;
  }
  if (avail < 0) { /* the record that could not be read is rejected */
    r->fatal = true;
    r->rec.recno = ++r->recno;
    mp__reader_diag(r, (int)avail, MP_SEV_FATAL, in->base + in->pos, NULL,
                    "read error: %s", mp_strerror((int)avail));
    return (int)avail;
  }
  if (avail > 0)
    r->recno++;
  if (skipped)
    mp__reader_diag(r, MP_EFORMAT, MP_SEV_WARNING, in->base + in->pos - skipped, NULL,
                    "skipped %zu bytes between records", skipped);
  if (avail == 0)
    return MP_EOF;
  r->rec.recno = r->recno;
  r->rec.offset = in->base + in->pos;
  int rc = frame(in, limit, &n);
  if (rc)
    return reject_frame(r, st, rc, n);
  const char *p = in->data + in->pos;
  mp__reader_set_raw(r, p, n);
  in->pos += n;
  mp_iso_ctx_t ctx = {.strict = r->opts.strict, .emit = emit, .ud = r,
                      .ascii = &r->views_ascii};
  return mp__iso2709_parse(p, n, &r->rec, &ctx);
}

static int iso_open(mp_marc_reader_t *r) {
  r->impl = calloc(1, sizeof(iso_state_t));
  return r->impl ? 0 : MP_ENOMEM;
}

static void iso_close(mp_marc_reader_t *r) {
  free(r->impl);
  r->impl = NULL;
}

const mp_marc_backend_t mp__iso2709_backend = {
    .name = "iso2709", .open = iso_open, .next = iso_next, .close = iso_close};
