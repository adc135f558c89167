/* test_profile.c: profile parsing, validation, CLI options and the named
 * profiles shipped in schemas/profiles (no database needed). */
#include "testutil.h"

#include "marcpipe/error.h"
#include "marcpipe/profile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_default_and_round_trip(void **state) {
  (void)state;
  mp_profile_t p;
  char err[256];
  assert_int_equal(mp_profile_parse(NULL, &p, err, sizeof err), 0);
  char *j = mp_profile_to_json(&p);
  assert_string_equal(j, "{\"match\":[\"001\",\"035\"],\"on_match\":\"update\","
                         "\"on_no_match\":\"create\"}");
  mp_profile_t q;
  assert_int_equal(mp_profile_parse(j, &q, err, sizeof err), 0);
  assert_memory_equal(&p, &q, sizeof p);
  free(j);
  assert_int_equal(mp_profile_parse("{\"match\":[\"issn\",\"isbn\"],\"on_no_match\":\"skip\"}",
                                    &p, err, sizeof err), 0);
  assert_int_equal(p.nsteps, 2);
  assert_int_equal(p.steps[0], MP_MATCH_ISSN);
  assert_int_equal(p.steps[1], MP_MATCH_ISBN);
  assert_int_equal(p.on_match, MP_ON_UPDATE);
  assert_int_equal(p.on_no_match, MP_ON_SKIP);
  assert_string_equal(mp_profile_key_kind(p.steps[0]), "issn");
  assert_int_equal(mp_profile_parse("{\"match\":[\"none\"]}", &p, err, sizeof err), 0);
  assert_int_equal(p.nsteps, 0);
}

static void expect_bad(const char *json, const char *needle) {
  mp_profile_t p;
  char err[256] = "";
  assert_int_equal(mp_profile_parse(json, &p, err, sizeof err), MP_ECONFIG);
  if (!strstr(err, needle))
    fail_msg("error '%s' does not name '%s'", err, needle);
}

static void test_errors_name_the_bad_value(void **state) {
  (void)state;
  expect_bad("{\"match\":[\"245\"]}", "'245'");
  expect_bad("{\"on_match\":\"merge\"}", "'merge'");
  expect_bad("{\"on_no_match\":\"update\"}", "'update'");
  expect_bad("{\"match\":[\"001\",\"001\"]}", "twice");
  expect_bad("{\"match\":[\"none\",\"035\"]}", "none");
  expect_bad("{\"match\":\"001\"}", "array");
  expect_bad("{\"batch\":500}", "\"batch\"");
  expect_bad("[1]", "object");
  expect_bad("{\"match\":", "profile");
}

static void test_builder_settings(void **state) {
  (void)state;
  mp_profile_builder_t b;
  mp_profile_builder_init(&b);
  assert_int_equal(mp_profile_builder_set(&b, MP_PROFILE_OPT_MATCH, "--match", "035"), 0);
  assert_int_equal(mp_profile_builder_set(&b, MP_PROFILE_OPT_MATCH, "--match", "isbn"), 0);
  assert_int_equal(mp_profile_builder_set(&b, MP_PROFILE_OPT_ON_MATCH, "--on-match", "skip"), 0);
  assert_int_equal(
      mp_profile_builder_set(&b, MP_PROFILE_OPT_ON_NO_MATCH, "--on-no-match", "skip"), 0);
  char *j = mp_profile_to_json(&b.p);
  assert_string_equal(j, "{\"match\":[\"035\",\"isbn\"],\"on_match\":\"skip\","
                         "\"on_no_match\":\"skip\"}");
  free(j);

  mp_profile_builder_init(&b);
  assert_int_equal(mp_profile_builder_set(&b, MP_PROFILE_OPT_ON_MATCH, "--on-match", "merge"),
                   -1);
  assert_string_equal(b.err, "--on-match 'merge' is not one of update, skip, create");
  assert_int_equal(
      mp_profile_builder_set(&b, MP_PROFILE_OPT_ON_NO_MATCH, "--on-no-match", "update"), -1);
  assert_string_equal(b.err, "--on-no-match 'update' is not one of create, skip");
  assert_int_equal(mp_profile_builder_set(&b, MP_PROFILE_OPT_MATCH, "--match", "lccn"), -1);
  assert_non_null(strstr(b.err, "'lccn'"));
}

static void test_named_profiles(void **state) {
  (void)state;
  setenv("MARCPIPE_SCHEMAS", tu_schema(""), 1);
  mp_profile_builder_t b;
  mp_profile_builder_init(&b);
  assert_int_equal(
      mp_profile_builder_set(&b, MP_PROFILE_OPT_NAMED, "--profile", "skip-existing"), 0);
  assert_int_equal(
      mp_profile_builder_set(&b, MP_PROFILE_OPT_ON_NO_MATCH, "--on-no-match", "skip"), 0);
  assert_int_equal(b.p.nsteps, 2);
  assert_int_equal(b.p.on_match, MP_ON_SKIP);
  assert_int_equal(b.p.on_no_match, MP_ON_SKIP);
  mp_profile_t p, d;
  char err[512];
  mp_profile_default(&d);
  assert_int_equal(mp_profile_load("default", &p, err, sizeof err), 0);
  assert_memory_equal(&p, &d, sizeof p);
  assert_int_equal(mp_profile_load("create-always", &p, err, sizeof err), 0);
  assert_int_equal(p.nsteps, 0);
  assert_int_equal(p.on_match, MP_ON_CREATE);
  assert_int_equal(mp_profile_load("update-only", &p, err, sizeof err), 0);
  assert_int_equal(p.on_no_match, MP_ON_SKIP);
  assert_int_equal(mp_profile_load("no-such-profile", &p, err, sizeof err), MP_ECONFIG);
  assert_non_null(strstr(err, "no-such-profile"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_and_round_trip),
      cmocka_unit_test(test_errors_name_the_bad_value),
      cmocka_unit_test(test_builder_settings),
      cmocka_unit_test(test_named_profiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
