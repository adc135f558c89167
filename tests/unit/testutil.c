/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static const char *join(const char *env, const char *fallback,
                        const char *rel) {
  static char buf[4][4096];
  static int slot;
  const char *base = getenv(env);
  if (!base)
    base = fallback;
  char *b = buf[slot++ & 3];
  snprintf(b, sizeof buf[0], "%s/%s", base, rel);
  return b;
}

const char *tu_data(const char *rel) {
  return join("MP_TEST_DATA", "tests/data/marc", rel);
}
const char *tu_fixture(const char *rel) {
  return join("MP_FIXTURES", "tests/fixtures", rel);
}
const char *tu_schema(const char *rel) {
  return join("MP_SCHEMAS", "schemas", rel);
}

char *tu_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
  p[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return p;
}
