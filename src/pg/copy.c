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

/* The two hex digits of each byte value, one copy per byte. */
static const char hex2[513] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

int mp__copy_bytea(mp_buf_t *b, const void *p, size_t n) {
  int rc = mp_buf_reserve(b, 2 * n + 3);
  if (rc)
    return rc;
  char *o = b->data + b->len;
  memcpy(o, "\\\\x", 3);
  o += 3;
  const unsigned char *u = p;
  for (size_t i = 0; i < n; i++, o += 2)
    memcpy(o, hex2 + 2 * u[i], 2);
  b->len += 2 * n + 3;
  b->data[b->len] = '\0';
  return 0;
}
