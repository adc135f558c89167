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

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
size_t mp__utf8_len(const unsigned char *p, size_t n);
int mp__escape_xml(mp_buf_t *out, const char *p, size_t n, bool attr);
int mp__escape_json(mp_buf_t *out, const char *p, size_t n);

#endif
