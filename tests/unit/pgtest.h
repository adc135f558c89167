/* pgtest.h: helpers for the unit tests that need PostgreSQL (header-only,
 * included by test_pg_*.c and test_job*.c). They skip when PGHOST is unset;
 * scripts/test.sh always sets it. Each test works in a fresh tenant schema
 * so tests never see each other's rows. */
#ifndef MP_PGTEST_H
#define MP_PGTEST_H

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static inline int pgt_available(void) {
  const char *h = getenv("PGHOST");
  return h && *h;
}

#define SKIP_WITHOUT_PG()                                                      \
  do {                                                                         \
    if (!pgt_available())                                                      \
      skip();                                                                  \
  } while (0)

/* A tenant name no other test run uses. */
static inline const char *pgt_tenant(char *buf, size_t n) {
  static int counter;
  snprintf(buf, n, "t%ld_%d", (long)getpid(), ++counter);
  return buf;
}

static inline PGconn *pgt_connect(const char *tenant) {
  PGconn *c = NULL;
  char err[512];
  int rc = mp_pg_connect("", tenant, &c, err, sizeof err);
  if (rc)
    fail_msg("connect: %s", err);
  return c;
}

/* First column of the first row as a number (fails the test on error). */
static inline long long pgt_num(PGconn *c, const char *sql) {
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  }
  long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return v;
}

/* First column of the first row as a malloc'ed string ("" for NULL). */
static inline char *pgt_str(PGconn *c, const char *sql) {
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  char *s = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  return s;
}

/* Build an ISO 2709 record. fields: "TAG" then data, pairs, NULL-ended;
 * data of a data field starts with its two indicators and uses \x1f.
 * Returns the length written to out (a static-sized caller buffer). */
static inline size_t pgt_marc(char *out, size_t cap, int type, ...) {
  char dir[4096], body[16384];
  size_t nd = 0, nb = 0;
  va_list ap;
  va_start(ap, type);
  const char *tag;
  /* a bibliographic record gets an 008 first: without 008 or 336 FOLIO's
   * rules give no instance type, and such an Instance is refused */
  bool bib = strchr("acdefgijkmoprt", type) != NULL;
  while ((tag = bib ? "008" : va_arg(ap, const char *))) {
    const char *data = bib ? "000107s2000    nyu           000 0 eng d"
                           : va_arg(ap, const char *);
    bib = false;
    size_t len = strlen(data) + 1;
    nd += (size_t)snprintf(dir + nd, sizeof dir - nd, "%.3s%04zu%05zu", tag, len, nb);
    memcpy(body + nb, data, len - 1);
    nb += len - 1;
    body[nb++] = 0x1E;
  }
  va_end(ap);
  size_t base = 24 + nd + 1, total = base + nb + 1;
  assert_true(total < cap);
  snprintf(out, cap, "%05zun%ca a22%05zu   4500", total, type, base);
  memcpy(out + 24, dir, nd);
  out[24 + nd] = 0x1E;
  memcpy(out + base, body, nb);
  out[total - 1] = 0x1D;
  return total;
}

#endif
