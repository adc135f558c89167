/* test_json.c: the MARC-in-JSON reader (stream backend and
 * mp_marc_parse_json) and writer, on the real files of tests/data/marc
 * (counts from its SOURCES.md) and on small inputs that isolate one shape
 * or one fault each: single object, array, NDJSON, bad JSON inside one
 * record, input that cannot be framed, bounded memory on a large array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tu_marc.h"

#include <stdio.h>
#include <unistd.h>

static const mp_marc_reader_opts_t json_opts = {.format = MP_FMT_JSON};

static void test_json_counts_match_sources(void **s) {
  static const struct {
    const char *file;
    size_t records;
    uint64_t errors; /* error returns */
  } cases[] = {
      {"json/traject--test_data.utf8.json", 30, 0}, /* NDJSON */
      {"json/pymarc--batch.json", 2, 0},            /* array */
      {"json/marc4j--marc-in-json.json", 1, 0},     /* one object */
      {"json/yaz--marc1.json", 1, 0},
      {"json/pymarc--one.json", 1, 0},
      /* not valid JSON: a raw newline inside a string */
      {"malformed/pymarc--test.json", 0, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tu_records_t t;
    tu_read_file(tu_data(cases[i].file), NULL, &t);
    if (t.n != cases[i].records || t.errors != cases[i].errors)
      fail_msg("%s: %zu records, %llu errors; expected %zu, %llu",
               cases[i].file, t.n, (unsigned long long)t.errors,
               cases[i].records, (unsigned long long)cases[i].errors);
    tu_free(&t);
  }
}

static void test_json_field_values(void **s) {
  tu_records_t t;
  tu_read_file(tu_data("json/traject--test_data.utf8.json"), &json_opts, &t);
  assert_int_equal(t.n, 30);
  const mp_record_t *r = &t.recs[0];
  assert_memory_equal(r->leader, "00799cam a2200241 a 4500", 24);
  assert_string_equal(tu_sf(r, "001", 0), "   00282214 ");
  assert_string_equal(tu_sf(r, "245", 'a'), "Fikr-i Aya\xCC\x84z /");
  assert_int_equal(mp_record_field(r, "245")->ind1, '1');
  assert_string_equal(tu_sf(&t.recs[29], "001", 0), "  2009373513");
  assert_int_equal(t.recs[29].recno, 30);
  tu_free(&t);
  /* yaz's danMARC2 export: "001" is a data field; "ind3" is ignored */
  tu_read_file(tu_data("json/yaz--marc1.json"), NULL, &t);
  const mp_field_t *f = mp_record_field(&t.recs[0], "001");
  assert_false(f->is_control);
  assert_int_equal(f->sf_count, 3);
  assert_string_equal(tu_sf(&t.recs[0], "001", 'a'), "9 181 423 4");
  tu_free(&t);
}

#define REC1 "{\"leader\":\"00000nam a2200000 a 4500\",\"fields\":" \
             "[{\"001\":\"one\"},{\"245\":{\"ind1\":\"1\",\"ind2\":\"0\"," \
             "\"subfields\":[{\"a\":\"T\\u00e9 \\\"q\\\" {x}\"}]}}]}"
#define REC2 "{\"leader\":\"00000nam a2200000 a 4500\",\"fields\":" \
             "[{\"001\":\"two\"}]}"

static void test_json_object_array_and_ndjson_shapes(void **s) {
  static const char *docs[] = {
      "[" REC1 "," REC2 "]",
      "\xEF\xBB\xBF [\n " REC1 ",\n " REC2 "\n]\n",
      REC1 "\n" REC2 "\n",
      REC1 REC2,
  };
  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
    tu_records_t t;
    tu_read_mem(docs[i], strlen(docs[i]), NULL, &t);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.rejected, 0);
    assert_string_equal(tu_sf(&t.recs[0], "001", 0), "one");
    assert_string_equal(tu_sf(&t.recs[0], "245", 'a'), "T\xC3\xA9 \"q\" {x}");
    assert_string_equal(tu_sf(&t.recs[1], "001", 0), "two");
    tu_free(&t);
  }
  tu_records_t t;
  tu_read_mem("[]", 2, &json_opts, &t);
  assert_int_equal(t.n, 0);
  assert_int_equal(t.rejected, 0);
  tu_free(&t);
}

/* Read `doc`, expecting the results rcs[0..n) from successive calls;
 * returns the message of the last diagnostic in msg. */
static void expect(const char *doc, const int *rcs, size_t n, char *msg,
                   bool *fatal) {
  int err;
  mp_marc_reader_t *rd =
      mp_marc_reader_open_mem("t.json", doc, strlen(doc), &json_opts, &err);
  assert_non_null(rd);
  for (size_t i = 0; i < n; i++) {
    mp_record_t *rec;
    assert_int_equal(mp_marc_reader_next(rd, &rec), rcs[i]);
    size_t nd;
    const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &nd);
    if (nd)
      strcpy(msg, d[nd - 1].msg);
    if (rcs[i] < 0 && rcs[i] != MP_EOF)
      *fatal = mp_marc_reader_fatal(rd);
  }
  mp_marc_reader_close(rd);
}

static void test_json_bad_record_is_rejected_stream_goes_on(void **s) {
  char msg[256] = "";
  bool fatal = true;
  const char *doc = REC1 "\n{\"leader\": \"x\" \"fields\": []}\n" REC2 "\n";
  const int rcs[] = {0, MP_EJSON, 0, MP_EOF};
  expect(doc, rcs, 4, msg, &fatal);
  assert_false(fatal);
  /* the position jansson stopped at, counted in the whole input */
  assert_non_null(strstr(msg, "malformed json at line 2 column 23"));

  const char *shape = "[{\"fields\":[{\"245\":{\"subfields\":[{\"a\":1}]}}]}," REC2 "]";
  const int rcs2[] = {MP_EFIELD, 0, MP_EOF};
  expect(shape, rcs2, 3, msg, &fatal);
  assert_string_equal(msg, "subfield value is not a string (line 1)");
}

static void test_json_unframable_input_ends_stream(void **s) {
  char msg[256] = "";
  bool fatal = false;
  const int rcs[] = {0, MP_EJSON, MP_EOF};
  expect(REC1 "\n  xyz\n", rcs, 3, msg, &fatal);
  assert_true(fatal);
  assert_string_equal(msg, "expected a json object, found 'x' at line 2 column 3");
  fatal = false;
  const int rcs2[] = {0, MP_ETRUNCATED, MP_EOF};
  expect("[" REC1 ", {\"leader\": \"", rcs2, 3, msg, &fatal);
  assert_true(fatal);
  assert_non_null(strstr(msg, "end of input inside a json object"));
}

static void test_json_malformed_file_positioned_error(void **s) {
  int err;
  mp_marc_reader_t *rd =
      mp_marc_reader_open(tu_data("malformed/pymarc--test.json"), NULL, &err);
  assert_non_null(rd);
  mp_record_t *rec;
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EJSON);
  size_t n;
  const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &n);
  assert_int_equal(n, 1);
  assert_int_equal(d[0].recno, 1);
  assert_non_null(strstr(d[0].msg, "malformed json at line 170 column "));
  size_t rawlen;
  assert_non_null(mp_marc_reader_raw(rd, &rawlen));
  /* the array's one object: from its '{' (byte 1) to its '}' */
  assert_int_equal(rawlen, 9410 - 4); /* "[" before, "\n]\n" after */
  assert_int_equal(d[0].offset, 1 + 3717); /* where jansson stopped */
  assert_int_equal(mp_marc_reader_next(rd, &rec), MP_EOF);
  mp_marc_reader_close(rd);
}

/* A 4,000-record array read from a file with a 16 KiB record limit: the
 * reader never holds more than one record, so the limit is never hit. */
static void test_json_large_array_streams_in_bounded_memory(void **s) {
  char path[] = "/tmp/mp_test_json_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("[", f);
  for (int i = 0; i < 4000; i++)
    fprintf(f, "%s{\"leader\":\"00000nam a2200000 a 4500\",\"fields\":"
               "[{\"001\":\"r%d\"},{\"500\":{\"subfields\":[{\"a\":\"%0800d\"}]}}]}",
            i ? ",\n" : "", i, i);
  fputs("]\n", f);
  fclose(f);
  mp_marc_reader_opts_t o = {.format = MP_FMT_JSON, .max_record_bytes = 16384};
  tu_records_t t;
  tu_read_file(path, &o, &t);
  unlink(path);
  assert_int_equal(t.n, 4000);
  assert_int_equal(t.rejected, 0);
  assert_string_equal(tu_sf(&t.recs[3999], "001", 0), "r3999");
  assert_int_equal(strlen(tu_sf(&t.recs[3999], "500", 'a')), 800);
  tu_free(&t);
}

static void test_json_parse_single_value(void **s) {
  mp_record_t r;
  mp_record_init(&r);
  mp_marc_diag_t d;
  const char v[] = REC1;
  assert_int_equal(mp_marc_parse_json(v, sizeof v - 1, &r, &d), 0);
  assert_int_equal(r.nfields, 2);
  assert_string_equal(tu_sf(&r, "245", 'a'), "T\xC3\xA9 \"q\" {x}");
  assert_int_equal(mp_marc_parse_json("{\"fields\": 3", 12, &r, &d), MP_EJSON);
  assert_int_equal(d.code, MP_EJSON);
  assert_non_null(strstr(d.msg, "malformed json at line 1 column 12"));
  assert_int_equal(
      mp_marc_parse_json("{\"fields\":[{\"\":\"x\"}]}", 21, &r, &d), MP_EFIELD);
  assert_string_equal(d.msg, "field without tag");
  mp_record_release(&r);
}

static void test_json_writer_round_trips_and_escapes(void **s) {
  tu_records_t a, b;
  tu_read_file(tu_data("json/traject--test_data.utf8.json"), NULL, &a);
  mp_buf_t out;
  mp_buf_init(&out);
  for (size_t i = 0; i < a.n; i++) {
    assert_int_equal(mp_marc_write_json(&a.recs[i], &out), 0);
    assert_int_equal(mp_buf_putc(&out, '\n'), 0);
  }
  /* one line per record */
  size_t lines = 0;
  for (size_t i = 0; i < out.len; i++)
    lines += out.data[i] == '\n';
  assert_int_equal(lines, 30);
  tu_read_mem(out.data, out.len, NULL, &b);
  assert_int_equal(b.n, 30);
  for (size_t i = 0; i < a.n; i++)
    tu_assert_same(&a.recs[i], &b.recs[i], TU_LEADER, "json -> json");
  tu_free(&a);
  tu_free(&b);

  mp_record_t r, p;
  mp_record_init(&r);
  mp_record_init(&p);
  memcpy(r.leader, "00000nam a2200000 a 4500", 24);
  assert_non_null(mp_record_add_control(&r, "001", "q\"b\\s/\n\t\x01", 9, false));
  assert_non_null(mp_record_add_datafield(&r, "245", '1', '0'));
  assert_non_null(mp_record_add_subfield(&r, '"', "\xC3\xA9\xff", 3, false));
  mp_buf_clear(&out);
  assert_int_equal(mp_marc_write_json(&r, &out), 0);
  assert_non_null(strstr(out.data, "{\"001\":\"q\\\"b\\\\s/\\n\\t\\u0001\"}"));
  assert_null(strchr(out.data, '\n'));
  assert_int_equal(mp_marc_parse_json(out.data, out.len, &p, NULL), 0);
  assert_string_equal(tu_sf(&p, "001", 0), "q\"b\\s/\n\t\x01");
  assert_string_equal(tu_sf(&p, "245", '"'), "\xC3\xA9\xEF\xBF\xBD");
  mp_record_release(&r);
  mp_record_release(&p);
  mp_buf_release(&out);
}

/* A data field without subfields in a record that has no subfield array at
 * all (found by fuzzing: the writers offset a NULL array, which clang's
 * UBSan reports). Every writer
 * gives the field with no subfields, and the JSON reads back. */
static void test_writers_data_field_without_subfields(void **s) {
  mp_record_t r, p;
  mp_record_init(&r);
  mp_record_init(&p);
  memcpy(r.leader, "00000nam a2200000 a 4500", 24);
  assert_non_null(mp_record_add_datafield(&r, "500", '1', ' '));
  assert_null(r.subfields);
  mp_buf_t out;
  mp_buf_init(&out);
  assert_int_equal(mp_marc_write_json(&r, &out), 0);
  assert_non_null(strstr(out.data, "\"subfields\":[]"));
  assert_int_equal(mp_marc_parse_json(out.data, out.len, &p, NULL), 0);
  assert_int_equal(p.nfields, 1);
  assert_int_equal(p.fields[0].sf_count, 0);
  mp_buf_clear(&out);
  assert_int_equal(mp_marc_write_marcxml(&r, &out), 0);
  assert_non_null(strstr(out.data, "tag=\"500\" ind1=\"1\" ind2=\" \""));
  mp_buf_clear(&out);
  assert_int_equal(mp_marc_write_iso2709(&r, &out), 0);
  /* leader, one directory entry, 0x1E, indicators + 0x1E, 0x1D */
  assert_int_equal(out.len, 24 + 12 + 1 + 3 + 1);
  mp_buf_release(&out);
  mp_record_release(&r);
  mp_record_release(&p);
  (void)s;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_counts_match_sources),
      cmocka_unit_test(test_json_field_values),
      cmocka_unit_test(test_json_object_array_and_ndjson_shapes),
      cmocka_unit_test(test_json_bad_record_is_rejected_stream_goes_on),
      cmocka_unit_test(test_json_unframable_input_ends_stream),
      cmocka_unit_test(test_json_malformed_file_positioned_error),
      cmocka_unit_test(test_json_large_array_streams_in_bounded_memory),
      cmocka_unit_test(test_json_parse_single_value),
      cmocka_unit_test(test_json_writer_round_trips_and_escapes),
      cmocka_unit_test(test_writers_data_field_without_subfields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
