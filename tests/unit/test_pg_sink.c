/* test_pg_sink.c: the batch sink and migrations against a real PostgreSQL
 * (skipped only when PGHOST is unset). Every test uses its own tenant. */
#include "pgsink.h"
#include "testutil.h"

#include "job/complete.h"

#include "marcpipe/job.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "marcpipe/sink.h"

#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

typedef struct {
  pgt_sinkfx_t x; /* tenant, checking connection, mapping, sink */
  int64_t job;
  char bufs[16][2048];
  mp_sink_rec_t recs[16];
  size_t n;
} fx_t;

static mp_sink_t *open_sink(fx_t *f, int latency_ms) {
  return pgt_open_sink(f->x.tenant, f->x.map, latency_ms);
}

static int setup(void **state) {
  if (!pgt_available())
    return 0;
  fx_t *f = calloc(1, sizeof *f);
  pgt_sinkfx_open(&f->x);
  char err[512];
  mp_job_spec_t spec = {.file_name = "t.mrc", .file_format = "iso2709", .topic = "tp"};
  assert_int_equal(mp_job_create(f->x.c, &spec, &f->job, err, sizeof err), 0);
  assert_int_equal(mp_job_set_status(f->x.c, f->job, MP_JOB_PRODUCING, err, sizeof err), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (!f)
    return 0;
  pgt_sinkfx_close(&f->x);
  free(f);
  return 0;
}

/* Add a bib record with 001 = id and 245 $a = title at partition/offset. */
static void add(fx_t *f, int32_t part, int64_t off, int64_t seq, const char *id,
                const char *title) {
  char f245[1200];
  snprintf(f245, sizeof f245, "10\x1f" "a%s", title);
  size_t i = f->n++;
  size_t len = pgt_marc(f->bufs[i], sizeof f->bufs[i], 'a', "001", id, "245", f245,
                        (const char *)NULL);
  f->recs[i] = (mp_sink_rec_t){.topic = "tp", .partition = part, .offset = off,
                               .job_id = f->job, .seq = seq, .key = id,
                               .key_len = strlen(id), .value = f->bufs[i],
                               .value_len = len, .content_type = MP_CT_ISO2709,
                               .cluster_id = "cl-1"};
}

/* Make record i undecodable: its directory entry's length and start are
 * no longer numbers (lenient parsing cannot repair that). */
static void corrupt(fx_t *f, size_t i) { memset(f->bufs[i] + 27, 'x', 9); }

static long long q(fx_t *f, const char *fmt) {
  char sql[512];
  snprintf(sql, sizeof sql, fmt, (long long)f->job);
  return pgt_num(f->x.c, sql);
}

static void write_ok(fx_t *f, mp_sink_result_t *res) {
  int rc = mp_sink_write_batch(f->x.sink, f->recs, f->n, res);
  if (rc)
    fail_msg("write_batch: %s: %s", mp_err_name(rc), res->errmsg);
}

/* The migration files of schemas/sql (NNN_name.sql): what a fresh schema
 * must have applied. */
static int migration_files(void) {
  DIR *d = opendir(MP_SCHEMAS_DIR "/sql");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    n += l > 8 && e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
         e->d_name[3] == '_' && !strcmp(e->d_name + l - 4, ".sql");
  }
  if (d)
    closedir(d);
  return n;
}

static void test_migrations_apply_twice_idempotently(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  int applied = -1;
  char err[512];
  assert_int_equal(mp_pg_migrate(f->x.c, f->x.tenant, NULL, &applied, err, sizeof err), 0);
  assert_int_equal(applied, 0);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM schema_migrations"),
                   migration_files());
  /* 001: 7 tables and schema_migrations; 002/004: leases, job_samples;
   * 005: holdings, authorities; 008: job_warnings */
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = current_schema() AND table_name IN "
                                  "('schema_migrations', 'jobs', 'job_progress', "
                                  "'source_records', 'instances', 'instance_keys', "
                                  "'journal', 'kafka_offsets', 'leases', 'job_samples', "
                                  "'job_warnings', 'holdings', 'authorities')"),
                   13);
  PGconn *bad = NULL;
  assert_int_equal(mp_pg_connect("", "Bad-Tenant", &bad, err, sizeof err), MP_ECONFIG);
  assert_null(bad);
}

typedef struct {
  const char *tenant;
  int applied, rc;
} mig_arg_t;

static void *migrate_thread(void *p) {
  mig_arg_t *a = p;
  PGconn *c = PQconnectdb("");
  char err[512];
  a->rc = mp_pg_migrate(c, a->tenant, NULL, &a->applied, err, sizeof err);
  PQfinish(c);
  return NULL;
}

static void write_sql(const char *dir, const char *name, const char *sql) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(sql, f);
  fclose(f);
}

/* Migrations numbered on separate branches: 001 and 008 applied, then 003
 * arrives (merged later). 003 runs although a higher version is recorded;
 * nothing runs twice. */
static void test_migrations_numbered_apart_all_run(void **state) {
  (void)state;
  SKIP_WITHOUT_PG();
  char tenant[40], dir[] = "/tmp/mpmigXXXXXX", err[512], sql[256];
  pgt_tenant(tenant, sizeof tenant);
  assert_non_null(mkdtemp(dir));
  write_sql(dir, "001_a.sql", "CREATE TABLE a (x int);");
  write_sql(dir, "008_c.sql", "CREATE TABLE c (x int);");
  PGconn *c = PQconnectdb("");
  int applied = -1;
  assert_int_equal(mp_pg_migrate(c, tenant, dir, &applied, err, sizeof err), 0);
  assert_int_equal(applied, 2);
  write_sql(dir, "003_b.sql", "CREATE TABLE b (x int);");
  assert_int_equal(mp_pg_migrate(c, tenant, dir, &applied, err, sizeof err), 0);
  assert_int_equal(applied, 1);
  assert_int_equal(mp_pg_migrate(c, tenant, dir, &applied, err, sizeof err), 0);
  assert_int_equal(applied, 0);
  snprintf(sql, sizeof sql, "SELECT string_agg(version::text, ',' ORDER BY version) "
           "FROM %s_marcpipe.schema_migrations", tenant);
  char *v = pgt_str(c, sql);
  assert_string_equal(v, "1,3,8");
  free(v);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s_marcpipe.b", tenant);
  assert_int_equal(pgt_num(c, sql), 0); /* 003's table exists */
  snprintf(sql, sizeof sql, "DROP SCHEMA %s_marcpipe CASCADE", tenant);
  PQclear(PQexec(c, sql));
  PQfinish(c);
  for (const char *n = "001_a.sql\0003_b.sql\0008_c.sql\0"; *n; n += strlen(n) + 1) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, n);
    unlink(path);
  }
  rmdir(dir);
}

static void test_migrations_concurrent_starters_apply_once(void **state) {
  SKIP_WITHOUT_PG();
  char tenant[40];
  pgt_tenant(tenant, sizeof tenant);
  mig_arg_t a[2] = {{tenant, -1, -1}, {tenant, -1, -1}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, migrate_thread, &a[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(a[0].rc, 0);
  assert_int_equal(a[1].rc, 0);
  /* one starter applies every migration, the other finds nothing to do */
  assert_int_equal(a[0].applied + a[1].applied, migration_files());
  assert_true(a[0].applied == 0 || a[1].applied == 0);
  PGconn *c = pgt_connect(tenant);
  assert_int_equal(pgt_num(c, "SELECT count(*) FROM schema_migrations"),
                   migration_files());
  PQfinish(c);
}

static void test_batch_writes_exact_rows_and_replay_changes_nothing(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 10, 1, "r1", "One");
  add(f, 1, 20, 2, "r2", "Two");
  add(f, 0, 11, 3, "r3", "Three");
  add(f, 1, 21, 4, "r4", "Four");
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 4);
  assert_int_equal(res.replayed, 0);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld"), 4);
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld"), 4);
  assert_int_equal(q(f, "SELECT count(*) FROM instances WHERE source_job = %lld"), 4);
  assert_int_equal(q(f, "SELECT created FROM job_progress WHERE job_id = %lld AND partition = 0"), 2);
  assert_int_equal(q(f, "SELECT processed FROM job_progress WHERE job_id = %lld AND partition = 1"), 2);
  assert_int_equal(q(f, "SELECT next_offset FROM kafka_offsets WHERE %lld > 0 AND partition = 0"), 12);
  assert_int_equal(q(f, "SELECT next_offset FROM kafka_offsets WHERE %lld > 0 AND partition = 1"), 22);
  assert_int_equal(q(f, "SELECT count(*) FROM instance_keys k JOIN instances i ON i.id = "
                        "k.instance_id WHERE i.source_job = %lld AND kind = 'control'"), 4);
  char *title = pgt_str(f->x.c, "SELECT instance->>'title' FROM instances WHERE match_key = 'r2'");
  assert_string_equal(title, "Two");
  free(title);
  int32_t parts[3] = {0, 1, 2};
  mp_sink_offset_t next[3];
  assert_int_equal(mp_sink_load_offsets(f->x.sink, "tp", parts, next, 3), 0);
  assert_int_equal(next[0].next, 12);
  assert_int_equal(next[1].next, 22);
  assert_int_equal(next[2].next, -1);
  /* the identity of the log: job/seq of the message before next, cluster */
  assert_int_equal(next[0].last_job, f->job);
  assert_int_equal(next[0].last_seq, 3);
  assert_int_equal(next[1].last_seq, 4);
  assert_string_equal(next[0].cluster_id, "cl-1");
  assert_string_equal(next[2].cluster_id, "");

  /* replay: nothing changes, no counter moves */
  write_ok(f, &res);
  assert_int_equal(res.replayed, 4);
  assert_int_equal(res.created + res.updated + res.duplicates + res.errors, 0);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld"), 4);
  assert_int_equal(q(f, "SELECT sum(processed) FROM job_progress WHERE job_id = %lld"), 4);
  assert_int_equal(q(f, "SELECT max(version) FROM instances WHERE source_job = %lld"), 1);
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld"), 4);
}

/* A stored offset found to belong to another log is replaced, and a later
 * batch of the new log (lower offsets) moves it forward again; an older
 * batch never moves an offset back. */
static void test_offset_reset_then_new_log_moves_it(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 500, 1, "n1", "One");
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(q(f, "SELECT next_offset FROM kafka_offsets WHERE %lld > 0 AND partition = 0"), 501);
  /* a batch of lower offsets (a lost assignment's) does not move it back */
  f->n = 0;
  add(f, 0, 7, 2, "n2", "Two");
  write_ok(f, &res);
  assert_int_equal(q(f, "SELECT next_offset FROM kafka_offsets WHERE %lld > 0 AND partition = 0"), 501);
  assert_int_equal(q(f, "SELECT last_seq FROM kafka_offsets WHERE %lld > 0 AND partition = 0"), 1);
  assert_int_equal(mp_sink_reset_offset(f->x.sink, "tp", 0, 0, "cl-2"), 0);
  int32_t parts[1] = {0};
  mp_sink_offset_t o[1];
  assert_int_equal(mp_sink_load_offsets(f->x.sink, "tp", parts, o, 1), 0);
  assert_int_equal(o[0].next, 0);
  assert_int_equal(o[0].last_job, 0);
  assert_string_equal(o[0].cluster_id, "cl-2");
  f->n = 0;
  add(f, 0, 3, 3, "n3", "Three");
  write_ok(f, &res);
  assert_int_equal(mp_sink_load_offsets(f->x.sink, "tp", parts, o, 1), 0);
  assert_int_equal(o[0].next, 4);
  assert_int_equal(o[0].last_seq, 3);
  assert_string_equal(o[0].cluster_id, "cl-1");
}

static void test_bad_record_is_journaled_and_rest_committed(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 0, 1, "a1", "Good one");
  add(f, 0, 1, 2, "a2", "Bad");
  corrupt(f, 1);
  add(f, 0, 2, 3, "a3", "Good two");
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.errors, 1);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld AND outcome = 'ERROR' AND seq = 2"), 1);
  assert_int_equal(q(f, "SELECT errors FROM job_progress WHERE job_id = %lld"), 1);
  assert_int_equal(q(f, "SELECT processed FROM job_progress WHERE job_id = %lld"), 3);
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld"), 2);
  /* the raw bytes of the bad record are kept verbatim */
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT length(raw) FROM journal WHERE job_id = %lld AND seq = 2",
           (long long)f->job);
  assert_int_equal(pgt_num(f->x.c, sql), (long long)f->recs[1].value_len);
  snprintf(sql, sizeof sql, "SELECT encode(substr(raw, 1, 7), 'escape') FROM journal "
                            "WHERE job_id = %lld AND seq = 2", (long long)f->job);
  char *head = pgt_str(f->x.c, sql);
  assert_memory_equal(head, f->bufs[1], 7);
  snprintf(sql, sizeof sql, "SELECT error_class FROM journal WHERE job_id = %lld AND seq = 2",
           (long long)f->job);
  free(head);
  head = pgt_str(f->x.c, sql);
  assert_string_equal(head, "MP_EDIRECTORY");
  free(head);
  /* the result lists the error for the dead-letter topic: its index in the
   * batch, class and the journal's reason */
  assert_int_equal(res.nerror_recs, 1);
  assert_int_equal(res.error_recs[0].index, 1);
  assert_string_equal(res.error_recs[0].error_class, "MP_EDIRECTORY");
  snprintf(sql, sizeof sql, "SELECT reason FROM journal WHERE job_id = %lld AND seq = 2",
           (long long)f->job);
  head = pgt_str(f->x.c, sql);
  assert_string_equal(res.error_recs[0].reason, head);
  free(head);
  /* a replay journals nothing new and reports no error again */
  write_ok(f, &res);
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.nerror_recs, 0);
  assert_null(res.error_recs);
}

static void test_same_key_in_one_batch_last_wins(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 0, 1, "k1", "First title");
  add(f, 0, 1, 2, "k1", "Second title");
  add(f, 0, 2, 3, "k1", "Second title"); /* identical to the previous one */
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 1);
  assert_int_equal(res.updated, 1);
  assert_int_equal(res.duplicates, 1);
  assert_int_equal(q(f, "SELECT count(*) FROM instances WHERE match_key = 'k1' AND %lld > 0"), 1);
  char *t = pgt_str(f->x.c, "SELECT instance->>'title' FROM instances WHERE match_key = 'k1'");
  assert_string_equal(t, "Second title");
  free(t);
  t = pgt_str(f->x.c, "SELECT string_agg(outcome, ',' ORDER BY seq) FROM journal");
  assert_string_equal(t, "CREATED,UPDATED,DUPLICATE");
  free(t);
  assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances WHERE match_key = 'k1'"), 2);
  assert_int_equal(pgt_num(f->x.c, "SELECT source_seq FROM instances WHERE match_key = 'k1'"), 3);

  /* a later batch with the same content is a duplicate and changes nothing */
  f->n = 0;
  add(f, 0, 3, 4, "k1", "Second title");
  write_ok(f, &res);
  assert_int_equal(res.duplicates, 1);
  assert_int_equal(pgt_num(f->x.c, "SELECT version FROM instances WHERE match_key = 'k1'"), 2);
  assert_int_equal(pgt_num(f->x.c, "SELECT source_seq FROM instances WHERE match_key = 'k1'"), 3);
}

/* An authority record becomes an Authority (its own table, no Instance,
 * journal family "authority"); a MARC-in-JSON message (records too large
 * for ISO 2709 travel so) is decoded as JSON and stored with its content
 * type; a record of no family (leader/06 'q') is SKIPPED. */
static void test_authority_created_and_json_message_created(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  size_t i = f->n++;
  size_t len = pgt_marc(f->bufs[i], sizeof f->bufs[i], 'z', "001", "auth1", "100",
                        "1 \x1f" "aSmith, John", (const char *)NULL);
  f->recs[i] = (mp_sink_rec_t){.topic = "tp", .partition = 0, .offset = 0, .job_id = f->job,
                               .seq = 1, .key = "auth1", .key_len = 5, .value = f->bufs[i],
                               .value_len = len, .content_type = MP_CT_ISO2709};
  /* the same kind of bib record as add() makes, as MARC-in-JSON */
  add(f, 0, 1, 2, "j1", "Json title");
  mp_record_t r;
  mp_record_init(&r);
  mp_marc_diag_t d;
  assert_int_equal(mp_marc_parse_iso2709(f->recs[1].value, f->recs[1].value_len, &r, &d), 0);
  mp_buf_t js;
  mp_buf_init(&js);
  assert_int_equal(mp_marc_write_json(&r, &js), 0);
  mp_record_release(&r);
  f->recs[1].value = js.data;
  f->recs[1].value_len = js.len;
  f->recs[1].content_type = MP_CT_JSON;
  i = f->n++;
  len = pgt_marc(f->bufs[i], sizeof f->bufs[i], 'q', "001", "odd1", (const char *)NULL);
  f->recs[i] = (mp_sink_rec_t){.topic = "tp", .partition = 0, .offset = 2, .job_id = f->job,
                               .seq = 3, .key = "odd1", .key_len = 4, .value = f->bufs[i],
                               .value_len = len, .content_type = MP_CT_ISO2709};
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.skipped, 1);
  assert_int_equal(res.created, 2);
  assert_int_equal(q(f, "SELECT count(*) FROM instances WHERE %lld > 0"), 1);
  assert_int_equal(q(f, "SELECT count(*) FROM authorities WHERE %lld > 0"), 1);
  char *t = pgt_str(f->x.c, "SELECT instance->>'title' FROM instances");
  assert_string_equal(t, "Json title");
  free(t);
  t = pgt_str(f->x.c, "SELECT string_agg(content_type, ',' ORDER BY seq) FROM source_records");
  assert_string_equal(t, "application/marc,application/marc+json,application/marc");
  free(t);
  t = pgt_str(f->x.c, "SELECT outcome || ':' || coalesce(instance_id::text, '-') FROM journal "
                    "WHERE seq = 1");
  assert_string_equal(t, "CREATED:-");
  free(t);
  t = pgt_str(f->x.c, "SELECT family || ':' || (record_id = a.id)::text || ':' ||"
                    " (a.authority->>'personalName') FROM journal j, authorities a"
                    " WHERE j.seq = 1");
  assert_string_equal(t, "authority:true:Smith, John");
  free(t);
  t = pgt_str(f->x.c, "SELECT outcome || ':' || error_class FROM journal WHERE seq = 3");
  assert_string_equal(t, "SKIPPED:MP_ENOTBIB");
  free(t);
  assert_int_equal(q(f, "SELECT skipped FROM job_progress WHERE job_id = %lld"), 1);
  assert_int_equal(q(f, "SELECT authorities FROM job_progress WHERE job_id = %lld"), 1);
  mp_buf_release(&js);
}

/* Add a holdings record (leader/06 y) with 001 = id, 004 = bib, 852 $h. */
static void add_holdings(fx_t *f, int64_t off, int64_t seq, const char *id,
                         const char *bib, const char *call) {
  char f852[200];
  snprintf(f852, sizeof f852, "0 \x1f" "bMAIN\x1f" "h%s", call);
  size_t i = f->n++;
  size_t len = pgt_marc(f->bufs[i], sizeof f->bufs[i], 'y', "001", id, "004", bib,
                        "852", f852, (const char *)NULL);
  f->recs[i] = (mp_sink_rec_t){.topic = "tp", .partition = 0, .offset = off,
                               .job_id = f->job, .seq = seq, .key = id,
                               .key_len = strlen(id), .value = f->bufs[i],
                               .value_len = len, .content_type = MP_CT_ISO2709};
}

/* Add an authority record with 001 = id, 010 $a = lccn, 100 $a = name. */
static void add_authority(fx_t *f, int64_t off, int64_t seq, const char *id,
                          const char *lccn, const char *name) {
  char f010[100], f100[200];
  snprintf(f010, sizeof f010, "  \x1f" "a%s", lccn);
  snprintf(f100, sizeof f100, "1 \x1f" "a%s", name);
  size_t i = f->n++;
  size_t len = pgt_marc(f->bufs[i], sizeof f->bufs[i], 'z', "001", id, "010", f010,
                        "100", f100, (const char *)NULL);
  f->recs[i] = (mp_sink_rec_t){.topic = "tp", .partition = 0, .offset = off,
                               .job_id = f->job, .seq = seq, .key = id,
                               .key_len = strlen(id), .value = f->bufs[i],
                               .value_len = len, .content_type = MP_CT_ISO2709};
}

/* Holdings whose Instance exists are linked at once; holdings whose
 * Instance is not there yet are stored waiting (journaled with the reason,
 * counted) and linked when the Instance arrives in a later batch; a
 * changed holdings record updates its row, an identical one is a
 * duplicate. */
static void test_holdings_link_to_their_instance(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 0, 1, "b1", "Bib one");
  add_holdings(f, 1, 2, "h1", "b1", "QA1 .A1");
  add_holdings(f, 2, 3, "h2", "b2", "QA2 .B2"); /* b2 comes later */
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 3);
  assert_int_equal(q(f, "SELECT count(*) FROM holdings WHERE instance_id ="
                        " md5('b1')::uuid AND %lld > 0"), 1);
  char *t = pgt_str(f->x.c, "SELECT holdings->>'callNumber' || '|' ||"
                            " (holdings->>'instanceId' = md5('b1')::uuid::text)::text"
                            " FROM holdings WHERE match_key = 'h1'");
  assert_string_equal(t, "QA1 .A1|true");
  free(t);
  assert_int_equal(q(f, "SELECT count(*) FROM holdings WHERE instance_id IS NULL"
                        " AND instance_key = 'b2' AND %lld > 0"), 1);
  t = pgt_str(f->x.c, "SELECT family || ':' || outcome || ':' || error_class || ':' ||"
                      " reason FROM journal WHERE seq = 3");
  assert_string_equal(t, "holdings:CREATED:waiting-for-instance:no Instance with 001 b2"
                         " yet: the holdings are stored and linked when it arrives");
  free(t);
  assert_int_equal(q(f, "SELECT holdings FROM job_progress WHERE job_id = %lld"), 2);
  assert_int_equal(q(f, "SELECT holdings_waiting FROM job_progress WHERE job_id = %lld"), 1);
  /* the Instance arrives: the waiting holdings are linked; h1 changed,
   * h1 again identical */
  f->n = 0;
  add(f, 0, 4, 4, "b2", "Bib two");
  add_holdings(f, 1, 5, "h1", "b1", "QA1 .A1 c.2");
  add_holdings(f, 2, 6, "h1", "b1", "QA1 .A1 c.2");
  write_ok(f, &res);
  assert_int_equal(res.created, 1);
  assert_int_equal(res.updated, 1);
  assert_int_equal(res.duplicates, 1);
  assert_int_equal(q(f, "SELECT count(*) FROM holdings WHERE match_key = 'h2'"
                        " AND instance_id = md5('b2')::uuid AND %lld > 0"), 1);
  t = pgt_str(f->x.c, "SELECT holdings->>'callNumber' || '|' || version FROM holdings"
                      " WHERE match_key = 'h1'");
  assert_string_equal(t, "QA1 .A1 c.2|2");
  free(t);
  assert_int_equal(q(f, "SELECT count(*) FROM holdings WHERE %lld > 0"), 2);
  assert_int_equal(q(f, "SELECT count(*) FROM instances WHERE %lld > 0"), 2);
}

/* Authorities match on 001 (with 003) and on their LCCN: a record with
 * another 001 but the same 010 updates the same Authority. */
static void test_authorities_match_on_lccn(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add_authority(f, 0, 1, "a1", "n  00000492 ", "Sorensen-Smith, Lucie");
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 1);
  f->n = 0;
  add_authority(f, 1, 2, "other-001", "n 00000492", "Sorensen-Smith, Lucie, 1950-");
  write_ok(f, &res);
  assert_int_equal(res.updated, 1);
  assert_int_equal(q(f, "SELECT count(*) FROM authorities WHERE %lld > 0"), 1);
  char *t = pgt_str(f->x.c, "SELECT lccn || '|' || version || '|' ||"
                            " (authority->>'personalName') FROM authorities");
  assert_string_equal(t, "n00000492|2|Sorensen-Smith, Lucie, 1950-");
  free(t);
  assert_int_equal(q(f, "SELECT authorities FROM job_progress WHERE job_id = %lld"), 2);
}

static void test_completion_flips_once_total_set_first(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  char err[512];
  bool done = true;
  assert_int_equal(mp_job_set_total(f->x.c, f->job, 3, &done, err, sizeof err), 0);
  assert_false(done);
  add(f, 0, 0, 1, "c1", "A");
  add(f, 1, 0, 2, "c2", "B");
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.ncompleted, 0);
  f->n = 0;
  add(f, 2, 0, 3, "c3", "C");
  write_ok(f, &res);
  assert_int_equal(res.ncompleted, 1);
  assert_int_equal(res.completed_jobs[0], f->job);
  write_ok(f, &res); /* replay: no second flip */
  assert_int_equal(res.ncompleted, 0);
  mp_job_summary_t s;
  assert_int_equal(mp_job_get(f->x.c, f->job, &s, err, sizeof err), 0);
  assert_string_equal(mp_job_status_name(s.status), "COMPLETED");
  assert_int_equal(s.processed, 3);
  assert_int_equal(s.created, 3);
  assert_true(s.completed_at > 0);
  assert_int_equal(mp_job_check_complete(f->x.c, f->job, &done, err, sizeof err), 0);
  assert_false(done);
}

static void test_completion_flips_once_total_set_last(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  add(f, 0, 0, 1, "d1", "A");
  add(f, 0, 1, 2, "d2", "B");
  corrupt(f, 1); /* an error makes it COMPLETED_WITH_ERRORS */
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.ncompleted, 0);
  char err[512];
  bool done = false;
  assert_int_equal(mp_job_set_total(f->x.c, f->job, 2, &done, err, sizeof err), 0);
  assert_true(done);
  assert_int_equal(mp_job_set_total(f->x.c, f->job, 2, &done, err, sizeof err), 0);
  assert_false(done);
  mp_job_summary_t s;
  assert_int_equal(mp_job_get(f->x.c, f->job, &s, err, sizeof err), 0);
  assert_string_equal(mp_job_status_name(s.status), "COMPLETED_WITH_ERRORS");
  assert_int_equal(s.errors, 1);
  assert_int_equal(s.total, 2);
}

static void test_injection_looking_data_is_stored_verbatim(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  const char *evil = "O'Brien'); DROP TABLE instances; -- \\N \\x41 \t tab \"q\" \\";
  add(f, 0, 0, 1, "e'1\\", evil);
  mp_sink_result_t res;
  write_ok(f, &res);
  assert_int_equal(res.created, 1);
  /* the title as FOLIO's escaper leaves it: lone backslashes doubled, the
   * final one dropped; the raw record is verbatim (below) */
  char *t = pgt_str(f->x.c, "SELECT instance->>'title' FROM instances");
  assert_string_equal(t, "O'Brien'); DROP TABLE instances; -- \\\\N \\\\x41 \t tab \"q\" ");
  free(t);
  t = pgt_str(f->x.c, "SELECT match_key FROM instances");
  assert_string_equal(t, "e'1\\");
  free(t);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT encode(raw, 'hex') FROM source_records WHERE job_id = %lld",
           (long long)f->job);
  char *hex = pgt_str(f->x.c, sql);
  assert_int_equal(strlen(hex), 2 * f->recs[0].value_len);
  for (size_t i = 0; i < f->recs[0].value_len; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    assert_int_equal(v, (unsigned char)f->bufs[0][i]);
  }
  free(hex);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = current_schema() AND table_name = 'instances'"),
                   1);
}


/* Two workers write the last records of a job at the same time (their
 * transactions overlap by the sink latency): the job must complete, and
 * exactly one of them flips it. Then the same race between a worker's last
 * batch and mp_job_set_total. */
static void test_concurrent_last_batches_complete_exactly_once(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  char err[512];
  for (int round = 0; round < 3; round++) {
    mp_job_spec_t spec = {.file_name = "race.mrc"};
    assert_int_equal(mp_job_create(f->x.c, &spec, &f->job, err, sizeof err), 0);
    bool done = true;
    assert_int_equal(mp_job_set_total(f->x.c, f->job, 4, &done, err, sizeof err), 0);
    assert_false(done);
    f->n = 0;
    char id[4][16];
    for (int i = 0; i < 4; i++) {
      snprintf(id[i], sizeof id[i], "r%d_%d", round, i);
      add(f, i / 2, i % 2, i + 1, id[i], "Race");
    }
    mp_sink_t *s2 = open_sink(f, 300), *s1 = open_sink(f, 300);
    pgt_write_arg_t a[2] = {{s1, f->recs, 2, -1, {0}}, {s2, f->recs + 2, 2, -1, {0}}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
      pthread_create(&th[i], NULL, pgt_write_thread, &a[i]);
    for (int i = 0; i < 2; i++)
      pthread_join(th[i], NULL);
    assert_int_equal(a[0].rc, 0);
    assert_int_equal(a[1].rc, 0);
    assert_int_equal(a[0].res.ncompleted + a[1].res.ncompleted, 1);
    mp_job_summary_t sum;
    assert_int_equal(mp_job_get(f->x.c, f->job, &sum, err, sizeof err), 0);
    assert_string_equal(mp_job_status_name(sum.status), "COMPLETED");
    mp_sink_close(s1);
    mp_sink_close(s2);
  }
  /* worker's last batch against set_total */
  for (int round = 0; round < 3; round++) {
    mp_job_spec_t spec = {.file_name = "race2.mrc"};
    assert_int_equal(mp_job_create(f->x.c, &spec, &f->job, err, sizeof err), 0);
    assert_int_equal(mp_job_set_status(f->x.c, f->job, MP_JOB_PRODUCING, err, sizeof err), 0);
    f->n = 0;
    char id[16];
    snprintf(id, sizeof id, "s%d", round);
    add(f, 0, round, 1, id, "Race two");
    mp_sink_t *s1 = open_sink(f, 300);
    pgt_write_arg_t a = {s1, f->recs, 1, -1, {0}};
    pthread_t th;
    pthread_create(&th, NULL, pgt_write_thread, &a);
    usleep(100000 * (useconds_t)round); /* before, during, after the sleep */
    bool done = false;
    assert_int_equal(mp_job_set_total(f->x.c, f->job, 1, &done, err, sizeof err), 0);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.res.ncompleted + (done ? 1 : 0), 1);
    mp_job_summary_t sum;
    assert_int_equal(mp_job_get(f->x.c, f->job, &sum, err, sizeof err), 0);
    assert_string_equal(mp_job_status_name(sum.status), "COMPLETED");
    mp_sink_close(s1);
  }
}

/* The lock protocol of the completion check: while a writer holds its
 * key-share lock on the job row (as a worker does from its check to its
 * COMMIT while the total is unknown), the producer's plain updates of the
 * row do not wait, but mp_job_set_total does (lock_timeout makes waiting
 * an error, a transient one: waiting longer may succeed). */
static void test_job_row_lock_protocol(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  PGconn *w = pgt_connect(f->x.tenant);
  char err[512];
  int nflip = -1;
  PGresult *r = PQexec(w, "BEGIN");
  PQclear(r);
  assert_int_equal(mp__job_complete_locked(w, &f->job, 1, NULL, 0, &nflip, err, sizeof err), 0);
  assert_int_equal(nflip, 0);
  r = PQexec(f->x.c, "SET lock_timeout = '300ms'");
  PQclear(r);
  assert_int_equal(mp_job_set_produced(f->x.c, f->job, 1, err, sizeof err), 0);
  assert_int_equal(mp_job_set_status(f->x.c, f->job, MP_JOB_PRODUCING, err, sizeof err), 0);
  bool done = false;
  assert_int_equal(mp_job_set_total(f->x.c, f->job, 1, &done, err, sizeof err), MP_ETRANSIENT);
  assert_non_null(strstr(err, "lock timeout"));
  r = PQexec(w, "COMMIT");
  PQclear(r);
  assert_int_equal(mp_job_set_total(f->x.c, f->job, 1, &done, err, sizeof err), 0);
  /* tail phase: total known, so writers exclude each other */
  r = PQexec(w, "BEGIN");
  PQclear(r);
  assert_int_equal(mp__job_complete_locked(w, &f->job, 1, NULL, 0, &nflip, err, sizeof err), 0);
  PGconn *w2 = pgt_connect(f->x.tenant);
  r = PQexec(w2, "SET lock_timeout = '300ms'");
  PQclear(r);
  r = PQexec(w2, "BEGIN");
  PQclear(r);
  assert_int_equal(mp__job_complete_locked(w2, &f->job, 1, NULL, 0, &nflip, err, sizeof err),
                   MP_ETRANSIENT);
  assert_non_null(strstr(err, "lock timeout"));
  r = PQexec(w, "COMMIT");
  PQclear(r);
  PQfinish(w2);
  PQfinish(w);
  r = PQexec(f->x.c, "SET lock_timeout = 0");
  PQclear(r);
}

static void test_killed_connection_is_transient_and_retry_succeeds(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_t *slow = open_sink(f, 3000);
  add(f, 0, 0, 1, "x1", "A");
  add(f, 0, 1, 2, "x2", "B");
  pgt_write_arg_t a = {slow, f->recs, f->n, 0, {0}};
  pthread_t th;
  pthread_create(&th, NULL, pgt_write_thread, &a);
  long long killed = 0;
  for (int i = 0; i < 500 && !killed; i++) {
    killed = pgt_num(f->x.c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid() "
                           "AND datname = current_database() AND state = 'active'");
    if (!killed)
      usleep(10000);
  }
  pthread_join(th, NULL);
  assert_int_equal(killed, 1);
  assert_int_equal(a.rc, MP_ETRANSIENT);
  assert_true(strlen(a.res.errmsg) > 0);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld"), 0);
  assert_int_equal(q(f, "SELECT count(*) FROM job_progress WHERE job_id = %lld"), 0);
  /* the same sink reconnects and the retried batch commits */
  memset(&a.res, 0, sizeof a.res);
  pgt_write_thread(&a);
  assert_int_equal(a.rc, 0);
  assert_int_equal(a.res.created, 2);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld"), 2);
  mp_sink_close(slow);
}

/* A real UTF-8 file (SOURCES.md: 386 LC records, all bibliographic), cut
 * into records by their leader lengths over 3 partitions and written as
 * ONE batch (its COPY data, over 1 MB, is sent in several chunks): every
 * record is journaled once with its bytes, the job completes, and a full
 * replay in batches of 100 changes nothing. */
static void test_real_file_batches_complete_and_replay(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  size_t len = 0;
  char *data = tu_slurp(tu_data("iso2709/mrrctestbed--bibliographic-sample.mrc"), &len);
  enum { MAXR = 1000 };
  mp_sink_rec_t *recs = calloc(MAXR, sizeof *recs);
  size_t n = pgt_split(data, len, f->job, 3, recs, MAXR);
  assert_int_equal(n, 386);
  char err[512];
  bool done = true;
  assert_int_equal(mp_job_set_total(f->x.c, f->job, (int64_t)n, &done, err, sizeof err), 0);
  assert_false(done);
  uint64_t outcomes = 0;
  int flips = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0, step = pass == 0 ? n : 100; i < n; i += step) {
      mp_sink_result_t res;
      size_t k = n - i < step ? n - i : step;
      int rc = mp_sink_write_batch(f->x.sink, recs + i, k, &res);
      if (rc)
        fail_msg("batch %zu: %s", i, res.errmsg);
      if (pass == 0)
        outcomes += res.created + res.updated + res.duplicates + res.skipped + res.errors;
      else
        assert_int_equal(res.replayed, k);
      flips += res.ncompleted;
    }
  assert_int_equal(outcomes, 386);
  assert_int_equal(flips, 1);
  assert_int_equal(q(f, "SELECT count(*) FROM journal WHERE job_id = %lld"), 386);
  assert_int_equal(q(f, "SELECT sum(processed) FROM job_progress WHERE job_id = %lld"), 386);
  assert_int_equal(q(f, "SELECT count(*) FROM job_progress WHERE job_id = %lld"), 3);
  assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE id = %lld AND status LIKE 'COMPLETED%%'"), 1);
  /* one Instance per distinct match key of the stored records */
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances"),
                   pgt_num(f->x.c, "SELECT count(DISTINCT s.match_key) FROM source_records "
                                 "s JOIN journal j USING (job_id, seq) "
                                 "WHERE j.outcome IN ('CREATED', 'UPDATED', 'DUPLICATE')"));
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld AND "
                        "length(raw) > 0"), 386 - q(f, "SELECT count(*) FROM journal WHERE "
                                                      "job_id = %lld AND outcome = 'ERROR'"));
  /* every byte arrived, whichever chunk carried it: the raw bytes of the
   * stored records and of the journaled errors add up to the input's */
  long long total = 0;
  for (size_t i = 0; i < n; i++)
    total += (long long)recs[i].value_len;
  assert_int_equal(q(f, "SELECT (SELECT coalesce(sum(length(raw)), 0) FROM source_records "
                        "WHERE job_id = %1$lld) + (SELECT coalesce(sum(length(raw)), 0) "
                        "FROM journal WHERE job_id = %1$lld AND outcome = 'ERROR')"),
                   total);
  assert_int_equal(q(f, "SELECT next_offset FROM kafka_offsets WHERE %lld > 0 AND partition = 0"),
                   129);
  assert_int_equal(pgt_num(f->x.c, "SELECT count(*) FROM instances "
                                 "WHERE hrid IS DISTINCT FROM instance->>'hrid'"), 0);
  /* valid UTF-8 throughout: every stored record has its MARC-in-JSON */
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld AND "
                        "parsed IS NULL"), 0);
  assert_int_equal(q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld AND "
                        "parsed ? 'leader'"),
                   q(f, "SELECT count(*) FROM source_records WHERE job_id = %lld"));
  free(recs);
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrations_apply_twice_idempotently, setup, teardown),
      cmocka_unit_test(test_migrations_concurrent_starters_apply_once),
      cmocka_unit_test(test_migrations_numbered_apart_all_run),
      cmocka_unit_test_setup_teardown(test_batch_writes_exact_rows_and_replay_changes_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_offset_reset_then_new_log_moves_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_record_is_journaled_and_rest_committed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_same_key_in_one_batch_last_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_holdings_link_to_their_instance, setup, teardown),
      cmocka_unit_test_setup_teardown(test_authorities_match_on_lccn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_authority_created_and_json_message_created, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_completion_flips_once_total_set_first, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_completion_flips_once_total_set_last, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_injection_looking_data_is_stored_verbatim, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_real_file_batches_complete_and_replay, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_last_batches_complete_exactly_once, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_job_row_lock_protocol, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_killed_connection_is_transient_and_retry_succeeds,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
