/* test_kafka_conf.c: Kafka configuration from -b and -X, secret masking. */
#include "marcpipe/kafka.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void get(rd_kafka_conf_t *c, const char *name, char *out, size_t n) {
  size_t sz = n;
  assert_int_equal(rd_kafka_conf_get(c, name, out, &sz), RD_KAFKA_CONF_OK);
}

static void test_conf_applies_bootstrap_and_props_in_order(void **s) {
  const char *props[] = {"linger.ms=7", "client.id=one", "client.id=two"};
  char err[256] = "", v[256];
  rd_kafka_conf_t *c = mp_kafka_conf_new("127.0.0.1:9092", props, 3, err,
                                         sizeof err);
  assert_non_null(c);
  get(c, "bootstrap.servers", v, sizeof v);
  assert_string_equal(v, "127.0.0.1:9092");
  get(c, "linger.ms", v, sizeof v);
  assert_string_equal(v, "7");
  get(c, "client.id", v, sizeof v);
  assert_string_equal(v, "two");
  rd_kafka_conf_destroy(c);
}

static void test_conf_unknown_property_is_named(void **s) {
  const char *props[] = {"linger.ms=5", "no.such.property=1"};
  char err[256] = "";
  assert_null(mp_kafka_conf_new("x:1", props, 2, err, sizeof err));
  assert_non_null(strstr(err, "no.such.property"));
}

static void test_conf_bad_value_is_named(void **s) {
  const char *props[] = {"linger.ms=notanumber"};
  char err[256] = "";
  assert_null(mp_kafka_conf_new(NULL, props, 1, err, sizeof err));
  assert_non_null(strstr(err, "linger.ms"));
}

static void test_conf_missing_equals_hides_text_after_name(void **s) {
  const char *props[] = {"sasl.password"};
  char err[256] = "";
  assert_null(mp_kafka_conf_new(NULL, props, 1, err, sizeof err));
  assert_non_null(strstr(err, "expected name=value"));
}

static void test_conf_secret_value_never_echoed(void **s) {
  /* An invalid value for a secret-looking property: the message names the
   * property and not the value. */
  const char *props[] = {"ssl.key.password=HUNTER2-TOPSECRET",
                         "security.protocol=HUNTER2-TOPSECRET"};
  char err[256] = "";
  rd_kafka_conf_t *c = mp_kafka_conf_new(NULL, props, 2, err, sizeof err);
  assert_null(c);
  assert_non_null(strstr(err, "security.protocol"));
  assert_null(strstr(err, "HUNTER2"));
}

static void test_secret_names(void **s) {
  assert_true(mp_kafka_prop_is_secret("sasl.password"));
  assert_true(mp_kafka_prop_is_secret("ssl.key.password"));
  assert_true(mp_kafka_prop_is_secret("ssl.keystore.password"));
  assert_true(mp_kafka_prop_is_secret("sasl.oauthbearer.client.secret"));
  assert_true(mp_kafka_prop_is_secret("ssl.key.pem"));
  assert_false(mp_kafka_prop_is_secret("sasl.username"));
  assert_false(mp_kafka_prop_is_secret("linger.ms"));
  assert_false(mp_kafka_prop_is_secret(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conf_applies_bootstrap_and_props_in_order),
      cmocka_unit_test(test_conf_unknown_property_is_named),
      cmocka_unit_test(test_conf_bad_value_is_named),
      cmocka_unit_test(test_conf_missing_equals_hides_text_after_name),
      cmocka_unit_test(test_conf_secret_value_never_echoed),
      cmocka_unit_test(test_secret_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
