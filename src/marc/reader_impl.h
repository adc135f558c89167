/* reader_impl.h: the contract between the generic reader (reader.c) and
 * its format backends (iso2709_reader.c, marcxml_reader.c, json_reader.c).
 *
 * reader.c owns the mp_marc_reader_t: the input (fd or memory), the record
 * it hands out, the diagnostics list, the raw-bytes view, the counters, the
 * error cap and the charset step (charset.c) applied after a backend
 * returns a record. A backend only frames and parses.
 *
 * Backend `next` contract: fill r->rec (already cleared, recno/offset set
 * by the backend), add warnings/errors with mp__reader_diag(), set the raw
 * view with mp__reader_set_raw(), and return
 * (mp__reader_diag stamps each diagnostic with r->recno: increment r->recno
 * as soon as a record starts, before its first diagnostic, and copy it to
 * r->rec.recno; input consumed is r->in.base + r->in.pos, which the stats
 * report as bytes, so a backend reading through r->in advances r->in.pos)
 *   0             a record is in r->rec
 *   MP_EOF       no more input
 *   MP_E* (<0)    this record is rejected (at least one error diag added);
 *                 set r->fatal = true as well if the stream cannot go on.
 */
#ifndef MP_MARC_READER_IMPL_H
#define MP_MARC_READER_IMPL_H

#include "marcpipe/marc.h"

typedef struct mp_marc_backend_s {
  const char *name;
  /* Set up backend state (r->impl). 0 or MP_E*. */
  int (*open)(mp_marc_reader_t *r);
  int (*next)(mp_marc_reader_t *r);
  void (*close)(mp_marc_reader_t *r);
  /* Optional: set the raw view of the current record on demand (see
   * mp__reader_set_raw_lazy), for backends whose raw bytes cost work. */
  void (*raw)(mp_marc_reader_t *r);
} mp_marc_backend_t;

extern const mp_marc_backend_t mp__iso2709_backend;
extern const mp_marc_backend_t mp__marcxml_backend;
extern const mp_marc_backend_t mp__json_backend;

/* Chunked input shared by the backends: reads from fd, or a fixed memory
 * buffer. Buffer contents before `pos` may be discarded by mp__input_fill. */
typedef struct mp_input_s {
  int fd;               /* -1 for memory input */
  const char *mem;      /* memory input (not owned) */
  char *buf;            /* owned buffer for fd input */
  size_t cap;           /* buffer capacity */
  const char *data;     /* == buf or mem */
  size_t len;           /* valid bytes in data */
  size_t pos;           /* next unread byte in data */
  uint64_t base;        /* file offset of data[0] */
  bool eof;             /* no more bytes will come from fd */
} mp_input_t;

/* Make at least `want` unread bytes available after pos (fewer at EOF),
 * compacting and growing the buffer as needed (never beyond `limit` bytes).
 * Returns the number of unread bytes available, or a negative error. */
long mp__input_fill(mp_input_t *in, size_t want, size_t limit);

struct mp_marc_reader_s {
  const mp_marc_backend_t *backend;
  void *impl;                      /* backend state */
  char *name;                      /* file name for messages ("-" = stdin) */
  char *path;                      /* path for backends that open it
                                      themselves (libxml2), NULL for stdin
                                      and memory */
  mp_input_t in;
  mp_marc_reader_opts_t opts;
  mp_marc_format_t format;
  mp_record_t rec;
  uint64_t recno;                  /* records framed so far (ok + rejected) */
  mp_marc_diag_t *diags;
  size_t ndiags, cap_diags;
  const char *raw;
  size_t raw_len;
  mp_buf_t rawbuf;                 /* backing store for raw when serialised */
  bool raw_lazy;                   /* backend->raw not yet called for the
                                      current record */
  bool fatal;
  bool views_ascii;                /* set by a backend that knows the field
                                      views of the record it returns hold
                                      only ASCII (ISO 2709); reset before
                                      each call. The charset step then has
                                      nothing to check for UTF-8 */
  mp_marc_reader_stats_t stats;
  void *charset;                   /* charset.c state (yaz iconv handles) */
};

/* Add a diagnostic for the current record. Formats msg like printf. */
void mp__reader_diag(mp_marc_reader_t *r, int code, mp_severity_t sev,
                     uint64_t offset, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void mp__reader_set_raw(mp_marc_reader_t *r, const char *p, size_t n);
/* The raw view of the current record will be made by backend->raw the
 * first time mp_marc_reader_raw asks, before the next `next` call. */
void mp__reader_set_raw_lazy(mp_marc_reader_t *r);

/* charset.c: bring r->rec to UTF-8 according to leader/09 and opts
 * (MARC-8 -> UTF-8 via yaz, invalid UTF-8 -> U+FFFD with a warning naming
 * the field). Converted bytes go to the record's arena. 0 or MP_E*. */
int mp__charset_open(mp_marc_reader_t *r);
int mp__charset_normalize(mp_marc_reader_t *r, mp_record_t *rec);
void mp__charset_close(mp_marc_reader_t *r);

#endif
