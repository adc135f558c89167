/* test_job.c: the job API (job.h) against a real PostgreSQL: lifecycle,
 * reader rejects (idempotent, raw bytes kept), totals and completion,
 * failure, listing. Skipped only when PGHOST is unset. */
#include "pgtest.h"

#include "marcpipe/job.h"

#include <jansson.h>

typedef struct {
  char tenant[40];
  PGconn *c;
  char err[512];
} fx_t;

static int setup(void **state) {
  if (!pgt_available())
    return 0;
  fx_t *f = calloc(1, sizeof *f);
  pgt_tenant(f->tenant, sizeof f->tenant);
  f->c = pgt_connect(f->tenant);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (f) {
    PQfinish(f->c);
    free(f);
  }
  return 0;
}

static int64_t new_job(fx_t *f, const char *name) {
  mp_job_spec_t spec = {.file_name = name, .file_format = "iso2709",
                        .topic = "marcpipe.Default.diku.DI_INCOMING_MARC_BIB_RECORD",
                        .profile = "{\"match\": [\"035\"], \"on_match\": \"skip\"}"};
  int64_t id = 0;
  assert_int_equal(mp_job_create(f->c, &spec, &id, f->err, sizeof f->err), 0);
  assert_true(id > 0);
  return id;
}

static void test_job_lifecycle_and_summary(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  int64_t id = new_job(f, "books.mrc");
  mp_job_summary_t s;
  assert_int_equal(mp_job_get(f->c, id, &s, f->err, sizeof f->err), 0);
  assert_string_equal(mp_job_status_name(s.status), "NEW");
  assert_string_equal(s.file_name, "books.mrc");
  assert_int_equal(s.total, -1);
  assert_true(s.created_at > 0);
  assert_true(s.started_at == 0);
  /* the profile is stored as given and shown in the summary */
  assert_non_null(strstr(s.profile, "\"match\": [\"035\"]"));
  assert_int_equal(s.skipped_matched, 0);
  json_t *js = mp_job_summary_json(&s);
  assert_string_equal(json_string_value(json_object_get(json_object_get(js, "profile"),
                                                        "on_match")), "skip");
  json_decref(js);
  /* an invalid profile is refused before anything is written */
  mp_job_spec_t bad = {.file_name = "x", .profile = "{\"on_no_match\": \"update\"}"};
  int64_t none = 0;
  assert_int_equal(mp_job_create(f->c, &bad, &none, f->err, sizeof f->err), MP_ECONFIG);
  assert_non_null(strstr(f->err, "'update'"));
  assert_int_equal(mp_job_set_status(f->c, id, MP_JOB_PRODUCING, f->err, sizeof f->err), 0);
  assert_int_equal(mp_job_set_produced(f->c, id, 40, f->err, sizeof f->err), 0);
  assert_int_equal(mp_job_set_produced(f->c, id, 30, f->err, sizeof f->err), 0);
  assert_int_equal(mp_job_get(f->c, id, &s, f->err, sizeof f->err), 0);
  assert_string_equal(mp_job_status_name(s.status), "PRODUCING");
  assert_int_equal(s.produced, 40);
  assert_true(s.started_at > 0);
  assert_int_equal(mp_job_set_status(f->c, id, MP_JOB_COMPLETED, f->err, sizeof f->err), MP_EUSAGE);
  assert_int_equal(mp_job_get(f->c, id + 1000, &s, f->err, sizeof f->err), MP_ENOTFOUND);
  assert_int_equal(mp_job_set_status(f->c, id + 1000, MP_JOB_PRODUCING, f->err, sizeof f->err),
                   MP_ENOTFOUND);
  json_t *o = NULL;
  assert_int_equal(mp_job_get(f->c, id, &s, f->err, sizeof f->err), 0);
  o = mp_job_summary_json(&s);
  assert_non_null(o);
  assert_int_equal(json_integer_value(json_object_get(o, "id")), id);
  assert_true(json_is_null(json_object_get(o, "total")));
  assert_string_equal(json_string_value(json_object_get(o, "status")), "PRODUCING");
  json_decref(o);
}

typedef struct {
  int n;
  int64_t seqs[8];
  size_t lens[8];
  char first[64];
} errs_t;

static int collect(void *ud, const mp_job_error_t *e) {
  errs_t *x = ud;
  if (x->n == 0 && e->raw)
    memcpy(x->first, e->raw, e->raw_len < 64 ? e->raw_len : 64);
  x->seqs[x->n] = e->seq;
  x->lens[x->n] = e->raw_len;
  x->n++;
  assert_int_equal(e->partition, -1);
  return 0;
}

static void test_rejects_are_idempotent_and_complete_the_job(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  int64_t id = new_job(f, "bad.mrc");
  assert_int_equal(mp_job_set_status(f->c, id, MP_JOB_PRODUCING, f->err, sizeof f->err), 0);
  static const char raw1[] = "00012xx\x1e\x00\t'\\";
  mp_job_reject_t rj[2] = {
      {.seq = 2, .file_offset = 100, .error_class = "MP_ELEADER",
       .reason = "bad.mrc: record 2 at byte 100: invalid leader", .raw = raw1,
       .raw_len = sizeof raw1 - 1},
      {.seq = 5, .file_offset = 900, .error_class = "MP_ETRUNCATED",
       .reason = "bad.mrc: record 5 at byte 900: truncated", .raw = NULL},
  };
  size_t ins = 0;
  assert_int_equal(mp_job_reject(f->c, id, rj, 2, &ins, f->err, sizeof f->err), 0);
  assert_int_equal(ins, 2);
  assert_int_equal(mp_job_reject(f->c, id, rj, 2, &ins, f->err, sizeof f->err), 0);
  assert_int_equal(ins, 0);
  int64_t processed = -1;
  assert_int_equal(mp_job_processed(f->c, id, &processed, f->err, sizeof f->err), 0);
  assert_int_equal(processed, 2);
  errs_t x = {0};
  assert_int_equal(mp_job_errors(f->c, id, collect, &x, f->err, sizeof f->err), 0);
  assert_int_equal(x.n, 2);
  assert_int_equal(x.seqs[0], 2);
  assert_int_equal(x.seqs[1], 5);
  assert_int_equal(x.lens[0], sizeof raw1 - 1);
  assert_int_equal(x.lens[1], 0);
  assert_memory_equal(x.first, raw1, sizeof raw1 - 1);
  /* every record was rejected: setting total = 2 completes the job */
  bool done = false;
  assert_int_equal(mp_job_set_total(f->c, id, 2, &done, f->err, sizeof f->err), 0);
  assert_true(done);
  mp_job_summary_t s;
  assert_int_equal(mp_job_get(f->c, id, &s, f->err, sizeof f->err), 0);
  assert_string_equal(mp_job_status_name(s.status), "COMPLETED_WITH_ERRORS");
  assert_int_equal(s.errors, 2);
  assert_int_equal(s.processed, 2);
  /* a completed job cannot be failed or moved back */
  assert_int_equal(mp_job_fail(f->c, id, "late", f->err, sizeof f->err), 0);
  assert_int_equal(mp_job_set_status(f->c, id, MP_JOB_PRODUCING, f->err, sizeof f->err), 0);
  assert_int_equal(mp_job_get(f->c, id, &s, f->err, sizeof f->err), 0);
  assert_string_equal(mp_job_status_name(s.status), "COMPLETED_WITH_ERRORS");
}

static void test_fail_and_list(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  int64_t a = new_job(f, "a.mrc");
  int64_t b = new_job(f, "b.mrc");
  assert_int_equal(mp_job_fail(f->c, a, "partition 3: offsets 10..20 lost", f->err,
                               sizeof f->err), 0);
  assert_int_equal(mp_job_fail(f->c, b + 99, "x", f->err, sizeof f->err), MP_ENOTFOUND);
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  assert_int_equal(mp_job_list(f->c, 0, &v, &n, f->err, sizeof f->err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(v[0].id, b); /* newest first */
  assert_string_equal(mp_job_status_name(v[1].status), "FAILED");
  assert_string_equal(v[1].failure_reason, "partition 3: offsets 10..20 lost");
  free(v);
  assert_int_equal(mp_job_list(f->c, 1, &v, &n, f->err, sizeof f->err), 0);
  assert_int_equal(n, 1);
  free(v);
  bool done = true;
  assert_int_equal(mp_job_set_total(f->c, a, 0, &done, f->err, sizeof f->err), 0);
  assert_false(done); /* FAILED stays FAILED */
}

static void test_conninfo_masking(void **state) {
  char out[256];
  mp_pg_mask_conninfo("host=db password=s3cr3t user=u", out, sizeof out);
  assert_string_equal(out, "host=db password=*** user=u");
  mp_pg_mask_conninfo("password = 'a b\\' c' dbname=x", out, sizeof out);
  assert_string_equal(out, "password = *** dbname=x");
  mp_pg_mask_conninfo("postgresql://bob:hunter2@h:5/db?password=zz&sslmode=require", out,
                      sizeof out);
  assert_string_equal(out, "postgresql://bob:***@h:5/db?password=***&sslmode=require");
  mp_pg_mask_conninfo("host=/tmp/x", out, sizeof out);
  assert_string_equal(out, "host=/tmp/x");
  /* every secret keyword, not only password; passfile is a path */
  mp_pg_mask_conninfo("host=h sslpassword=S3cret sslkey=/k passfile=/p", out, sizeof out);
  assert_string_equal(out, "host=h sslpassword=*** sslkey=/k passfile=/p");
  mp_pg_mask_conninfo("postgresql://h/db?sslpassword=S3cret&password=x", out, sizeof out);
  assert_string_equal(out, "postgresql://h/db?sslpassword=***&password=***");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_job_lifecycle_and_summary, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejects_are_idempotent_and_complete_the_job, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_fail_and_list, setup, teardown),
      cmocka_unit_test(test_conninfo_masking),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
