/* reader.c: the generic MARC reader (see marc.h and reader_impl.h).
 *
 * Owns the input (file, stdin or memory), picks the backend (given or
 * detected from the first bytes), and around each backend call: clears the
 * record and the per-call diagnostics, applies the charset step to records
 * the backend returns, counts records/rejections/warnings, and ends the
 * stream with MP_ETOOMANY when the rejected count reaches max_errors.
 * Diagnostics are kept per call; at most MP_DIAG_KEEP warnings are stored
 * per record (all are counted), errors are always stored.
 * A reader belongs to one thread.
 */
#include "marc/reader_impl.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MP_DIAG_KEEP 64
#define MP_DEFAULT_MAX_RECORD (16u * 1024 * 1024)
#define MP_DETECT_BYTES 4096

/* ---- formats ---- */

int mp_marc_format_parse(const char *name) {
  static const struct {
    const char *name;
    mp_marc_format_t f;
  } names[] = {{"auto", MP_FMT_AUTO},     {"iso2709", MP_FMT_ISO2709},
               {"marc", MP_FMT_ISO2709},  {"mrc", MP_FMT_ISO2709},
               {"marcxml", MP_FMT_MARCXML}, {"xml", MP_FMT_MARCXML},
               {"json", MP_FMT_JSON}};
  for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i].name) == 0)
      return (int)names[i].f;
  return -1;
}

const char *mp_marc_format_name(mp_marc_format_t f) {
  switch (f) {
  case MP_FMT_ISO2709:
    return "iso2709";
  case MP_FMT_MARCXML:
    return "marcxml";
  case MP_FMT_JSON:
    return "json";
  default:
    return "auto";
  }
}

/* '<' -> MARCXML, '{' or '[' -> JSON; anything else (digits, junk, empty
 * input) is read as ISO 2709, whose reader reports positioned errors. */
mp_marc_format_t mp_marc_format_detect(const char *p, size_t n) {
  size_t i = 0;
  if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
                   p[i] == '\t'))
    i++;
  if (i < n && p[i] == '<')
    return MP_FMT_MARCXML;
  if (i < n && (p[i] == '{' || p[i] == '['))
    return MP_FMT_JSON;
  return MP_FMT_ISO2709;
}

static const mp_marc_backend_t *backend_for(mp_marc_format_t f) {
  switch (f) {
  case MP_FMT_MARCXML:
    return &mp__marcxml_backend;
  case MP_FMT_JSON:
    return &mp__json_backend;
  default:
    return &mp__iso2709_backend;
  }
}

/* ---- diagnostics and raw view (used by backends) ---- */

static size_t call_warnings(const mp_marc_reader_t *r) {
  size_t w = 0;
  for (size_t i = 0; i < r->ndiags; i++)
    w += r->diags[i].severity == MP_SEV_WARNING;
  return w;
}

static mp_marc_diag_t *diag_slot(mp_marc_reader_t *r, mp_severity_t sev) {
  if (sev == MP_SEV_WARNING) {
    r->stats.warnings++;
    r->rec.nwarnings++;
    if (call_warnings(r) >= MP_DIAG_KEEP)
      return NULL;
  }
  if (mp_array_room(&r->diags, r->ndiags, &r->cap_diags, sizeof *r->diags, 4))
    return NULL;
  return &r->diags[r->ndiags++];
}

void mp__reader_diag(mp_marc_reader_t *r, int code, mp_severity_t sev,
                     uint64_t offset, const char *tag, const char *fmt, ...) {
  mp_marc_diag_t *d = diag_slot(r, sev);
  if (!d)
    return;
  memset(d, 0, sizeof *d);
  d->code = code;
  d->severity = sev;
  d->recno = r->recno;
  d->offset = offset;
  for (int i = 0; tag && i < 3 && tag[i]; i++) /* printable in messages */
    d->tag[i] = tag[i] >= 0x20 && tag[i] < 0x7F ? tag[i] : '?';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
}

void mp__reader_set_raw(mp_marc_reader_t *r, const char *p, size_t n) {
  r->raw = p;
  r->raw_len = n;
  r->raw_lazy = false;
}

void mp__reader_set_raw_lazy(mp_marc_reader_t *r) {
  mp__reader_set_raw(r, NULL, 0);
  r->raw_lazy = r->backend->raw != NULL;
}

/* ---- open / close ---- */

static int open_input(mp_marc_reader_t *r, const char *path) {
  r->in.fd = -1;
  if (strcmp(path, "-") == 0) {
    r->in.fd = STDIN_FILENO;
    return 0;
  }
  r->path = strdup(path);
  if (!r->path)
    return MP_ENOMEM;
  r->in.fd = open(path, O_RDONLY | O_CLOEXEC);
  return r->in.fd < 0 ? -errno : 0;
}

static int start(mp_marc_reader_t *r) {
  if (r->format == MP_FMT_AUTO) {
    long avail = mp__input_fill(&r->in, MP_DETECT_BYTES,
                                r->opts.max_record_bytes);
    if (avail < 0)
      return (int)avail;
    r->format = mp_marc_format_detect(r->in.data + r->in.pos, (size_t)avail);
  }
  r->backend = backend_for(r->format);
  int rc = mp__charset_open(r);
  return rc ? rc : r->backend->open(r);
}

static mp_marc_reader_t *create(const char *name,
                                const mp_marc_reader_opts_t *opts) {
  mp_marc_reader_t *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  if (opts)
    r->opts = *opts;
  if (!r->opts.max_record_bytes)
    r->opts.max_record_bytes = MP_DEFAULT_MAX_RECORD;
  r->format = r->opts.format;
  r->in.fd = -1;
  r->name = strdup(name ? name : "-");
  mp_record_init(&r->rec);
  mp_buf_init(&r->rawbuf);
  if (!r->name) {
    free(r);
    return NULL;
  }
  return r;
}

static mp_marc_reader_t *finish_open(mp_marc_reader_t *r, int rc, int *err) {
  if (!rc)
    rc = start(r);
  if (err)
    *err = rc;
  if (rc) {
    mp_marc_reader_close(r);
    return NULL;
  }
  return r;
}

mp_marc_reader_t *mp_marc_reader_open(const char *path,
                                      const mp_marc_reader_opts_t *opts,
                                      int *err) {
  mp_marc_reader_t *r = create(path, opts);
  if (!r) {
    if (err)
      *err = MP_ENOMEM;
    return NULL;
  }
  return finish_open(r, open_input(r, path), err);
}

mp_marc_reader_t *mp_marc_reader_open_mem(const char *name, const char *data,
                                          size_t len,
                                          const mp_marc_reader_opts_t *opts,
                                          int *err) {
  mp_marc_reader_t *r = create(name ? name : "memory", opts);
  if (!r) {
    if (err)
      *err = MP_ENOMEM;
    return NULL;
  }
  r->in.mem = data;
  r->in.data = data;
  r->in.len = len;
  r->in.eof = true;
  return finish_open(r, 0, err);
}

void mp_marc_reader_close(mp_marc_reader_t *r) {
  if (!r)
    return;
  if (r->backend && r->backend->close)
    r->backend->close(r);
  mp__charset_close(r);
  if (r->in.fd > STDIN_FILENO)
    close(r->in.fd);
  free(r->in.buf);
  free(r->diags);
  free(r->name);
  free(r->path);
  mp_buf_release(&r->rawbuf);
  mp_record_release(&r->rec);
  free(r);
}

/* ---- reading ---- */

static int count(mp_marc_reader_t *r, int rc) {
  r->stats.bytes = r->in.base + r->in.pos;
  if (rc == 0) {
    r->stats.records++;
    return 0;
  }
  if (rc == MP_EOF || r->fatal)
    return rc;
  r->stats.rejected++;
  if (r->opts.max_errors && r->stats.rejected >= r->opts.max_errors) {
    r->fatal = true;
    mp__reader_diag(r, MP_ETOOMANY, MP_SEV_FATAL, r->rec.offset, NULL,
                    "%llu records rejected (max_errors); giving up",
                    (unsigned long long)r->stats.rejected);
    return MP_ETOOMANY;
  }
  return rc;
}

int mp_marc_reader_next(mp_marc_reader_t *r, mp_record_t **rec) {
  r->ndiags = 0;
  mp__reader_set_raw(r, NULL, 0);
  if (r->fatal)
    return MP_EOF;
  mp_record_clear(&r->rec);
  r->views_ascii = false;
  int rc = r->backend->next(r);
  if (rc == 0)
    rc = mp__charset_normalize(r, &r->rec);
  rc = count(r, rc);
  if (rc == 0 && rec)
    *rec = &r->rec;
  return rc;
}

const mp_marc_diag_t *mp_marc_reader_diags(const mp_marc_reader_t *r,
                                           size_t *n) {
  *n = r->ndiags;
  return r->diags;
}

const char *mp_marc_reader_raw(const mp_marc_reader_t *r, size_t *len) {
  if (r->raw_lazy) {
    /* made on first request; the reader itself is never a const object */
    mp_marc_reader_t *w = (mp_marc_reader_t *)r;
    w->raw_lazy = false;
    w->backend->raw(w);
  }
  *len = r->raw_len;
  return r->raw;
}

bool mp_marc_reader_fatal(const mp_marc_reader_t *r) { return r->fatal; }

void mp_marc_reader_stats(const mp_marc_reader_t *r,
                          mp_marc_reader_stats_t *s) {
  *s = r->stats;
}

mp_marc_format_t mp_marc_reader_format(const mp_marc_reader_t *r) {
  return r->format;
}

const char *mp_marc_reader_name(const mp_marc_reader_t *r) { return r->name; }
