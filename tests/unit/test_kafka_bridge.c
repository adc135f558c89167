/* test_kafka_bridge.c: the librdkafka -> libuv bridge against the
 * in-process mock cluster: N messages produced with delivery reports served
 * on the loop, the same N consumed through a second bridge, then every
 * handle closed and uv_loop_close() == 0. */
#include "marcpipe/kafka.h"

#include <librdkafka/rdkafka_mock.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define N 5000
#define TOPIC "bridge.test"

typedef struct {
  rd_kafka_t *prod, *cons;
  mp_kafka_bridge_t pb, cb;
  int delivered, delivery_errors, consumed, closed;
  int wakeups;
  int seen[N];
  uv_loop_t *loop;
} ctx_t;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  ctx_t *c = opaque;
  if (m->err)
    c->delivery_errors++;
  else
    c->delivered++;
}

static void on_closed(mp_kafka_bridge_t *b) {
  ctx_t *c = b->data;
  c->closed++;
}

static void maybe_finish(ctx_t *c) {
  if (c->consumed == N && c->delivered == N) {
    mp_kafka_bridge_close(&c->pb, on_closed);
    mp_kafka_bridge_close(&c->cb, on_closed);
  }
}

static void prod_ready(mp_kafka_bridge_t *b) {
  ctx_t *c = b->data;
  while (rd_kafka_poll(c->prod, 0) > 0)
    ;
  maybe_finish(c);
}

static void cons_ready(mp_kafka_bridge_t *b) {
  ctx_t *c = b->data;
  rd_kafka_message_t *m;
  c->wakeups++;
  while ((m = rd_kafka_consumer_poll(c->cons, 0)) != NULL) {
    if (!m->err) {
      int i = -1;
      sscanf(m->payload, "msg-%d", &i);
      assert_true(i >= 0 && i < N);
      c->seen[i]++;
      c->consumed++;
    }
    rd_kafka_message_destroy(m);
  }
  maybe_finish(c);
}

static rd_kafka_t *make(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
  char err[256];
  rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk)
    fail_msg("rd_kafka_new: %s", err);
  return rk;
}

static void test_bridge_produce_and_consume_on_loop(void **s) {
  static ctx_t c;
  memset(&c, 0, sizeof c);
  char err[256];
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);

  const char *pprops[] = {"test.mock.num.brokers=3", "linger.ms=5",
                          "enable.idempotence=true"};
  rd_kafka_conf_t *pc = mp_kafka_conf_new(NULL, pprops, 3, err, sizeof err);
  assert_non_null(pc);
  rd_kafka_conf_set_dr_msg_cb(pc, on_dr);
  rd_kafka_conf_set_opaque(pc, &c);
  c.prod = make(RD_KAFKA_PRODUCER, pc);
  rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(c.prod);
  assert_non_null(mc);
  assert_int_equal(rd_kafka_mock_topic_create(mc, TOPIC, 4, 3), 0);
  const char *bs = rd_kafka_mock_cluster_bootstraps(mc);

  const char *cprops[] = {"group.id=bridge-test", "enable.auto.commit=false",
                          "auto.offset.reset=earliest"};
  rd_kafka_conf_t *cc = mp_kafka_conf_new(bs, cprops, 3, err, sizeof err);
  assert_non_null(cc);
  c.cons = make(RD_KAFKA_CONSUMER, cc);
  rd_kafka_poll_set_consumer(c.cons);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(4);
  for (int p = 0; p < 4; p++)
    rd_kafka_topic_partition_list_add(parts, TOPIC, p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  assert_int_equal(rd_kafka_assign(c.cons, parts), 0);
  rd_kafka_topic_partition_list_destroy(parts);

  rd_kafka_queue_t *pq = rd_kafka_queue_get_main(c.prod);
  rd_kafka_queue_t *cq = rd_kafka_queue_get_consumer(c.cons);
  c.pb.data = &c;
  c.cb.data = &c;
  assert_int_equal(mp_kafka_bridge_start(&loop, &c.pb, pq, 100, prod_ready), 0);
  assert_int_equal(mp_kafka_bridge_start(&loop, &c.cb, cq, 100, cons_ready), 0);

  char buf[32];
  for (int i = 0; i < N; i++) {
    int n = snprintf(buf, sizeof buf, "msg-%d", i);
    assert_int_equal(rd_kafka_producev(c.prod, RD_KAFKA_V_TOPIC(TOPIC),
                                       RD_KAFKA_V_VALUE(buf, (size_t)n + 1),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);

  assert_int_equal(c.closed, 2);
  assert_int_equal(c.delivered, N);
  assert_int_equal(c.delivery_errors, 0);
  assert_int_equal(c.consumed, N);
  for (int i = 0; i < N; i++)
    assert_int_equal(c.seen[i], 1);
  assert_true(c.wakeups >= 1);
  assert_int_equal(uv_loop_close(&loop), 0);

  rd_kafka_queue_destroy(pq);
  rd_kafka_queue_destroy(cq);
  rd_kafka_consumer_close(c.cons);
  rd_kafka_destroy(c.cons);
  assert_int_equal(rd_kafka_flush(c.prod, 5000), 0);
  rd_kafka_destroy(c.prod);
}

static void test_bridge_rejects_bad_arguments(void **s) {
  uv_loop_t loop;
  mp_kafka_bridge_t b;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(mp_kafka_bridge_start(&loop, &b, NULL, 100, NULL),
                   UV_EINVAL);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bridge_produce_and_consume_on_loop),
      cmocka_unit_test(test_bridge_rejects_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
