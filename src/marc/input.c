/* input.c: chunked input for the reader backends (see reader_impl.h).
 *
 * File input keeps one buffer (initially MP_INPUT_CHUNK bytes). Bytes before
 * `pos` are consumed: a fill that needs room first moves the unread tail to
 * the front, and grows the buffer only when one request (one record) is
 * larger than the buffer, never beyond the caller's limit. So memory stays
 * bounded by max(chunk, largest record) whatever the input size.
 * Memory input is a fixed view: fill only reports what is left.
 * Mapped input (a regular file, after mp__input_map): each fill that needs
 * more than the window holds maps a new window of mp__input_map_window
 * bytes (or, for a larger request, the request, itself at most the
 * caller's limit, or twice the previous window, whichever is larger, but
 * not beyond the limit) starting at the page of `pos`, and unmaps the old one, so the resident
 * mapping stays one window whatever the file size. The file size is
 * looked up at each window, so a file that grows is read to its new end,
 * like read(2) would.
 * Owned by one reader, used from one thread.
 */
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MP_INPUT_CHUNK (256 * 1024)

static void compact(mp_input_t *in) {
  if (in->pos == 0)
    return;
  size_t left = in->len - in->pos;
  if (left)
    memmove(in->buf, in->buf + in->pos, left);
  in->base += in->pos;
  in->len = left;
  in->pos = 0;
}

static int grow(mp_input_t *in, size_t want, size_t limit) {
  size_t cap = in->cap ? in->cap : MP_INPUT_CHUNK;
  while (cap < want)
    cap *= 2;
  if (limit && cap > limit)
    cap = limit > want ? limit : want;
  if (cap <= in->cap)
    return 0;
  char *b = realloc(in->buf, cap);
  if (!b)
    return MP_ENOMEM;
  in->buf = b;
  in->data = b;
  in->cap = cap;
  return 0;
}

static int read_some(mp_input_t *in) {
  for (;;) {
    ssize_t k = read(in->fd, in->buf + in->len, in->cap - in->len);
    if (k > 0) {
      in->len += (size_t)k;
      return 0;
    }
    if (k == 0) {
      in->eof = true;
      return 0;
    }
    if (errno != EINTR)
      return -errno;
  }
}

size_t mp__input_map_window = 1u << 20;

static void unmap(mp_input_t *in) {
  if (in->map)
    munmap(in->map, in->map_len);
  in->map = NULL;
  in->map_len = 0;
}

/* Map the window that starts at the page holding stream byte base + pos
 * and holds at least `want` bytes from there (fewer at the end of file).
 * A request larger than the window (a record being framed) at least
 * doubles the previous window, up to the caller's limit, so framing a
 * large record maps it a logarithmic number of times. */
static long map_window(mp_input_t *in, size_t want, size_t limit) {
  struct stat sb;
  if (fstat(in->fd, &sb) != 0)
    return -errno;
  uint64_t start = in->base + in->pos;      /* stream offset */
  int64_t at = in->origin + (int64_t)start; /* file offset */
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  int64_t moff = at - at % (int64_t)page;
  size_t delta = (size_t)(at - moff);
  size_t mlen = mp__input_map_window;
  if (want + delta > mlen) {
    size_t twice = 2 * in->map_len, cap = limit ? limit + delta : twice;
    mlen = want + delta;
    if (twice > mlen)
      mlen = twice < cap ? twice : cap > mlen ? cap : mlen;
  }
  mlen = (mlen + page - 1) / page * page;
  unmap(in);
  in->base = start;
  in->pos = 0;
  in->data = NULL;
  in->len = 0;
  if (at >= sb.st_size) {
    in->eof = true;
    return 0;
  }
  if ((uint64_t)sb.st_size - (uint64_t)moff <= mlen) {
    mlen = (size_t)(sb.st_size - moff);
    in->eof = true;
  }
  void *m = mmap(NULL, mlen, PROT_READ, MAP_PRIVATE | MAP_POPULATE, in->fd,
                 (off_t)moff);
  if (m == MAP_FAILED)
    return -errno;
  in->map = m;
  in->map_len = mlen;
  in->data = in->map + delta;
  in->len = mlen - delta;
  return (long)in->len;
}

int mp__input_map(mp_input_t *in) {
  struct stat sb;
  if (in->fd < 0 || in->mem || in->eof || in->mapped)
    return 0;
  if (fstat(in->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
    return 0;
  off_t cur = lseek(in->fd, 0, SEEK_CUR);
  if (cur < 0)
    return 0; /* read(2) still works */
  in->origin = (int64_t)cur - (int64_t)(in->base + in->len);
  in->mapped = true;
  /* the unread bytes in the buffer stay where they are until the next
     fill, which maps from pos */
  return 0;
}

void mp__input_release(mp_input_t *in) {
  unmap(in);
  free(in->buf);
  in->buf = NULL;
}

long mp__input_fill(mp_input_t *in, size_t want, size_t limit) {
  if (in->fd < 0 || in->len - in->pos >= want || in->eof)
    return (long)(in->len - in->pos);
  if (limit && want > limit)
    want = limit;
  if (in->mapped)
    return map_window(in, want, limit);
  compact(in);
  int rc = grow(in, want, limit);
  if (rc)
    return rc;
  while (in->len < want && !in->eof && in->len < in->cap) {
    rc = read_some(in);
    if (rc)
      return rc;
  }
  return (long)(in->len - in->pos);
}
