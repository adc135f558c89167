/* kafka_admin.h: reaching a Kafka cluster within a bounded time, and the
 * topics marcpipe creates (src/kafka/admin.c).
 *
 * Every command that talks to a real cluster first asks it for metadata
 * with a deadline (mp_kafka_probe), so wrong or unreachable bootstrap
 * servers are one clear error naming them, not a stream of librdkafka log
 * lines or a hang. `produce` and `import -b` then make sure their topics
 * exist (mp_kafka_topics_ensure): a missing topic is created through the
 * Admin API; an existing one is used as it is, and its real partition count
 * is reported back so the defaults that depend on it follow the topic.
 * `bench -b` deletes the topics of its runs' tenants (mp_kafka_topics_delete).
 * Blocking calls: run them before the command's loop starts (any thread).
 */
#ifndef MARCPIPE_KAFKA_ADMIN_H
#define MARCPIPE_KAFKA_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

/* The default bound on reaching the cluster, in milliseconds; the
 * environment variable MARCPIPE_KAFKA_TIMEOUT (seconds, 1..3600) changes it
 * for every command. */
#define MP_KAFKA_DEFAULT_TIMEOUT_MS 10000
#define MP_KAFKA_TIMEOUT_ENV "MARCPIPE_KAFKA_TIMEOUT"

typedef struct {
  const char *brokers;       /* bootstrap servers, required */
  const char *const *props;  /* -X properties; only the shared ones apply */
  size_t nprops;
  int timeout_ms;            /* 0 = mp_kafka_timeout_ms() */
} mp_kafka_admin_opts_t;

typedef struct {
  const char *name;          /* the topic */
  int partitions;            /* when it is created (>= 1) */
  int replication_factor;    /* when it is created; 0 = min(3, brokers) */
  /* out */
  int partitions_found;      /* the topic's real partition count */
  int replication_found;     /* replicas of its first partition */
  bool created;              /* created by this call */
} mp_topic_spec_t;

/* MARCPIPE_KAFKA_TIMEOUT in milliseconds, or the default; a malformed value
 * is the default. */
int mp_kafka_timeout_ms(void);

/* Ask the cluster for metadata within the timeout. 0 with *nbrokers set,
 * or MP_EKAFKA with errbuf "cannot reach Kafka at BROKERS within N s
 * (REASON): are the brokers reachable?" (REASON from librdkafka, e.g.
 * "Connection refused" or "SASL authentication error"; never a property
 * value). MP_ECONFIG for bad -X properties. */
int mp_kafka_probe(const mp_kafka_admin_opts_t *o, int *nbrokers,
                   char *errbuf, size_t errlen);

/* Probe, then create each missing topic of topics[0..n) (CreateTopics;
 * min.insync.replicas=2 when its replication factor is 3 or more) and fill
 * the out fields of every entry. A topic that already exists, or that
 * another client creates meanwhile, is used as it is. 0, or an error with
 * errbuf "cannot create topic NAME: REASON" (e.g. the broker's
 * TOPIC_AUTHORIZATION_FAILED or its replication-factor message). */
int mp_kafka_topics_ensure(const mp_kafka_admin_opts_t *o,
                           mp_topic_spec_t *topics, size_t n, char *errbuf,
                           size_t errlen);

/* Delete those of names[0..n) that exist (DeleteTopics; for topics this
 * process's caller made, e.g. a benchmark's tenants). 0 with *ndeleted the
 * topics the cluster deleted (a topic gone meanwhile is not an error), or an
 * error with errbuf "cannot delete topic NAME: REASON". */
int mp_kafka_topics_delete(const mp_kafka_admin_opts_t *o,
                           const char *const *names, size_t n, size_t *ndeleted,
                           char *errbuf, size_t errlen);

#endif
