/* load.c: mp_mapping_load / mp_mapping_free.
 *
 * Resolves the default file locations ($MARCPIPE_SCHEMAS, else the
 * build-time MP_SCHEMAS_DIR), loads reference data first (rules resolve
 * their lookup tables against it), then compiles the rules. The result is
 * immutable and shared by all mapping threads.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MP_SCHEMAS_DIR
#define MP_SCHEMAS_DIR "schemas"
#endif

static const char *default_path(char *buf, size_t n, const char *file) {
  const char *dir = getenv("MARCPIPE_SCHEMAS");
  if (!dir || !dir[0])
    dir = MP_SCHEMAS_DIR;
  snprintf(buf, n, "%s/mapping/%s", dir, file);
  return buf;
}

mp_mapping_t *mp_mapping_load(const char *rules_path, const char *refdata_path,
                              char *errbuf, size_t errlen) {
  char rp[4096], dp[4096];
  if (!rules_path)
    rules_path = default_path(rp, sizeof rp, "marc-bib.json");
  if (!refdata_path)
    refdata_path = default_path(dp, sizeof dp, "reference-data.json");
  mp_mapping_t *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  if (mp__refdata_load(refdata_path, &m->refdata, errbuf, errlen) ||
      mp__rules_load(rules_path, &m->refdata, &m->rules, errbuf, errlen)) {
    mp_mapping_free(m);
    return NULL;
  }
  m->instance_types = mp__refdata_table(&m->refdata, "instanceTypes");
  return m;
}

void mp_mapping_free(mp_mapping_t *m) {
  if (!m)
    return;
  mp__rules_release(&m->rules);
  mp__refdata_release(&m->refdata);
  free(m);
}
