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

/* The default rules (FOLIO's three files) and the seeded reference data
 * from the source tree. */
static inline mp_mapping_t *fx_default_mapping(void) {
  char err[512];
  mp_mapping_t *m = mp_mapping_load(NULL, NULL, err, sizeof err);
  if (!m)
    fprintf(stderr, "load: %s\n", err);
  return m;
}

/* The default mapping shared by a test group (fx_setup/fx_teardown). */
__attribute__((unused)) static mp_mapping_t *M;

static inline int fx_setup(void **s) {
  (void)s;
  M = fx_default_mapping();
  return M ? 0 : -1;
}

static inline int fx_teardown(void **s) {
  (void)s;
  mp_mapping_free(M);
  return 0;
}

/* The name of the seeded row of `type` (FOLIO's mapping-parameter name,
 * "identifierTypes") with this id, "(none)" if there is none. Needs
 * mapping/mapping_impl.h. */
#ifdef MP_MAPPING_IMPL_H
static inline const char *fx_ref_name(const char *type, const char *id) {
  const mp__reftable_t *t = mp__refdata_get(&M->refdata, type);
  for (size_t i = 0; t && id && i < t->nrows; i++)
    if (strcmp(t->rows[i].id, id) == 0)
      return t->rows[i].name ? t->rows[i].name : "(no name)";
  return "(none)";
}
#endif

#endif
