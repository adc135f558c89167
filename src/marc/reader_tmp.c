/* reader_tmp.c: TEMPORARY minimal generic reader so the MARCXML and JSON
 * backends can be tested before the real reader.c/input.c exist. Removed
 * when they land. No charset step, no ISO 2709 backend. */
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((weak)) const mp_marc_backend_t mp__iso2709_backend = {0};

void mp__reader_diag(mp_marc_reader_t *r, int code, mp_severity_t sev,
                     uint64_t offset, const char *tag, const char *fmt, ...) {
  if (r->ndiags == r->cap_diags) {
    size_t c = r->cap_diags ? r->cap_diags * 2 : 8;
    mp_marc_diag_t *d = realloc(r->diags, c * sizeof *d);
    if (!d)
      return;
    r->diags = d;
    r->cap_diags = c;
  }
  mp_marc_diag_t *d = &r->diags[r->ndiags++];
  memset(d, 0, sizeof *d);
  d->code = code;
  d->severity = sev;
  d->recno = r->recno;
  d->offset = offset;
  snprintf(d->tag, sizeof d->tag, "%s", tag ? tag : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
  if (sev == MP_SEV_WARNING) {
    r->stats.warnings++;
    r->rec.nwarnings++;
  }
}

void mp__reader_set_raw(mp_marc_reader_t *r, const char *p, size_t n) {
  r->raw = p;
  r->raw_len = n;
}

long mp__input_fill(mp_input_t *in, size_t want, size_t limit) {
  if (in->fd < 0)
    return (long)(in->len - in->pos);
  if (in->pos > 0) {
    memmove(in->buf, in->buf + in->pos, in->len - in->pos);
    in->base += in->pos;
    in->len -= in->pos;
    in->pos = 0;
  }
  while (in->len < want && !in->eof) {
    if (in->len == in->cap) {
      size_t c = in->cap ? in->cap * 2 : 65536;
      if (c > limit && limit > in->cap)
        c = limit;
      if (c <= in->cap)
        break;
      char *b = realloc(in->buf, c);
      if (!b)
        return MP_ENOMEM;
      in->buf = b;
      in->cap = c;
    }
    ssize_t n = read(in->fd, in->buf + in->len, in->cap - in->len);
    if (n < 0)
      return -errno;
    if (n == 0)
      in->eof = true;
    in->len += (size_t)n;
  }
  in->data = in->buf;
  return (long)(in->len - in->pos);
}

int mp_marc_format_parse(const char *name) {
  if (!strcmp(name, "iso2709") || !strcmp(name, "marc") || !strcmp(name, "mrc"))
    return MP_FMT_ISO2709;
  if (!strcmp(name, "marcxml") || !strcmp(name, "xml"))
    return MP_FMT_MARCXML;
  if (!strcmp(name, "json"))
    return MP_FMT_JSON;
  return -1;
}

const char *mp_marc_format_name(mp_marc_format_t f) {
  static const char *n[] = {"auto", "iso2709", "marcxml", "json"};
  return f <= MP_FMT_JSON ? n[f] : "?";
}

mp_marc_format_t mp_marc_format_detect(const char *p, size_t n) {
  size_t i = 0;
  if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
    i = 3;
  while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
    i++;
  if (i < n && p[i] == '<')
    return MP_FMT_MARCXML;
  if (i < n && (p[i] == '{' || p[i] == '['))
    return MP_FMT_JSON;
  return MP_FMT_ISO2709;
}

static mp_marc_reader_t *make(const char *name, const mp_marc_reader_opts_t *o) {
  mp_marc_reader_t *r = calloc(1, sizeof *r);
  r->name = strdup(name);
  if (o)
    r->opts = *o;
  mp_record_init(&r->rec);
  mp_buf_init(&r->rawbuf);
  r->in.fd = -1;
  return r;
}

static mp_marc_reader_t *start(mp_marc_reader_t *r, int *err) {
  r->format = r->opts.format;
  if (r->format == MP_FMT_AUTO) {
    mp__input_fill(&r->in, 4096, 1 << 20);
    r->format = mp_marc_format_detect(r->in.data + r->in.pos, r->in.len - r->in.pos);
  }
  r->backend = r->format == MP_FMT_MARCXML ? &mp__marcxml_backend
               : r->format == MP_FMT_JSON  ? &mp__json_backend
                                           : &mp__iso2709_backend;
  int rc = r->backend->open ? r->backend->open(r) : MP_EFORMAT;
  if (rc) {
    *err = rc;
    mp_marc_reader_close(r);
    return NULL;
  }
  return r;
}

mp_marc_reader_t *mp_marc_reader_open(const char *path,
                                      const mp_marc_reader_opts_t *opts,
                                      int *err) {
  int fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
  if (fd < 0) {
    *err = -errno;
    return NULL;
  }
  mp_marc_reader_t *r = make(path, opts);
  r->in.fd = fd;
  if (strcmp(path, "-"))
    r->path = strdup(path);
  return start(r, err);
}

mp_marc_reader_t *mp_marc_reader_open_mem(const char *name, const char *data,
                                          size_t len,
                                          const mp_marc_reader_opts_t *opts,
                                          int *err) {
  mp_marc_reader_t *r = make(name, opts);
  r->in.mem = r->in.data = data;
  r->in.len = len;
  r->in.eof = true;
  return start(r, err);
}

int mp_marc_reader_next(mp_marc_reader_t *r, mp_record_t **rec) {
  r->ndiags = 0;
  r->raw = NULL;
  r->raw_len = 0;
  if (r->fatal)
    return MP_EOF_;
  mp_record_clear(&r->rec);
  int rc = r->backend->next(r);
  if (rc == 0) {
    if (!r->opts.keep_charset)
      r->rec.leader[9] = 'a';
    r->stats.records++;
    *rec = &r->rec;
  } else if (rc != MP_EOF_ && !r->fatal) {
    r->stats.rejected++;
    if (r->opts.max_errors && r->stats.rejected >= r->opts.max_errors)
      r->fatal = true;
  }
  return rc;
}

const mp_marc_diag_t *mp_marc_reader_diags(const mp_marc_reader_t *r, size_t *n) {
  *n = r->ndiags;
  return r->diags;
}
const char *mp_marc_reader_raw(const mp_marc_reader_t *r, size_t *len) {
  *len = r->raw_len;
  return r->raw;
}
bool mp_marc_reader_fatal(const mp_marc_reader_t *r) { return r->fatal; }
void mp_marc_reader_stats(const mp_marc_reader_t *r, mp_marc_reader_stats_t *s) {
  *s = r->stats;
}
mp_marc_format_t mp_marc_reader_format(const mp_marc_reader_t *r) { return r->format; }
const char *mp_marc_reader_name(const mp_marc_reader_t *r) { return r->name; }

void mp_marc_reader_close(mp_marc_reader_t *r) {
  if (!r)
    return;
  if (r->backend && r->backend->close)
    r->backend->close(r);
  if (r->in.fd > 0)
    close(r->in.fd);
  free(r->in.buf);
  free(r->name);
  free(r->path);
  free(r->diags);
  mp_buf_release(&r->rawbuf);
  mp_record_release(&r->rec);
  free(r);
}

/* TEMPORARY until the ISO 2709 and text writers land. */
__attribute__((weak)) int mp_marc_write_iso2709(const mp_record_t *r,
                                                mp_buf_t *out) {
  (void)r;
  (void)out;
  return MP_EFORMAT;
}
__attribute__((weak)) int mp_marc_write_text(const mp_record_t *r,
                                             mp_buf_t *out) {
  int rc = mp_buf_printf(out, "%s\n", r->leader);
  for (uint32_t i = 0; i < r->nfields && !rc; i++)
    rc = mp_buf_printf(out, "%s %.*s\n", r->fields[i].tag,
                       (int)r->fields[i].len, r->fields[i].data);
  return rc;
}
