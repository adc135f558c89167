/* test_circ_sink.c: the worker sink of a circulation service against
 * PostgreSQL (mp_circ_sink_ops, circ.h; circ_apply_batch in
 * 006_circulation.sql): counts of a batch, messages that are not events
 * (kept, reported for the dead-letter topic, counted as processed),
 * redeliveries, a duplicated event in a new message, stored offsets. */
#include "pgtest.h"

#include "marcpipe/circ.h"

#define EV(id, user, loan)                                                   \
  "{\"eventId\":\"" id "\",\"eventType\":\"ITEM_CHECKED_OUT\",\"tenant\":\"" \
  "%s\",\"userId\":\"" user "\",\"eventTime\":\"2026-01-05T10:00:00Z\","     \
  "\"loanId\":\"" loan "\",\"itemId\":\"i-" loan "\",\"dueDate\":"           \
  "\"2026-01-26T23:59:59Z\"}"

typedef struct fx_s {
  char tenant[40];
  char bufs[6][512];
  mp_sink_rec_t recs[6];
  mp_circ_sink_config_t cfg;
  void *sink;
  PGconn *c;
} fx_t;

static void rec(fx_t *f, int i, int64_t seq, int64_t offset,
                mp_content_type_t ct, const char *fmt) {
  snprintf(f->bufs[i], sizeof f->bufs[i], fmt, f->tenant);
  f->recs[i] = (mp_sink_rec_t){.topic = "circ.topic", .partition = 2,
                               .offset = offset, .job_id = 7, .seq = seq,
                               .key = "u", .key_len = 1, .value = f->bufs[i],
                               .value_len = strlen(f->bufs[i]),
                               .content_type = ct};
}

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  *state = f;
  if (!pgt_available())
    return 0;
  pgt_tenant(f->tenant, sizeof f->tenant);
  f->cfg = (mp_circ_sink_config_t){.conninfo = "", .tenant = f->tenant,
                                   .group = "g.blocks",
                                   .service = mp_circ_service_find("blocks")};
  char err[512];
  if (mp_circ_sink_ops.open(&f->cfg, 0, &f->sink, err, sizeof err))
    fail_msg("open: %s", err);
  f->c = pgt_connect(f->tenant);
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (f->sink)
    mp_circ_sink_ops.close(f->sink);
  if (f->c)
    PQfinish(f->c);
  free(f);
  return 0;
}

static void test_circ_sink_applies_keeps_invalid_and_ignores_replays(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_result_t res;
  rec(f, 0, 1, 10, MP_CT_EVENT, EV("e1", "u1", "l1"));
  rec(f, 1, 2, 11, MP_CT_EVENT, "{\"eventId\":");          /* not JSON */
  rec(f, 2, 3, 12, MP_CT_EVENT, EV("e2", "u1", "l2"));
  rec(f, 3, 4, 13, MP_CT_ISO2709, EV("e3", "u1", "l3"));    /* not an event */
  rec(f, 4, 5, 14, MP_CT_EVENT,                             /* other tenant */
      "{\"eventId\":\"e4\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"zz%s\","
      "\"userId\":\"u1\",\"eventTime\":\"2026-01-05T10:00:00Z\",\"loanId\":\"l1\"}");
  assert_int_equal(mp_circ_sink_ops.write_batch(f->sink, f->recs, 5, &res), 0);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.errors, 3);
  assert_int_equal(res.replayed, 0);
  assert_int_equal(res.duplicates, 0);
  assert_int_equal(res.nerror_recs, 3);
  assert_int_equal(res.error_recs[0].index, 1);
  assert_string_equal(res.error_recs[0].error_class, "MP_EJSON");
  assert_int_equal(res.error_recs[1].index, 3);
  assert_int_equal(res.error_recs[2].index, 4);
  assert_non_null(strstr(res.error_recs[2].reason, "job 7 seq 5 (partition 2 offset 14)"));
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_loans WHERE user_id = 'u1'"), 2);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_invalid"), 3);
  assert_int_equal(pgt_num(f->c, "SELECT length(raw) FROM circ_invalid WHERE seq = 2"), 11);
  assert_int_equal(pgt_num(f->c, "SELECT processed FROM circ_progress WHERE"
                                 " service = 'blocks' AND job_id = 7 AND partition = 2"), 5);
  assert_int_equal(pgt_num(f->c, "SELECT next_offset FROM kafka_offsets WHERE"
                                 " group_id = 'g.blocks' AND topic = 'circ.topic'"
                                 " AND partition = 2"), 15);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_services"
                                 " WHERE service = 'blocks'"), 1);

  /* the same batch again (a redelivery): nothing moves */
  assert_int_equal(mp_circ_sink_ops.write_batch(f->sink, f->recs, 5, &res), 0);
  assert_int_equal(res.created, 0);
  assert_int_equal(res.replayed, 5);
  assert_int_equal(pgt_num(f->c, "SELECT processed FROM circ_progress WHERE job_id = 7"), 5);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_loans"), 2);

  /* a new message carrying an event already applied (same eventId) */
  rec(f, 5, 6, 15, MP_CT_EVENT, EV("e1", "u1", "l1"));
  assert_int_equal(mp_circ_sink_ops.write_batch(f->sink, &f->recs[5], 1, &res), 0);
  assert_int_equal(res.created, 0);
  assert_int_equal(res.duplicates, 1);
  assert_int_equal(res.replayed, 0);
  assert_int_equal(pgt_num(f->c, "SELECT processed FROM circ_progress WHERE job_id = 7"), 6);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_applied WHERE service = 'blocks'"), 2);

  int32_t parts[2] = {2, 3};
  mp_sink_offset_t next[2];
  assert_int_equal(mp_circ_sink_ops.load_offsets(f->sink, "circ.topic", parts, next, 2), 0);
  assert_int_equal(next[0].next, 16);
  assert_int_equal(next[1].next, -1);
  assert_string_equal(next[0].cluster_id, ""); /* identity not kept */
}

static void test_circ_audit_is_append_only(void **state) {
  SKIP_WITHOUT_PG();
  fx_t *f = *state;
  mp_sink_result_t res;
  mp_circ_sink_config_t audit = f->cfg;
  audit.service = mp_circ_service_find("audit");
  audit.group = "g.audit";
  void *s = NULL;
  char err[512];
  assert_int_equal(mp_circ_sink_ops.open(&audit, 0, &s, err, sizeof err), 0);
  rec(f, 0, 1, 0, MP_CT_EVENT, EV("a1", "u9", "l9"));
  rec(f, 1, 2, 1, MP_CT_EVENT, EV("a1", "u9", "l9")); /* a duplicated line */
  assert_int_equal(mp_circ_sink_ops.write_batch(s, f->recs, 2, &res), 0);
  assert_int_equal(res.created, 1);
  assert_int_equal(res.duplicates, 1);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_audit WHERE user_id = 'u9'"
                                 " AND item_id = 'i-l9' AND seq = 1"), 1);
  PGresult *r = PQexec(f->c, "DELETE FROM circ_audit");
  assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
  assert_non_null(strstr(PQresultErrorMessage(r), "circ_audit is append-only"));
  PQclear(r);
  assert_int_equal(pgt_num(f->c, "SELECT count(*) FROM circ_audit"), 1);
  mp_circ_sink_ops.close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_circ_sink_applies_keeps_invalid_and_ignores_replays, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_circ_audit_is_append_only, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
