/* copy.c: COPY text-format encoding (see copy.h). Pure functions.
 * The encoders are on the sink's hot path (several KB of text per
 * record): runs of bytes that need no escape are found first and
 * appended with one copy. */
#include "copy.h"

#include "marcpipe/utf8.h"

#include <string.h>

int mp__copy_sep(mp_buf_t *b) { return mp_buf_putc(b, '\t'); }
int mp__copy_null(mp_buf_t *b) { return mp_buf_append(b, "\\N", 2); }
int mp__copy_end_row(mp_buf_t *b) { return mp_buf_putc(b, '\n'); }

/* Decimal digits written backwards from the end of a small buffer
 * (several per row: printf's format parsing cost more than the rest). */
int mp__copy_int(mp_buf_t *b, int64_t v) {
  char t[24], *e = t + sizeof t, *p = e;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0)
    *--p = '-';
  return mp_buf_append(b, p, (size_t)(e - p));
}

/* Bytes that COPY text format escapes; NUL is not valid text at all. */
static bool special(unsigned char c) {
  return c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
}

int mp__copy_text(mp_buf_t *b, const char *p, size_t n) {
  const unsigned char *u = (const unsigned char *)p;
  int rc = mp_buf_reserve(b, n + 16);
  size_t run = 0; /* start of the bytes not yet appended */
  for (size_t i = 0; i < n && !rc;) {
    uint64_t w;
    if (i + 8 <= n && (memcpy(&w, u + i, 8), mp_text_plain8(w, '\\', '\\'))) {
      i += 8;
      continue;
    }
    if (u[i] >= 0x80) {
      size_t k = mp_utf8_seq(u + i, n - i);
      if (k) {
        i += k;
        continue;
      }
    } else if (!special(u[i])) {
      i++;
      continue;
    }
    rc = mp_buf_append(b, p + run, i - run);
    switch (rc ? 0 : u[i]) {
    case 0: break;
    case '\\': rc = mp_buf_append(b, "\\\\", 2); break;
    case '\n': rc = mp_buf_append(b, "\\n", 2); break;
    case '\r': rc = mp_buf_append(b, "\\r", 2); break;
    case '\t': rc = mp_buf_append(b, "\\t", 2); break;
    default: break;
    }
    if (!rc && (u[i] == 0 || u[i] >= 0x80)) /* NUL or invalid: U+FFFD */
      rc = mp_buf_append(b, "\xEF\xBF\xBD", 3);
    run = ++i;
  }
  return rc ? rc : mp_buf_append(b, p + run, n - run);
}

int mp__copy_str(mp_buf_t *b, const char *s) {
  return s ? mp__copy_text(b, s, strlen(s)) : mp__copy_null(b);
}

int mp__copy_bytea(mp_buf_t *b, const void *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  int rc = mp_buf_reserve(b, 2 * n + 3);
  if (rc)
    return rc;
  char *o = b->data + b->len;
  memcpy(o, "\\\\x", 3);
  o += 3;
  const unsigned char *u = p;
  for (size_t i = 0; i < n; i++) {
    *o++ = hex[u[i] >> 4];
    *o++ = hex[u[i] & 15];
  }
  b->len += 2 * n + 3;
  b->data[b->len] = '\0';
  return 0;
}
