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

typedef struct mp_iso_ctx_s {
  bool strict; /* reject what lenient mode repairs */
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

#endif
