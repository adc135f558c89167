/* utf8.c: UTF-8 validation (contracts in include/marcpipe/utf8.h). Pure
 * functions; the ASCII fast paths read 32, 16 (SSE2) or 8 bytes at a time
 * through unaligned loads, so any alignment is fine.
 * mp_utf8_valid_prefix is the validator for whole buffers: it skips ASCII
 * runs a vector at a time and checks each run of multibyte sequences in
 * one inline loop (no call per character); mp_utf8_seq, one sequence at a
 * time, is the definition it must agree with (tests/unit/test_utf8.c). */
#include "marcpipe/utf8.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

static inline bool is_cont(unsigned b) { return (b & 0xC0) == 0x80; }

/* Index of the first byte >= 0x80 in p[i..n), or n. */
static inline size_t skip_ascii(const unsigned char *p, size_t i, size_t n) {
#ifdef __SSE2__
  for (; i + 16 <= n; i += 16) {
    unsigned m = (unsigned)_mm_movemask_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
    if (m)
      return i + (size_t)__builtin_ctz(m);
  }
#endif
  for (uint64_t w; i + 8 <= n; i += 8) {
    memcpy(&w, p + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    if (w & HIGH_BITS)
      return i + (size_t)__builtin_ctzll(w & HIGH_BITS) / 8;
  }
  while (i < n && p[i] < 0x80)
    i++;
  return i;
}

size_t mp_utf8_valid_prefix(const char *s, size_t n, bool *multi) {
  const unsigned char *p = (const unsigned char *)s;
  bool m = false;
  size_t i = skip_ascii(p, 0, n);
  while (i < n) {
    /* p[i] >= 0x80: the sequences up to the next ASCII byte */
    do {
      unsigned c = p[i], lo = 0x80, hi = 0xBF; /* range of the 2nd byte */
      size_t left = n - i;
      if (c < 0xC2 || c > 0xF4) /* continuation, overlong lead, > U+10FFFF */
        goto out;
      if (c < 0xE0) {
        if (left < 2 || !is_cont(p[i + 1]))
          goto out;
        i += 2;
      } else if (c < 0xF0) {
        if (c == 0xE0)
          lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
          hi = 0x9F; /* no surrogates */
        if (left < 3 || p[i + 1] < lo || p[i + 1] > hi || !is_cont(p[i + 2]))
          goto out;
        i += 3;
      } else {
        if (c == 0xF0)
          lo = 0x90; /* no overlong forms */
        else if (c == 0xF4)
          hi = 0x8F; /* nothing above U+10FFFF */
        if (left < 4 || p[i + 1] < lo || p[i + 1] > hi ||
            !is_cont(p[i + 2]) || !is_cont(p[i + 3]))
          goto out;
        i += 4;
      }
      m = true;
    } while (i < n && p[i] >= 0x80);
    i = skip_ascii(p, i, n);
  }
out:
  if (multi)
    *multi = m;
  return i;
}

bool mp_utf8_valid(const char *p, size_t n) {
  return !memchr(p, '\0', n) && mp_utf8_valid_prefix(p, n, NULL) == n;
}
