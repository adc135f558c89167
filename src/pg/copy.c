/* copy.c: COPY text- and binary-format encoding (see copy.h). Pure
 * functions. The encoders are on the sink's hot path (several KB of text
 * per record): runs of bytes that need no escape are found first and
 * appended with one copy. */
#include "copy.h"

#include "marcpipe/error.h"
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

/* Valid UTF-8 text, with COPY text format's escapes when `escapes`
 * (binary format has none); NUL and invalid bytes become U+FFFD. */
static int put_text(mp_buf_t *b, const char *p, size_t n, bool escapes) {
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
    } else if (u[i] && !(escapes && special(u[i]))) {
      i++;
      continue;
    }
    rc = mp_buf_append(b, p + run, i - run);
    switch (rc || !escapes ? 0 : u[i]) {
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

int mp__copy_text(mp_buf_t *b, const char *p, size_t n) {
  return put_text(b, p, n, true);
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

/* ---- binary format ---- */

static void be32(char *o, uint32_t v) {
  o[0] = (char)(v >> 24), o[1] = (char)(v >> 16), o[2] = (char)(v >> 8), o[3] = (char)v;
}

/* The signature, flags 0 (no OIDs), no header extension. */
int mp__copyb_header(mp_buf_t *b) {
  return mp_buf_append(b, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
}

int mp__copyb_trailer(mp_buf_t *b) { return mp_buf_append(b, "\377\377", 2); }

int mp__copyb_row(mp_buf_t *b, int nfields) {
  char o[2] = {(char)(nfields >> 8), (char)nfields};
  return mp_buf_append(b, o, 2);
}

int mp__copyb_null(mp_buf_t *b) { return mp_buf_append(b, "\377\377\377\377", 4); }

int mp__copyb_int8(mp_buf_t *b, int64_t v) {
  char o[12];
  be32(o, 8);
  be32(o + 4, (uint32_t)((uint64_t)v >> 32));
  be32(o + 8, (uint32_t)v);
  return mp_buf_append(b, o, sizeof o);
}

int mp__copyb_open(mp_buf_t *b, size_t *at) {
  *at = b->len;
  return mp_buf_append(b, "\0\0\0\0", 4);
}

int mp__copyb_jsonb_open(mp_buf_t *b, size_t *at) {
  *at = b->len;
  return mp_buf_append(b, "\0\0\0\0\1", 5); /* jsonb's binary version 1 */
}

/* Lengths are 32-bit: a field over 1 GB is refused by the server anyway. */
int mp__copyb_close(mp_buf_t *b, size_t at) {
  size_t n = b->len - at - 4;
  if (at + 4 > b->len || n > 0x7fffffffu)
    return MP_EUSAGE;
  be32(b->data + at, (uint32_t)n);
  return 0;
}

int mp__copyb_bytes(mp_buf_t *b, const void *p, size_t n) {
  char o[4];
  if (n > 0x7fffffffu)
    return MP_EUSAGE;
  be32(o, (uint32_t)n);
  int rc = mp_buf_reserve(b, n + 4);
  rc = rc ? rc : mp_buf_append(b, o, 4);
  return rc ? rc : mp_buf_append(b, p, n);
}

int mp__copyb_text(mp_buf_t *b, const char *p, size_t n) {
  size_t at;
  int rc = mp__copyb_open(b, &at);
  rc = rc ? rc : put_text(b, p, n, false);
  return rc ? rc : mp__copyb_close(b, at);
}

int mp__copyb_str(mp_buf_t *b, const char *s) {
  return s ? mp__copyb_text(b, s, strlen(s)) : mp__copyb_null(b);
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* 8-4-4-4-12 hex digits, as PostgreSQL prints a uuid. */
int mp__copyb_uuid(mp_buf_t *b, const char *text) {
  char o[20];
  be32(o, 16);
  size_t k = 4;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-')
        return MP_EUSAGE;
      continue;
    }
    int hi = hexval(text[i]), lo = hi < 0 ? -1 : hexval(text[i + 1]);
    if (lo < 0)
      return MP_EUSAGE;
    o[k++] = (char)(hi << 4 | lo);
    i++;
  }
  return text[36] ? MP_EUSAGE : mp_buf_append(b, o, sizeof o);
}
