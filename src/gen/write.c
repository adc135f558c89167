/* write.c: stream generated records to a file descriptor (see
 * marcpipe/gen.h).
 *
 * One record and one buffer are reused for the whole run, so memory stays
 * constant whatever the count: records are serialised into the buffer,
 * which is written out whenever it holds 1 MiB. Runs on the caller's
 * thread; blocking writes.
 */
#include "gen/gen_impl.h"
#include "marcpipe/error.h"

#include <errno.h>
#include <unistd.h>

#define FLUSH_AT (1u << 20)
#define PROGRESS_EVERY 65536

static int flush(mp_buf_t *b, int fd) {
  size_t off = 0;
  while (off < b->len) {
    ssize_t w = write(fd, b->data + off, b->len - off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    off += (size_t)w;
  }
  mp_buf_clear(b);
  return 0;
}

static int put_record(const mp_record_t *r, mp_marc_format_t fmt, mp_buf_t *b) {
  switch (fmt) {
  case MP_FMT_ISO2709:
    return mp_marc_write_iso2709(r, b);
  case MP_FMT_MARCXML:
    return mp_marc_write_marcxml(r, b);
  case MP_FMT_JSON: {
    int rc = mp_marc_write_json(r, b);
    return rc ? rc : mp_buf_putc(b, '\n');
  }
  default:
    return MP_EUSAGE;
  }
}

int mp_gen_write(const mp_gen_pool_t *p, const mp_gen_opts_t *o, uint64_t n,
                 mp_marc_format_t fmt, int fd, mp_gen_progress_fn progress,
                 void *arg) {
  if (fmt != MP_FMT_ISO2709 && fmt != MP_FMT_MARCXML && fmt != MP_FMT_JSON)
    return MP_EUSAGE;
  if (n > 0 && p->nrecs == 0)
    return MP_ENOTFOUND;
  mp_buf_t b;
  mp_record_t rec;
  mp_buf_init(&b);
  mp_record_init(&rec);
  int rc = mp_buf_reserve(&b, FLUSH_AT + 128 * 1024);
  if (rc == 0 && fmt == MP_FMT_MARCXML)
    rc = mp_marc_write_marcxml_begin(&b);
  for (uint64_t i = 0; rc == 0 && i < n; i++) {
    rc = mp_gen_make(p, o, i, &rec);
    if (rc == 0)
      rc = put_record(&rec, fmt, &b);
    if (rc == 0 && b.len >= FLUSH_AT)
      rc = flush(&b, fd);
    if (rc == 0 && progress && (i + 1) % PROGRESS_EVERY == 0)
      progress(i + 1, n, arg);
  }
  if (rc == 0 && fmt == MP_FMT_MARCXML)
    rc = mp_marc_write_marcxml_end(&b);
  if (rc == 0)
    rc = flush(&b, fd);
  if (rc == 0 && progress)
    progress(n, n, arg);
  mp_record_release(&rec);
  mp_buf_release(&b);
  return rc;
}
