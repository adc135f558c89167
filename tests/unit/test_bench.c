/* test_bench.c: the benchmark's pure parts: configurations (cartesian
 * product, labels, value checks), reading an import's JSON line (missing
 * fields, worker folding, lag), reconciliation, medians and summaries,
 * the reports, and the child runner (stdout capture, exit codes, timeout). */
#include "harness.h"
#include "marcpipe/error.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The contract line of `marcpipe import --json`, as documented. */
static const char *contract =
    "importing...\n"
    "{\"job\": 12, \"status\": \"COMPLETED\", \"records\": 1000, "
    "\"created\": 990, \"updated\": 0, \"duplicates\": 0, \"skipped\": 0, "
    "\"errors\": 10, \"elapsed_s\": 3.21, \"records_per_s\": 311.5, "
    "\"producer\": {\"records_per_s\": 5000.0, \"elapsed_s\": 0.2, "
    "\"peak_rss_kb\": 20000}, \"first_commit_s\": 3.1, \"last_commit_s\": 3.2, "
    "\"workers\": [{\"peak_rss_kb\": 30000, \"max_records_held\": 500, "
    "\"max_bytes_held\": 600000, \"pauses\": 2, \"resumes\": 2, \"cpu_s\": 1.2},"
    " {\"peak_rss_kb\": 41000, \"max_records_held\": 300, "
    "\"max_bytes_held\": 700000, \"pauses\": 1, \"resumes\": 1, \"cpu_s\": 0.5}],"
    " \"lag\": [[0.5, 1200], [1.0, 800], [\"bad\", 1], [1.5, 0]]}\n\n";

static void test_expand_is_the_cartesian_product(void **s) {
  const char *rec[] = {"1000", "5000"}, *w[] = {"1", "2", "4"},
             *mode[] = {"pull", "push"};
  mp_bench_axes_t ax = {0};
  ax.vals[MP_BENCH_RECORDS] = rec, ax.n[MP_BENCH_RECORDS] = 2;
  ax.vals[MP_BENCH_WORKERS] = w, ax.n[MP_BENCH_WORKERS] = 3;
  ax.vals[MP_BENCH_MODE] = mode, ax.n[MP_BENCH_MODE] = 2;
  mp_bench_config_t *c;
  size_t n;
  assert_int_equal(mp_bench_expand(&ax, &c, &n), 0);
  assert_int_equal(n, 12);
  /* records slowest, mode fastest; unset axes stay NULL */
  assert_string_equal(c[0].v[MP_BENCH_RECORDS], "1000");
  assert_string_equal(c[0].v[MP_BENCH_MODE], "pull");
  assert_string_equal(c[1].v[MP_BENCH_MODE], "push");
  assert_string_equal(c[1].v[MP_BENCH_WORKERS], "1");
  assert_string_equal(c[2].v[MP_BENCH_WORKERS], "2");
  assert_string_equal(c[6].v[MP_BENCH_RECORDS], "5000");
  assert_string_equal(c[11].v[MP_BENCH_WORKERS], "4");
  assert_null(c[5].v[MP_BENCH_PARTITIONS]);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      assert_false(c[i].v[0] == c[j].v[0] && c[i].v[1] == c[j].v[1] &&
                   c[i].v[MP_BENCH_MODE] == c[j].v[MP_BENCH_MODE]);
  char label[128];
  mp_bench_config_label(&ax, &c[3], -1, label, sizeof label);
  assert_string_equal(label, "records=1000 workers=2 mode=push");
  mp_bench_config_label(&ax, &c[3], MP_BENCH_WORKERS, label, sizeof label);
  assert_string_equal(label, "records=1000 mode=push");
  free(c);

  /* nothing varies: one configuration, labelled "all" */
  const char *one[] = {"10"};
  mp_bench_axes_t single = {0};
  single.vals[MP_BENCH_RECORDS] = one, single.n[MP_BENCH_RECORDS] = 1;
  assert_int_equal(mp_bench_expand(&single, &c, &n), 0);
  assert_int_equal(n, 1);
  mp_bench_config_label(&single, &c[0], -1, label, sizeof label);
  assert_string_equal(label, "all");
  free(c);
  mp_bench_axes_t none = {0};
  assert_int_equal(mp_bench_expand(&none, &c, &n), MP_EUSAGE);
}

static void test_axis_values_are_checked(void **s) {
  assert_int_equal(mp_bench_axis_check(MP_BENCH_WORKERS, "8"), 0);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_WORKERS, "-1"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_WORKERS, "2x"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_WORKERS, ""), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_RECORDS,
                                       "9999999999999999999"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_MODE, "push"), 0);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_MODE, "1"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_MODE, "pull"), 0);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_MODE, "pul"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_MODE, "pull|push"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_ASSIGN, "share"), 0);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_ASSIGN, "group"), 0);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_ASSIGN, "groups"), MP_EUSAGE);
  assert_int_equal(mp_bench_axis_check(MP_BENCH_ASSIGN, "push"), MP_EUSAGE);
  assert_string_equal(mp_bench_axis_choices(MP_BENCH_ASSIGN), "share|group");
  assert_null(mp_bench_axis_choices(MP_BENCH_BATCH));
  assert_string_equal(mp_bench_axis_flag(MP_BENCH_ASSIGN), "--assign");
  assert_string_equal(mp_bench_axis_flag(MP_BENCH_WORKERS), "-w");
  assert_string_equal(mp_bench_axis_flag(MP_BENCH_SINK_LATENCY),
                      "--sink-latency-ms");
  assert_null(mp_bench_axis_flag(MP_BENCH_RECORDS));
}

static void test_parse_reads_the_contract(void **s) {
  mp_bench_run_t r;
  mp_bench_run_init(&r);
  assert_int_equal(mp_bench_run_parse(&r, contract, strlen(contract)), 0);
  assert_true(r.parsed);
  assert_string_equal(r.status, "COMPLETED");
  assert_true(r.m[MP_BM_RECORDS] == 1000);
  assert_true(r.m[MP_BM_ERRORS] == 10);
  assert_true(r.m[MP_BM_RATE] == 311.5);
  assert_true(r.m[MP_BM_PRODUCER_RATE] == 5000);
  assert_true(r.m[MP_BM_PRODUCER_RSS] == 20000);
  assert_true(r.m[MP_BM_FIRST_COMMIT] == 3.1);
  /* workers: largest RSS / held, summed pauses and CPU */
  assert_true(r.m[MP_BM_WORKER_RSS] == 41000);
  assert_true(r.m[MP_BM_HELD_RECORDS] == 500);
  assert_true(r.m[MP_BM_HELD_BYTES] == 700000);
  assert_true(r.m[MP_BM_PAUSES] == 3);
  assert_true(fabs(r.m[MP_BM_WORKER_CPU] - 1.7) < 1e-9);
  /* lag: the malformed point skipped, max taken */
  assert_int_equal(r.n_lag, 3);
  assert_true(r.lag[2] == 1.0 && r.lag[3] == 800);
  assert_true(r.m[MP_BM_MAX_LAG] == 1200);
  assert_true(r.m[MP_BM_MAX_STALL] == 0); /* it fell at every point */
  assert_true(isnan(r.m[MP_BM_WALL])); /* not the import's to say */
  r.exit_code = 0;
  mp_bench_run_reconcile(&r, 1000);
  assert_true(r.reconciled);
  assert_string_equal(r.note, "");
  mp_bench_run_reconcile(&r, 1001);
  assert_false(r.reconciled);
  assert_string_equal(r.note, "1000 records read, 1001 generated");
  r.m[MP_BM_PROCESSED] = 999; /* read them all, committed one less */
  mp_bench_run_reconcile(&r, 1000);
  assert_false(r.reconciled);
  assert_string_equal(r.note, "999 records committed, 1000 generated");
  mp_bench_run_release(&r);
}

static void test_stall_is_the_longest_wait_without_progress(void **s) {
  /* startup 0-2 s (rising, then flat), falls at 3, flat until 6: 3 s */
  const char *line = "{\"status\": \"COMPLETED\", \"records\": 9, \"lag\": "
                     "[[0, 100], [1, 500], [2, 500], [3, 400], [4, 400], "
                     "[6, 400], [7, 0], [9, 0], [10, 5], [10.5, 6]]}";
  mp_bench_run_t r;
  mp_bench_run_init(&r);
  assert_int_equal(mp_bench_run_parse(&r, line, strlen(line)), 0);
  assert_int_equal(r.n_lag, 10);
  assert_true(r.m[MP_BM_MAX_LAG] == 500);
  assert_true(r.m[MP_BM_MAX_STALL] == 3);
  mp_bench_run_release(&r);
}

static void test_parse_tolerates_missing_fields(void **s) {
  const char *minimal = "{\"status\": \"FAILED\", \"records\": 7}";
  mp_bench_run_t r;
  mp_bench_run_init(&r);
  assert_int_equal(mp_bench_run_parse(&r, minimal, strlen(minimal)), 0);
  for (int m = 0; m < MP_BM_COUNT; m++)
    if (m != MP_BM_RECORDS)
      assert_true(isnan(r.m[m]));
  assert_int_equal(r.n_lag, 0);
  r.exit_code = 1;
  mp_bench_run_reconcile(&r, 7);
  assert_false(r.reconciled);
  assert_string_equal(r.note, "import exited with 1 (status FAILED)");
  r.exit_code = 0;
  mp_bench_run_reconcile(&r, 7);
  assert_string_equal(r.note, "job status FAILED");
  mp_bench_run_release(&r);

  /* outcomes that do not add up to records */
  const char *odd = "{\"status\": \"COMPLETED\", \"records\": 10, \"created\": 9,"
                    " \"updated\": 0, \"duplicates\": 0, \"skipped\": 0,"
                    " \"errors\": 0, \"processed\": 10, \"workers\": [{}, {}],"
                    " \"workers_cpu_s\": 2.5, \"worker_restarts\": 1}";
  mp_bench_run_init(&r);
  assert_int_equal(mp_bench_run_parse(&r, odd, strlen(odd)), 0);
  /* the import's total CPU of its workers when they give none each */
  assert_true(r.m[MP_BM_WORKER_CPU] == 2.5);
  assert_true(r.m[MP_BM_RESTARTS] == 1);
  assert_true(isnan(r.m[MP_BM_WORKER_RSS]));
  mp_bench_run_reconcile(&r, 10);
  assert_false(r.reconciled);
  assert_string_equal(r.note, "outcomes add up to 9, not 10 records");
  mp_bench_run_release(&r);

  static const char *const bad[] = {"", "\n\n", "not json\n", "[1,2]",
                                    "{\"records\": 3}",
                                    "{\"status\": \"COMPLETED\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mp_bench_run_init(&r);
    assert_int_equal(mp_bench_run_parse(&r, bad[i], strlen(bad[i])), MP_EJSON);
    assert_false(r.parsed);
    assert_true(r.note[0] != '\0');
    mp_bench_run_reconcile(&r, 3);
    assert_false(r.reconciled);
    mp_bench_run_release(&r);
  }
}

static void test_median(void **s) {
  double odd[] = {5, 1, 3};
  assert_true(mp_bench_median(odd, 3) == 3);
  double even[] = {4, 1, 3, 2};
  assert_true(mp_bench_median(even, 4) == 2.5);
  double gaps[] = {NAN, 7, NAN, 9, 8};
  assert_true(mp_bench_median(gaps, 5) == 8);
  double none[] = {NAN, NAN};
  assert_true(isnan(mp_bench_median(none, 2)));
  assert_true(isnan(mp_bench_median(none, 0)));
}

static void test_summary_takes_medians_and_the_median_run(void **s) {
  mp_bench_run_t runs[4];
  const double rates[] = {100, 300, 200, 1e9};
  const double rss[] = {10, 30, 20, 1e9};
  for (int i = 0; i < 4; i++) {
    mp_bench_run_init(&runs[i]);
    runs[i].parsed = i < 3; /* the fourth run's line was unreadable */
    runs[i].reconciled = i == 0 || i == 2;
    runs[i].m[MP_BM_RATE] = rates[i];
    runs[i].m[MP_BM_WORKER_RSS] = rss[i];
  }
  runs[0].m[MP_BM_FIRST_COMMIT] = 2.0; /* only one run reports it */
  mp_bench_summary_t sum;
  assert_int_equal(mp_bench_summarize(runs, 4, &sum), 0);
  assert_true(sum.m[MP_BM_RATE] == 200);
  assert_true(sum.m[MP_BM_WORKER_RSS] == 20);
  assert_true(sum.m[MP_BM_FIRST_COMMIT] == 2.0);
  assert_true(isnan(sum.m[MP_BM_LAST_COMMIT]));
  assert_int_equal(sum.rep, 2);
  assert_int_equal(sum.ok, 2);
  assert_int_equal(mp_bench_summarize(runs, 0, &sum), 0);
  assert_int_equal(sum.rep, SIZE_MAX);
}

/* The report of b as Markdown (json false) or JSON; malloc'ed. */
static char *render(const mp_bench_t *b, bool json) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  assert_int_equal(json ? mp_bench_write_json(b, f) : mp_bench_write_md(b, f),
                   0);
  fclose(f);
  return text;
}

static void test_reports(void **s) {
  const char *rec[] = {"1000"}, *w[] = {"1", "2"};
  mp_bench_axes_t ax = {0};
  ax.vals[MP_BENCH_RECORDS] = rec, ax.n[MP_BENCH_RECORDS] = 1;
  ax.vals[MP_BENCH_WORKERS] = w, ax.n[MP_BENCH_WORKERS] = 2;
  mp_bench_config_t *c;
  size_t n;
  assert_int_equal(mp_bench_expand(&ax, &c, &n), 0);
  mp_bench_run_t runs[2];
  mp_bench_summary_t sums[2];
  for (int i = 0; i < 2; i++) {
    mp_bench_run_init(&runs[i]);
    assert_int_equal(mp_bench_run_parse(&runs[i], contract, strlen(contract)),
                     0);
    mp_bench_run_reconcile(&runs[i], i ? 999 : 1000);
    mp_bench_cpu_t before = {10, 100, 1, 50, 7},
                   after = {97, 200, 13.5, 80.25, 11.5};
    mp_bench_cpu_apply(&before, &after, &runs[i]);
    mp_bench_run_pair(&runs[i], 623); /* the ceiling below, one round */
    assert_int_equal(mp_bench_summarize(&runs[i], 1, &sums[i]), 0);
  }
  mp_bench_copy_t copy = {.records = 1000, .records_per_s = 623,
                          .seconds = 1.6, .runs = 1};
  mp_bench_t b = {.axes = &ax, .configs = c, .n_configs = n, .repeat = 1,
                  .runs = runs, .sums = sums, .copy = &copy, .n_copy = 1,
                  .copy_method = "test", .command = "marcpipe bench",
                  .machine = "m", .started = "now"};
  assert_ptr_equal(mp_bench_copy_for(&b, "1000"), &copy);
  assert_null(mp_bench_copy_for(&b, "10"));
  char *md = render(&b, false);
  /* rate 311.5 against COPY 623 = 0.50; RSS 41000 kB = 40.0 MiB */
  assert_non_null(strstr(md, "| 1000 | 1 | 1/1 | 312 | 0.50 | 5000 | 8.03 |"));
  /* CPU: 87 of 100 core-seconds busy, import 12.5 s, workers 1.2 + 0.5 s,
   * PostgreSQL 30.25 s, brokers 4.5 s */
  assert_non_null(strstr(
      md, "| 40.0 | 19.5 | 500 | 1200 | 0.0 | 87 | 12.5 | 1.7 | 30.2 | 4.5 | 10 |"));
  assert_non_null(strstr(md, "| 1000 | 2 | 0/1 |"));
  assert_non_null(strstr(md, "workers=2, run 1: 1000 records read, "
                             "999 generated"));
  free(md);
  char *js = render(&b, true);
  assert_non_null(strstr(js, "\"rate_of_copy\": 0.5"));
  assert_non_null(strstr(js, "\"reconciled\": false"));
  assert_non_null(strstr(js, "\"wall_s\": null"));
  free(js);
  for (int i = 0; i < 2; i++)
    mp_bench_run_release(&runs[i]);
  free(c);
}

/* Each run's ratio is to the ceiling of its own round, and the report
 * shows the median of those ratios, not the median rate over the median
 * ceiling. */
static void test_ratios_pair_each_run_with_its_round(void **s) {
  (void)s;
  const char *rec[] = {"1000"}, *w[] = {"1"};
  mp_bench_axes_t ax = {0};
  ax.vals[MP_BENCH_RECORDS] = rec, ax.n[MP_BENCH_RECORDS] = 1;
  ax.vals[MP_BENCH_WORKERS] = w, ax.n[MP_BENCH_WORKERS] = 1;
  mp_bench_config_t *c;
  size_t n;
  assert_int_equal(mp_bench_expand(&ax, &c, &n), 0);
  /* rounds: (rate, ceiling) = (250, 1000), (600, 600), (900, 3600):
   * ratios 0.25, 1.00, 0.25 -> median 0.25; median rate 600 over the
   * median ceiling 1000 would say 0.60 */
  const double rate[] = {250, 600, 900}, ceil[] = {1000, 600, 3600};
  mp_bench_run_t runs[3];
  for (int i = 0; i < 3; i++) {
    mp_bench_run_init(&runs[i]);
    assert_int_equal(mp_bench_run_parse(&runs[i], contract, strlen(contract)),
                     0);
    runs[i].m[MP_BM_RATE] = rate[i];
    runs[i].m[MP_BM_PRODUCER_RATE] = 2 * rate[i];
    mp_bench_run_reconcile(&runs[i], 1000);
    mp_bench_run_pair(&runs[i], ceil[i]);
  }
  assert_true(runs[1].m[MP_BM_RATE_OF_COPY] == 1.0);
  assert_true(runs[2].m[MP_BM_COPY_RATE] == 3600);
  assert_true(runs[0].m[MP_BM_PRODUCER_OF_COPY] == 0.5);
  mp_bench_summary_t sum;
  assert_int_equal(mp_bench_summarize(runs, 3, &sum), 0);
  assert_true(sum.m[MP_BM_RATE_OF_COPY] == 0.25);
  mp_bench_copy_t copy = {.records = 1000, .records_per_s = 1000,
                          .seconds = 1, .runs = 3, .lo = 600, .hi = 3600};
  mp_bench_t b = {.axes = &ax, .configs = c, .n_configs = n, .repeat = 3,
                  .runs = runs, .sums = &sum, .copy = &copy, .n_copy = 1,
                  .copy_method = "test", .command = "marcpipe bench",
                  .machine = "m", .started = "now"};
  char *md = render(&b, false);
  assert_non_null(strstr(md, "| 1000 | 1 | 3/3 | 600 | 0.25 | 1200 | 0.50 |"));
  assert_non_null(strstr(md, "1000 records/s (median of 3 runs, 600-3600)"));
  free(md);
  char *js = render(&b, true);
  assert_non_null(strstr(js, "\"rate_of_copy\": 0.25"));
  assert_non_null(strstr(js, "\"copy_records_per_s\": 600"));
  assert_non_null(strstr(js, "\"min_records_per_s\": 600"));
  free(js);
  /* no ceiling in a round: that run has no ratio */
  mp_bench_run_pair(&runs[0], NAN);
  assert_true(isnan(runs[0].m[MP_BM_RATE_OF_COPY]));
  assert_true(isnan(runs[0].m[MP_BM_COPY_RATE]));
  for (int i = 0; i < 3; i++)
    mp_bench_run_release(&runs[i]);
  free(c);
}

static void test_spawn(void **s) {
  mp_buf_t out;
  mp_buf_init(&out);
  int status;
  double wall;
  char *echo[] = {"/bin/sh", "-c", "echo one; echo two >&2; exit 3", NULL};
  assert_int_equal(mp_bench_spawn(echo, "/dev/null", 0, NULL, NULL, &out,
                                  &status, &wall), 0);
  assert_string_equal(out.data, "one\n");
  assert_int_equal(status, 3);
  mp_buf_clear(&out);
  /* the timeout kills the whole group, the sleeping grandchild too */
  char *slow[] = {"/bin/sh", "-c", "sleep 30 & sleep 30", NULL};
  assert_int_equal(mp_bench_spawn(slow, NULL, 0.3, NULL, NULL, &out, &status,
                                  &wall), 0);
  assert_int_equal(status, -1);
  assert_true(wall < 5);
  char *missing[] = {"/nonexistent/program", NULL};
  assert_int_equal(mp_bench_spawn(missing, NULL, 0, NULL, NULL, &out,
                                  &status, &wall), 0);
  assert_int_equal(status, 127);
  mp_buf_release(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expand_is_the_cartesian_product),
      cmocka_unit_test(test_axis_values_are_checked),
      cmocka_unit_test(test_parse_reads_the_contract),
      cmocka_unit_test(test_stall_is_the_longest_wait_without_progress),
      cmocka_unit_test(test_parse_tolerates_missing_fields),
      cmocka_unit_test(test_median),
      cmocka_unit_test(test_summary_takes_medians_and_the_median_run),
      cmocka_unit_test(test_reports),
      cmocka_unit_test(test_ratios_pair_each_run_with_its_round),
      cmocka_unit_test(test_spawn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
