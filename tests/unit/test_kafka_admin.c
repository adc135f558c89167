/* test_kafka_admin.c: property routing (props.c), the bounded probe and
 * topic creation (admin.c). The creation tests need a real cluster:
 * MP_KAFKA_BOOTSTRAP (scripts/test.sh starts one); without it they skip. */
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"
#include "marcpipe/kafka_admin.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

static void test_scope_is_librdkafkas(void **s) {
  assert_int_equal(mp_kafka_prop_scope("fetch.min.bytes"), MP_KAFKA_CONSUMER);
  assert_int_equal(mp_kafka_prop_scope("auto.offset.reset=earliest"),
                   MP_KAFKA_CONSUMER); /* a topic-level property */
  assert_int_equal(mp_kafka_prop_scope("session.timeout.ms=6000"),
                   MP_KAFKA_CONSUMER);
  assert_int_equal(mp_kafka_prop_scope("linger.ms=5"), MP_KAFKA_PRODUCER);
  assert_int_equal(mp_kafka_prop_scope("acks=all"), MP_KAFKA_PRODUCER);
  assert_int_equal(mp_kafka_prop_scope("enable.idempotence"), MP_KAFKA_PRODUCER);
  assert_int_equal(mp_kafka_prop_scope("security.protocol=SASL_PLAINTEXT"),
                   MP_KAFKA_BOTH);
  assert_int_equal(mp_kafka_prop_scope("sasl.password=x"), MP_KAFKA_BOTH);
  assert_int_equal(mp_kafka_prop_scope("client.id"), MP_KAFKA_BOTH);
  assert_int_equal(mp_kafka_prop_scope("no.such.property=1"), MP_KAFKA_BOTH);
  /* a prefix of a name is not the name */
  assert_int_equal(mp_kafka_prop_scope("linger=5"), MP_KAFKA_BOTH);
}

static int warnings;
static void count_warnings(const rd_kafka_t *rk, int level, const char *fac,
                           const char *buf) {
  if (!strcmp(fac, "CONFWARN"))
    warnings++;
}

/* librdkafka's CONFWARN lines when a client of `type` is made from conf. */
static int conf_warnings(rd_kafka_conf_t *conf, rd_kafka_type_t type) {
  char err[256];
  warnings = 0;
  rd_kafka_conf_set_log_cb(conf, count_warnings);
  rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
  assert_non_null(rk);
  rd_kafka_destroy(rk);
  return warnings;
}

static void get(rd_kafka_conf_t *c, const char *name, char *out, size_t n) {
  size_t sz = n;
  assert_int_equal(rd_kafka_conf_get(c, name, out, &sz), RD_KAFKA_CONF_OK);
}

static const char *mixed[] = {"fetch.min.bytes=4096", "linger.ms=7",
                              "client.id=routed", "session.timeout.ms=7000",
                              "acks=1"};

static void test_each_client_takes_its_own_and_the_shared(void **s) {
  char err[256] = "", v[64];
  /* unrouted: one list for both clients warns on each */
  rd_kafka_conf_t *c = mp_kafka_conf_new("127.0.0.1:1", mixed, 5, err, sizeof err);
  assert_non_null(c);
  assert_true(conf_warnings(c, RD_KAFKA_PRODUCER) >= 2);

  c = mp_kafka_conf_new_for(MP_KAFKA_PRODUCER, "127.0.0.1:1", mixed, 5, err,
                            sizeof err);
  assert_non_null(c);
  get(c, "linger.ms", v, sizeof v);
  assert_string_equal(v, "7");
  get(c, "client.id", v, sizeof v);
  assert_string_equal(v, "routed");
  get(c, "fetch.min.bytes", v, sizeof v);
  assert_string_equal(v, "1"); /* librdkafka's default: not applied */
  assert_int_equal(conf_warnings(c, RD_KAFKA_PRODUCER), 0);

  c = mp_kafka_conf_new_for(MP_KAFKA_CONSUMER, "127.0.0.1:1", mixed, 5, err,
                            sizeof err);
  assert_non_null(c);
  rd_kafka_conf_set(c, "group.id", "g", err, sizeof err);
  get(c, "fetch.min.bytes", v, sizeof v);
  assert_string_equal(v, "4096");
  get(c, "session.timeout.ms", v, sizeof v);
  assert_string_equal(v, "7000");
  get(c, "client.id", v, sizeof v);
  assert_string_equal(v, "routed");
  get(c, "linger.ms", v, sizeof v);
  assert_string_not_equal(v, "7");
  assert_int_equal(conf_warnings(c, RD_KAFKA_CONSUMER), 0);

  c = mp_kafka_conf_new_for(MP_KAFKA_ADMIN, "127.0.0.1:1", mixed, 5, err,
                            sizeof err);
  assert_non_null(c);
  get(c, "client.id", v, sizeof v);
  assert_string_equal(v, "routed");
  get(c, "linger.ms", v, sizeof v);
  assert_string_not_equal(v, "7");
  assert_int_equal(conf_warnings(c, RD_KAFKA_PRODUCER), 0);
}

static void test_routing_keeps_errors_for_bad_properties(void **s) {
  const char *bad[] = {"linger.ms=5", "no.such.property=1"};
  char err[256] = "";
  assert_null(mp_kafka_conf_new_for(MP_KAFKA_CONSUMER, NULL, bad, 2, err,
                                    sizeof err));
  assert_non_null(strstr(err, "no.such.property"));
}

static void test_timeout_from_environment(void **s) {
  unsetenv(MP_KAFKA_TIMEOUT_ENV);
  assert_int_equal(mp_kafka_timeout_ms(), MP_KAFKA_DEFAULT_TIMEOUT_MS);
  setenv(MP_KAFKA_TIMEOUT_ENV, "2.5", 1);
  assert_int_equal(mp_kafka_timeout_ms(), 2500);
  setenv(MP_KAFKA_TIMEOUT_ENV, "ten", 1);
  assert_int_equal(mp_kafka_timeout_ms(), MP_KAFKA_DEFAULT_TIMEOUT_MS);
  setenv(MP_KAFKA_TIMEOUT_ENV, "0", 1);
  assert_int_equal(mp_kafka_timeout_ms(), MP_KAFKA_DEFAULT_TIMEOUT_MS);
  unsetenv(MP_KAFKA_TIMEOUT_ENV);
}

/* A loopback port nobody listens on: bound, then closed. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static void test_probe_unreachable_names_the_servers(void **s) {
  char brokers[64], err[512] = "", want[128];
  snprintf(brokers, sizeof brokers, "127.0.0.1:%d", closed_port());
  const char *props[] = {"sasl.password=NOT-SHOWN", "linger.ms=3"};
  mp_kafka_admin_opts_t o = {.brokers = brokers, .props = props, .nprops = 2,
                             .timeout_ms = 1000};
  int n = -1;
  assert_int_equal(mp_kafka_probe(&o, &n, err, sizeof err), MP_EKAFKA);
  assert_int_equal(n, -1);
  snprintf(want, sizeof want, "cannot reach Kafka at %s within 1 s", brokers);
  assert_non_null(strstr(err, want));
  assert_non_null(strstr(err, "Connection refused"));
  assert_non_null(strstr(err, "are the brokers reachable?"));
  assert_null(strstr(err, "NOT-SHOWN"));
  assert_null(strstr(err, "\n"));

  mp_topic_spec_t t = {.name = "never.created", .partitions = 2};
  assert_int_equal(mp_kafka_topics_ensure(&o, &t, 1, err, sizeof err),
                   MP_EKAFKA);
  assert_non_null(strstr(err, want));
  assert_false(t.created);
}

/* ---- against a real cluster (MP_KAFKA_BOOTSTRAP) ---- */

static const char *cluster(void) {
  const char *b = getenv("MP_KAFKA_BOOTSTRAP");
  return b && *b ? b : NULL;
}

static void unique_topic(char *buf, size_t n, const char *what) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(buf, n, "test_kafka_admin.%s.%d.%ld", what, (int)getpid(),
           (long)(ts.tv_nsec / 1000));
}

/* The topic's min.insync.replicas through DescribeConfigs. */
static void topic_config(const char *brokers, const char *topic,
                         const char *name, char *out, size_t n) {
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  assert_non_null(rk);
  rd_kafka_ConfigResource_t *res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DescribeConfigs(rk, &res, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
  assert_non_null(ev);
  assert_int_equal(rd_kafka_event_error(ev), 0);
  size_t nr, ne;
  const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev), &nr);
  assert_int_equal(nr, 1);
  const rd_kafka_ConfigEntry_t **es = rd_kafka_ConfigResource_configs(rs[0], &ne);
  out[0] = '\0';
  for (size_t i = 0; i < ne; i++)
    if (!strcmp(rd_kafka_ConfigEntry_name(es[i]), name))
      snprintf(out, n, "%s", rd_kafka_ConfigEntry_value(es[i]));
  rd_kafka_event_destroy(ev);
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static void test_ensure_creates_then_uses_existing(void **s) {
  if (!cluster())
    skip();
  char name[128], dlq[160], err[512] = "", v[32];
  unique_topic(name, sizeof name, "records");
  snprintf(dlq, sizeof dlq, "%s.dlq", name);
  mp_kafka_admin_opts_t o = {.brokers = cluster()};
  int nb = 0;
  assert_int_equal(mp_kafka_probe(&o, &nb, err, sizeof err), 0);
  mp_topic_spec_t t[] = {{.name = name, .partitions = 4},
                         {.name = dlq, .partitions = 1}};
  assert_int_equal(mp_kafka_topics_ensure(&o, t, 2, err, sizeof err), 0);
  int rf = nb < 3 ? nb : 3;
  assert_true(t[0].created);
  assert_int_equal(t[0].partitions_found, 4);
  assert_int_equal(t[0].replication_found, rf);
  assert_true(t[1].created);
  assert_int_equal(t[1].partitions_found, 1);
  topic_config(cluster(), name, "min.insync.replicas", v, sizeof v);
  assert_string_equal(v, rf >= 3 ? "2" : "1");

  /* again, asking for 9: the topic is used as it is */
  mp_topic_spec_t again = {.name = name, .partitions = 9};
  assert_int_equal(mp_kafka_topics_ensure(&o, &again, 1, err, sizeof err), 0);
  assert_false(again.created);
  assert_int_equal(again.partitions_found, 4);
}

static void test_ensure_impossible_topic_names_it_and_why(void **s) {
  if (!cluster())
    skip();
  char name[128], err[512] = "";
  unique_topic(name, sizeof name, "toomany");
  mp_kafka_admin_opts_t o = {.brokers = cluster()};
  mp_topic_spec_t t = {.name = name, .partitions = 1,
                       .replication_factor = 9};
  assert_int_equal(mp_kafka_topics_ensure(&o, &t, 1, err, sizeof err),
                   MP_EKAFKA);
  char want[200];
  snprintf(want, sizeof want, "cannot create topic %s: INVALID_REPLICATION_FACTOR",
           name);
  assert_non_null(strstr(err, want));
  assert_non_null(strstr(err, "lower --replication-factor"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scope_is_librdkafkas),
      cmocka_unit_test(test_each_client_takes_its_own_and_the_shared),
      cmocka_unit_test(test_routing_keeps_errors_for_bad_properties),
      cmocka_unit_test(test_timeout_from_environment),
      cmocka_unit_test(test_probe_unreachable_names_the_servers),
      cmocka_unit_test(test_ensure_creates_then_uses_existing),
      cmocka_unit_test(test_ensure_impossible_topic_names_it_and_why),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
