/* broker.h: the embedded Kafka-protocol broker (librdkafka's mock cluster
 * hosted in this process) for single-machine runs and tests.
 *
 * Limits of the mock (librdkafka 2.0.2) that callers must respect:
 *   - data lives in memory only and is gone when the host stops;
 *   - each partition keeps at most 5 MiB or 100,000 message sets and
 *     SILENTLY drops older ones (the log start moves), so producers must
 *     bound the backlog (see producer.h, credit);
 *   - there is no CreateTopics: topics are created here, before any client
 *     uses them (an unknown topic is auto-created with 4 partitions);
 *   - ports are random on every start: publish mp_broker_bootstraps().
 * Fault injection (mp_broker_control) only works inside the host process;
 * `marcpipe broker` exposes it as a line protocol on stdin.
 *
 * Thread-safety: the mock runs on its own librdkafka thread; these calls
 * may come from any one thread at a time.
 */
#ifndef MARCPIPE_BROKER_H
#define MARCPIPE_BROKER_H

#include <stddef.h>

typedef struct mp_broker_topic_s {
  const char *name;
  int partitions; /* 0 = mp_broker_opts_t.partitions */
} mp_broker_topic_t;

typedef struct mp_broker_opts_s {
  int nbrokers;   /* 0 = 3 */
  int partitions; /* default partition count, 0 = 8 */
  const mp_broker_topic_t *topics; /* created before start returns */
  size_t ntopics;
} mp_broker_opts_t;

typedef struct mp_broker_s mp_broker_t;

/* Start the cluster and create the topics. 0, or MP_EKAFKA / MP_ECONFIG /
 * MP_ENOMEM with errbuf saying why. opts may be NULL (3 brokers, no topic). */
int mp_broker_start(const mp_broker_opts_t *opts, mp_broker_t **out,
                    char *errbuf, size_t errlen);
/* "host:port,host:port,..." valid until mp_broker_stop. */
const char *mp_broker_bootstraps(const mp_broker_t *b);
int mp_broker_nbrokers(const mp_broker_t *b);
/* Create a topic (replication factor min(3, brokers)). 0 or MP_EKAFKA. */
int mp_broker_topic_create(mp_broker_t *b, const char *topic, int partitions);
/* Run one control command (the line protocol of `marcpipe broker`, see
 * MP_BROKER_CONTROL_HELP). Returns 0 and writes "ok" (or the answer) into
 * reply, or MP_EUSAGE / MP_EKAFKA and writes "error: ..." into reply.
 * Empty lines and lines starting with '#' return 1 with an empty reply. */
int mp_broker_control(mp_broker_t *b, const char *line, char *reply,
                      size_t n);
/* Stop the cluster; clients still connected see the brokers go away. */
void mp_broker_stop(mp_broker_t *b);

#define MP_BROKER_CONTROL_HELP                                                 \
  "control commands (stdin, one per line; answer \"ok\" or \"error: ...\"):\n" \
  "  topic NAME PARTITIONS        create a topic\n"                           \
  "  err API COUNT CODE           the next COUNT requests of API fail with\n" \
  "                               CODE (API: Produce, Fetch, ListOffsets,\n"  \
  "                               Metadata, OffsetCommit, OffsetFetch,\n"     \
  "                               FindCoordinator, JoinGroup, Heartbeat,\n"   \
  "                               LeaveGroup, SyncGroup, InitProducerId or a\n" \
  "                               number; CODE: a Kafka error name such as\n" \
  "                               NOT_LEADER_FOR_PARTITION, or a number)\n"   \
  "  clear API                    drop errors queued for API\n"               \
  "  down BROKER | up BROKER      take a broker (1..N) down or back up\n"     \
  "  leader TOPIC PARTITION BROKER  move a partition's leader\n"             \
  "  rtt BROKER MS                add MS of round-trip delay to a broker\n"   \
  "  coordinator group|txn KEY BROKER  set a group/txn coordinator\n"         \
  "  bootstrap                    print the bootstrap servers\n"

#endif
