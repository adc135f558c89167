/* test_circ.c: circulation events (circ.h): the v1 contract's validation
 * rules, the NDJSON producer input (every line sent or rejected with its
 * line and byte offset), the services table, and the generator's
 * determinism and oracle bookkeeping. */
#include "marcpipe/circ.h"
#include "marcpipe/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define OUT "{\"eventId\":\"e1\",\"eventType\":\"ITEM_CHECKED_OUT\"," \
            "\"tenant\":\"diku\",\"userId\":\"u1\","                   \
            "\"eventTime\":\"2026-01-05T10:00:00Z\",\"loanId\":\"l1\","  \
            "\"itemId\":\"i1\",\"dueDate\":\"2026-01-26T23:59:59Z\"}"

static int parse(const char *s, mp_circ_event_t *ev, char *why) {
  return mp_circ_event_parse(s, strlen(s), ev, why, 256);
}

static void test_circ_event_checked_out_parses_every_member(void **st) {
  mp_circ_event_t ev;
  char why[256];
  assert_int_equal(parse(OUT, &ev, why), 0);
  assert_int_equal(ev.type, MP_CIRC_CHECKED_OUT);
  assert_string_equal(ev.event_id, "e1");
  assert_string_equal(ev.user_id, "u1");
  assert_string_equal(ev.loan_id, "l1");
  assert_string_equal(ev.item_id, "i1");
  assert_string_equal(ev.due_date, "2026-01-26T23:59:59Z");
  assert_null(ev.fee_fine_id);
  mp_circ_event_release(&ev);
}

static void test_circ_event_type_names_round_trip(void **st) {
  for (int t = 0; t < MP_CIRC_NTYPES; t++)
    assert_int_equal(mp_circ_type_parse(mp_circ_type_name(t)), t);
  assert_int_equal(mp_circ_type_parse("ITEM_BORROWED"), -1);
  assert_null(mp_circ_type_name(MP_CIRC_NTYPES));
  assert_string_equal(mp_circ_type_name(MP_CIRC_FEE_FINE_BALANCE_CHANGED),
                      "FEE_FINE_BALANCE_CHANGED");
}

static void test_circ_event_required_members_per_type(void **st) {
  mp_circ_event_t ev;
  char why[256];
  /* a check-out without a due date */
  assert_int_equal(parse("{\"eventId\":\"e\",\"eventType\":\"ITEM_CHECKED_OUT\","
                         "\"tenant\":\"diku\",\"userId\":\"u\",\"eventTime\":"
                         "\"2026-01-05T10:00:00Z\",\"loanId\":\"l\",\"itemId\":\"i\"}",
                         &ev, why), MP_EFORMAT);
  assert_string_equal(why, "ITEM_CHECKED_OUT: dueDate is required");
  /* a check-in needs only the loan */
  assert_int_equal(parse("{\"eventId\":\"e\",\"eventType\":\"ITEM_CHECKED_IN\","
                         "\"tenant\":\"diku\",\"userId\":\"u\",\"eventTime\":"
                         "\"2026-01-05T10:00:00Z\",\"loanId\":\"l\"}", &ev, why), 0);
  mp_circ_event_release(&ev);
  /* a fee change without a balance */
  assert_int_equal(parse("{\"eventId\":\"e\",\"eventType\":\"FEE_FINE_BALANCE_CHANGED\","
                         "\"tenant\":\"diku\",\"userId\":\"u\",\"eventTime\":"
                         "\"2026-01-05T10:00:00Z\",\"feeFineId\":\"f\"}", &ev, why),
                   MP_EFORMAT);
  assert_string_equal(why, "FEE_FINE_BALANCE_CHANGED: balance is required");
  assert_int_equal(parse("{\"eventId\":\"e\",\"eventType\":\"FEE_FINE_BALANCE_CHANGED\","
                         "\"tenant\":\"diku\",\"userId\":\"u\",\"eventTime\":"
                         "\"2026-01-05T10:00:00Z\",\"feeFineId\":\"f\","
                         "\"balance\":12.35}", &ev, why), 0);
  assert_int_equal(ev.balance_cents, 1235);
  mp_circ_event_release(&ev);
}

static void test_circ_event_refuses_values_the_database_would(void **st) {
  mp_circ_event_t ev;
  char why[256];
  const char *bad[] = {
      /* 30 February */
      "{\"eventId\":\"e\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-30T10:00:00Z\",\"loanId\":\"l\"}",
      /* a local time */
      "{\"eventId\":\"e\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00+01:00\",\"loanId\":\"l\"}",
      /* a NUL in a string */
      "{\"eventId\":\"e\\u0000\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00Z\",\"loanId\":\"l\"}",
      /* three decimals */
      "{\"eventId\":\"e\",\"eventType\":\"FEE_FINE_BALANCE_CHANGED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00Z\",\"feeFineId\":\"f\","
      "\"balance\":1.005}",
      /* negative balance */
      "{\"eventId\":\"e\",\"eventType\":\"FEE_FINE_BALANCE_CHANGED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00Z\",\"feeFineId\":\"f\","
      "\"balance\":-1}",
      /* a tenant that is not a schema name */
      "{\"eventId\":\"e\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"Diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00Z\",\"loanId\":\"l\"}",
      /* an unknown type */
      "{\"eventId\":\"e\",\"eventType\":\"ITEM_BORROWED\",\"tenant\":\"diku\","
      "\"userId\":\"u\",\"eventTime\":\"2026-02-03T10:00:00Z\",\"loanId\":\"l\"}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_not_equal(parse(bad[i], &ev, why), 0);
    assert_null(ev.json);
  }
  assert_int_equal(parse("[1,2]", &ev, why), MP_EJSON);
  assert_int_equal(parse("{\"eventId\":", &ev, why), MP_EJSON);
  /* 29 February of a leap year is a date */
  assert_int_equal(parse("{\"eventId\":\"e\",\"eventType\":\"LOAN_CLOSED\","
                         "\"tenant\":\"diku\",\"userId\":\"u\",\"eventTime\":"
                         "\"2028-02-29T23:59:59Z\",\"loanId\":\"l\"}", &ev, why), 0);
  mp_circ_event_release(&ev);
}

static void test_circ_input_sends_valid_lines_and_rejects_the_rest(void **st) {
  char path[] = "/tmp/test_circ_input.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "%s\n\n%s\nnot json\n%s\n", OUT,
          "{\"eventId\":\"e2\",\"eventType\":\"LOAN_CLOSED\",\"tenant\":\"other\","
          "\"userId\":\"u2\",\"eventTime\":\"2026-01-05T10:00:00Z\",\"loanId\":\"l\"}",
          "{\"eventId\":\"e3\",\"eventType\":\"ITEM_CHECKED_IN\",\"tenant\":\"diku\","
          "\"userId\":\"u3\",\"eventTime\":\"2026-01-05T10:00:00Z\",\"loanId\":\"l1\"}");
  fclose(f);
  mp_producer_input_t in;
  mp_producer_item_t it;
  char err[256];
  assert_int_equal(mp_circ_input_open(path, "diku", &in, err, sizeof err), 0);
  assert_int_equal(in.next(in.ctx, &it), 0);
  assert_int_equal(it.kind, MP_ITEM_RECORD);
  assert_int_equal(it.key_len, 2);
  assert_memory_equal(it.key, "u1", 2);
  assert_int_equal(it.value_len, strlen(OUT));
  assert_int_equal(it.content_type, MP_CT_EVENT);
  assert_string_equal(it.event_type, "ITEM_CHECKED_OUT");
  size_t line3 = strlen(OUT) + 2; /* the blank line 2 is skipped */
  assert_int_equal(in.next(in.ctx, &it), 0);
  assert_int_equal(it.kind, MP_ITEM_REJECTED);
  assert_int_equal(it.offset, line3);
  assert_non_null(strstr(it.reason, ": line 3 at byte "));
  assert_non_null(strstr(it.reason, "tenant 'other' is not the run's tenant"));
  assert_int_equal(in.next(in.ctx, &it), 0);
  assert_int_equal(it.kind, MP_ITEM_REJECTED);
  assert_int_equal(it.error, MP_EJSON);
  assert_int_equal(it.raw_len, 8);
  assert_memory_equal(it.raw, "not json", 8);
  assert_non_null(strstr(it.reason, ": line 4 at byte "));
  assert_int_equal(in.next(in.ctx, &it), 0);
  assert_int_equal(it.kind, MP_ITEM_RECORD);
  assert_string_equal(it.event_type, "ITEM_CHECKED_IN");
  assert_int_equal(in.next(in.ctx, &it), MP_EOF);
  in.close(in.ctx);
  unlink(path);
}

static void test_circ_services_table_names_blocks_and_audit(void **st) {
  size_t n;
  const mp_circ_service_t *s = mp_circ_services(&n);
  assert_int_equal(n, 2);
  assert_ptr_equal(mp_circ_service_find("blocks"), &s[0]);
  assert_ptr_equal(mp_circ_service_find("audit"), &s[1]);
  assert_null(mp_circ_service_find("notices"));
  assert_null(mp_circ_service_find(NULL));
}

/* Generate into memory; returns the events text (caller frees). */
static char *gen(uint64_t seed, uint64_t events, unsigned dup, char **oracle) {
  char *ev = NULL, *or = NULL;
  size_t evn = 0, orn = 0;
  FILE *e = open_memstream(&ev, &evn), *o = open_memstream(&or, &orn);
  mp_circ_gen_opts_t opts = {.seed = seed, .patrons = 30, .events = events,
                             .duplicate_pct = dup, .tenant = "diku"};
  char err[128];
  assert_int_equal(mp_circ_gen(&opts, e, o, err, sizeof err), 0);
  fclose(e);
  fclose(o);
  *oracle = or;
  return ev;
}

static void test_circ_gen_same_seed_same_bytes(void **st) {
  char *o1, *o2, *o3;
  char *a = gen(42, 3000, 5, &o1), *b = gen(42, 3000, 5, &o2),
       *c = gen(43, 3000, 5, &o3);
  assert_string_equal(a, b);
  assert_string_equal(o1, o2);
  assert_string_not_equal(a, c);
  free(a); free(b); free(c); free(o1); free(o2); free(o3);
}

static void test_circ_gen_writes_every_event_and_counts_duplicates(void **st) {
  char *o;
  char *ev = gen(7, 2500, 10, &o);
  size_t lines = 0, valid = 0, distinct = 0;
  char *save = NULL, *copy = strdup(ev);
  char **ids = calloc(2500, sizeof *ids);
  /* every line is a valid event; count the distinct eventIds */
  for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    mp_circ_event_t e;
    char why[256];
    lines++;
    if (mp_circ_event_parse(l, strlen(l), &e, why, sizeof why) == 0) {
      valid++;
      bool seen = false;
      for (size_t i = 0; i < distinct && !seen; i++)
        seen = !strcmp(ids[i], e.event_id);
      if (!seen)
        ids[distinct++] = strdup(e.event_id);
      mp_circ_event_release(&e);
    }
  }
  assert_int_equal(lines, 2500);
  assert_int_equal(valid, 2500);
  unsigned long long events = 0, unique = 0;
  assert_int_equal(sscanf(o, "{\"events\":%llu,\"unique_events\":%llu", &events,
                          &unique), 2);
  assert_int_equal(events, 2500);
  /* the oracle's count of distinct events is the file's; 10% asked for */
  assert_int_equal(unique, distinct);
  assert_true(lines - distinct > 2500 * 5 / 100 && lines - distinct < 2500 * 15 / 100);
  for (size_t i = 0; i < distinct; i++)
    free(ids[i]);
  free(ids);
  free(copy);
  free(ev);
  free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_circ_event_checked_out_parses_every_member),
      cmocka_unit_test(test_circ_event_type_names_round_trip),
      cmocka_unit_test(test_circ_event_required_members_per_type),
      cmocka_unit_test(test_circ_event_refuses_values_the_database_would),
      cmocka_unit_test(test_circ_input_sends_valid_lines_and_rejects_the_rest),
      cmocka_unit_test(test_circ_services_table_names_blocks_and_audit),
      cmocka_unit_test(test_circ_gen_same_seed_same_bytes),
      cmocka_unit_test(test_circ_gen_writes_every_event_and_counts_duplicates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
