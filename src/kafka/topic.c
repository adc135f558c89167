/* topic.c: FOLIO-style topic names "env.namespace.tenant.EVENT" and the
 * tenant name rule.
 *
 * Kafka allows [A-Za-z0-9._-] in topic names, at most 249 characters. The
 * '.' separates the four parts, so a part itself may not contain one
 * (otherwise a subscription pattern could not tell env from namespace).
 * Tenants also name PostgreSQL schemas, hence the stricter tenant rule.
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
