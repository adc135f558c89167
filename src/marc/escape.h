/* escape.h: text escaping for the MARCXML and JSON writers.
 *
 * Both append MARC data bytes to a buffer as XML character data / attribute
 * values or as the inside of a JSON string. Bytes that are not valid
 * UTF-8, characters XML 1.0 cannot carry (C0 controls other than tab,
 * newline and carriage return) and, in JSON, NUL, are written as U+FFFD,
 * so the output is always well-formed; valid UTF-8 text round-trips
 * exactly. 0 or MP_ENOMEM.
 */
#ifndef MP_MARC_ESCAPE_H
#define MP_MARC_ESCAPE_H

#include "marcpipe/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

int mp__escape_xml(mp_buf_t *out, const char *p, size_t n, bool attr);
int mp__escape_json(mp_buf_t *out, const char *p, size_t n);
/* mp__escape_json's text with every backslash doubled (COPY text format). */
int mp__escape_json_copy(mp_buf_t *out, const char *p, size_t n);

/* mp_buf_append with the common case (room already reserved) inlined, so
 * short markup costs a compare and a fixed-size copy. 0 or MP_ENOMEM. */
static inline int mp__put(mp_buf_t *b, const char *p, size_t n) {
  if (b->len + n >= b->cap)
    return mp_buf_append(b, p, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

/* Append a string literal (no strlen at run time). 0 or MP_ENOMEM. */
#define MP__PUT_LIT(out, lit) mp__put((out), (lit), sizeof(lit) - 1)

struct mp_record_s;
/* Reserve room for r written with `per_field` bytes of markup per field and
 * `per_subfield` per subfield around the unescaped data (a hint: escaping
 * may still grow the buffer), so a record's output grows the buffer at
 * most once in the common case. 0 or MP_ENOMEM. */
int mp__reserve_record(mp_buf_t *out, const struct mp_record_s *r,
                       size_t per_field, size_t per_subfield);

#endif
