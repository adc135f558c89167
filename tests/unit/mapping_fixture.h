/* mapping_fixture.h: building in-memory records for the mapping tests.
 * Header-only (static functions) so each test_mapping_*.c stays one file. */
#ifndef MP_MAPPING_FIXTURE_H
#define MP_MAPPING_FIXTURE_H

#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "testutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Leader with the given type (leader/06) and UTF-8 flag. */
static inline void fx_leader(mp_record_t *r, char type) {
  memcpy(r->leader, "00000nam a2200000 a 4500", 24);
  r->leader[6] = type;
}

static inline void fx_control(mp_record_t *r, const char *tag,
                              const char *data) {
  mp_record_add_control(r, tag, data, strlen(data), true);
}

/* fx_data(r, "245", '1', '0', "a", "Title :", "b", "sub", NULL) */
static inline void fx_data(mp_record_t *r, const char *tag, char i1,
                           int i2 /* int: va_start needs an unpromoted type */,
                           ...) {
  va_list ap;
  mp_record_add_datafield(r, tag, i1, (char)i2);
  va_start(ap, i2);
  for (;;) {
    const char *code = va_arg(ap, const char *);
    if (!code)
      break;
    const char *val = va_arg(ap, const char *);
    mp_record_add_subfield(r, code[0], val, strlen(val), true);
  }
  va_end(ap);
}

/* The default rules and reference data from the source tree. */
static inline mp_mapping_t *fx_default_mapping(void) {
  char err[512];
  char rules[1024], ref[1024];
  strcpy(rules, tu_schema("mapping/marc-bib.json"));
  strcpy(ref, tu_schema("mapping/reference-data.json"));
  mp_mapping_t *m = mp_mapping_load(rules, ref, err, sizeof err);
  if (!m)
    fprintf(stderr, "load: %s\n", err);
  return m;
}

/* The default mapping shared by a test group (fx_setup/fx_teardown). */
__attribute__((unused)) static mp_mapping_t *M;
/* reference-data.json as JSON, for checking ids by row name. */
__attribute__((unused)) static json_t *fx_ref;

static inline int fx_setup(void **s) {
  (void)s;
  M = fx_default_mapping();
  fx_ref = json_load_file(tu_schema("mapping/reference-data.json"), 0, NULL);
  return M && fx_ref ? 0 : -1;
}

static inline int fx_teardown(void **s) {
  (void)s;
  mp_mapping_free(M);
  json_decref(fx_ref);
  return 0;
}

/* Row of table whose `field` equals value, or NULL. */
static inline json_t *fx_ref_row(const char *table, const char *field,
                                 const char *value) {
  json_t *rows = json_object_get(json_object_get(fx_ref, table), "rows");
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    const char *v = json_string_value(json_object_get(row, field));
    if (v && value && strcmp(v, value) == 0)
      return row;
  }
  return NULL;
}

/* The seeded id of a row by name ("(no such row)" if absent, which no
 * mapped id can equal). */
static inline const char *fx_ref_id(const char *table, const char *name) {
  const char *id = json_string_value(
      json_object_get(fx_ref_row(table, "name", name), "id"));
  return id ? id : "(no such row)";
}

/* The name of the row with this id, "(none)" if there is none. */
static inline const char *fx_ref_name(const char *table, const char *id) {
  json_t *row = fx_ref_row(table, "id", id);
  return row ? json_string_value(json_object_get(row, "name")) : "(none)";
}

#endif
