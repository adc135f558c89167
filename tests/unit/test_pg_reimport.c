/* test_pg_reimport.c: re-import without duplicates (match and overlay
 * profiles, schemas/profiles/README.md) through the batch sink against a
 * real PostgreSQL (skipped only when PGHOST is unset). Each test uses its
 * own tenant; jobs carry their profile as jobs.profile does in production. */
#include "pgsink.h"
#include "testutil.h"

#include "marcpipe/job.h"
#include "marcpipe/mapping.h"
#include "marcpipe/profile.h"
#include "marcpipe/sink.h"

#include <pthread.h>

#define LC_FILE "iso2709/mrrctestbed--bibliographic-sample.mrc" /* 386, UTF-8 */
#define LC_COUNT 386

typedef struct {
  pgt_sinkfx_t x; /* tenant, checking connection, mapping, sink */
  char *data; /* the LC file */
  size_t len;
} fx_t;

static mp_sink_t *open_sink(fx_t *f, int latency_ms) {
  return pgt_open_sink(f->x.tenant, f->x.map, latency_ms);
}

static int setup(void **state) {
  if (!pgt_available())
    return 0;
  fx_t *f = calloc(1, sizeof *f);
  pgt_sinkfx_open(&f->x);
  f->data = tu_slurp(tu_data(LC_FILE), &f->len);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (!f)
    return 0;
  pgt_sinkfx_close(&f->x);
  free(f->data);
  free(f);
  return 0;
}

/* A job carrying profile (JSON text or NULL = default). */
static int64_t new_job(fx_t *f, const char *profile) {
  mp_job_spec_t spec = {.file_name = "t.mrc", .file_format = "iso2709", .topic = "tp",
                        .profile = profile};
  int64_t id = 0;
  char err[512];
  if (mp_job_create(f->x.c, &spec, &id, err, sizeof err))
    fail_msg("job: %s", err);
  return id;
}

/* Messages of the records in data as one partition would carry them. */
static size_t split(const char *data, size_t len, int64_t job, mp_sink_rec_t *recs,
                    size_t max) {
  return pgt_split(data, len, job, 1, recs, max);
}

/* Write recs in batches; a deadlock or serialization failure between
 * concurrent sinks is MP_ETRANSIENT and the batch is retried, as the
 * worker does. Returns the summed outcome counts. */
static mp_sink_result_t write_all(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                                  size_t batch) {
  mp_sink_result_t sum;
  memset(&sum, 0, sizeof sum);
  for (size_t i = 0; i < n; i += batch) {
    size_t k = n - i < batch ? n - i : batch;
    mp_sink_result_t res;
    int rc, tries = 0;
    while ((rc = mp_sink_write_batch(s, recs + i, k, &res)) == MP_ETRANSIENT && ++tries < 20)
      usleep(10000);
    if (rc)
      fail_msg("batch at %zu: %s: %s", i, mp_err_name(rc), res.errmsg);
    sum.created += res.created;
    sum.updated += res.updated;
    sum.duplicates += res.duplicates;
    sum.skipped += res.skipped;
    sum.errors += res.errors;
    sum.replayed += res.replayed;
  }
  return sum;
}

static long long qj(fx_t *f, const char *fmt, int64_t job) {
  char sql[600];
  snprintf(sql, sizeof sql, fmt, (long long)job);
  return pgt_num(f->x.c, sql);
}

static mp_job_summary_t summary(fx_t *f, int64_t job) {
  mp_job_summary_t s;
  char err[512];
  if (mp_job_get(f->x.c, job, &s, err, sizeof err))
    fail_msg("job get: %s", err);
  return s;
}

/* The LC file twice with the default profile: the second job creates
 * nothing, every record is a DUPLICATE (identical bytes), no version moves;
 * then skip-existing skips them all; then the file with one 245 edited
 * changes exactly one Instance, and redelivering that job changes nothing. */
static void test_reimport_twice_skip_and_one_edit(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_rec_t *recs = calloc(LC_COUNT, sizeof *recs);
  int64_t j1 = new_job(f, NULL);
  size_t n = split(f->data, f->len, j1, recs, LC_COUNT);
  assert_int_equal(n, LC_COUNT);
  mp_sink_result_t r1 = write_all(f->x.sink, recs, n, 100);
  assert_int_equal(r1.errors, 0);
  assert_int_equal(r1.created + r1.updated + r1.duplicates + r1.skipped, LC_COUNT);
  long long inst = pgt_num(f->x.c, "SELECT count(*) FROM instances");
  assert_int_equal(inst, r1.created);
  long long versions = pgt_num(f->x.c, "SELECT sum(version) FROM instances");

  int64_t j2 = new_job(f, NULL);
  split(f->data, f->len, j2, recs, LC_COUNT);
  mp_sink_result_t r2 = write_all(f->x.sink, recs, n, 100);
  assert_int_equal(r2.created, 0);
  assert_int_equal(r2.updated, 0);
  assert_int_equal(r2.duplicates, r1.created + r1.updated + r1.duplicates);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), inst);
  assert_int_equal(pgt_num(f->x.c, "SELECT sum(version) FROM instances"), versions);
  mp_job_summary_t s2 = summary(f, j2);
  assert_int_equal(s2.duplicates, r2.duplicates);
  assert_int_equal(s2.processed, LC_COUNT);
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "outcome = 'DUPLICATE' AND instance_id IS NOT NULL", j2),
                   r2.duplicates);

  char err[512];
  mp_profile_t skip;
  setenv("MARCPIPE_SCHEMAS", tu_schema(""), 1);
  assert_int_equal(mp_profile_load("skip-existing", &skip, err, sizeof err), 0);
  char *skip_json = mp_profile_to_json(&skip);
  int64_t j3 = new_job(f, skip_json);
  free(skip_json);
  split(f->data, f->len, j3, recs, LC_COUNT);
  mp_sink_result_t r3 = write_all(f->x.sink, recs, n, 100);
  assert_int_equal(r3.skipped, LC_COUNT);
  assert_int_equal(r3.created + r3.updated + r3.duplicates, 0);
  mp_job_summary_t s3 = summary(f, j3);
  assert_int_equal(s3.skipped_matched, r1.created + r1.updated + r1.duplicates);
  assert_int_equal(s3.skipped_no_match, 0);
  assert_non_null(strstr(s3.profile, "skip"));
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "error_class = 'matched' AND instance_id IS NOT NULL", j3),
                   s3.skipped_matched);
  assert_int_equal(qj(f, "SELECT count(*) FROM source_records WHERE job_id = %lld", j3), 0);
  assert_int_equal(pgt_num(f->x.c, "SELECT sum(version) FROM instances"), versions);

  /* edit one letter of the 245 of record 100 (its own 001) */
  char *copy = malloc(f->len);
  memcpy(copy, f->data, f->len);
  int64_t j4 = new_job(f, NULL);
  split(copy, f->len, j4, recs, LC_COUNT);
  char *rec = (char *)recs[99].value;
  size_t base = (size_t)strtoul((char[6]){rec[12], rec[13], rec[14], rec[15], rec[16], 0},
                                NULL, 10);
  char *dir = rec + 24, *t245 = NULL;
  for (; *dir != 0x1E; dir += 12)
    if (!memcmp(dir, "245", 3))
      t245 = rec + base + strtoul((char[6]){dir[7], dir[8], dir[9], dir[10], dir[11], 0},
                                  NULL, 10);
  assert_non_null(t245);
  char *letter = t245 + 4; /* indicators, \x1f a, then the title */
  while (!(*letter >= 'a' && *letter <= 'z'))
    letter++;
  *letter = *letter == 'x' ? 'y' : 'x';
  mp_sink_result_t r4 = write_all(f->x.sink, recs, n, 100);
  assert_int_equal(r4.updated, 1);
  assert_int_equal(r4.created, 0);
  assert_int_equal(r4.duplicates, r2.duplicates - 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), inst);
  assert_int_equal(pgt_num(f->x.c, "SELECT sum(version) FROM instances"), versions + 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM instances WHERE source_job = %lld", j4), 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM instances i JOIN journal j ON "
                         "j.instance_id = i.id AND j.job_id = %lld AND j.seq = 100 "
                         "AND j.outcome = 'UPDATED' WHERE i.version = 2 AND "
                         "i.source_seq = 100 AND i.id = (SELECT instance_id FROM journal "
                         "WHERE job_id = " "(SELECT min(id) FROM jobs) AND seq = 100)", j4),
                   1);
  /* the stored title is the edited one */
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM instances WHERE source_job = %lld AND "
           "position('%.*s' IN instance::text) > 0", (long long)j4, 3, letter - 1);
  assert_int_equal(pgt_num(f->x.c, sql), 1);
  /* redelivery of the whole job: all replayed, no second version */
  mp_sink_result_t r5 = write_all(f->x.sink, recs, n, 100);
  assert_int_equal(r5.replayed, LC_COUNT);
  assert_int_equal(pgt_num(f->x.c, "SELECT sum(version) FROM instances"), versions + 1);
  free(copy);
  free(recs);
}

/* One serial split into 9 records with the same 001 (SOURCES.md): one
 * Instance, the last version wins, the journal shows the sequence, also
 * when the records come in several batches. */
static void test_same_001_in_nine_records(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  size_t len = 0;
  char *data = tu_slurp(tu_data("iso2709/stanfordsolrmarc--3195846.mrc"), &len);
  mp_sink_rec_t recs[16];
  size_t batches[] = {9, 4};
  for (int round = 0; round < 2; round++) {
    int64_t job = new_job(f, NULL);
    size_t n = split(data, len, job, recs, 16);
    assert_int_equal(n, 9);
    mp_sink_result_t r = write_all(f->x.sink, recs, n, batches[round]);
    assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 1);
    assert_int_equal(qj(f, "SELECT count(DISTINCT instance_id) FROM journal WHERE "
                           "job_id = %lld", job), 1);
    assert_int_equal(qj(f, "SELECT count(*) FROM instances WHERE source_job = %lld AND "
                           "source_seq = 9", job), 1);
    assert_int_equal(qj(f, "SELECT count(*) FROM instances i JOIN source_records s ON "
                           "s.job_id = %lld AND s.seq = 9 WHERE i.content_hash = md5(s.raw)",
                        job), 1);
    if (round == 0) {
      /* CREATED, then one UPDATED per record differing from its
       * predecessor; the version counts them */
      assert_int_equal(r.created, 1);
      assert_int_equal(r.created + r.updated + r.duplicates, 9);
      assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND seq = 1 "
                             "AND outcome = 'CREATED'", job), 1);
      assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances"), 1 + r.updated);
      assert_true(r.updated >= 1);
    } else {
      /* the file again: record 1 differs from the stored record 9, each
       * next one from its predecessor as in round 0 */
      assert_int_equal(r.created, 0);
      assert_int_equal(r.created + r.updated + r.duplicates, 9);
    }
  }
  free(data);
}

/* Synthetic record with 001 and one 035 $a. */
static size_t marc_035(char *buf, size_t cap, const char *id, const char *oclc,
                       const char *title) {
  char f035[200], f245[200];
  snprintf(f035, sizeof f035, "  \x1f" "a%s", oclc);
  snprintf(f245, sizeof f245, "10\x1f" "a%s", title);
  return pgt_marc(buf, cap, 'a', "001", id, "035", f035, "245", f245, (const char *)NULL);
}

static mp_sink_result_t write_one(fx_t *f, int64_t job, const char *buf, size_t len) {
  mp_sink_rec_t r = {.topic = "tp", .partition = 0, .offset = job, .job_id = job, .seq = 1,
                     .key = "", .key_len = 0, .value = buf, .value_len = len,
                     .content_type = MP_CT_ISO2709};
  return write_all(f->x.sink, &r, 1, 1);
}

/* OCLC numbers in differently formatted 035s match with --match 035; a
 * 001-only profile creates instead; two Instances holding the number make
 * a multiple-match ERROR naming both. */
static void test_match_on_oclc_number(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  char a[600], b[600];
  size_t la = marc_035(a, sizeof a, "a1", "(OCoLC)ocm00012345", "First title");
  size_t lb = marc_035(b, sizeof b, "b2", "(OCoLC)12345", "Second title");
  mp_sink_result_t r = write_one(f, new_job(f, NULL), a, la);
  assert_int_equal(r.created, 1);
  char *id1 = pgt_str(f->x.c, "SELECT id::text FROM instances");
  char *hrid1 = pgt_str(f->x.c, "SELECT coalesce(hrid, '') FROM instances");

  int64_t j2 = new_job(f, "{\"match\":[\"035\"]}");
  r = write_one(f, j2, b, lb);
  assert_int_equal(r.updated, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 1);
  char *id2 = pgt_str(f->x.c, "SELECT id::text FROM instances");
  char *hrid2 = pgt_str(f->x.c, "SELECT coalesce(hrid, '') FROM instances");
  assert_string_equal(id1, id2);
  assert_string_equal(hrid1, hrid2);
  assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances"), 2);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances WHERE "
                                 "instance::text LIKE '%Second title%'"), 1);
  /* the keys are those of the new version: control b2 */
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instance_keys WHERE "
                                 "kind = 'control' AND value = 'b2'"), 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instance_keys WHERE "
                                 "kind = 'oclc' AND value = '12345'"), 1);

  /* --match 001: the Instance first created for a1 still claims that
   * primary key (instances.match_key) although its 001 is b2 now */
  int64_t j3 = new_job(f, "{\"match\":[\"001\"]}");
  r = write_one(f, j3, a, la);
  assert_int_equal(r.updated, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances"), 3);
  /* create-always: a second Instance with OCLC 12345, claiming no key */
  r = write_one(f, new_job(f, "{\"match\":[\"none\"],\"on_match\":\"create\"}"), a, la);
  assert_int_equal(r.created, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 2);

  /* two Instances hold OCLC 12345 now: never guess */
  int64_t j4 = new_job(f, "{\"match\":[\"035\"]}");
  r = write_one(f, j4, b, lb);
  assert_int_equal(r.errors, 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "outcome = 'ERROR' AND error_class = 'multiple-match'", j4), 1);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT reason FROM journal WHERE job_id = %lld", (long long)j4);
  char *reason = pgt_str(f->x.c, sql);
  assert_non_null(strstr(reason, id1));
  char *other = pgt_str(f->x.c, "SELECT id::text FROM instances WHERE version = 1");
  assert_non_null(strstr(reason, other));
  assert_non_null(strstr(reason, "2 Instances match on oclc"));
  assert_int_equal(pgt_num(f->x.c, "SELECT sum(version) FROM instances"), 4);

  /* on_no_match skip: an unknown OCLC number is skipped, counted apart */
  char c[600];
  size_t lc = marc_035(c, sizeof c, "c3", "(OCoLC)999", "Third");
  int64_t j5 = new_job(f, "{\"match\":[\"035\"],\"on_no_match\":\"skip\"}");
  r = write_one(f, j5, c, lc);
  assert_int_equal(r.skipped, 1);
  assert_int_equal(summary(f, j5).skipped_no_match, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 2);
  free(id1), free(id2), free(hrid1), free(hrid2), free(reason), free(other);
}

typedef struct {
  fx_t *f;
  mp_sink_t *sink;
  const mp_sink_rec_t *recs;
  size_t n;
  mp_sink_result_t res;
} imp_arg_t;

static void *import_thread(void *p) {
  imp_arg_t *a = p;
  a->res = write_all(a->sink, a->recs, a->n, 25);
  return NULL;
}

/* Two jobs importing overlapping parts of the file at the same time
 * through two sinks (two connections): one Instance per record; each
 * record of the overlap is CREATED by exactly one job and a DUPLICATE in
 * the other (its create lost the race and became an update, or it found
 * the committed Instance). */
static void test_concurrent_jobs_make_no_duplicates(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  const char *prof = "{\"match\":[\"001\"]}";
  int64_t ja = new_job(f, prof), jb = new_job(f, prof);
  mp_sink_rec_t *a = calloc(LC_COUNT, sizeof *a), *b = calloc(LC_COUNT, sizeof *b);
  size_t n = split(f->data, f->len, ja, a, LC_COUNT);
  split(f->data, f->len, jb, b, LC_COUNT);
  assert_int_equal(n, LC_COUNT);
  /* job A: records 1..300, job B: records 51..386 */
  mp_sink_t *second = open_sink(f, 5);
  imp_arg_t args[2] = {{f, f->x.sink, a, 300, {0}}, {f, second, b + 50, LC_COUNT - 50, {0}}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, import_thread, &args[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  mp_sink_close(second);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), LC_COUNT);
  assert_int_equal(args[0].res.created + args[1].res.created, LC_COUNT);
  assert_int_equal(args[0].res.duplicates + args[1].res.duplicates, 250);
  assert_int_equal(args[0].res.updated + args[1].res.updated, 0);
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT match_key FROM journal WHERE "
           "job_id IN (%lld, %lld) GROUP BY match_key HAVING count(*) "
           "FILTER (WHERE outcome = 'CREATED') <> 1) x", (long long)ja, (long long)jb);
  assert_int_equal(pgt_num(f->x.c, sql), 0);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM (SELECT value FROM instance_keys "
                                 "WHERE kind = 'control' GROUP BY value "
                                 "HAVING count(*) > 1) x"), 0);
  assert_int_equal(pgt_num(f->x.c, "SELECT max(version) FROM instances"), 1);
  free(a);
  free(b);
}

typedef struct {
  fx_t *f;
  mp_sink_t *sink;
  mp_sink_rec_t rec;
  mp_sink_result_t res;
} race_arg_t;

static void *race_thread(void *p) {
  race_arg_t *a = p;
  a->res = write_all(a->sink, &a->rec, 1, 1);
  return NULL;
}

/* A forced race: job A's sink has inserted the Instance of x1 and holds
 * its transaction open (latency); job B's sink then resolves x1 against
 * the committed state (no match), tries to create it, waits on the unique
 * match key, and its create becomes an update when A commits. */
static void test_lost_create_race_becomes_update(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  char a[600], b[600];
  size_t la = marc_035(a, sizeof a, "x1", "(OCoLC)1", "Version one");
  size_t lb = marc_035(b, sizeof b, "x1", "(OCoLC)1", "Version two");
  int64_t ja = new_job(f, NULL), jb = new_job(f, NULL);
  mp_sink_t *slow = open_sink(f, 1500);
  race_arg_t ra = {f, slow, {.topic = "tp", .partition = 0, .offset = 0, .job_id = ja,
                             .seq = 1, .key = "x1", .key_len = 2, .value = a,
                             .value_len = la, .content_type = MP_CT_ISO2709}, {0}};
  pthread_t th;
  pthread_create(&th, NULL, race_thread, &ra);
  usleep(500000);
  mp_sink_rec_t rb = {.topic = "tp", .partition = 1, .offset = 0, .job_id = jb, .seq = 1,
                      .key = "x1", .key_len = 2, .value = b, .value_len = lb,
                      .content_type = MP_CT_ISO2709};
  mp_sink_result_t res = write_all(f->x.sink, &rb, 1, 1);
  pthread_join(th, NULL);
  mp_sink_close(slow);
  assert_int_equal(ra.res.created, 1);
  assert_int_equal(res.updated, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances"), 2);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances WHERE "
                                 "instance::text LIKE '%Version two%'"), 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "outcome = 'UPDATED'", jb), 1);
  assert_int_equal(summary(f, jb).updated, 1);
  assert_int_equal(summary(f, jb).created, 0);
}

/* create-always: every record makes a new Instance claiming no key; a
 * later default import then finds several candidates and says so. */
static void test_create_always_then_default_is_multiple_match(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  char a[600];
  size_t la = marc_035(a, sizeof a, "z9", "(OCoLC)777", "Same");
  assert_int_equal(write_one(f, new_job(f, NULL), a, la).created, 1);
  const char *always = "{\"match\":[\"none\"],\"on_match\":\"create\"}";
  assert_int_equal(write_one(f, new_job(f, always), a, la).created, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"), 2);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances WHERE match_key IS NULL"), 1);
  int64_t j = new_job(f, NULL);
  assert_int_equal(write_one(f, j, a, la).errors, 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "error_class = 'multiple-match' AND reason LIKE "
                         "'%%2 Instances match on control%%'", j), 1);
  /* an invalid profile in a job row (written around the API) is data:
   * its records are journaled as errors naming the bad value */
  int64_t bad = new_job(f, NULL);
  char sql[200];
  snprintf(sql, sizeof sql, "UPDATE jobs SET profile = '{\"on_match\":\"merge\"}' "
           "WHERE id = %lld", (long long)bad);
  PQclear(PQexec(f->x.c, sql));
  assert_int_equal(write_one(f, bad, a, la).errors, 1);
  assert_int_equal(qj(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND "
                         "reason LIKE '%%''merge''%%'", bad), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reimport_twice_skip_and_one_edit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_001_in_nine_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_match_on_oclc_number, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_jobs_make_no_duplicates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lost_create_race_becomes_update, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_always_then_default_is_multiple_match,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
