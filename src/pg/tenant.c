/* tenant.c: tenant name validation. A tenant name becomes part of a
 * PostgreSQL schema name and of Kafka topic names, so it is restricted to
 * [a-z][a-z0-9_]{0,30} before it is used anywhere. Pure function.
 * Weak: the Kafka module (src/kafka/topic.c) defines the same function;
 * when both are linked its definition wins, and this file can go. */
#include "marcpipe/kafka.h"

#include <stdbool.h>
#include <string.h>

__attribute__((weak)) bool mp_tenant_valid(const char *t) {
  if (!t || !(t[0] >= 'a' && t[0] <= 'z'))
    return false;
  size_t n = strlen(t);
  if (n > 31)
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}
