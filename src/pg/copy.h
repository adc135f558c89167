/* copy.h: PostgreSQL COPY encoding (internal to src/pg), in two formats.
 *
 * Text format (mp__copy_*): values are appended to a buffer with COPY's
 * escapes so that any bytes (quotes, backslashes, tabs, newlines,
 * SQL-looking text) arrive verbatim. Binary data goes as bytea hex.
 *
 * Binary format (mp__copyb_*, for COPY ... WITH (FORMAT binary)): the
 * stream is a header, rows of (field count, then each field as a 32-bit
 * length and its bytes, -1 for NULL), a trailer; integers big-endian.
 * Nothing is escaped and bytea goes as its bytes: the client writes
 * less and escapes nothing (a server-side file COPY of the same rows was
 * 16-22% cheaper in binary, but the sink's batches of 500 rows in
 * bench_sink showed no server CPU change; bench/README.md "Binary
 * COPY"). Each
 * field must be in the column type's binary form: int8, uuid (16 bytes),
 * text and jsonb (a version byte 1, then the JSON text) are written here.
 *
 * In both formats text must be valid UTF-8 (the database encoding):
 * invalid bytes are replaced by U+FFFD, and so is NUL. The *_valid /
 * jsonb writers take text the caller has already checked. */
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

/* Binary format. The header opens the stream, the trailer ends it. */
int mp__copyb_header(mp_buf_t *b);
int mp__copyb_trailer(mp_buf_t *b);
int mp__copyb_row(mp_buf_t *b, int nfields); /* before a row's fields */
int mp__copyb_null(mp_buf_t *b);
int mp__copyb_int8(mp_buf_t *b, int64_t v);
int mp__copyb_text(mp_buf_t *b, const char *p, size_t n); /* UTF-8 repaired */
int mp__copyb_str(mp_buf_t *b, const char *s);            /* NULL -> NULL */
/* Bytes as they are: bytea, or text the caller knows is valid UTF-8. */
int mp__copyb_bytes(mp_buf_t *b, const void *p, size_t n);
/* A uuid from its 36-character text form; MP_EUSAGE if it is not one. */
int mp__copyb_uuid(mp_buf_t *b, const char *text);
/* A field written in place: open reserves its length and returns where it
 * is (through *at), the caller appends the value, close fills the length
 * in. jsonb_open also writes jsonb's version byte: the caller then
 * appends JSON text that is valid UTF-8 without \u0000. No flush between
 * open and close (the length is patched in the buffer). */
int mp__copyb_open(mp_buf_t *b, size_t *at);
int mp__copyb_jsonb_open(mp_buf_t *b, size_t *at);
int mp__copyb_close(mp_buf_t *b, size_t at);

#endif
