/* iso2709_impl.h: the single-record ISO 2709 parser shared by the public
 * mp_marc_parse_iso2709() (message values) and the stream backend
 * (iso2709_reader.c). The stream backend only frames records; every check
 * and repair of a framed record lives in iso2709_parse.c.
 *
 * Diagnostics go through `emit` with an offset relative to the record's
 * first byte, so each caller positions them its own way (file offset in the
 * stream reader, record-relative in the public parser).
 */
#ifndef MP_MARC_ISO2709_IMPL_H
#define MP_MARC_ISO2709_IMPL_H

#include "marcpipe/marc.h"

#include <string.h>

typedef struct mp_iso_ctx_s {
  bool strict; /* reject what lenient mode repairs */
  bool *ascii; /* out, may be NULL: set to true when the record parsed and
                  every byte of its field views (control field values, data
                  fields after the indicators) is below 0x80, found while
                  splitting them, so the charset step need not look again */
  void (*emit)(void *ud, int code, mp_severity_t sev, size_t rel_off,
               const char *tag, const char *msg);
  void *ud;
} mp_iso_ctx_t;

/* Parse the framed record p[0..n) (n includes the 0x1D terminator when
 * present) into rec, which the caller cleared. Views point into p.
 * 0, or MP_E* after at least one error through ctx->emit. */
int mp__iso2709_parse(const char *p, size_t n, mp_record_t *rec,
                      const mp_iso_ctx_t *ctx);

/* Emit a formatted diagnostic through ctx (printf-style). */
void mp__iso_diag(const mp_iso_ctx_t *ctx, int code, mp_severity_t sev,
                  size_t rel_off, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* A 64-bit word loaded from memory as if little-endian (bytes in memory
 * order from the least significant one). */
static inline uint64_t mp__le64(uint64_t w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap64(w);
#else
  return w;
#endif
}

/* Decimal value of n ASCII digits, or -1 if any byte is not a digit.
 * Inline and branch-free: the parser's hottest loop (directory entries). */
static inline long mp__iso_digits(const char *p, int n) {
  long v = 0;
  unsigned bad = 0;
  for (int i = 0; i < n; i++) {
    unsigned d = (unsigned char)p[i] - '0';
    bad |= d > 9;
    v = v * 10 + (long)d;
  }
  return bad ? -1 : v;
}

/* Length (4 digits) and start (5 digits) of the directory entry at e (tag
 * first, 12 bytes): true when all 9 are ASCII digits. Word at a time:
 * bytes 3..10 are checked and converted as one 64-bit word (two 4-digit
 * numbers), byte 11 on its own. Same results as mp__iso_digits(e + 3, 4)
 * and mp__iso_digits(e + 7, 5), in a quarter of the instructions. */
static inline bool mp__iso_entry(const char *e, uint32_t *len,
                                 uint32_t *start) {
  uint64_t w;
  memcpy(&w, e + 3, 8);
  w = mp__le64(w);
  /* every byte 0x30..0x39: high nibble 3, and still 3 after adding 6 */
  const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, three = 0x3030303030303030ull;
  unsigned last = (unsigned char)e[11] - '0';
  if ((w & hi) != three || ((w + 0x0606060606060606ull) & hi) != three ||
      last > 9)
    return false;
  w -= three; /* byte k = digit k, first digit in the low byte */
  w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFull;     /* pairs */
  w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFull;   /* quads */
  *len = (uint32_t)(w & 0xFFFF);
  *start = (uint32_t)(w >> 32) * 10 + last;
  return true;
}

#endif
