/* job_input.c: the input that ends early on a cancel request (job_input.h). */
#include "cli/job_input.h"

#include "marcpipe/error.h"

static int next(void *ctx, mp_producer_item_t *item) {
  mp_cancel_input_t *w = ctx;
  if (w->lease && mp_lease_cancel_requested(w->lease)) {
    w->stopped = true;
    return MP_EOF;
  }
  return w->inner.next(w->inner.ctx, item);
}

static void close_inner(void *ctx) {
  mp_cancel_input_t *w = ctx;
  if (w->inner.close)
    w->inner.close(w->inner.ctx);
}

static uint64_t bytes(void *ctx) {
  mp_cancel_input_t *w = ctx;
  return w->inner.bytes ? w->inner.bytes(w->inner.ctx) : 0;
}

void mp__cancel_input_wrap(mp_cancel_input_t *w, const mp_producer_input_t *in,
                           const mp_lease_t *lease, mp_producer_input_t *out) {
  w->inner = *in;
  w->lease = lease;
  w->stopped = false;
  *out = *in;
  out->ctx = w;
  out->next = next;
  out->close = close_inner;
  out->bytes = in->bytes ? bytes : NULL;
}
