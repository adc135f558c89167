/* conf.c: librdkafka configuration from `-b brokers` and `-X name=value`.
 *
 * Properties are applied in order, so a later one wins. An error message
 * names the property and librdkafka's reason, never the value: values of
 * secret properties (mp_kafka_prop_is_secret) must not reach a terminal or
 * a log, and values in general are left out so no secret slips through
 * under an unexpected name. Pure functions; any thread.
 */
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Names whose values are secrets; a property also counts as secret when its
 * name contains one of the fragments below (sasl.oauthbearer.client.secret,
 * ssl.key.pem, ...). */
static const char *const secret_fragments[] = {
    "password", "secret", "ssl.key.pem", "ssl_key", "sasl.oauthbearer.config",
    "token",
};

bool mp_kafka_prop_is_secret(const char *name) {
  if (!name)
    return false;
  for (size_t i = 0; i < sizeof secret_fragments / sizeof *secret_fragments;
       i++)
    if (strcasestr(name, secret_fragments[i]))
      return true;
  return false;
}

/* Split "name=value" into name (copied into nbuf) and value. */
static int split_prop(const char *prop, char *nbuf, size_t nlen,
                      const char **value) {
  const char *eq = strchr(prop, '=');
  if (!eq || eq == prop || (size_t)(eq - prop) >= nlen)
    return -1;
  memcpy(nbuf, prop, (size_t)(eq - prop));
  nbuf[eq - prop] = '\0';
  *value = eq + 1;
  return 0;
}

rd_kafka_conf_t *mp_kafka_conf_new(const char *brokers,
                                   const char *const *props, size_t nprops,
                                   char *errbuf, size_t errlen) {
  char rkerr[256];
  char name[128];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  if (brokers && *brokers &&
      rd_kafka_conf_set(conf, "bootstrap.servers", brokers, rkerr,
                        sizeof rkerr) != RD_KAFKA_CONF_OK) {
    snprintf(errbuf, errlen, "bootstrap.servers: %s", rkerr);
    goto fail;
  }
  for (size_t i = 0; i < nprops; i++) {
    const char *value;
    if (!props[i] || split_prop(props[i], name, sizeof name, &value) != 0) {
      /* The text may be a mistyped secret: show only up to '='. */
      int shown = props[i] ? (int)strcspn(props[i], "=") : 0;
      if (shown > 64)
        shown = 64;
      snprintf(errbuf, errlen,
               "-X %.*s: expected name=value (property %zu)", shown,
               props[i] ? props[i] : "", i + 1);
      goto fail;
    }
    if (rd_kafka_conf_set(conf, name, value, rkerr, sizeof rkerr) !=
        RD_KAFKA_CONF_OK) {
      /* librdkafka's reason may quote the value: drop it for secrets. */
      if (mp_kafka_prop_is_secret(name) || (*value && strstr(rkerr, value)))
        snprintf(errbuf, errlen, "kafka property %s: invalid value", name);
      else
        snprintf(errbuf, errlen, "kafka property %s: %s", name, rkerr);
      goto fail;
    }
  }
  return conf;
fail:
  rd_kafka_conf_destroy(conf);
  return NULL;
}
