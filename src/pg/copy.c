/* copy.c: COPY text-format encoding (see copy.h). Pure functions. */
#include "copy.h"

#include <string.h>

int mp__copy_sep(mp_buf_t *b) { return mp_buf_putc(b, '\t'); }
int mp__copy_null(mp_buf_t *b) { return mp_buf_append(b, "\\N", 2); }
int mp__copy_end_row(mp_buf_t *b) { return mp_buf_putc(b, '\n'); }

int mp__copy_int(mp_buf_t *b, int64_t v) {
  return mp_buf_printf(b, "%lld", (long long)v);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80)
    return c ? 1 : 0;
  size_t len;
  unsigned min;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    c &= 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    c &= 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    c &= 0x07;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  return len;
}

bool mp__utf8_valid(const char *p, size_t n) {
  const unsigned char *u = (const unsigned char *)p;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq(u + i, n - i);
    if (!k)
      return false;
    i += k;
  }
  return true;
}

int mp__copy_text(mp_buf_t *b, const char *p, size_t n) {
  const unsigned char *u = (const unsigned char *)p;
  int rc = mp_buf_reserve(b, n + 16);
  for (size_t i = 0; i < n && !rc;) {
    unsigned char c = u[i];
    size_t k = utf8_seq(u + i, n - i);
    if (!k) {
      rc = mp_buf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD */
      i++;
      continue;
    }
    if (k > 1) {
      rc = mp_buf_append(b, p + i, k);
      i += k;
      continue;
    }
    switch (c) {
    case '\\': rc = mp_buf_append(b, "\\\\", 2); break;
    case '\n': rc = mp_buf_append(b, "\\n", 2); break;
    case '\r': rc = mp_buf_append(b, "\\r", 2); break;
    case '\t': rc = mp_buf_append(b, "\\t", 2); break;
    default: rc = mp_buf_putc(b, (char)c); break;
    }
    i++;
  }
  return rc;
}

int mp__copy_str(mp_buf_t *b, const char *s) {
  return s ? mp__copy_text(b, s, strlen(s)) : mp__copy_null(b);
}

int mp__copy_bytea(mp_buf_t *b, const void *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  int rc = mp_buf_reserve(b, 2 * n + 3);
  if (rc)
    return rc;
  rc = mp_buf_append(b, "\\\\x", 3);
  const unsigned char *u = p;
  for (size_t i = 0; i < n && !rc; i++) {
    char h[2] = {hex[u[i] >> 4], hex[u[i] & 15]};
    rc = mp_buf_append(b, h, 2);
  }
  return rc;
}
