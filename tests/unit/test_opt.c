/* test_opt.c: the command-line option layer (src/cli/opt.c) and the
 * progress line's formatting (src/cli/import_progress.c). Both live in the
 * binary, not the core library, so their sources are compiled in here. */
#include "cli/cli_util.c"
#include "cli/import_progress.c"
#include "cli/opt.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

typedef struct vals_s {
  bool json, quiet, verbose;
  const char *db;
  int64_t window, bytes, nodes;
} vals_t;

#define OPTS(v)                                                                \
  mp_opt_t opts[] = {                                                          \
      MP_OPT_FLAG(0, "json", &(v)->json, "json"),                              \
      MP_OPT_FLAG('q', "quiet", &(v)->quiet, "quiet"),                         \
      MP_OPT_FLAG('v', NULL, &(v)->verbose, "verbose"),                        \
      MP_OPT_STRING('d', "db", &(v)->db, "CONNINFO", "db"),                    \
      MP_OPT_COUNT(0, "window", &(v)->window, 0, 100, "N", "window"),          \
      MP_OPT_SIZE(0, "bytes", &(v)->bytes, 1, INT64_MAX, "SIZE", "bytes"),     \
      MP_OPT_COUNT(0, "nodes", &(v)->nodes, 1, 32, "N", "nodes"),              \
      {.kind = MP_OPT_KIND_COUNT, .long_name = "brokers", .argh = "N",         \
       .value = &(v)->nodes, .min = 1, .max = 32, .deprecated = "use --nodes"},\
      MP_OPT_HELP(),                                                           \
      MP_OPT_END()}

static int parse(vals_t *v, int argc, const char **in, char **out, int *n) {
  OPTS(v);
  for (int i = 0; i < argc; i++)
    out[i] = (char *)in[i];
  mp_opt_usage_t u = {"t [options]", NULL, NULL};
  return mp_opt_parse("t", opts, &u, argc, out, n);
}

/* Every spelling of a value, operands in any place, kept in order. */
static void test_opt_spellings_and_operands_in_order(void **s) {
  (void)s;
  vals_t v = {.window = -1, .bytes = -1, .nodes = -1};
  const char *in[] = {"t", "a.mrc", "--window=7", "-qv", "-dhost=x", "b.mrc",
                      "--bytes", "64K", "--json", "--", "--c.mrc", "-"};
  char *argv[12];
  int n = -1;
  assert_int_equal(parse(&v, 12, in, argv, &n), -1);
  assert_int_equal(n, 4);
  assert_string_equal(argv[1], "a.mrc");
  assert_string_equal(argv[2], "b.mrc");
  assert_string_equal(argv[3], "--c.mrc"); /* after "--": an operand */
  assert_string_equal(argv[4], "-");       /* stdin */
  assert_int_equal(v.window, 7);
  assert_int_equal(v.bytes, 64 * 1024);
  assert_true(v.quiet && v.verbose && v.json);
  assert_string_equal(v.db, "host=x");
}

/* Refusals: exit 2, nothing half-applied matters (the command stops). */
static void test_opt_refusals_are_usage_errors(void **s) {
  (void)s;
  static const char *bad[][3] = {
      {"t", "--window", "101"},  /* above the range */
      {"t", "--window", "-1"},   /* not a count */
      {"t", "--bytes", "0"},     /* below the range */
      {"t", "--bytes", "12Q"},   /* not a size */
      {"t", "--win", "1"},       /* no abbreviations */
      {"t", "--json=1", "x"},    /* a flag takes no value */
      {"t", "-x", "y"},          /* unknown short option */
      {"t", "x", "--db"},        /* missing value */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    vals_t v = {.window = -1, .bytes = -1, .nodes = -1};
    char *argv[3];
    int n = 0;
    assert_int_equal(parse(&v, 3, bad[i], argv, &n), 2);
  }
}

/* A deprecated spelling still sets the same value; --help is 0. */
static void test_opt_deprecated_alias_and_help(void **s) {
  (void)s;
  vals_t v = {.window = -1, .bytes = -1, .nodes = -1};
  const char *in[] = {"t", "--brokers", "5"};
  char *argv[3];
  int n = 0;
  assert_int_equal(parse(&v, 3, in, argv, &n), -1);
  assert_int_equal(v.nodes, 5);
  const char *h[] = {"t", "-h"};
  assert_int_equal(parse(&v, 2, h, argv, &n), 0);
}

/* The range message says what is accepted. */
static void test_opt_range_messages(void **s) {
  (void)s;
  vals_t v;
  OPTS(&v);
  char buf[128];
  mp_opt_describe_range(mp_opt_find(opts, "window"), buf, sizeof buf);
  assert_string_equal(buf, "--window wants 0..100");
  mp_opt_describe_range(mp_opt_find(opts, "bytes"), buf, sizeof buf);
  assert_string_equal(buf, "--bytes wants a size above 0 (bytes, or with K, M or G)");
  assert_null(mp_opt_find(opts, "nosuch"));
}

/* The progress line never reaches the last column, drops its bar when
 * narrow, and its rate is the recent one, not the average. */
static void test_progress_fits_and_rates_the_window(void **s) {
  (void)s;
  mp_progress_t p;
  mp_progress_init(&p, stderr, true);
  char line[512];
  mp_progress_view_t v = {.read = 100000, .total = 100000,
                          .status = MP_JOB_IN_PROGRESS};
  for (int t = 0; t <= 110; t++) { /* 100 rec/s for 100 s, then 1000 */
    v.elapsed_s = t;
    v.processed = t <= 100 ? t * 100 : 10000 + (t - 100) * 1000;
    mp_progress_format(&p, &v, 80, line, sizeof line);
  }
  /* the last 10 s: 1000 rec/s (the average would be 181); ETA 80 s */
  size_t len = mp_progress_format(&p, &v, 80, line, sizeof line);
  assert_string_equal(line, "[######........................] 1:50 "
                            "20000/100000 20% 1000 rec/s ETA 1:20");
  assert_int_equal(len, strlen(line));
  len = mp_progress_format(&p, &v, 60, line, sizeof line); /* shorter bar */
  assert_int_equal(len, 59);
  assert_string_equal(line, "[###............] 1:50 20000/100000 20% "
                            "1000 rec/s ETA 1:20");
  len = mp_progress_format(&p, &v, 40, line, sizeof line); /* no bar, cut */
  assert_int_equal(len, 39);
  assert_string_equal(line, "1:50 20000/100000 20% 1000 rec/s ETA 1:");
  v.processed = 0;
  v.elapsed_s = 111;
  v.total = -1;
  v.read = 500;
  v.phase = "joining group";
  mp_progress_format(&p, &v, 80, line, sizeof line);
  assert_non_null(strstr(line, "] 1:51 0/500+ 0% joining group"));
}

/* While the total is unknown the share done is of the records the file
 * holds, estimated from the share of its bytes read, with an estimated
 * ETA; never 100%. A pipe (no share known) counts what was read. */
static void test_progress_estimates_the_total_from_bytes(void **s) {
  (void)s;
  mp_progress_t p;
  mp_progress_init(&p, stderr, true);
  char line[512];
  /* 400 rec/s; after 10 s 5,000 records read at an eighth of the bytes */
  mp_progress_view_t v = {.total = -1, .input_read = 0.125,
                          .status = MP_JOB_IN_PROGRESS};
  for (int t = 0; t <= 10; t++) {
    v.elapsed_s = t;
    v.read = 500 + t * 450;
    v.processed = t * 400;
    mp_progress_format(&p, &v, 100, line, sizeof line);
  }
  /* 4,000 of ~40,000 (5,000 / 0.125): 10%, ETA (40,000 - 4,000) / 400 = 90 s */
  assert_string_equal(line, "[###...........................] 0:10 4000/5000+ 10% "
                            "400 rec/s ETA ~1:30");
  v.input_read = 0; /* a pipe: of the records read, and no ETA */
  mp_progress_format(&p, &v, 100, line, sizeof line);
  assert_string_equal(line, "[########################......] 0:10 4000/5000+ 80% 400 rec/s");
  v.input_read = 1; /* everything read, the total not yet recorded */
  v.processed = 5000;
  mp_progress_format(&p, &v, 100, line, sizeof line);
  assert_non_null(strstr(line, " 5000/5000+ 99% "));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_opt_spellings_and_operands_in_order),
      cmocka_unit_test(test_opt_refusals_are_usage_errors),
      cmocka_unit_test(test_opt_deprecated_alias_and_help),
      cmocka_unit_test(test_opt_range_messages),
      cmocka_unit_test(test_progress_fits_and_rates_the_window),
      cmocka_unit_test(test_progress_estimates_the_total_from_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
