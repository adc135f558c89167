/* build.h: building a record from a text format (MARCXML, MARC-in-JSON).
 *
 * The MARCXML and JSON parsers hand the builder decoded strings (leader,
 * tags, indicators, subfield codes and values); the builder checks and
 * repairs them the same way for both formats and copies every byte into
 * the record's arena, so the record never points into parser memory.
 * A data field is assembled in a scratch buffer as ISO 2709 field data
 * (0x1F code value ...) and copied to the arena once, when it is closed;
 * its subfield views point into that copy, exactly as for an ISO record.
 *
 * Repairs (warnings; errors in strict mode): leader missing or not 24
 * bytes (padded with blanks / trimmed), tag not 3 bytes (padded with '0' /
 * trimmed), indicator missing or longer than 1 byte (blank / first byte),
 * subfield code longer than 1 byte (first byte), a data field without
 * subfields (kept), U+00A0 in leader or indicators (a blank). Always
 * errors, in both modes: a data field without tag, a subfield without code (the field's
 * meaning cannot be guessed; the record is rejected with its raw bytes).
 * Single owner; one builder per reader or per parse call.
 */
#ifndef MP_MARC_BUILD_H
#define MP_MARC_BUILD_H

#include "marcpipe/marc.h"

/* Receives each diagnostic the builder raises (msg lowercase, no period);
 * it also counts warnings in the record (mp__reader_diag does). */
typedef void (*mp_build_diag_fn)(void *ctx, int code, mp_severity_t sev,
                                 const char *tag, const char *msg);

typedef struct mp_build_s {
  mp_record_t *rec;
  bool strict;
  bool open;            /* a data field is being assembled */
  mp_buf_t field;       /* its bytes: 0x1F code value ... */
  mp_build_diag_fn diag;
  void *ctx;
} mp_build_t;

void mp__build_init(mp_build_t *b, bool strict, mp_build_diag_fn diag,
                    void *ctx);
void mp__build_release(mp_build_t *b);
/* Start a record (rec is cleared by the caller). */
void mp__build_begin(mp_build_t *b, mp_record_t *rec);
/* p == NULL: the leader is missing. */
int mp__build_leader(mp_build_t *b, const char *p, size_t n);
/* tag == NULL: missing. */
int mp__build_control(mp_build_t *b, const char *tag, size_t tlen,
                      const char *p, size_t n);
/* Opens a data field (closing the previous one); ind NULL = missing. */
int mp__build_datafield(mp_build_t *b, const char *tag, size_t tlen,
                        const char *ind1, size_t n1, const char *ind2,
                        size_t n2);
/* Close the open data field now (else the next field or the end closes
 * it), so that its diagnostics carry the field's position. */
int mp__build_field_end(mp_build_t *b);
/* code NULL = missing. */
int mp__build_subfield(mp_build_t *b, const char *code, size_t clen,
                       const char *p, size_t n);
/* Close the record: the open data field, the missing-leader repair.
 * had_leader false raises the missing-leader diagnostic. */
int mp__build_end(mp_build_t *b, bool had_leader);

#endif
