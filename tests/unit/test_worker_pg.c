/* test_worker_pg.c: the worker with the real PostgreSQL sink, fed a real
 * MARC file through librdkafka's in-process mock cluster (skipped only
 * when PGHOST is unset). The job completes, PostgreSQL and Kafka hold the
 * same next offsets, and a replay of the whole topic by another group
 * changes no row. */
#include "pgtest.h"
#include "testutil.h"
#include "tu_kafka.h"

#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/mapping.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/sink.h"
#include "marcpipe/worker.h"


#define NPART 3
#define TOPIC "marcpipe.Default.wtest.DI_INCOMING_MARC_BIB_RECORD"
#define NREC 386 /* SOURCES.md: mrrctestbed--bibliographic-sample.mrc */


/* Produce every record of the file as one message (job, seq, ISO 2709),
 * round-robin over the partitions. Returns the record count. */
static int produce_file(const char *path, int64_t job) {
  size_t len = 0;
  char *data = tu_slurp(path, &len);
  char err[256], jobs[24], seqs[24];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", tu_brokers, err, sizeof err);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  assert_non_null(p);
  snprintf(jobs, sizeof jobs, "%lld", (long long)job);
  int n = 0;
  for (size_t off = 0; off + 5 <= len; n++) {
    char l[6] = {data[off], data[off + 1], data[off + 2], data[off + 3],
                 data[off + 4], 0};
    size_t rl = strtoul(l, NULL, 10);
    assert_true(rl > 24 && off + rl <= len);
    snprintf(seqs, sizeof seqs, "%d", n + 1);
    assert_int_equal(
        rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC),
                          RD_KAFKA_V_PARTITION(n % NPART),
                          RD_KAFKA_V_VALUE(data + off, rl),
                          RD_KAFKA_V_HEADER(MP_HDR_JOB, jobs, -1),
                          RD_KAFKA_V_HEADER(MP_HDR_SEQ, seqs, -1),
                          RD_KAFKA_V_HEADER(MP_HDR_CONTENT_TYPE,
                                            MP_CT_NAME_ISO2709, -1),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END),
        0);
    off += rl;
  }
  assert_int_equal(rd_kafka_flush(p, 30000), 0);
  rd_kafka_destroy(p);
  free(data);
  return n;
}

typedef struct {
  int status;
  mp_worker_stats_t st;
} result_t;

static void on_done(mp_worker_t *w, int status) {
  result_t *r = mp_worker_data(w);
  r->status = status;
  mp_worker_get_stats(w, &r->st);
}

static const char *const props[] = {"session.timeout.ms=6000",
                                    "heartbeat.interval.ms=500", "log_level=3"};

static void run(mp_sink_config_t *sink, const char *group, result_t *r) {
  uv_loop_t loop;
  char err[512];
  mp_worker_config_t c;
  mp_worker_t *w;
  mp_worker_config_defaults(&c);
  c.brokers = tu_brokers;
  c.props = props;
  c.nprops = 3;
  c.topic = TOPIC;
  c.group = group;
  c.window_records = 100;
  c.batch_records = 40;
  c.exit_when_idle_ms = 1500;
  c.sink = &mp_worker_pg_sink_ops;
  c.sink_ctx = sink;
  c.data = r;
  sink->group = group;
  memset(r, 0, sizeof *r);
  r->status = -1;
  assert_int_equal(uv_loop_init(&loop), 0);
  if (mp_worker_new(&loop, &c, &w, err, sizeof err) ||
      mp_worker_start(w, on_done, err, sizeof err))
    fail_msg("worker: %s", err);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  mp_worker_destroy(w);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static long long q(PGconn *c, const char *fmt, long long a) {
  char sql[512];
  snprintf(sql, sizeof sql, fmt, a);
  return pgt_num(c, sql);
}

static void test_worker_imports_real_file_and_replay_changes_nothing(void **s) {
  SKIP_WITHOUT_PG();
  char tenant[40], err[512];
  pgt_tenant(tenant, sizeof tenant);
  PGconn *c = pgt_connect(tenant);
  mp_mapping_t *map = mp_mapping_load(NULL, NULL, err, sizeof err);
  if (!map)
    fail_msg("mapping: %s", err);
  mp_sink_config_t sink = {.conninfo = "", .tenant = tenant, .mapping = map};
  int64_t job;
  mp_job_spec_t spec = {.file_name = "sample.mrc", .file_format = "iso2709",
                        .topic = TOPIC};
  assert_int_equal(mp_job_create(c, &spec, &job, err, sizeof err), 0);
  assert_int_equal(mp_job_set_status(c, job, MP_JOB_PRODUCING, err, sizeof err), 0);
  rd_kafka_mock_topic_create(tu_mock, TOPIC, NPART, 1);
  int n = produce_file(
      tu_data("iso2709/mrrctestbed--bibliographic-sample.mrc"), job);
  assert_int_equal(n, NREC);
  bool done = true;
  assert_int_equal(mp_job_set_total(c, job, n, &done, err, sizeof err), 0);
  assert_false(done);

  result_t r;
  run(&sink, "wtest.g1", &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, NREC);
  assert_int_equal(r.st.committed, NREC);
  assert_int_equal(r.st.invalid, 0);
  assert_true(r.st.max_records_held <= 100);
  assert_int_equal(r.st.created + r.st.updated + r.st.duplicates +
                       r.st.skipped + r.st.errors,
                   NREC);
  assert_int_equal(r.st.replayed, 0);
  assert_int_equal(q(c, "SELECT count(*) FROM jobs WHERE id = %lld AND "
                        "status LIKE 'COMPLETED%%'", job), 1);
  assert_int_equal(q(c, "SELECT count(*) FROM journal WHERE job_id = %lld", job),
                   NREC);
  assert_int_equal(q(c, "SELECT sum(processed) FROM job_progress WHERE "
                        "job_id = %lld", job), NREC);
  long long instances = pgt_num(c, "SELECT count(*) FROM instances");
  assert_true(instances > 0);
  /* PostgreSQL's next offsets = Kafka's committed = the high watermarks */
  char e2[256];
  rd_kafka_conf_t *kc = rd_kafka_conf_new();
  rd_kafka_conf_set(kc, "bootstrap.servers", tu_brokers, e2, sizeof e2);
  rd_kafka_conf_set(kc, "group.id", "wtest.g1", e2, sizeof e2);
  rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, kc, e2, sizeof e2);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
  for (int p = 0; p < NPART; p++)
    rd_kafka_topic_partition_list_add(l, TOPIC, p);
  assert_int_equal(rd_kafka_committed(k, l, 10000), 0);
  for (int p = 0; p < NPART; p++) {
    int64_t lo, hi;
    assert_int_equal(rd_kafka_query_watermark_offsets(k, TOPIC, p, &lo, &hi,
                                                      10000), 0);
    assert_int_equal(hi, (NREC + NPART - 1 - p) / NPART);
    assert_int_equal(l->elems[p].offset, hi);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT next_offset FROM kafka_offsets WHERE group_id = "
             "'wtest.g1' AND partition = %d",
             p);
    assert_int_equal(pgt_num(c, sql), hi);
  }
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(k);
  rd_kafka_destroy(k);

  /* another group replays the whole topic: nothing changes */
  run(&sink, "wtest.g2", &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.st.consumed, NREC);
  assert_int_equal(r.st.replayed, NREC);
  assert_int_equal(r.st.created + r.st.updated, 0);
  assert_int_equal(q(c, "SELECT count(*) FROM journal WHERE job_id = %lld", job),
                   NREC);
  assert_int_equal(q(c, "SELECT sum(processed) FROM job_progress WHERE "
                        "job_id = %lld", job), NREC);
  assert_int_equal(pgt_num(c, "SELECT count(*) FROM instances"), instances);
  mp_mapping_free(map);
  PQfinish(c);
}


int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_worker_imports_real_file_and_replay_changes_nothing),
  };
  return cmocka_run_group_tests(tests, tu_mock_start, tu_mock_stop);
}
