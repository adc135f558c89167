/* copy.h: PostgreSQL COPY text-format encoding (internal to src/pg).
 * Values are appended to a buffer with COPY's escapes so that any bytes
 * (quotes, backslashes, tabs, newlines, SQL-looking text) arrive verbatim.
 * Text must be valid UTF-8 (the database encoding): invalid bytes are
 * replaced by U+FFFD, and so is NUL. Binary data goes as bytea hex. */
#ifndef MP_PG_COPY_H
#define MP_PG_COPY_H

#include "marcpipe/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Field separator (tab) before every field but the first of a row. */
int mp__copy_sep(mp_buf_t *b);
int mp__copy_null(mp_buf_t *b);
int mp__copy_int(mp_buf_t *b, int64_t v);
int mp__copy_text(mp_buf_t *b, const char *p, size_t n);
int mp__copy_str(mp_buf_t *b, const char *s); /* NULL -> \N */
int mp__copy_bytea(mp_buf_t *b, const void *p, size_t n);
int mp__copy_end_row(mp_buf_t *b);

#endif
