/* migrate.c: apply schemas/sql/NNN_name.sql to a tenant schema.
 *
 * Invariants: migrations run in version order, each at most once per
 * schema (a file runs when its version is not recorded, whatever higher
 * versions are), all pending ones in ONE transaction that also records them in
 * <schema>.schema_migrations; a transaction-scoped advisory lock keyed by
 * the schema name serialises concurrent starters (the second one finds
 * nothing to do). The schema name reaches SQL only as a quoted identifier
 * (PQescapeIdentifier) after tenant validation, and the migration files use
 * unqualified names resolved through search_path. Blocking libpq. */
#include "marcpipe/pg.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int version;
  char name[256];
} mig_t;

static int mig_cmp(const void *a, const void *b) {
  return ((const mig_t *)a)->version - ((const mig_t *)b)->version;
}

/* List NNN_*.sql files sorted by version. */
static int list_migrations(const char *dir, mig_t **out, size_t *n,
                           char *errbuf, size_t errlen) {
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(errbuf, errlen, "%s: cannot open migrations directory", dir);
    return MP_ECONFIG;
  }
  mig_t *v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *nm = e->d_name;
    size_t len = strlen(nm);
    if (len < 8 || len >= sizeof v->name || strcmp(nm + len - 4, ".sql") ||
        nm[0] < '0' || nm[0] > '9')
      continue;
    char *end;
    long ver = strtol(nm, &end, 10);
    if (*end != '_' || ver <= 0) {
      snprintf(errbuf, errlen, "%s/%s: migration name must be NNN_name.sql", dir, nm);
      rc = MP_ECONFIG;
      goto out;
    }
    if (mp_array_room(&v, cnt, &cap, sizeof *v, 8)) {
      rc = MP_ENOMEM;
      goto out;
    }
    v[cnt].version = (int)ver;
    snprintf(v[cnt].name, sizeof v[cnt].name, "%s", nm);
    cnt++;
  }
  qsort(v, cnt, sizeof *v, mig_cmp);
  for (size_t i = 1; i < cnt; i++)
    if (v[i].version == v[i - 1].version) {
      snprintf(errbuf, errlen, "%s: two migrations with version %d (%s, %s)", dir,
               v[i].version, v[i - 1].name, v[i].name);
      rc = MP_ECONFIG;
      goto out;
    }
  if (!cnt) {
    snprintf(errbuf, errlen, "%s: no migrations found", dir);
    rc = MP_ECONFIG;
  }
out:
  closedir(d);
  if (rc) {
    free(v);
    v = NULL;
    cnt = 0;
  }
  *out = v;
  *n = cnt;
  return rc;
}

static int read_file(const char *path, mp_buf_t *b) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return MP_EIO;
  char chunk[8192];
  size_t k;
  int rc = 0;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
    if ((rc = mp_buf_append(b, chunk, k)))
      break;
  if (!rc && ferror(f))
    rc = MP_EIO;
  fclose(f);
  return rc;
}

/* Is this version recorded? Each file is looked up by its own number, not
 * compared with the highest applied one: migrations numbered apart on
 * separate branches (002, then 008, then 003 merged later) all run. */
static int is_applied(PGconn *c, int version, bool *yes, char *errbuf,
                      size_t errlen) {
  char ver[16];
  snprintf(ver, sizeof ver, "%d", version);
  const char *p[1] = {ver};
  PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1",
                             1, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    rc = mp_pg_fail(c, r, "reading schema_migrations", errbuf, errlen);
  else
    *yes = PQntuples(r) > 0;
  PQclear(r);
  return rc;
}

int mp_pg_migrate(PGconn *c, const char *tenant, const char *sql_dir,
                  int *applied, char *errbuf, size_t errlen) {
  char schema[64];
  if (applied)
    *applied = 0;
  if (mp_pg_schema_name(tenant, schema, sizeof schema)) {
    snprintf(errbuf, errlen, "invalid tenant '%s'", tenant ? tenant : "");
    return MP_ECONFIG;
  }
  char dirbuf[4096];
  if (!sql_dir)
    sql_dir = mp_pg_sql_dir(dirbuf, sizeof dirbuf);
  mig_t *migs = NULL;
  size_t nmigs = 0;
  int rc = list_migrations(sql_dir, &migs, &nmigs, errbuf, errlen);
  if (rc)
    return rc;
  mp_buf_t sql, body;
  mp_buf_init(&sql);
  mp_buf_init(&body);
  char *ident = PQescapeIdentifier(c, schema, strlen(schema));
  bool in_txn = false;
  if (!ident) {
    rc = mp_pg_fail(c, NULL, "quoting schema name", errbuf, errlen);
    goto out;
  }
  if ((rc = mp_pg_exec(c, "BEGIN", errbuf, errlen)))
    goto out;
  in_txn = true;
  const char *lock_params[1] = {schema};
  PGresult *r = PQexecParams(c, "SELECT pg_advisory_xact_lock(hashtext('marcpipe:' || $1))",
                             1, NULL, lock_params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    rc = mp_pg_fail(c, r, "taking the migration lock", errbuf, errlen);
  PQclear(r);
  if (rc)
    goto out;
  if ((rc = mp_buf_printf(&sql,
                          "SET LOCAL client_min_messages = warning; "
                          "CREATE SCHEMA IF NOT EXISTS %s; SET LOCAL search_path TO %s; "
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version int PRIMARY KEY, name text NOT NULL, "
                          "applied_at timestamptz NOT NULL DEFAULT now())",
                          ident, ident)))
    goto out;
  if ((rc = mp_pg_exec(c, sql.data, errbuf, errlen)))
    goto out;
  for (size_t i = 0; i < nmigs; i++) {
    bool done = false;
    if ((rc = is_applied(c, migs[i].version, &done, errbuf, errlen)))
      goto out;
    if (done)
      continue;
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", sql_dir, migs[i].name);
    mp_buf_clear(&body);
    if ((rc = read_file(path, &body))) {
      snprintf(errbuf, errlen, "%s: cannot read migration", path);
      goto out;
    }
    r = PQexec(c, body.data ? body.data : "");
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      char what[400];
      snprintf(what, sizeof what, "migration %s on schema %s", migs[i].name, schema);
      rc = mp_pg_fail(c, r, what, errbuf, errlen);
    }
    PQclear(r);
    if (rc)
      goto out;
    char ver[16];
    snprintf(ver, sizeof ver, "%d", migs[i].version);
    const char *p[2] = {ver, migs[i].name};
    r = PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                     2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = mp_pg_fail(c, r, "recording a migration", errbuf, errlen);
    PQclear(r);
    if (rc)
      goto out;
    if (applied)
      (*applied)++;
  }
  if ((rc = mp_pg_exec(c, "COMMIT", errbuf, errlen)))
    goto out;
  in_txn = false;
  mp_buf_clear(&sql);
  if ((rc = mp_buf_printf(&sql, "SET search_path TO %s", ident)))
    goto out;
  rc = mp_pg_exec(c, sql.data, errbuf, errlen);
out:
  if (in_txn) {
    PGresult *rb = PQexec(c, "ROLLBACK");
    PQclear(rb);
  }
  PQfreemem(ident);
  mp_buf_release(&sql);
  mp_buf_release(&body);
  free(migs);
  return rc;
}
