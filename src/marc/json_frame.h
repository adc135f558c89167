/* json_frame.h: finds MARC-in-JSON records in a byte stream without
 * decoding it: a single object, a top-level array of objects, or objects
 * one after another (NDJSON, or pretty-printed objects back to back).
 *
 * Each record is located by matching braces (strings and escapes
 * understood), so memory holds one record at a time whatever the size of
 * the array or file; the object's bytes are then decoded by jansson on
 * their own. Lines and columns are counted on the way for messages.
 * Single owner; state lives in the caller's mp_json_frame_t.
 */
#ifndef MP_MARC_JSON_FRAME_H
#define MP_MARC_JSON_FRAME_H

#include "marc/reader_impl.h"

typedef struct mp_json_frame_s {
  int state;          /* internal: start, in array, after value, stream, end */
  uint64_t line;      /* 1-based line of the next unread byte */
  uint64_t line_start;/* absolute offset where that line starts */
} mp_json_frame_t;

typedef struct mp_json_span_s {
  const char *p;      /* the object's bytes: valid until the next call */
  size_t len;
  uint64_t offset;    /* absolute offset of its '{' */
  uint64_t line, col; /* 1-based position of its '{' */
} mp_json_span_t;

void mp__json_frame_init(mp_json_frame_t *f);
/* Next object: 1 = *out set (input advanced past it), 0 = end of input,
 * <0 = framing impossible (MP_EJSON, MP_ETRUNCATED, MP_ETOOBIG, I/O), with
 * a message in err and the position in out->offset/line/col. */
int mp__json_frame_next(mp_json_frame_t *f, mp_input_t *in, size_t limit,
                        mp_json_span_t *out, char *err, size_t errsz);

#endif
