/* utf8.c: UTF-8 validation (contracts in include/marcpipe/utf8.h). Pure
 * functions; the ASCII fast path reads 32, then 8 bytes at a time through
 * memcpy, so any alignment is fine. */
#include "marcpipe/utf8.h"

#include <stdint.h>
#include <string.h>

#define HIGH_BITS 0x8080808080808080ull

size_t mp_utf8_seq(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
    hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return len;
}

size_t mp_utf8_ascii_prefix(const char *p, size_t n) {
  size_t i = 0;
  /* 32 bytes a step while no high bit shows, then 8, then 1 to find it */
  for (uint64_t w[4]; i + 32 <= n; i += 32) {
    memcpy(w, p + i, 32);
    if ((w[0] | w[1] | w[2] | w[3]) & HIGH_BITS)
      break;
  }
  for (uint64_t w; i + 8 <= n; i += 8) {
    memcpy(&w, p + i, 8);
    if (w & HIGH_BITS)
      break;
  }
  while (i < n && !((unsigned char)p[i] & 0x80))
    i++;
  return i;
}

bool mp_utf8_valid(const char *p, size_t n) {
  if (memchr(p, '\0', n))
    return false;
  const unsigned char *u = (const unsigned char *)p;
  for (size_t i = mp_utf8_ascii_prefix(p, n); i < n;) {
    size_t k = mp_utf8_seq(u + i, n - i);
    if (!k)
      return false;
    i += k;
    i += mp_utf8_ascii_prefix(p + i, n - i);
  }
  return true;
}
