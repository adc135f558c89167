/* topic.c: FOLIO-style topic names "env.namespace.tenant.EVENT".
 *
 * Kafka allows [A-Za-z0-9._-] in topic names, at most 249 characters. The
 * '.' separates the four parts, so a part itself may not contain one
 * (otherwise a subscription pattern could not tell env from namespace).
 * Tenants also name PostgreSQL schemas, so commands check them against
 * the stricter schema rule (mp_tenant_valid, pg.h) as well.
 * Pure functions; any thread.
 */
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>

#define TOPIC_MAX 249

static bool part_valid(const char *s) {
  if (!s || !*s)
    return false;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

int mp_topic_name(char *buf, size_t n, const char *env, const char *ns,
                  const char *tenant, const char *event) {
  if (!buf || n == 0)
    return MP_EUSAGE;
  buf[0] = '\0';
  if (!part_valid(env) || !part_valid(ns) || !part_valid(tenant) ||
      !part_valid(event))
    return MP_ECONFIG;
  int w = snprintf(buf, n, "%s.%s.%s.%s", env, ns, tenant, event);
  if (w < 0 || (size_t)w >= n || w > TOPIC_MAX) {
    buf[0] = '\0';
    return MP_ECONFIG;
  }
  return 0;
}
