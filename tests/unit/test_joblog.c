/* test_joblog.c: the job log's "why", its keyset pages, job control
 * (cancel, delete, resume prefix), leases and STALLED, the share of the
 * input read (lease stats) and the console's percent, HTML escaping of the
 * console. The database parts skip without PGHOST. */
#include "pgtest.h"

#include "marcpipe/job.h"
#include "marcpipe/joblog.h"
#include "marcpipe/lease.h"
#include "serve/serve_impl.h"

#include <math.h>
#include <time.h>

static mp_joblog_row_t row(const char *outcome, const char *kind, const char *value,
                           const char *cls, const char *reason) {
  return (mp_joblog_row_t){.seq = 1, .outcome = outcome, .match_key = "ocm1",
                           .instance_id = "", .hrid = "", .error_class = cls,
                           .reason = reason, .match_kind = kind, .match_value = value};
}

static void test_why_names_the_step_key_or_rule(void **s) {
  char b[256];
  mp_joblog_row_t r = row("UPDATED", "oclc", "10697279", "", "");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "matched on OCLC number 10697279");
  r = row("DUPLICATE", "control", "u1", "", "");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "matched on 001 u1; identical record, nothing changed");
  r = row("CREATED", "", "", "", "");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "no Instance matched");
  r = row("SKIPPED", "", "", "no-match", "no Instance matches");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "no-match: no Instance matches");
  r = row("ERROR", "", "", "MP_ELEADER", "f.mrc: record 3 at byte 9: bad");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "MP_ELEADER: f.mrc: record 3 at byte 9: bad");
  r = row("UPDATED", "", "", "", "");
  mp_joblog_why(&r, b, sizeof b);
  assert_string_equal(b, "same match key ocm1 as a record written just before");
  assert_string_equal(mp_joblog_outcome("error"), "ERROR");
  assert_string_equal(mp_joblog_outcome("Duplicate"), "DUPLICATE");
  assert_null(mp_joblog_outcome("ERRORS"));
  assert_null(mp_joblog_outcome(NULL));
}

static void test_html_escapes_markup(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  assert_int_equal(mp__html(&b, "<script>a&b</script>\"'"), 0);
  assert_string_equal(b.data, "&lt;script&gt;a&amp;b&lt;/script&gt;&quot;&#39;");
  mp_buf_clear(&b);
  assert_int_equal(mp__html(&b, NULL), 0);
  assert_string_equal(b.data ? b.data : "", "");
  mp_buf_release(&b);
}

static void exec_ok(PGconn *c, const char *sql) {
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  PQclear(r);
}

typedef struct {
  int64_t seqs[64];
  int n;
} seen_t;

static int collect(void *ud, const mp_joblog_row_t *r) {
  seen_t *x = ud;
  x->seqs[x->n++] = r->seq;
  return 0;
}

static void test_pages_filter_and_resume_prefix(void **s) {
  SKIP_WITHOUT_PG();
  char t[64], err[512];
  PGconn *c = pgt_connect(pgt_tenant(t, sizeof t));
  int64_t job;
  mp_job_spec_t spec = {.file_name = "f.mrc"};
  assert_int_equal(mp_job_create(c, &spec, &job, err, sizeof err), 0);
  /* seqs 1..100 and 102: every 10th an ERROR; 101 missing */
  exec_ok(c, "INSERT INTO journal (job_id, seq, partition, outcome)"
             " SELECT 1, g, 0, CASE WHEN g % 10 = 0 THEN 'ERROR' ELSE 'CREATED' END"
             " FROM generate_series(1, 100) g UNION ALL SELECT 1, 102, 0, 'CREATED'");
  seen_t x = {0};
  assert_int_equal(mp_joblog_page(c, job, NULL, 95, 0, 5, collect, &x, err, sizeof err), 0);
  assert_int_equal(x.n, 5);
  assert_int_equal(x.seqs[0], 96);
  assert_int_equal(x.seqs[4], 100);
  x.n = 0; /* backward: the 3 before 50, still in seq order */
  assert_int_equal(mp_joblog_page(c, job, NULL, 0, 50, 3, collect, &x, err, sizeof err), 0);
  assert_int_equal(x.n, 3);
  assert_int_equal(x.seqs[0], 47);
  assert_int_equal(x.seqs[2], 49);
  x.n = 0;
  assert_int_equal(mp_joblog_page(c, job, "ERROR", 20, 0, 50, collect, &x, err, sizeof err), 0);
  assert_int_equal(x.n, 8); /* 30, 40, ..., 100 */
  assert_int_equal(x.seqs[0], 30);
  assert_int_equal(x.seqs[7], 100);
  assert_int_equal(mp_joblog_page(c, job + 1, NULL, 0, 0, 5, collect, &x, err, sizeof err),
                   MP_ENOTFOUND);
  /* a job nobody runs (no lease) is STALLED; resume skips the prefix 1..100 */
  assert_int_equal(mp_job_set_status(c, job, MP_JOB_PRODUCING, err, sizeof err), 0);
  mp_job_summary_t sum;
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  assert_true(sum.stalled);
  assert_string_equal(mp_job_display_status(&sum), "STALLED");
  int64_t skip = -1;
  assert_int_equal(mp_job_resume_prepare(c, job, &skip, err, sizeof err), 0);
  assert_int_equal(skip, 100);
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  assert_int_equal(sum.resumes, 1);
  assert_int_equal(sum.produced, 100);
  /* delete: journal and job gone; then not found */
  int64_t rows = 0;
  assert_int_equal(mp_job_delete(c, job, &rows, err, sizeof err), 0);
  assert_int_equal(rows, 101);
  assert_int_equal(pgt_num(c, "SELECT count(*) FROM journal"), 0);
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), MP_ENOTFOUND);
  PQfinish(c);
}

static void test_lease_keeps_alive_and_carries_cancel(void **s) {
  SKIP_WITHOUT_PG();
  char t[64], err[512];
  PGconn *c = pgt_connect(pgt_tenant(t, sizeof t));
  int64_t job;
  mp_job_spec_t spec = {.file_name = "f.mrc"};
  assert_int_equal(mp_job_create(c, &spec, &job, err, sizeof err), 0);
  assert_int_equal(mp_job_set_status(c, job, MP_JOB_PRODUCING, err, sizeof err), 0);
  mp_lease_t *l = NULL;
  mp_lease_opts_t lo = {.conninfo = "", .tenant = t, .role = "producer", .job_id = job,
                        .interval_ms = 50};
  assert_int_equal(mp_lease_start(&lo, &l, err, sizeof err), 0);
  mp_job_summary_t sum;
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  assert_false(sum.stalled);
  assert_true(sum.input_read == -1); /* the producer has said nothing yet */
  /* the share of the file read, from the producer's lease stats */
  mp_lease_set_stats(l, "{\"job\":1,\"read\":400,\"input_read\":0.250000}");
  for (int i = 0; i < 200 && sum.input_read < 0; i++) { /* bounded wait */
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  }
  assert_true(fabs(sum.input_read - 0.25) < 1e-9);
  /* the console's bar: 300 of 400 produced at a quarter of the file is 300
   * of ~1,600 records; without the share, of the 400 produced */
  mp_job_summary_t est = sum;
  est.total = -1;
  est.produced = 400;
  est.processed = 300;
  assert_true(fabs(mp__job_percent(&est) - 18.75) < 1e-9);
  est.input_read = -1;
  assert_true(fabs(mp__job_percent(&est) - 75) < 1e-9);
  est.processed = 400; /* caught up with the producer: not done */
  assert_true(fabs(mp__job_percent(&est) - 99.9) < 1e-9);
  est.total = 400;
  assert_true(fabs(mp__job_percent(&est) - 100) < 1e-9);
  /* running: delete refused, cancel only requested */
  assert_int_equal(mp_job_delete(c, job, NULL, err, sizeof err), MP_EUSAGE);
  mp_cancel_result_t res = 0;
  assert_int_equal(mp_job_cancel(c, job, &res, err, sizeof err), 0);
  assert_int_equal(res, MP_CANCEL_REQUESTED);
  for (int i = 0; i < 200 && !mp_lease_cancel_requested(l); i++) /* bounded wait */
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
  assert_true(mp_lease_cancel_requested(l));
  /* the producer records its total; the workers' last rows flip it CANCELLED */
  exec_ok(c, "INSERT INTO job_progress (job_id, partition, processed, created)"
             " VALUES (1, 0, 3, 3)");
  bool done = false;
  assert_int_equal(mp_job_set_total(c, job, 3, &done, err, sizeof err), 0);
  assert_true(done);
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  assert_string_equal(mp_job_status_name(sum.status), "CANCELLED");
  assert_int_equal(mp_job_cancel(c, job, &res, err, sizeof err), MP_EUSAGE);
  mp_lease_stop(l);
  assert_int_equal(pgt_num(c, "SELECT count(*) FROM leases"), 0);
  assert_int_equal(mp_job_get(c, job, &sum, err, sizeof err), 0);
  assert_true(sum.input_read == -1); /* no live producer */
  assert_true(pgt_num(c, "SELECT count(*) FROM job_samples") >= 1);
  PQfinish(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_why_names_the_step_key_or_rule),
      cmocka_unit_test(test_html_escapes_markup),
      cmocka_unit_test(test_pages_filter_and_resume_prefix),
      cmocka_unit_test(test_lease_keeps_alive_and_carries_cancel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
