/* refdata.c: reference data as FOLIO keeps it: records with FOLIO's ids.
 *
 * Two layouts are read. A directory holds one sub-directory per type in
 * FOLIO's storage naming (identifier-types/, modes-of-issuance/, ...), each
 * file one record or an array of records: the layout of FOLIO's seeded
 * reference data. A file holds one JSON object keyed by the type's
 * mapping-parameter name ("identifierTypes": [...]), the shape of FOLIO's
 * mapping parameters. Either way a table is named by the mapping-parameter
 * name; a type that is absent is "no reference data" (FOLIO: null), which
 * several functions answer with the placeholder id. Rows keep id, name,
 * code and (authority source files) codes. Loaded once, then read-only.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dup_str(json_t *v) {
  return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static void free_row(mp__refrow_t *r) {
  free(r->id);
  free(r->name);
  free(r->code);
  for (size_t i = 0; i < r->ncodes; i++)
    free(r->codes[i]);
  free(r->codes);
}

/* The table called type, created when absent. */
static mp__reftable_t *table(mp__refdata_t *rd, const char *type) {
  for (size_t i = 0; i < rd->ntables; i++)
    if (strcmp(rd->tables[i].type, type) == 0)
      return &rd->tables[i];
  mp__reftable_t *t = realloc(rd->tables, (rd->ntables + 1) * sizeof *t);
  if (!t)
    return NULL;
  rd->tables = t;
  t = &rd->tables[rd->ntables];
  memset(t, 0, sizeof *t);
  if (!(t->type = strdup(type)))
    return NULL;
  rd->ntables++;
  return t;
}

static int add_row(mp__reftable_t *t, json_t *rec, const char *where,
                   char *err, size_t errlen) {
  if (!json_is_object(rec) || !json_is_string(json_object_get(rec, "id"))) {
    snprintf(err, errlen, "%s: a %s record must be an object with an \"id\"",
             where, t->type);
    return MP_ERULES;
  }
  mp__refrow_t *rows = realloc(t->rows, (t->nrows + 1) * sizeof *rows);
  if (!rows)
    return MP_ENOMEM;
  t->rows = rows;
  mp__refrow_t *r = &rows[t->nrows++];
  memset(r, 0, sizeof *r);
  r->id = dup_str(json_object_get(rec, "id"));
  r->name = dup_str(json_object_get(rec, "name"));
  r->code = dup_str(json_object_get(rec, "code"));
  json_t *codes = json_object_get(rec, "codes");
  if (json_is_array(codes) && json_array_size(codes)) {
    r->codes = calloc(json_array_size(codes), sizeof *r->codes);
    if (!r->codes)
      return MP_ENOMEM;
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c) if (json_is_string(c)) r->codes[r->ncodes++] =
        strdup(json_string_value(c));
  }
  return r->id ? 0 : MP_ENOMEM;
}

static int add_json(mp__refdata_t *rd, const char *type, json_t *v,
                    const char *where, char *err, size_t errlen) {
  mp__reftable_t *t = table(rd, type);
  if (!t)
    return MP_ENOMEM;
  if (!json_is_array(v))
    return add_row(t, v, where, err, errlen);
  size_t i;
  json_t *rec;
  json_array_foreach(v, i, rec) {
    int rc = add_row(t, rec, where, err, errlen);
    if (rc)
      return rc;
  }
  return 0;
}

/* "modes-of-issuance" -> "issuanceModes"; "identifier-types" ->
 * "identifierTypes": the mapping-parameter name of a storage folder. */
static void type_of_dir(const char *dir, char *out, size_t n) {
  if (strcmp(dir, "modes-of-issuance") == 0) {
    snprintf(out, n, "issuanceModes");
    return;
  }
  size_t k = 0;
  bool up = false;
  for (const char *p = dir; *p && k + 1 < n; p++) {
    if (*p == '-' || *p == '_') {
      up = true;
      continue;
    }
    out[k++] = up ? (char)toupper((unsigned char)*p) : *p;
    up = false;
  }
  out[k] = '\0';
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (sorted, so rows keep a stable order), NULL-terminated. */
static char **list_dir(const char *dir, bool want_dirs) {
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  char **v = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (stat(p, &st) != 0 || S_ISDIR(st.st_mode) != want_dirs)
      continue;
    size_t len = strlen(e->d_name);
    if (!want_dirs && (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0))
      continue;
    char **nv = realloc(v, (n + 2) * sizeof *v);
    if (!nv)
      break;
    v = nv;
    v[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (!v)
    v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v[n] = NULL;
  qsort(v, n, sizeof *v, cmp_str);
  return v;
}

static void free_list(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static int load_file_json(const char *path, json_t **out, char *err,
                          size_t errlen) {
  json_error_t je;
  *out = json_load_file(path, 0, &je);
  if (!*out) {
    snprintf(err, errlen, "%s: not JSON: line %d column %d: %s", path, je.line,
             je.column, je.text);
    return MP_ERULES;
  }
  return 0;
}

static int load_dir(const char *path, mp__refdata_t *rd, char *err,
                    size_t errlen) {
  char **dirs = list_dir(path, true);
  int rc = 0;
  if (!dirs)
    return MP_ENOMEM;
  for (size_t i = 0; dirs[i] && rc == 0; i++) {
    char sub[4200], type[128];
    snprintf(sub, sizeof sub, "%s/%s", path, dirs[i]);
    type_of_dir(dirs[i], type, sizeof type);
    if (!table(rd, type)) { /* an empty folder is an empty table */
      rc = MP_ENOMEM;
      break;
    }
    char **files = list_dir(sub, false);
    if (!files) {
      rc = MP_ENOMEM;
      break;
    }
    for (size_t k = 0; files[k] && rc == 0; k++) {
      char fp[8200];
      json_t *j;
      snprintf(fp, sizeof fp, "%s/%s", sub, files[k]);
      if ((rc = load_file_json(fp, &j, err, errlen)) == 0) {
        rc = add_json(rd, type, j, fp, err, errlen);
        json_decref(j);
      }
    }
    free_list(files);
  }
  free_list(dirs);
  return rc;
}

int mp__refdata_load(const char *path, mp__refdata_t *rd, char *err,
                     size_t errlen) {
  memset(rd, 0, sizeof *rd);
  struct stat st;
  int rc;
  if (stat(path, &st) != 0) {
    snprintf(err, errlen, "%s: reference data not found", path);
    return MP_ERULES;
  }
  if (S_ISDIR(st.st_mode)) {
    rc = load_dir(path, rd, err, errlen);
  } else {
    json_t *root;
    if ((rc = load_file_json(path, &root, err, errlen)))
      return rc;
    if (!json_is_object(root)) {
      snprintf(err, errlen,
               "%s: reference data must be an object keyed by type "
               "(\"identifierTypes\": [...])",
               path);
      rc = MP_ERULES;
    }
    const char *type;
    json_t *v;
    json_object_foreach(root, type, v) {
      if (rc)
        break;
      if (!json_is_array(v)) {
        snprintf(err, errlen, "%s: \"%s\" must be an array of records", path,
                 type);
        rc = MP_ERULES;
        break;
      }
      rc = add_json(rd, type, v, path, err, errlen);
    }
    json_decref(root);
  }
  if (rc == MP_ENOMEM)
    snprintf(err, errlen, "%s: out of memory", path);
  if (rc)
    mp__refdata_release(rd);
  return rc;
}

void mp__refdata_release(mp__refdata_t *rd) {
  for (size_t i = 0; i < rd->ntables; i++) {
    for (size_t k = 0; k < rd->tables[i].nrows; k++)
      free_row(&rd->tables[i].rows[k]);
    free(rd->tables[i].rows);
    free(rd->tables[i].type);
  }
  free(rd->tables);
  memset(rd, 0, sizeof *rd);
}

const mp__reftable_t *mp__refdata_get(const mp__refdata_t *rd,
                                      const char *type) {
  for (size_t i = 0; i < rd->ntables; i++)
    if (strcmp(rd->tables[i].type, type) == 0)
      return &rd->tables[i];
  return NULL;
}
