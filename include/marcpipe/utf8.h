/* utf8.h: UTF-8 validation shared by the readers, the writers, the mapping
 * engine and the PostgreSQL encoders (one definition of "valid").
 *
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF. Pure functions, thread-safe. */
#ifndef MARCPIPE_UTF8_H
#define MARCPIPE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the valid UTF-8 sequence at p, n > 0 bytes left; 0 when
 * the bytes there are not valid UTF-8. Every byte below 0x80, NUL
 * included, is a sequence of length 1: callers that cannot carry NUL
 * check for it themselves. */
size_t mp_utf8_seq(const unsigned char *p, size_t n);

/* Number of leading bytes of p[0..n) below 0x80 (scans 8 bytes a step). */
size_t mp_utf8_ascii_prefix(const char *p, size_t n);

/* Length of the longest prefix of p[0..n) made of whole valid sequences:
 * n when all of it is valid, else the index of the first sequence that is
 * not (a sequence cut by the end of the buffer is not valid). The same
 * answer as stepping through p with mp_utf8_seq, several times faster:
 * ASCII is skipped 16 bytes a step, multibyte runs checked inline.
 * *multi (may be NULL) is set to whether that prefix holds a multibyte
 * sequence. */
size_t mp_utf8_valid_prefix(const char *p, size_t n, bool *multi);

/* True when p[0..n) is valid UTF-8 and holds no NUL (what a PostgreSQL
 * text or jsonb value accepts). */
bool mp_utf8_valid(const char *p, size_t n);

/* Whether none of the 8 bytes of w (read from text with memcpy) needs a
 * look of its own in a text encoder: no byte >= 0x80 (UTF-8 to check),
 * < 0x20 (controls) or equal to a or b (the encoder's own specials; pass
 * the same byte twice for one). Word-at-a-time: the encoders of COPY text
 * and JSON append such words as they are. */
static inline bool mp_text_plain8(uint64_t w, unsigned char a, unsigned char b) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t xa = w ^ (ones * a), xb = w ^ (ones * b);
  uint64_t low = w - ones * 0x20;                   /* borrows where < 0x20 */
  uint64_t eq = ((xa - ones) & ~xa) | ((xb - ones) & ~xb); /* where == a, b */
  return ((w | low | eq) & highs) == 0;
}

#endif
