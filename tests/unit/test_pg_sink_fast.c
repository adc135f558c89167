/* test_pg_sink_fast.c: the sink's fast path (src/pg/sink_fast.c) writes
 * what the staged path writes. The same batches go to two tenants: one
 * sink as configured (fast path for batches of new records), one with
 * MP_SINK_FORCE_STAGED=1 (every batch staged); then every table the sink
 * writes is compared row for row (timestamps aside). Skipped without
 * PostgreSQL (PGHOST unset). */
#include "pgsink.h"
#include "testutil.h"

#include "marcpipe/job.h"
#include "marcpipe/mapping.h"
#include "marcpipe/sink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { FAST = 0, STAGED = 1, MAXR = 1000 };

typedef struct {
  char tenant[40];
  PGconn *c;
  mp_sink_t *sink;
} side_t;

typedef struct {
  mp_mapping_t *map;
  side_t side[2];
  int64_t job;
  char bufs[16][2048]; /* synthetic records */
  size_t nbufs;
} fx_t;

static int64_t new_job(fx_t *f, const char *name) {
  int64_t id[2];
  char err[512];
  for (int k = 0; k < 2; k++) {
    mp_job_spec_t spec = {.file_name = name, .file_format = "iso2709", .topic = "tp"};
    assert_int_equal(mp_job_create(f->side[k].c, &spec, &id[k], err, sizeof err), 0);
    assert_int_equal(mp_job_set_status(f->side[k].c, id[k], MP_JOB_PRODUCING, err, sizeof err), 0);
  }
  assert_int_equal(id[0], id[1]); /* fresh schemas number jobs alike */
  return id[0];
}

/* A sink on tenant; staged: MP_SINK_FORCE_STAGED=1 while it opens. */
static mp_sink_t *open_sink(const char *tenant, const mp_mapping_t *map, bool staged,
                            int latency_ms) {
  if (staged)
    setenv("MP_SINK_FORCE_STAGED", "1", 1);
  mp_sink_t *s = pgt_open_sink(tenant, map, latency_ms);
  unsetenv("MP_SINK_FORCE_STAGED");
  return s;
}

static int setup(void **state) {
  if (!pgt_available())
    return 0;
  fx_t *f = calloc(1, sizeof *f);
  char err[512];
  f->map = mp_mapping_load(NULL, NULL, err, sizeof err);
  if (!f->map)
    fail_msg("mapping: %s", err);
  for (int k = 0; k < 2; k++) {
    side_t *s = &f->side[k];
    pgt_tenant(s->tenant, sizeof s->tenant);
    s->c = pgt_connect(s->tenant);
    s->sink = open_sink(s->tenant, f->map, k == STAGED, 0);
  }
  f->job = new_job(f, "t.mrc");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (!f)
    return 0;
  for (int k = 0; k < 2; k++) {
    mp_sink_close(f->side[k].sink);
    PQfinish(f->side[k].c);
  }
  mp_mapping_free(f->map);
  free(f);
  return 0;
}

/* A synthetic bibliographic record: 001 id, 245 $a title (NULL: no 245,
 * which the mapping refuses: an ERROR outcome), and an 035 $a when oclc
 * is set. */
static mp_sink_rec_t synth_oclc(fx_t *f, int64_t job, int64_t seq, const char *id,
                                const char *title, const char *oclc) {
  assert_true(f->nbufs < 16);
  char *b = f->bufs[f->nbufs++], f245[300], f035[100];
  snprintf(f245, sizeof f245, "10\x1f" "a%s", title ? title : "");
  snprintf(f035, sizeof f035, "  \x1f" "a%s", oclc ? oclc : "");
  const char *t = title ? "245" : "500", *v = title ? f245 : "  \x1f" "ano title";
  size_t len = oclc ? pgt_marc(b, 2048, 'a', "001", id, "035", f035, t, v, (const char *)NULL)
                    : pgt_marc(b, 2048, 'a', "001", id, t, v, (const char *)NULL);
  return (mp_sink_rec_t){.topic = "tp", .partition = (int32_t)(seq % 2), .offset = seq,
                         .job_id = job, .seq = seq, .key = id, .key_len = strlen(id),
                         .value = b, .value_len = len, .content_type = MP_CT_ISO2709,
                         .cluster_id = "cl-1"};
}

static mp_sink_rec_t synth(fx_t *f, int64_t job, int64_t seq, const char *id,
                           const char *title) {
  return synth_oclc(f, job, seq, id, title, NULL);
}

/* Every table the sink writes, timestamps aside, one digest per table. */
static const char *const tables[][2] = {
    {"instances", "SELECT id, hrid, match_key, instance, source_job, source_seq,"
                  " version, content_hash FROM instances"},
    {"instance_keys", "SELECT * FROM instance_keys"},
    {"source_records", "SELECT job_id, seq, match_key, content_type, raw, parsed,"
                       " content_hash FROM source_records"},
    {"journal", "SELECT job_id, seq, partition, kafka_offset, outcome, instance_id,"
                " match_key, error_class, reason, file_offset, raw, match_kind,"
                " match_value, family, record_id FROM journal"},
    {"job_progress", "SELECT job_id, partition, processed, created, updated,"
                     " duplicates, skipped, errors, skipped_matched, skipped_no_match,"
                     " holdings, authorities, holdings_waiting FROM job_progress"},
    {"kafka_offsets", "SELECT group_id, topic, partition, next_offset, cluster_id,"
                      " last_job, last_seq FROM kafka_offsets"},
    {"jobs", "SELECT id, status, total FROM jobs"},
    {"holdings", "SELECT id, hrid, match_key, instance_key, instance_id, holdings,"
                 " source_job, source_seq, version, content_hash FROM holdings"},
    {"authorities", "SELECT id, match_key, lccn, authority, source_job, source_seq,"
                    " version, content_hash FROM authorities"},
};
enum { NTABLES = sizeof tables / sizeof tables[0] };

static char *digest(PGconn *c, const char *select) {
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|'"
           " ORDER BY t::text), '')) FROM (%s) t", select);
  return pgt_str(c, sql);
}

/* The digests of one side, in table order. */
static void digests(fx_t *f, int k, char *out[NTABLES]) {
  for (int t = 0; t < NTABLES; t++)
    out[t] = digest(f->side[k].c, tables[t][1]);
}

static void free_digests(char *d[NTABLES]) {
  for (int t = 0; t < NTABLES; t++)
    free(d[t]);
}

/* Both tenants hold the same rows in every table. */
static void assert_same_rows(fx_t *f) {
  char *a[NTABLES], *b[NTABLES];
  digests(f, FAST, a);
  digests(f, STAGED, b);
  for (int t = 0; t < NTABLES; t++)
    if (strcmp(a[t], b[t]))
      fail_msg("%s differs: fast path %s, staged path %s", tables[t][0],
               a[t], b[t]);
  free_digests(a);
  free_digests(b);
}

typedef struct {
  uint64_t created, updated, duplicates, skipped, errors, replayed, direct, completed;
} sum_t;

/* Write recs in batches of `batch` on side k, adding the results up. The
 * ERROR outcomes each batch reports are compared with the other side's
 * through the journal (index -> seq). */
static sum_t write_all(fx_t *f, int k, const mp_sink_rec_t *recs, size_t n, size_t batch) {
  sum_t s = {0};
  for (size_t i = 0; i < n; i += batch) {
    size_t m = n - i < batch ? n - i : batch;
    mp_sink_result_t res;
    int rc = mp_sink_write_batch(f->side[k].sink, recs + i, m, &res);
    if (rc)
      fail_msg("batch at %zu: %s: %s", i, mp_err_name(rc), res.errmsg);
    s.created += res.created;
    s.updated += res.updated;
    s.duplicates += res.duplicates;
    s.skipped += res.skipped;
    s.errors += res.errors;
    s.replayed += res.replayed;
    s.direct += res.direct;
    s.completed += (uint64_t)res.ncompleted;
    assert_int_equal(res.nerror_recs, res.errors);
    for (size_t e = 0; e < res.nerror_recs; e++) {
      const mp_sink_error_t *er = &res.error_recs[e];
      assert_true(er->index < m);
      char sql[256];
      snprintf(sql, sizeof sql, "SELECT reason FROM journal WHERE job_id = %lld AND"
               " seq = %lld AND outcome = 'ERROR' AND error_class = '%s'",
               (long long)recs[i + er->index].job_id, (long long)recs[i + er->index].seq,
               er->error_class);
      char *reason = pgt_str(f->side[k].c, sql);
      assert_string_equal(reason, er->reason);
      free(reason);
    }
  }
  return s;
}

static void assert_same_counts(const sum_t *a, const sum_t *b) {
  assert_int_equal(a->created, b->created);
  assert_int_equal(a->updated, b->updated);
  assert_int_equal(a->duplicates, b->duplicates);
  assert_int_equal(a->skipped, b->skipped);
  assert_int_equal(a->errors, b->errors);
  assert_int_equal(a->replayed, b->replayed);
  assert_int_equal(a->completed, b->completed);
}

static long long num(fx_t *f, int k, const char *sql) { return pgt_num(f->side[k].c, sql); }

/* A real file in batches of 40, with a record the mapping refuses in the
 * first batch (fast, with an ERROR outcome); replays; the file again as a
 * second job (every record matches: staged). */
static void test_real_file_same_rows_both_paths_and_replay_is_noop(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  size_t len = 0;
  char *data = tu_slurp(tu_data("iso2709/mrrctestbed--bibliographic-sample.mrc"), &len);
  mp_sink_rec_t *recs = calloc(MAXR, sizeof *recs);
  recs[0] = synth(f, f->job, 1, "nt-1", NULL);
  size_t n = 1 + pgt_split(data, len, f->job, 3, recs + 1, MAXR - 1);
  assert_int_equal(n, 387);
  for (size_t i = 0; i < n; i++) { /* one numbering over the whole input */
    recs[i].seq = (int64_t)i + 1;
    recs[i].partition = (int32_t)(i % 3);
    recs[i].offset = (int64_t)(i / 3);
  }
  char err[512];
  bool done = true;
  for (int k = 0; k < 2; k++) {
    assert_int_equal(mp_job_set_total(f->side[k].c, f->job, (int64_t)n, &done, err,
                                      sizeof err), 0);
    assert_false(done);
  }
  sum_t fast = write_all(f, FAST, recs, n, 40);
  sum_t staged = write_all(f, STAGED, recs, n, 40);
  assert_same_counts(&fast, &staged);
  assert_int_equal(fast.created + fast.updated + fast.duplicates + fast.skipped + fast.errors,
                   n);
  assert_true(fast.errors >= 1);  /* the record without a title, at least */
  assert_int_equal(fast.completed, 1);
  assert_int_equal(staged.direct, 0);
  /* no record of the file repeats a key of another: every batch is new */
  assert_int_equal(fast.direct, n);
  assert_same_rows(f);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM journal WHERE seq = 1 AND outcome ="
                                " 'ERROR' AND error_class = 'MP_EMAPPING' AND raw IS NOT NULL"),
                   1);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM source_records WHERE seq = 1"), 0);
  assert_int_equal(num(f, FAST, "SELECT sum(processed) FROM job_progress"), (long long)n);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM jobs WHERE status LIKE 'COMPLETED%'"), 1);

  /* re-delivery of committed batches: nothing changes on either side */
  char *before[NTABLES], *after[NTABLES];
  digests(f, FAST, before);
  for (int k = 0; k < 2; k++) {
    sum_t again = write_all(f, k, recs, n, 40);
    assert_int_equal(again.replayed, n);
    assert_int_equal(again.created + again.updated + again.duplicates + again.errors, 0);
    assert_int_equal(again.direct, 0);
    assert_int_equal(again.completed, 0);
  }
  digests(f, FAST, after);
  for (int t = 0; t < NTABLES; t++)
    assert_string_equal(before[t], after[t]);
  free_digests(before);
  free_digests(after);
  assert_same_rows(f);

  /* the same file as a second job: every record matches an Instance the
   * first wrote (fast on one side, staged on the other): staged, and the
   * stored content hashes make each a DUPLICATE */
  int64_t job2 = new_job(f, "again.mrc");
  for (size_t i = 0; i < n; i++) {
    recs[i].job_id = job2;
    recs[i].offset += (int64_t)n;
  }
  fast = write_all(f, FAST, recs, n, 40);
  staged = write_all(f, STAGED, recs, n, 40);
  assert_same_counts(&fast, &staged);
  assert_int_equal(fast.direct, 0);
  assert_int_equal(fast.duplicates, n - fast.errors);
  assert_same_rows(f);
  free(recs);
  free(data);
}

/* New records go fast; a batch mixing new records with ones matching
 * stored Instances (same bytes: DUPLICATE, new title: UPDATED) is staged,
 * and so is a batch of new records sharing a 001; rows stay the same. */
static void test_mixed_and_conflicting_batches_are_staged(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_rec_t first[4] = {synth(f, f->job, 1, "m-1", "One"), synth(f, f->job, 2, "m-2", "Two"),
                            synth(f, f->job, 3, "m-3", "Three"),
                            synth(f, f->job, 4, "m-4", "Four")};
  sum_t s[2];
  for (int k = 0; k < 2; k++)
    s[k] = write_all(f, k, first, 4, 4);
  assert_same_counts(&s[FAST], &s[STAGED]);
  assert_int_equal(s[FAST].created, 4);
  assert_int_equal(s[FAST].direct, 4);
  assert_same_rows(f);

  int64_t job2 = new_job(f, "u.mrc");
  mp_sink_rec_t mixed[5] = {synth(f, job2, 1, "m-1", "One"),     /* DUPLICATE */
                            synth(f, job2, 2, "m-2", "Two, again"), /* UPDATED */
                            synth(f, job2, 3, "m-5", "Five"),       /* CREATED */
                            synth(f, job2, 4, "m-6", "Six"),        /* CREATED */
                            synth(f, job2, 5, "m-7", NULL)};        /* ERROR */
  for (int k = 0; k < 2; k++)
    s[k] = write_all(f, k, mixed, 5, 5);
  assert_same_counts(&s[FAST], &s[STAGED]);
  assert_int_equal(s[FAST].direct, 0);
  assert_int_equal(s[FAST].created, 2);
  assert_int_equal(s[FAST].updated, 1);
  assert_int_equal(s[FAST].duplicates, 1);
  assert_int_equal(s[FAST].errors, 1);
  assert_same_rows(f);
  assert_int_equal(num(f, FAST, "SELECT version FROM instances WHERE match_key = 'm-2'"), 2);

  /* new records only, but two share a 001: the last wins, staged */
  mp_sink_rec_t twice[3] = {synth(f, job2, 6, "m-8", "Eight"), synth(f, job2, 7, "m-9", "Nine"),
                            synth(f, job2, 8, "m-8", "Eight, corrected")};
  for (int k = 0; k < 2; k++)
    s[k] = write_all(f, k, twice, 3, 3);
  assert_same_counts(&s[FAST], &s[STAGED]);
  assert_int_equal(s[FAST].direct, 0);
  assert_int_equal(s[FAST].created, 2);
  assert_int_equal(s[FAST].updated, 1);
  assert_same_rows(f);
  char *t = pgt_str(f->side[FAST].c, "SELECT instance->>'title' FROM instances"
                                     " WHERE match_key = 'm-8'");
  assert_string_equal(t, "Eight, corrected");
  free(t);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instances"), 8);
  assert_int_equal(num(f, FAST, "SELECT next_offset FROM kafka_offsets WHERE partition = 0"), 9);

  /* bytes JSON and COPY both escape, in a field the mapping leaves out of
   * the Instance (so only the source record's parsed column holds them):
   * the literal text \u0000 is text for jsonb (the escape it looks like
   * is not), a tab, a quote, a control character; fast, and alike */
  /* with a MARC-in-JSON record beside it, whose decoded form owns its
   * strings: not kept by the check, decoded again by each COPY */
  static const char js[] =
      "{\"leader\":\"00000nam a2200000 a 4500\",\"fields\":[{\"001\":\"m-11\"},"
      "{\"008\":\"000107s2000    nyu           000 0 eng d\"},{\"245\":{\"ind1\":"
      "\"1\",\"ind2\":\"0\",\"subfields\":[{\"a\":\"Eleven \\\\u0000\"}]}}]}";
  mp_sink_rec_t esc[3] = {synth(f, job2, 9, "m-10", "Ten"), synth(f, job2, 10, "m-11", "x"),
                          synth(f, job2, 11, "m-12", "Twelve")};
  char *b = (char *)esc[0].value;
  esc[0].value_len = pgt_marc(b, 2048, 'a', "001", "m-10", "245", "10\x1f" "aTen",
                              "999", "  \x1f" "ax\\u0000\ty\"\x01\\",
                              (const char *)NULL);
  esc[1].value = js;
  esc[1].value_len = sizeof js - 1;
  esc[1].content_type = MP_CT_JSON;
  for (int k = 0; k < 2; k++)
    s[k] = write_all(f, k, esc, 3, 3);
  assert_same_counts(&s[FAST], &s[STAGED]);
  assert_int_equal(s[FAST].direct, 3);
  assert_int_equal(s[FAST].created, 3);
  assert_same_rows(f);
  t = pgt_str(f->side[FAST].c, "SELECT instance->>'title' || '|' || (SELECT count(*)"
                               " FROM source_records WHERE match_key = 'm-11') FROM instances"
                               " WHERE match_key = 'm-11'");
  /* the rules double a title's backslash: the Instance's text holds the
   * escape's look-alike too, and is stored, not refused */
  assert_string_equal(t, "Eleven \\\\u0000|1");
  free(t);
  t = pgt_str(f->side[FAST].c, "SELECT f->'999'->'subfields'->0->>'a' FROM source_records,"
                               " jsonb_array_elements(parsed->'fields') f"
                               " WHERE match_key = 'm-10' AND f ? '999'");
  assert_string_equal(t, "x\\u0000\ty\"\x01\\");
  free(t);
}


/* A connection of its own on tenant with an open transaction that has
 * created the Instance of match key key (after the statements in pre):
 * other sinks writing that key wait on it. */
static PGconn *hold_key(const char *tenant, const char *key, const char *pre) {
  PGconn *c = pgt_connect(tenant);
  char sql[512], err[512];
  snprintf(sql, sizeof sql,
           "%s BEGIN; INSERT INTO instances (id, match_key, instance, source_job,"
           " source_seq, content_hash) VALUES (md5('%s')::uuid, '%s',"
           " '{\"title\": \"Other\"}', 999, 1, 'x')",
           pre, key, key);
  assert_int_equal(mp_pg_exec(c, sql, err, sizeof err), 0);
  return c;
}

/* New records of one batch with different 001s sharing an OCLC number:
 * the later matches the earlier's Instance, as it would in a later batch.
 * The batch is written in three transactions (from o-1, o-3 and o-5:
 * each starts at a record sharing the key with one of the one before),
 * on both paths; the rows are alike. Before, both created
 * an Instance: the match looked at stored Instances only. */
static void test_new_records_sharing_an_oclc_number_match(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_rec_t r[5] = {synth_oclc(f, f->job, 1, "o-1", "One", "(OCoLC)4711"),
                        synth(f, f->job, 2, "o-2", "Two"),
                        synth_oclc(f, f->job, 3, "o-3", "One, again", "(OCoLC)4711"),
                        synth(f, f->job, 4, "o-4", "Four"),
                        synth_oclc(f, f->job, 5, "o-5", "One, again", "(OCoLC)4711")};
  sum_t s[2];
  for (int k = 0; k < 2; k++)
    s[k] = write_all(f, k, r, 5, 5);
  assert_same_counts(&s[FAST], &s[STAGED]);
  assert_int_equal(s[FAST].created, 3);
  assert_int_equal(s[FAST].updated, 2); /* o-3, then o-5 (its own 001: new bytes) */
  assert_int_equal(s[FAST].direct, 2); /* o-1, o-2; then o-3.. matched: staged */
  assert_int_equal(s[STAGED].direct, 0);
  assert_same_rows(f);
  for (int k = 0; k < 2; k++) {
    assert_int_equal(num(f, k, "SELECT count(*) FROM instances"), 3);
    assert_int_equal(num(f, k, "SELECT count(*) FROM instance_keys"
                               " WHERE kind = 'oclc' AND value = '4711'"), 1);
    assert_int_equal(num(f, k, "SELECT version FROM instances WHERE match_key = 'o-1'"), 3);
    assert_int_equal(num(f, k, "SELECT source_seq FROM instances WHERE match_key = 'o-1'"), 5);
    assert_int_equal(num(f, k, "SELECT count(*) FROM journal WHERE outcome = 'UPDATED'"
                               " AND seq IN (3, 5) AND match_kind = 'oclc'"), 2);
  }
  assert_int_equal(num(f, FAST, "SELECT next_offset FROM kafka_offsets WHERE partition = 1"), 6);
}

/* Another transaction creates the Instance of one record of a batch after
 * the batch's match query and before its COPY: the COPY waits on that
 * transaction's key, fails when it commits, and the batch is staged in a
 * new transaction, where the record matches and updates it. */
static void test_key_taken_during_fast_copy_is_staged_again(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  side_t *x = &f->side[FAST];
  char err[512];
  PGconn *other = hold_key(x->tenant, "race-1", "");
  mp_sink_rec_t recs[2] = {synth(f, f->job, 1, "race-1", "Raced"),
                           synth(f, f->job, 2, "race-2", "Not raced")};
  pgt_write_arg_t a = {x->sink, recs, 2, -1, {0}};
  pthread_t th;
  pthread_create(&th, NULL, pgt_write_thread, &a);
  /* the sink's COPY waits on the uncommitted key (bounded: 20 s) */
  long long waiting = 0;
  for (int i = 0; i < 200 && !waiting; i++) {
    usleep(100000);
    waiting = pgt_num(x->c, "SELECT count(*) FROM pg_stat_activity WHERE"
                            " wait_event_type = 'Lock' AND query LIKE 'COPY instances%'");
  }
  assert_int_equal(waiting, 1);
  assert_int_equal(mp_pg_exec(other, "COMMIT", err, sizeof err), 0);
  pthread_join(th, NULL);
  if (a.rc)
    fail_msg("write_batch: %s: %s", mp_err_name(a.rc), a.res.errmsg);
  assert_int_equal(a.res.direct, 0);
  assert_int_equal(a.res.created, 1);
  assert_int_equal(a.res.updated, 1);
  assert_int_equal(a.res.replayed, 0);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instances"), 2);
  assert_int_equal(num(f, FAST, "SELECT version FROM instances WHERE match_key = 'race-1'"), 2);
  char *t = pgt_str(x->c, "SELECT instance->>'title' FROM instances WHERE match_key = 'race-1'");
  assert_string_equal(t, "Raced");
  free(t);
  t = pgt_str(x->c, "SELECT string_agg(outcome || ':' || (instance_id = md5(match_key)::uuid),"
                    " ',' ORDER BY seq) FROM journal");
  assert_string_equal(t, "UPDATED:true,CREATED:true");
  free(t);
  assert_int_equal(num(f, FAST, "SELECT processed * 100 + created * 10 + updated FROM"
                                " job_progress WHERE partition = 1"), 101);
  assert_int_equal(num(f, FAST, "SELECT processed * 100 + created * 10 + updated FROM"
                                " job_progress WHERE partition = 0"), 110);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM source_records"), 2);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instance_keys WHERE kind = 'control'"), 2);
  PQfinish(other);
}

/* Two sinks write the same batch of new records at once (a partition
 * handed over while its old owner still writes): both take the fast path,
 * the second's COPY waits on the first's keys and fails when they commit,
 * and its staged retry finds every record journaled: one creates, the
 * other replays, counters count each record once. */
static void test_same_batch_twice_at_once_counts_once(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  side_t *x = &f->side[FAST];
  mp_sink_rec_t recs[3] = {synth(f, f->job, 1, "twin-1", "One"),
                           synth(f, f->job, 2, "twin-2", "Two"),
                           synth(f, f->job, 3, "twin-3", "Three")};
  mp_sink_t *s1 = pgt_open_sink(x->tenant, f->map, 300);
  mp_sink_t *s2 = pgt_open_sink(x->tenant, f->map, 300);
  pgt_write_arg_t a[2] = {{s1, recs, 3, -1, {0}}, {s2, recs, 3, -1, {0}}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, pgt_write_thread, &a[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 2; i++)
    if (a[i].rc)
      fail_msg("sink %d: %s: %s", i, mp_err_name(a[i].rc), a[i].res.errmsg);
  assert_int_equal(a[0].res.created + a[1].res.created, 3);
  assert_int_equal(a[0].res.replayed + a[1].res.replayed, 3);
  assert_int_equal(a[0].res.updated + a[1].res.updated + a[0].res.duplicates +
                       a[1].res.duplicates, 0);
  assert_int_equal(a[0].res.direct + a[1].res.direct, 3);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM journal"), 3);
  assert_int_equal(num(f, FAST, "SELECT sum(processed) FROM job_progress"), 3);
  assert_int_equal(num(f, FAST, "SELECT sum(created) FROM job_progress"), 3);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instances WHERE version = 1"), 3);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM source_records"), 3);
  mp_sink_close(s1);
  mp_sink_close(s2);
}

/* A sink frozen in the middle of a COPY (its process stopped) holds the
 * keys it wrote in a session the server shows as 'active', waiting for
 * the client: no idle-in-transaction timeout ends it. Another sink writing
 * the same record waits MP_SINK_LOCK_TIMEOUT_S, fails as transient, ends
 * the frozen session (stalled in its COPY for over MP_SINK_STALLED_COPY_S)
 * and its retry writes the record once. */
static void test_frozen_copy_is_ended_by_the_next_sink(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  side_t *x = &f->side[FAST];
  PGconn *frozen = hold_key(x->tenant, "frozen-1", "SET application_name = 'marcpipe-sink';");
  PGresult *r = PQexec(frozen, "COPY instance_keys FROM STDIN");
  assert_int_equal(PQresultStatus(r), PGRES_COPY_IN); /* and no data sent */
  PQclear(r);
  mp_sink_rec_t rec = synth(f, f->job, 1, "frozen-1", "Written");
  mp_sink_result_t res;
  int rc = mp_sink_write_batch(x->sink, &rec, 1, &res);
  assert_int_equal(rc, MP_ETRANSIENT);
  if (!strstr(res.errmsg, "lock timeout") || !strstr(res.errmsg, "ended 1 session"))
    fail_msg("first try: %s", res.errmsg);
  assert_int_equal(res.created, 0);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM pg_stat_activity WHERE"
                                " application_name = 'marcpipe-sink' AND query LIKE 'COPY%'"
                                " AND wait_event = 'ClientRead'"), 0);
  rc = mp_sink_write_batch(x->sink, &rec, 1, &res);
  if (rc)
    fail_msg("retry: %s: %s", mp_err_name(rc), res.errmsg);
  assert_int_equal(res.created, 1);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instances WHERE match_key = 'frozen-1'"), 1);
  char *t = pgt_str(x->c, "SELECT instance->>'title' FROM instances WHERE match_key = 'frozen-1'");
  assert_string_equal(t, "Written");
  free(t);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM journal"), 1);
  PQfinish(frozen);
}

/* Two sinks write batches that overlap in time, each with one new record,
 * different 001s, one OCLC number. The second's batch starts while the
 * first's transaction sleeps after its writes (sink latency): it waits on
 * the first's claim of the key (key_claims), then matches the Instance the
 * first created and updates it. Both ways round (the first sink staged and
 * the second fast, then the reverse), so both paths' claims are waited
 * on. Before the claims, the second sink created a second Instance. */
static void test_overlapping_batches_of_two_sinks_sharing_an_oclc_number(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  side_t *x = &f->side[FAST];
  for (int round = 0; round < 2; round++) {
    char oclc[32], id[2][16], sql[256];
    snprintf(oclc, sizeof oclc, "(OCoLC)%d", 990 + round);
    snprintf(id[0], sizeof id[0], "ovl-%d-a", round);
    snprintf(id[1], sizeof id[1], "ovl-%d-b", round);
    mp_sink_rec_t ra = synth_oclc(f, f->job, 2 * round + 1, id[0], "First", oclc);
    mp_sink_rec_t rb = synth_oclc(f, f->job, 2 * round + 2, id[1], "Second", oclc);
    mp_sink_t *sa = open_sink(x->tenant, f->map, round == 0, 1500);
    mp_sink_t *sb = open_sink(x->tenant, f->map, round == 1, 0);
    pgt_write_arg_t a = {sa, &ra, 1, -1, {0}};
    pthread_t th;
    pthread_create(&th, NULL, pgt_write_thread, &a);
    long long sleeping = 0; /* the first sink's transaction, written (20 s at most) */
    for (int i = 0; i < 200 && !sleeping; i++) {
      usleep(100000);
      sleeping = pgt_num(x->c, "SELECT count(*) FROM pg_stat_activity WHERE"
                               " application_name = 'marcpipe-sink' AND wait_event = 'PgSleep'");
    }
    assert_int_equal(sleeping, 1);
    mp_sink_result_t rb_res;
    int rc = mp_sink_write_batch(sb, &rb, 1, &rb_res);
    pthread_join(th, NULL);
    if (a.rc || rc)
      fail_msg("round %d: %s: %s / %s: %s", round, mp_err_name(a.rc), a.res.errmsg,
               mp_err_name(rc), rb_res.errmsg);
    assert_int_equal(a.res.created, 1);
    assert_int_equal(a.res.direct, round == 0 ? 0 : 1);
    assert_int_equal(rb_res.created, 0);
    assert_int_equal(rb_res.updated, 1);
    assert_int_equal(rb_res.direct, 0); /* matched: staged */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM instance_keys WHERE kind = 'oclc'"
                              " AND value = '%d'", 990 + round);
    assert_int_equal(num(f, FAST, sql), 1);
    snprintf(sql, sizeof sql, "SELECT version * 10 + source_seq FROM instances"
                              " WHERE match_key = '%s'", id[0]);
    assert_int_equal(num(f, FAST, sql), 20 + 2 * round + 2);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE seq = %d"
                              " AND outcome = 'UPDATED' AND match_kind = 'oclc'"
                              " AND instance_id = md5('%s')::uuid", 2 * round + 2, id[0]);
    assert_int_equal(num(f, FAST, sql), 1);
    mp_sink_close(sa);
    mp_sink_close(sb);
  }
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM instances"), 2);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM key_claims WHERE h IN"
                                " (hashtextextended('oclc:990', 0),"
                                " hashtextextended('oclc:991', 0))"), 2);
  assert_int_equal(num(f, FAST, "SELECT count(*) FROM key_claims"), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_real_file_same_rows_both_paths_and_replay_is_noop,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_mixed_and_conflicting_batches_are_staged, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_new_records_sharing_an_oclc_number_match, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_key_taken_during_fast_copy_is_staged_again, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_frozen_copy_is_ended_by_the_next_sink, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_overlapping_batches_of_two_sinks_sharing_an_oclc_number,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_batch_twice_at_once_counts_once, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
