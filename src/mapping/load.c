/* load.c: mp_mapping_load / mp_mapping_free.
 *
 * Resolves the default locations ($MARCPIPE_SCHEMAS, else the build-time
 * MP_SCHEMAS_DIR: mapping/marc_{bib,holdings,authority}_rules.json and the
 * reference-data/ directory), loads the reference data first (functions
 * resolve their tables against it), then compiles one rules file per
 * family. The rules argument is "FILE" (bib) or a comma-separated list of
 * "family=FILE". The result is immutable and shared by all mapping threads.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MP_SCHEMAS_DIR
#define MP_SCHEMAS_DIR "schemas"
#endif

static const char *const default_rules[MP_FAMILIES] = {
    "marc_bib_rules.json", "marc_holdings_rules.json",
    "marc_authority_rules.json"};

static void default_path(char *buf, size_t n, const char *file) {
  const char *dir = getenv("MARCPIPE_SCHEMAS");
  if (!dir || !dir[0])
    dir = MP_SCHEMAS_DIR;
  snprintf(buf, n, "%s/mapping/%s", dir, file);
}

/* Split the rules spec into one path per family (NULL: the default). */
static int parse_spec(const char *spec, char *paths[MP_FAMILIES], char *err,
                      size_t errlen) {
  if (!spec)
    return 0;
  if (!strchr(spec, '=')) {
    paths[MP_FAMILY_BIB] = strdup(spec);
    return paths[MP_FAMILY_BIB] ? 0 : MP_ENOMEM;
  }
  char *copy = strdup(spec);
  if (!copy)
    return MP_ENOMEM;
  int rc = 0;
  for (char *tok = strtok(copy, ","); tok && !rc; tok = strtok(NULL, ",")) {
    char *eq = strchr(tok, '=');
    mp_family_t f = MP_FAMILY_NONE;
    if (eq) {
      *eq = '\0';
      f = mp_family_parse(tok);
    }
    if (f == MP_FAMILY_NONE || !eq[1]) {
      snprintf(err, errlen,
               "rules \"%s\": expected FILE or family=FILE (bib, holdings, "
               "authority)",
               spec);
      rc = MP_ERULES;
    } else {
      free(paths[f]);
      if (!(paths[f] = strdup(eq + 1)))
        rc = MP_ENOMEM;
    }
  }
  free(copy);
  return rc;
}

mp_mapping_t *mp_mapping_load(const char *rules, const char *refdata,
                              char *errbuf, size_t errlen) {
  char *paths[MP_FAMILIES] = {NULL, NULL, NULL};
  char buf[4096];
  mp_mapping_t *m = calloc(1, sizeof *m);
  int rc = m ? parse_spec(rules, paths, errbuf, errlen) : MP_ENOMEM;
  if (rc == 0) {
    if (!refdata)
      default_path(buf, sizeof buf, "reference-data");
    rc = mp__refdata_load(refdata ? refdata : buf, &m->refdata, errbuf,
                          errlen);
  }
  for (int f = 0; f < MP_FAMILIES && rc == 0; f++) {
    if (!paths[f])
      default_path(buf, sizeof buf, default_rules[f]);
    rc = mp__rules_load(paths[f] ? paths[f] : buf, (mp_family_t)f,
                        &m->refdata, &m->rules[f], errbuf, errlen);
  }
  for (int f = 0; f < MP_FAMILIES; f++)
    free(paths[f]);
  if (rc) {
    if (rc == MP_ENOMEM)
      snprintf(errbuf, errlen, "out of memory");
    mp_mapping_free(m);
    return NULL;
  }
  return m;
}

void mp_mapping_free(mp_mapping_t *m) {
  if (!m)
    return;
  for (int f = 0; f < MP_FAMILIES; f++)
    mp__rules_release(&m->rules[f]);
  mp__refdata_release(&m->refdata);
  free(m);
}
