/* mapping_fixture.h: building in-memory records for the mapping tests.
 * Header-only (static functions) so each test_mapping_*.c stays one file. */
#ifndef MP_MAPPING_FIXTURE_H
#define MP_MAPPING_FIXTURE_H

#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "testutil.h"

#include <stdarg.h>
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
static inline void fx_data(mp_record_t *r, const char *tag, char i1, char i2,
                           ...) {
  va_list ap;
  mp_record_add_datafield(r, tag, i1, i2);
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

#endif
