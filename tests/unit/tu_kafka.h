/* tu_kafka.h: librdkafka's in-process mock cluster for the worker tests
 * (header-only). One cluster per test program, started by the group setup;
 * tu_brokers is its bootstrap string. */
#ifndef MP_TU_KAFKA_H
#define MP_TU_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static rd_kafka_t *tu_mock_rk;
static rd_kafka_mock_cluster_t *tu_mock;
static const char *tu_brokers;

/* cmocka group setup: one broker, quiet. */
static inline int tu_mock_start(void **state) {
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  (void)state;
  rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
  tu_mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  assert_non_null(tu_mock_rk);
  tu_mock = rd_kafka_mock_cluster_new(tu_mock_rk, 1);
  assert_non_null(tu_mock);
  tu_brokers = rd_kafka_mock_cluster_bootstraps(tu_mock);
  return 0;
}

static inline int tu_mock_stop(void **state) {
  (void)state;
  rd_kafka_mock_cluster_destroy(tu_mock);
  rd_kafka_destroy(tu_mock_rk);
  return 0;
}

#endif
