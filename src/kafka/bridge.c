/* bridge.c: wakes a libuv loop when a librdkafka queue has events.
 *
 * librdkafka writes one byte to fds[1] when the queue goes from empty to
 * non-empty (rd_kafka_queue_io_event_enable); a uv_poll on fds[0] wakes the
 * loop, the pipe is emptied and on_ready runs, which must drain the queue
 * completely (the signal is edge-triggered: a partial drain stalls until
 * the next safety tick). The pipe is non-blocking on both ends, so a full
 * pipe never blocks a librdkafka thread (the byte is then simply dropped,
 * which is harmless: the reader is awake anyway). The uv_timer runs on_ready
 * every tick_ms and once right after start, for events queued before the
 * fd was attached and for callbacks served by polling (rebalances).
 *
 * Loop thread only. Close order: detach the fd from the queue, close the
 * poll handle, then the timer, then the pipe, then close_cb.
 */
#include "marcpipe/kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void empty_pipe(int fd) {
  char sink[64];
  while (read(fd, sink, sizeof sink) > 0)
    ;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  mp_kafka_bridge_t *b = h->data;
  (void)status;
  (void)events;
  if (b->closing)
    return;
  empty_pipe(b->fds[0]);
  b->on_ready(b);
}

static void on_tick(uv_timer_t *t) {
  mp_kafka_bridge_t *b = t->data;
  if (!b->closing)
    b->on_ready(b);
}

int mp_kafka_bridge_start(uv_loop_t *loop, mp_kafka_bridge_t *b,
                          rd_kafka_queue_t *queue, unsigned tick_ms,
                          mp_kafka_ready_cb on_ready) {
  int rc;
  if (!loop || !b || !queue || !on_ready)
    return UV_EINVAL;
  if (tick_ms == 0)
    tick_ms = 100;
  b->queue = queue;
  b->on_ready = on_ready;
  b->closing = 0;
  b->close_cb = NULL;
  if (pipe2(b->fds, O_NONBLOCK | O_CLOEXEC) != 0)
    return -errno;
  rc = uv_poll_init(loop, &b->poll, b->fds[0]);
  if (rc != 0) {
    close(b->fds[0]);
    close(b->fds[1]);
    return rc;
  }
  uv_timer_init(loop, &b->timer);
  b->poll.data = b;
  b->timer.data = b;
  rc = uv_poll_start(&b->poll, UV_READABLE, on_poll);
  if (rc == 0)
    rc = uv_timer_start(&b->timer, on_tick, 0, tick_ms);
  if (rc != 0) {
    /* Handles exist now: close them; b must outlive one loop iteration. */
    mp_kafka_bridge_close(b, NULL);
    return rc;
  }
  rd_kafka_queue_io_event_enable(queue, b->fds[1], "1", 1);
  return 0;
}

static void on_timer_closed(uv_handle_t *h) {
  mp_kafka_bridge_t *b = h->data;
  close(b->fds[0]);
  close(b->fds[1]);
  b->fds[0] = b->fds[1] = -1;
  if (b->close_cb)
    b->close_cb(b);
}

static void on_poll_closed(uv_handle_t *h) {
  mp_kafka_bridge_t *b = h->data;
  uv_close((uv_handle_t *)&b->timer, on_timer_closed);
}

void mp_kafka_bridge_close(mp_kafka_bridge_t *b,
                           void (*close_cb)(mp_kafka_bridge_t *b)) {
  if (!b || b->closing)
    return;
  b->closing = 1;
  b->close_cb = close_cb;
  /* Detach first so librdkafka never writes to a closed descriptor. */
  rd_kafka_queue_io_event_enable(b->queue, -1, NULL, 0);
  uv_poll_stop(&b->poll);
  uv_timer_stop(&b->timer);
  uv_close((uv_handle_t *)&b->poll, on_poll_closed);
}
