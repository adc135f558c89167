/* input.c: chunked input for the reader backends (see reader_impl.h).
 *
 * File input keeps one buffer (initially MP_INPUT_CHUNK bytes). Bytes before
 * `pos` are consumed: a fill that needs room first moves the unread tail to
 * the front, and grows the buffer only when one request (one record) is
 * larger than the buffer, never beyond the caller's limit. So memory stays
 * bounded by max(chunk, largest record) whatever the input size.
 * Memory input is a fixed view: fill only reports what is left.
 * Owned by one reader, used from one thread.
 */
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

long mp__input_fill(mp_input_t *in, size_t want, size_t limit) {
  if (in->fd < 0 || in->len - in->pos >= want || in->eof)
    return (long)(in->len - in->pos);
  if (limit && want > limit)
    want = limit;
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
