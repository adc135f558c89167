/* conn.c: the tenant name rule, connecting to a tenant schema, classifying
 * libpq errors, masking secrets in conninfo strings. Blocking libpq; any
 * thread, one connection per thread at a time. */
#include "marcpipe/pg.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mp_tenant_valid(const char *t) {
  if (!t || !(*t >= 'a' && *t <= 'z'))
    return false;
  size_t len = strlen(t);
  if (len > 31)
    return false;
  for (size_t i = 1; i < len; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

int mp_pg_schema_name(const char *tenant, char *buf, size_t n) {
  if (!mp_tenant_valid(tenant))
    return MP_ECONFIG;
  int w = snprintf(buf, n, "%s%s", tenant, MP_PG_SCHEMA_SUFFIX);
  return (w < 0 || (size_t)w >= n) ? MP_ECONFIG : 0;
}

const char *mp_pg_sql_dir(char *buf, size_t n) {
  const char *env = getenv("MARCPIPE_SCHEMAS");
  snprintf(buf, n, "%s/sql", env && *env ? env : MP_SCHEMAS_DIR);
  return buf;
}

int mp_pg_error_kind(PGconn *c, const PGresult *res) {
  if (!c || PQstatus(c) != CONNECTION_OK)
    return MP_ETRANSIENT;
  const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!st)
    return res ? MP_EPG : MP_ETRANSIENT;
  if (!strncmp(st, "08", 2) || !strncmp(st, "53", 2) || !strncmp(st, "57", 2) ||
      !strcmp(st, "40001") || !strcmp(st, "40P01") ||
      !strcmp(st, "55P03")) /* lock_not_available: lock_timeout */
    return MP_ETRANSIENT;
  return MP_EPG;
}

/* One line: collapse newlines of the server's multi-line messages. */
static void one_line(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
}

int mp_pg_fail(PGconn *c, const PGresult *res, const char *what,
               char *errbuf, size_t errlen) {
  const char *msg = res ? PQresultErrorMessage(res) : NULL;
  if (!msg || !*msg)
    msg = c ? PQerrorMessage(c) : "no connection";
  if (errbuf && errlen) {
    snprintf(errbuf, errlen, "%s: %s", what, msg && *msg ? msg : "unknown error");
    one_line(errbuf);
  }
  return mp_pg_error_kind(c, res);
}

int mp_pg_exec(PGconn *c, const char *sql, char *errbuf, size_t errlen) {
  PGresult *r = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(r);
  int rc = 0;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    rc = mp_pg_fail(c, r, sql, errbuf, errlen);
  PQclear(r);
  return rc;
}

typedef struct {
  char *out;
  size_t n, o;
} sink_t;

static void put(sink_t *w, const char *p, size_t k) {
  for (size_t i = 0; i < k && w->o + 1 < w->n; i++)
    w->out[w->o++] = p[i];
}

/* End of a password value starting at p: up to '&' in a URI; else a
 * quoted string (with \ escapes) or up to the next blank. */
static const char *value_end(const char *p, bool uri) {
  if (uri)
    return p + strcspn(p, "&");
  if (*p != '\'')
    return p + strcspn(p, " \t");
  for (p++; *p && *p != '\''; p++)
    if (*p == '\\' && p[1])
      p++;
  return *p ? p + 1 : p;
}

/* libpq connection keywords whose values are secrets (libpq's "Connection
 * Parameter Key Words": password, and sslpassword for an encrypted client
 * key). A keyword is matched whole, so "passfile" (a path) stays. */
static const char *const secret_keys[] = {"password", "sslpassword"};

/* Length of the secret keyword at p (followed by '=' after optional blanks
 * in the keyword form), else 0. */
static size_t secret_key_at(const char *p, bool uri) {
  for (size_t i = 0; i < sizeof secret_keys / sizeof *secret_keys; i++) {
    size_t k = strlen(secret_keys[i]);
    if (strncmp(p, secret_keys[i], k))
      continue;
    const char *q = p + k;
    while (!uri && *q == ' ')
      q++;
    if (*q == '=')
      return k;
  }
  return 0;
}

/* Mask the value of every secret keyword (secret_keys: keyword form, or a
 * URI query parameter) and the password of a URI's user:password@ part. */
void mp_pg_mask_conninfo(const char *ci, char *out, size_t n) {
  if (!n)
    return;
  sink_t w = {out, n, 0};
  if (!ci)
    ci = "";
  const char *p = ci;
  const char *scheme = strstr(ci, "://");
  bool uri = scheme != NULL;
  if (uri) {
    const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
    const char *at = memrchr(auth, '@', (size_t)(end - auth));
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
      put(&w, ci, (size_t)(colon + 1 - ci));
      put(&w, "***", 3);
      p = at;
    }
  }
  while (*p) {
    bool word = p == ci || strchr(uri ? "?&" : " \t", p[-1]);
    size_t k = word ? secret_key_at(p, uri) : 0;
    if (k) {
      const char *q = p + k;
      while (!uri && *q == ' ')
        q++;
      for (q++; !uri && *q == ' '; q++)
        ;
      put(&w, p, (size_t)(q - p));
      put(&w, "***", 3);
      p = value_end(q, uri);
      continue;
    }
    put(&w, p++, 1);
  }
  out[w.o] = '\0';
}

/* Every marcpipe session: warnings only, and a transaction left idle (its
 * client frozen by SIGSTOP, cut off, or stuck) is ended by the server after
 * MP_PG_IDLE_TX_TIMEOUT_S, so the locks it holds (a batch's journal and
 * progress rows) cannot stop the other workers for good. marcpipe never
 * waits inside an open transaction: its statements follow each other. */
static int session_setup(PGconn *c, char *errbuf, size_t errlen) {
  char sql[160];
  snprintf(sql, sizeof sql,
           "SET client_min_messages = warning; "
           "SET idle_in_transaction_session_timeout = '%ds'",
           MP_PG_IDLE_TX_TIMEOUT_S);
  return mp_pg_exec(c, sql, errbuf, errlen);
}

int mp_pg_ready(PGconn *c, const char *tenant, char *errbuf, size_t errlen) {
  if (PQstatus(c) == CONNECTION_OK)
    return 0;
  PQreset(c);
  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(errbuf, errlen, "reconnecting to PostgreSQL: %s",
             PQerrorMessage(c));
    errbuf[strcspn(errbuf, "\n")] = '\0';
    return MP_ETRANSIENT;
  }
  int rc = session_setup(c, errbuf, errlen);
  if (!rc && tenant)
    rc = mp_pg_migrate(c, tenant, NULL, NULL, errbuf, errlen);
  return rc == MP_EPG && PQstatus(c) != CONNECTION_OK ? MP_ETRANSIENT : rc;
}

int mp_pg_connect(const char *conninfo, const char *tenant, PGconn **out,
                  char *errbuf, size_t errlen) {
  *out = NULL;
  char schema[64];
  if (mp_pg_schema_name(tenant, schema, sizeof schema)) {
    snprintf(errbuf, errlen, "invalid tenant '%s': expected [a-z][a-z0-9_]{0,30}",
             tenant ? tenant : "");
    return MP_ECONFIG;
  }
  PGconn *c = PQconnectdb(conninfo ? conninfo : "");
  if (!c || PQstatus(c) != CONNECTION_OK) {
    char masked[512];
    mp_pg_mask_conninfo(conninfo, masked, sizeof masked);
    snprintf(errbuf, errlen, "cannot connect to PostgreSQL (%s): %s",
             *masked ? masked : "PG* environment",
             c ? PQerrorMessage(c) : "out of memory");
    one_line(errbuf);
    PQfinish(c);
    return MP_ETRANSIENT;
  }
  int rc = session_setup(c, errbuf, errlen);
  if (!rc)
    rc = mp_pg_migrate(c, tenant, NULL, NULL, errbuf, errlen);
  if (rc) {
    PQfinish(c);
    return rc;
  }
  *out = c;
  return 0;
}
