/* worker_conf.c: the worker's configuration: defaults, checks, and the
 * librdkafka configurations of its consumer and dead-letter producer.
 *
 * Contract: the config is the caller's and only read here; each conf
 * returned belongs to the caller (mp_kafka_new takes it on success). The
 * consumer's properties are the worker's defaults, then the user's -X
 * properties, then the managed ones, which -X may not set. Pure apart
 * from allocation: any thread, though the worker calls it on the loop.
 */
#include "kafka/worker_impl.h"

#include "marcpipe/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const managed_props[] = {
    "group.id", "enable.auto.commit", "enable.auto.offset.store"};

void mp_worker_config_defaults(mp_worker_config_t *c) {
  memset(c, 0, sizeof *c);
  c->group = MP_WORKER_DEFAULT_GROUP;
  c->window_records = 20000;
  c->window_bytes = 64u << 20;
  c->low_water_pct = 50;
  c->batch_records = 1000;
  c->batch_ms = 50;
  c->nsinks = 2;
  c->retry_min_ms = 100;
  c->retry_max_ms = 10000;
  c->stall_ms = 10000;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static bool managed(const char *prop) {
  for (size_t i = 0; i < sizeof managed_props / sizeof *managed_props; i++) {
    size_t n = strlen(managed_props[i]);
    if (!strncmp(prop, managed_props[i], n) && prop[n] == '=')
      return true;
  }
  return false;
}

/* Worker defaults, then the user's -X properties, then the managed ones;
 * the prefetch bounds follow the window so memory is bounded by config. */
rd_kafka_conf_t *mp__worker_consumer_conf(const mp_worker_config_t *c,
                                          char *errbuf, size_t errlen) {
  enum { NDEF = 8, NMAN = 3 };
  char def[NDEF][96], man[NMAN][320];
  size_t nd = 0;
  snprintf(def[nd++], sizeof def[0], "client.id=marcpipe-work");
  snprintf(def[nd++], sizeof def[0], "auto.offset.reset=error");
  snprintf(def[nd++], sizeof def[0],
           "partition.assignment.strategy=range,roundrobin");
  if (c->window_bytes) { /* measured: a prefetch queue under ~16 MiB
                            starves the fetcher on librdkafka 2.0.2 */
    uint64_t half = c->window_bytes / 2;
    snprintf(def[nd++], sizeof def[0], "queued.max.messages.kbytes=%" PRIu64,
             clamp_u64(half / 1024, 16384, 65536));
    snprintf(def[nd++], sizeof def[0], "fetch.max.bytes=%" PRIu64,
             clamp_u64(half, 1048576, 52428800));
  }
  if (c->window_records)
    snprintf(def[nd++], sizeof def[0], "queued.min.messages=%" PRIu64,
             clamp_u64(c->window_records, 1, 100000));
  snprintf(man[0], sizeof man[0], "group.id=%s", c->group);
  snprintf(man[1], sizeof man[1], "enable.auto.commit=false");
  snprintf(man[2], sizeof man[2], "enable.auto.offset.store=false");
  const char **all = calloc(nd + c->nprops + NMAN, sizeof *all);
  if (!all) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  size_t n = 0;
  for (size_t i = 0; i < nd; i++)
    all[n++] = def[i];
  for (size_t i = 0; i < c->nprops; i++)
    all[n++] = c->props[i];
  for (size_t i = 0; i < NMAN; i++)
    all[n++] = man[i];
  rd_kafka_conf_t *conf =
      mp_kafka_conf_new_for(MP_KAFKA_CONSUMER, c->brokers, all, n, errbuf, errlen);
  free(all);
  return conf;
}

int mp__worker_check(const mp_worker_config_t *c, char *errbuf,
                     size_t errlen) {
  const char *bad = !c->brokers || !*c->brokers ? "brokers are required"
                    : !c->topic || !*c->topic   ? "a topic is required"
                    : !c->group || !*c->group   ? "a group is required"
                    : !c->sink || !c->sink->open || !c->sink->write_batch ||
                            !c->sink->load_offsets || !c->sink->close
                        ? "a sink is required"
                    : c->nsinks < 1 || c->nsinks > 64 ? "sinks must be 1..64"
                    : c->batch_records < 1 || c->batch_records > 1000000
                        ? "batch must be 1..1000000"
                    : c->low_water_pct > 99 ? "low water must be 0..99 percent"
                    : c->retry_min_ms < 1 || c->retry_max_ms < c->retry_min_ms
                        ? "invalid retry backoff"
                        : NULL;
  if (bad) {
    snprintf(errbuf, errlen, "%s", bad);
    return MP_EUSAGE;
  }
  for (size_t i = 0; i < c->nprops; i++) {
    if (managed(c->props[i])) {
      snprintf(errbuf, errlen, "property '%.*s' is managed by the worker",
               (int)strcspn(c->props[i], "="), c->props[i]);
      return MP_ECONFIG;
    }
    /* the rebalance callback speaks the eager protocol only */
    if (!strncmp(c->props[i], "partition.assignment.strategy=", 30) &&
        strstr(c->props[i], "cooperative")) {
      snprintf(errbuf, errlen, "cooperative assignors are not supported: "
                               "use range or roundrobin");
      return MP_ECONFIG;
    }
  }
  return 0;
}

int mp_worker_check_config(const mp_worker_config_t *cfg, char *errbuf,
                           size_t errlen) {
  int rc = mp__worker_check(cfg, errbuf, errlen);
  if (rc)
    return rc;
  rd_kafka_conf_t *conf =
      mp__worker_consumer_conf(cfg, errbuf, errlen); /* -X values */
  if (!conf)
    return MP_ECONFIG;
  rd_kafka_conf_destroy(conf);
  return 0;
}

/* The dead-letter producer: idempotent, short linger, then the shared -X
 * properties (security, sockets, client id) and the producer ones; the
 * consumer's stay with the consumer (props.c). */
rd_kafka_conf_t *mp__worker_dlq_conf(const mp_worker_config_t *c,
                                     char *errbuf, size_t errlen) {
  const char **all = calloc(c->nprops + 2, sizeof *all);
  size_t na = 0;
  if (!all) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  all[na++] = "enable.idempotence=true";
  all[na++] = "linger.ms=5";
  for (size_t i = 0; i < c->nprops; i++)
    all[na++] = c->props[i];
  rd_kafka_conf_t *conf = mp_kafka_conf_new_for(MP_KAFKA_PRODUCER, c->brokers,
                                                all, na, errbuf, errlen);
  free(all);
  return conf;
}
