/* testutil.h: helpers shared by the cmocka unit tests.
 * Paths come from the environment ctest sets (see CMakeLists.txt):
 * MP_TEST_DATA (tests/data/marc), MP_FIXTURES, MP_SCHEMAS. */
#ifndef MP_TESTUTIL_H
#define MP_TESTUTIL_H

#include <stddef.h>

/* "$MP_TEST_DATA/<rel>" in a static buffer (valid until the next call). */
const char *tu_data(const char *rel);
/* "$MP_FIXTURES/<rel>". */
const char *tu_fixture(const char *rel);
/* "$MP_SCHEMAS/<rel>". */
const char *tu_schema(const char *rel);
/* Read a whole file; *len set; caller frees. Fails the test if unreadable. */
char *tu_slurp(const char *path, size_t *len);

#endif
