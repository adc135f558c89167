/* conn.c: connecting to a tenant schema, classifying libpq errors, masking
 * secrets in conninfo strings. Blocking libpq; any thread, one connection
 * per thread at a time. */
#include "marcpipe/pg.h"

#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
      !strcmp(st, "40001") || !strcmp(st, "40P01"))
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

/* Mask "password=VALUE" (VALUE possibly quoted) in keyword form, and the
 * password in "postgres[ql]://user:PASSWORD@host". */
void mp_pg_mask_conninfo(const char *ci, char *out, size_t n) {
  if (!n)
    return;
  size_t o = 0;
#define PUT(ch)                                                                \
  do {                                                                         \
    if (o + 1 < n)                                                             \
      out[o++] = (ch);                                                         \
  } while (0)
  if (!ci)
    ci = "";
  const char *scheme = strstr(ci, "://");
  if (scheme) {
    const char *auth = scheme + 3;
    const char *at = strpbrk(auth, "@/?");
    const char *colon = NULL;
    if (at && *at == '@')
      colon = memchr(auth, ':', (size_t)(at - auth));
    for (const char *p = ci; *p; p++) {
      if (colon && p == colon + 1) {
        for (const char *m = "***"; *m; m++)
          PUT(*m);
        p = at - 1;
        continue;
      }
      PUT(*p);
    }
    /* a password=... query parameter is masked below by a second pass */
  }
  const char *src = scheme ? NULL : ci;
  if (scheme) {
    out[o] = '\0';
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", out);
    o = 0;
    src = tmp;
    const char *p = src;
    while (*p) {
      const char *hit = strstr(p, "password=");
      if (!hit)
        break;
      while (p < hit + 9)
        PUT(*p++);
      for (const char *m = "***"; *m; m++)
        PUT(*m);
      while (*p && *p != '&')
        p++;
    }
    while (*p)
      PUT(*p++);
    out[o] = '\0';
    return;
  }
  const char *p = src;
  while (*p) {
    bool at_word = (p == src) || p[-1] == ' ' || p[-1] == '\t';
    if (at_word && !strncmp(p, "password", 8)) {
      const char *q = p + 8;
      while (*q == ' ')
        q++;
      if (*q == '=') {
        q++;
        while (*q == ' ')
          q++;
        while (p < q)
          PUT(*p++);
        for (const char *m = "***"; *m; m++)
          PUT(*m);
        if (*p == '\'') {
          for (p++; *p && *p != '\''; p++)
            if (*p == '\\' && p[1])
              p++;
          if (*p)
            p++;
        } else {
          while (*p && *p != ' ' && *p != '\t')
            p++;
        }
        continue;
      }
    }
    PUT(*p++);
  }
  out[o] = '\0';
#undef PUT
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
  int rc = mp_pg_exec(c, "SET client_min_messages = warning", errbuf, errlen);
  if (!rc)
    rc = mp_pg_migrate(c, tenant, NULL, NULL, errbuf, errlen);
  if (rc) {
    PQfinish(c);
    return rc;
  }
  *out = c;
  return 0;
}
