/* json_frame.c: brace matching over the chunked input (see json_frame.h).
 * The input's position only moves past whitespace, separators and whole
 * objects, so a refill never discards bytes of the object being scanned. */
#include "marc/json_frame.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <string.h>

enum { ST_START, ST_ARRAY_VALUE, ST_ARRAY_NEXT, ST_STREAM, ST_END };

#define SCAN_CHUNK 65536

void mp__json_frame_init(mp_json_frame_t *f) {
  memset(f, 0, sizeof *f);
  f->line = 1;
}

static void newline(mp_json_frame_t *f, uint64_t abs) {
  f->line++;
  f->line_start = abs + 1;
}

static void here(const mp_json_frame_t *f, const mp_input_t *in,
                 mp_json_span_t *out) {
  out->offset = in->base + in->pos;
  out->line = f->line;
  out->col = out->offset - f->line_start + 1;
}

/* Skip whitespace (and a BOM at the very start). Returns the next byte
 * (not consumed), or -1 at end of input or on an input error (*rc set). */
static int peek(mp_json_frame_t *f, mp_input_t *in, size_t limit, int *rc) {
  for (;;) {
    if (in->pos >= in->len) {
      long n = mp__input_fill(in, 1, limit);
      if (n < 0) {
        *rc = (int)n;
        return -1;
      }
      if (n == 0)
        return -1;
    }
    unsigned char c = (unsigned char)in->data[in->pos];
    if (c == '\n')
      newline(f, in->base + in->pos);
    else if (f->state == ST_START && in->base + in->pos == 0 && c == 0xEF &&
             in->len - in->pos >= 3 && !memcmp(in->data + in->pos, "\xEF\xBB\xBF", 3)) {
      in->pos += 3;
      f->line_start = 3;
      continue;
    } else if (c != ' ' && c != '\t' && c != '\r')
      return c;
    in->pos++;
  }
}

typedef struct scan_s {
  int depth;
  bool in_str, esc;
} scan_t;

/* Advance the scan over byte c; true when the object just closed. */
static bool step(scan_t *s, char c) {
  if (s->in_str) {
    if (s->esc)
      s->esc = false;
    else if (c == '\\')
      s->esc = true;
    else if (c == '"')
      s->in_str = false;
    return false;
  }
  if (c == '"')
    s->in_str = true;
  else if (c == '{' || c == '[')
    s->depth++;
  else if (c == '}' || c == ']')
    return --s->depth == 0;
  return false;
}

/* The input is on a '{': find its end and hand it out. */
static int take_object(mp_json_frame_t *f, mp_input_t *in, size_t limit,
                       mp_json_span_t *out, char *err, size_t errsz) {
  here(f, in, out);
  scan_t s = {0, false, false};
  size_t off = 0;
  for (;;) {
    size_t avail = in->len - in->pos;
    if (off == avail) {
      long n = mp__input_fill(in, off + SCAN_CHUNK, limit);
      if (n < 0 || (size_t)n <= off)
        f->state = ST_END; /* framing is lost */
      if (n < 0)
        return (int)n;
      if ((size_t)n <= off) {
        bool big = !in->eof;
        snprintf(err, errsz, big ? "record larger than %zu bytes"
                                 : "end of input inside a json object",
                 limit);
        return big ? MP_ETOOBIG : MP_ETRUNCATED;
      }
      avail = (size_t)n;
    }
    char c = in->data[in->pos + off];
    if (c == '\n')
      newline(f, in->base + in->pos + off);
    off++;
    if (step(&s, c)) {
      out->p = in->data + in->pos;
      out->len = off;
      in->pos += off;
      return 1;
    }
  }
}

static int unexpected(mp_json_frame_t *f, mp_input_t *in, int c,
                      mp_json_span_t *out, char *err, size_t errsz,
                      const char *wanted) {
  here(f, in, out);
  snprintf(err, errsz, "expected %s, found '%c'", wanted,
           c >= 0x20 && c < 0x7f ? c : '?');
  f->state = ST_END;
  return MP_EJSON;
}

int mp__json_frame_next(mp_json_frame_t *f, mp_input_t *in, size_t limit,
                        mp_json_span_t *out, char *err, size_t errsz) {
  int rc = 0;
  for (;;) {
    int c = peek(f, in, limit, &rc);
    if (rc)
      return rc;
    switch (f->state) {
    case ST_START:
      if (c == '[') {
        in->pos++;
        f->state = ST_ARRAY_VALUE;
        continue;
      }
      if (c < 0)
        return 0;
      f->state = ST_STREAM;
      continue;
    case ST_ARRAY_VALUE:
      if (c == ']') { /* empty array, or a trailing comma */
        in->pos++;
        f->state = ST_END;
        continue;
      }
      if (c != '{') {
        here(f, in, out);
        if (c < 0)
          break;
        return unexpected(f, in, c, out, err, errsz, "a json object");
      }
      f->state = ST_ARRAY_NEXT;
      return take_object(f, in, limit, out, err, errsz);
    case ST_ARRAY_NEXT:
      if (c == ',' || c == ']') {
        in->pos++;
        f->state = c == ',' ? ST_ARRAY_VALUE : ST_END;
        continue;
      }
      if (c < 0)
        break;
      return unexpected(f, in, c, out, err, errsz, "',' or ']'");
    case ST_STREAM:
      if (c < 0)
        return 0;
      if (c != '{')
        return unexpected(f, in, c, out, err, errsz, "a json object");
      return take_object(f, in, limit, out, err, errsz);
    default: /* ST_END */
      if (c < 0)
        return 0;
      return unexpected(f, in, c, out, err, errsz, "end of input");
    }
    /* end of input inside the array */
    here(f, in, out);
    snprintf(err, errsz, "end of input inside a json array");
    f->state = ST_END;
    return MP_ETRUNCATED;
  }
}
