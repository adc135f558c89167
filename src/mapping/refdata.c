/* refdata.c: seeded reference data (schemas/mapping/reference-data.json).
 *
 * Tables of rows {id, name, code?, key?} loaded once and then read-only.
 * Lookups compare case-insensitively and ignore surrounding spaces and
 * trailing punctuation, so a relator term "editor." finds the row "editor".
 * A table may name a fallback row used for unknown values; without one an
 * unknown value yields NULL and the caller leaves the property unset. Ids
 * are never invented: every id returned is a row of the file.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(json_t *v) {
  return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static bool uuid_shaped(const char *s) {
  if (strlen(s) != 36)
    return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
      return false;
  }
  return true;
}

static int load_table(const char *path, const char *name, json_t *t,
                      mp__reftable_t *out, char *err, size_t errlen) {
  json_t *rows = json_object_get(t, "rows");
  out->name = strdup(name);
  out->fallback = -1;
  if (!out->name)
    return MP_ENOMEM;
  if (!json_is_array(rows)) {
    snprintf(err, errlen, "%s: table %s: \"rows\" must be an array", path,
             name);
    return MP_ERULES;
  }
  out->rows = calloc(json_array_size(rows) + 1, sizeof *out->rows);
  if (!out->rows)
    return MP_ENOMEM;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    mp__refrow_t *r = &out->rows[out->nrows++];
    r->id = dup_str(json_object_get(row, "id"));
    r->name = dup_str(json_object_get(row, "name"));
    r->code = dup_str(json_object_get(row, "code"));
    r->key = dup_str(json_object_get(row, "key"));
    if (!r->id || !r->name || !uuid_shaped(r->id)) {
      snprintf(err, errlen,
               "%s: table %s row %zu: needs \"name\" and a UUID \"id\"", path,
               name, i + 1);
      return MP_ERULES;
    }
  }
  json_t *fb = json_object_get(t, "fallback");
  if (fb && !json_is_null(fb)) {
    const char *want = json_string_value(fb);
    for (size_t k = 0; want && k < out->nrows; k++)
      if (strcmp(out->rows[k].name, want) == 0)
        out->fallback = (int)k;
    if (out->fallback < 0) {
      snprintf(err, errlen, "%s: table %s: fallback names no row", path, name);
      return MP_ERULES;
    }
  }
  return 0;
}

int mp__refdata_load(const char *path, mp__refdata_t *rd, char *err,
                     size_t errlen) {
  memset(rd, 0, sizeof *rd);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  int rc = 0;
  if (!root) {
    snprintf(err, errlen, "%s: not JSON: line %d column %d: %s", path,
             je.line, je.column, je.text);
    return MP_ERULES;
  }
  if (!json_is_object(root)) {
    snprintf(err, errlen, "%s: top level must be an object of tables", path);
    rc = MP_ERULES;
    goto out;
  }
  rd->tables = calloc(json_object_size(root) + 1, sizeof *rd->tables);
  if (!rd->tables) {
    rc = MP_ENOMEM;
    goto out;
  }
  const char *name;
  json_t *t;
  json_object_foreach(root, name, t) {
    if (name[0] == '_') /* "_comment" and friends */
      continue;
    rc = load_table(path, name, t, &rd->tables[rd->ntables++], err, errlen);
    if (rc)
      goto out;
  }
out:
  json_decref(root);
  if (rc == MP_ENOMEM)
    snprintf(err, errlen, "%s: out of memory", path);
  if (rc)
    mp__refdata_release(rd);
  return rc;
}

void mp__refdata_release(mp__refdata_t *rd) {
  for (size_t i = 0; i < rd->ntables; i++) {
    mp__reftable_t *t = &rd->tables[i];
    for (size_t k = 0; k < t->nrows; k++) {
      free(t->rows[k].id);
      free(t->rows[k].name);
      free(t->rows[k].code);
      free(t->rows[k].key);
    }
    free(t->rows);
    free(t->name);
  }
  free(rd->tables);
  memset(rd, 0, sizeof *rd);
}

int mp__refdata_table(const mp__refdata_t *rd, const char *name) {
  for (size_t i = 0; i < rd->ntables; i++)
    if (strcmp(rd->tables[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* s[0..n) equals the NUL-terminated want, ignoring ASCII case. */
static bool same(const char *s, size_t n, const char *want) {
  if (!want)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!want[i] || tolower((unsigned char)s[i]) != tolower((unsigned char)want[i]))
      return false;
  return want[n] == '\0';
}

const mp__refrow_t *mp__refdata_lookup(const mp__reftable_t *t,
                                       mp__refby_t by, const char *s,
                                       size_t n) {
  if (by != MP__BY_KEY) { /* keys are exact: a blank indicator is " " */
    while (n && (s[0] == ' ' || s[0] == '\t'))
      s++, n--;
    while (n && strchr(" \t.,;:", s[n - 1]))
      n--;
  }
  if (n) {
    for (int pass = 0; pass < 2; pass++) {
      for (size_t k = 0; k < t->nrows; k++) {
        const mp__refrow_t *r = &t->rows[k];
        bool hit;
        switch (by) {
        case MP__BY_NAME:
          hit = same(s, n, r->name);
          break;
        case MP__BY_CODE:
          hit = same(s, n, r->code);
          break;
        case MP__BY_CODE_OR_NAME:
          hit = pass == 0 ? same(s, n, r->code) : same(s, n, r->name);
          break;
        default:
          hit = same(s, n, r->key);
          break;
        }
        if (hit)
          return r;
      }
      if (by != MP__BY_CODE_OR_NAME)
        break;
    }
  }
  return t->fallback >= 0 ? &t->rows[t->fallback] : NULL;
}
