/* marc.h: the MARC record model, readers and writers.
 *
 * A record is a leader, an ordered list of fields, and for data fields an
 * ordered list of subfields. Field and subfield data are *views*: pointers
 * with lengths, not NUL-terminated, into either the reader's input buffer
 * (ISO 2709, zero-copy) or the record's own arena (MARCXML, JSON, MARC-8
 * conversion, repairs). A record returned by mp_marc_reader_next() is owned
 * by the reader and valid until the next call to mp_marc_reader_next() or
 * mp_marc_reader_close(). Copy it with mp_record_clone() to keep it.
 *
 * Readers never abort a stream for one bad record: a record-level problem
 * returns MP_EFIELD/MP_ELEADER/... for that record with a positioned
 * diagnostic (file, record number, byte offset, tag, reason) and the raw
 * bytes, then the next call goes on with the next record. Only an error
 * that makes further framing impossible (malformed XML, I/O error, the
 * error cap) ends the stream; every good record before it is delivered.
 */
#ifndef MARCPIPE_MARC_H
#define MARCPIPE_MARC_H

#include "marcpipe/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_MARC_FT 0x1E /* field terminator */
#define MP_MARC_SD 0x1F /* subfield delimiter */
#define MP_MARC_RT 0x1D /* record terminator */
#define MP_MARC_ISO_MAX 99999 /* largest length ISO 2709 can state */

typedef struct mp_subfield_s {
  char code;        /* subfield code (first byte after 0x1F) */
  uint32_t len;     /* bytes in data */
  const char *data; /* view; not NUL-terminated */
} mp_subfield_t;

typedef struct mp_field_s {
  char tag[4];        /* 3 bytes + NUL; may be non-numeric (alphatag files) */
  char ind1, ind2;    /* ' ' for control fields */
  bool is_control;    /* tags 000-009 (and non-numeric tags without 0x1F) */
  const char *data;   /* control field value, or data field bytes after the
                         indicators (subfield delimiters included) */
  uint32_t len;
  uint32_t sf_first;  /* index into record->subfields */
  uint32_t sf_count;
} mp_field_t;

typedef struct mp_record_s {
  char leader[25];         /* 24 bytes + NUL */
  mp_field_t *fields;
  uint32_t nfields, cap_fields;
  mp_subfield_t *subfields;
  uint32_t nsubfields, cap_subfields;
  mp_arena_t arena;        /* owns bytes the views point to, when not input */
  uint64_t recno;          /* 1-based position in its input stream */
  uint64_t offset;         /* byte offset of the record's first byte in its
                              input (for XML as close as libxml2 can tell) */
  uint32_t nwarnings;      /* warnings the reader raised for this record */
} mp_record_t;

/* Record construction (used by readers, tests and mapping). */
void mp_record_init(mp_record_t *r);
void mp_record_release(mp_record_t *r);
/* Empty the record for reuse; keeps allocations. */
void mp_record_clear(mp_record_t *r);
/* Deep copy of src into dst (dst initialised by the caller); dst owns all
 * bytes afterwards. 0 or MP_ENOMEM. */
int mp_record_clone(mp_record_t *dst, const mp_record_t *src);
/* A snapshot: the leader, fields and subfields of a record as flat bytes,
 * not the data they view, so a record decoded once can be had again
 * without decoding it or copying it back (the sink keeps those of a batch
 * and maps and writes their views). Size in bytes
 * (a multiple of 8) of r's snapshot, or 0 when r owns bytes in its arena
 * (a snapshot's views would dangle once r is cleared). */
size_t mp_record_snapshot_size(const mp_record_t *r);
/* Write r's snapshot (snapshot_size bytes, 8-aligned) to out. */
void mp_record_snapshot(const mp_record_t *r, void *out);
/* v = a read-only view of the snapshotted record: its field and subfield
 * arrays are the snapshot's own (no copy; snap must stay put and 8-aligned
 * while v is used). v owns nothing: never pass it to mp_record_release,
 * _clear or a call that adds to it. */
void mp_record_view(mp_record_t *v, const void *snap);
/* Append a field. The data views are stored as given (not copied): the
 * caller guarantees they outlive the record's use, or uses copy=true to put
 * them in the record's arena. Returns the new field or NULL on ENOMEM. */
mp_field_t *mp_record_add_control(mp_record_t *r, const char tag[3],
                                  const char *data, size_t len, bool copy);
mp_field_t *mp_record_add_datafield(mp_record_t *r, const char tag[3],
                                    char ind1, char ind2);
/* Add a subfield to the LAST field, which must be a data field. */
mp_subfield_t *mp_record_add_subfield(mp_record_t *r, char code,
                                      const char *data, size_t len, bool copy);

/* Lookup helpers. Return NULL / 0 when absent. */
const mp_field_t *mp_record_field(const mp_record_t *r, const char *tag);
/* The field's sf_count subfields (no pointer arithmetic when there are
 * none: r->subfields may be NULL). */
static inline const mp_subfield_t *mp_field_subfields(const mp_record_t *r,
                                                      const mp_field_t *f) {
  return f->sf_count ? r->subfields + f->sf_first : r->subfields;
}
const mp_subfield_t *mp_field_subfield(const mp_record_t *r,
                                       const mp_field_t *f, char code);
/* True when leader/09 says UTF-8 ('a'). */
static inline bool mp_record_is_utf8(const mp_record_t *r) {
  return r->leader[9] == 'a';
}

/* ---- diagnostics ---- */

typedef enum { MP_SEV_WARNING = 1, MP_SEV_ERROR = 2, MP_SEV_FATAL = 3 } mp_severity_t;

typedef struct mp_marc_diag_s {
  int code;             /* MP_E* */
  mp_severity_t severity;
  uint64_t recno;       /* 1-based record number in the stream (0 = none) */
  uint64_t offset;      /* byte offset in the input (record start, or the
                           exact byte when known) */
  char tag[4];          /* field tag concerned, or "" */
  char msg[240];        /* lowercase, no final period */
} mp_marc_diag_t;

/* Format "FILE: record N at byte OFF[, field TAG]: MSG" into buf. */
void mp_marc_diag_format(const mp_marc_diag_t *d, const char *file,
                         char *buf, size_t bufsz);

/* ---- readers ---- */

typedef enum {
  MP_FMT_AUTO = 0,
  MP_FMT_ISO2709,
  MP_FMT_MARCXML,
  MP_FMT_JSON,
} mp_marc_format_t;

/* "iso2709"/"marc"/"mrc", "marcxml"/"xml", "json" -> format; -1 if unknown. */
int mp_marc_format_parse(const char *name);
const char *mp_marc_format_name(mp_marc_format_t f);
/* Guess from the first bytes of an input (BOM and whitespace skipped):
 * '<' -> MARCXML, '{' or '[' -> JSON, anything else (digits, junk, empty
 * input) -> ISO 2709, whose reader then reports positioned errors. */
mp_marc_format_t mp_marc_format_detect(const char *p, size_t n);

/* Junk (NUL, whitespace, 0x1A, stray terminators) an ISO 2709 stream may
 * hold in a row between records before it is judged not MARC (a fatal
 * MP_EFORMAT): 64 KiB, far more than the padding real files carry. */
#define MP_MARC_MAX_JUNK (64 * 1024)

typedef struct mp_marc_reader_opts_s {
  mp_marc_format_t format;  /* MP_FMT_AUTO: detect from the first bytes */
  bool strict;              /* reject anything that lenient mode repairs in
                               a record's structure (length, leader,
                               directory, fields); junk between records
                               and charset problems stay warnings */
  uint32_t max_errors;      /* rejected records before the stream ends: the
                               call rejecting the max_errors-th record
                               returns MP_ETOOMANY (fatal) instead of its
                               own error, which stays in the diagnostics;
                               0 = no cap */
  bool keep_charset;        /* false (default): MARC-8 -> UTF-8 (decomposed,
                               as yaz converts), leader/09 set to 'a',
                               invalid UTF-8 replaced by U+FFFD, each with a
                               warning naming the field. A record flagged
                               MARC-8 whose bytes are valid multibyte UTF-8
                               (and no ESC) is read as UTF-8 with a warning.
                               MARCXML/JSON text is Unicode whatever
                               leader/09 says: validated only */
  const char *charset;      /* NULL = by leader/09; else an iconv/yaz name
                               the input is known to be in (e.g. "cp1251") */
  size_t max_record_bytes;  /* 0 = default (16 MiB): larger is an error
                               (MP_ETOOBIG, the next call goes on) and the
                               input buffer never grows beyond it */
} mp_marc_reader_opts_t;

typedef struct mp_marc_reader_s mp_marc_reader_t;

/* Open a file ("-" = stdin). On failure returns NULL and sets *err (a
 * negated errno such as UV_ENOENT, or MP_EFORMAT). opts may be NULL. */
mp_marc_reader_t *mp_marc_reader_open(const char *path,
                                      const mp_marc_reader_opts_t *opts,
                                      int *err);
/* Read from memory (not copied: must outlive the reader). */
mp_marc_reader_t *mp_marc_reader_open_mem(const char *name, const char *data,
                                          size_t len,
                                          const mp_marc_reader_opts_t *opts,
                                          int *err);
/* Next record.
 *   0            *rec is set; warnings (if any) are in the diagnostics
 *   MP_EOF      end of input
 *   other < 0    this record was rejected (diagnostics say why, raw bytes
 *                via mp_marc_reader_raw); call again for the next one,
 *                unless mp_marc_reader_fatal() says the stream is over */
int mp_marc_reader_next(mp_marc_reader_t *r, mp_record_t **rec);
/* Diagnostics raised by the last mp_marc_reader_next() call (also on
 * MP_EOF, e.g. junk after the last record). At most 64 warnings are kept
 * per call (all are counted in the stats); errors are always kept. */
const mp_marc_diag_t *mp_marc_reader_diags(const mp_marc_reader_t *r,
                                           size_t *n);
/* Raw input bytes of the last record returned or rejected (ISO 2709: the
 * record as framed; XML/JSON: the serialised element). Valid until next. */
const char *mp_marc_reader_raw(const mp_marc_reader_t *r, size_t *len);
/* True once the stream cannot go on (the last error was fatal); further
 * calls to mp_marc_reader_next() return MP_EOF. */
bool mp_marc_reader_fatal(const mp_marc_reader_t *r);
/* Counters over the whole stream. */
typedef struct mp_marc_reader_stats_s {
  uint64_t records;   /* returned with 0 */
  uint64_t rejected;  /* returned with an error */
  uint64_t warnings;
  uint64_t bytes;     /* input bytes consumed */
} mp_marc_reader_stats_t;
void mp_marc_reader_stats(const mp_marc_reader_t *r, mp_marc_reader_stats_t *s);
mp_marc_format_t mp_marc_reader_format(const mp_marc_reader_t *r);
const char *mp_marc_reader_name(const mp_marc_reader_t *r);
void mp_marc_reader_close(mp_marc_reader_t *r);

/* ---- single-record parsing (message values in the pipeline) ----
 * Parse one complete record held in memory into rec (cleared first; views
 * point into p, which must outlive rec's use). No charset conversion.
 * 0, or MP_E* with *diag describing the problem (may be NULL). Lenient:
 * repairs what the stream reader repairs, raising warnings in diag only
 * when the return is an error. */
int mp_marc_parse_iso2709(const char *p, size_t n, mp_record_t *rec,
                          mp_marc_diag_t *diag);
int mp_marc_parse_json(const char *p, size_t n, mp_record_t *rec,
                       mp_marc_diag_t *diag);

/* ---- writers (append to a buffer; 0 or MP_E*) ---- */

/* ISO 2709. Lengths are recomputed; a record whose length would exceed
 * 99,999 bytes returns MP_ETOOBIG (write it as MARCXML or JSON instead). */
int mp_marc_write_iso2709(const mp_record_t *r, mp_buf_t *out);
/* MARCXML: one <record> element (no XML declaration); with the collection
 * helpers around it, a full document. */
int mp_marc_write_marcxml_begin(mp_buf_t *out);
int mp_marc_write_marcxml(const mp_record_t *r, mp_buf_t *out);
int mp_marc_write_marcxml_end(mp_buf_t *out);
/* MARC-in-JSON: one object on one line (no trailing newline). */
int mp_marc_write_json(const mp_record_t *r, mp_buf_t *out);
/* The same text as one value of PostgreSQL's COPY text format (each
 * backslash doubled; no other byte of it is special there). It is valid
 * UTF-8 with no \u0000 escape (NUL and invalid bytes are written as
 * U+FFFD), so jsonb accepts it as it is. */
int mp_marc_write_json_copy(const mp_record_t *r, mp_buf_t *out);
/* Human-readable line format like yaz-marcdump's. */
int mp_marc_write_text(const mp_record_t *r, mp_buf_t *out);

#endif
