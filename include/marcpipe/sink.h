/* sink.h: the PostgreSQL batch sink of an inventory worker.
 *
 * Contract between the Kafka side (worker window, src/kafka) and the
 * database side (src/pg). The worker hands a batch of consumed messages to
 * mp_sink_write_batch(); the sink decodes each record, maps it, and writes
 * source records, Instances, journal rows, per-(job, partition) progress
 * and the partitions' next offsets in ONE transaction. Only after it
 * returns 0 may the worker commit those offsets to Kafka. The batch,
 * result and offset types are the worker's too: they live in record.h,
 * below both sides.
 *
 * Threading: a sink owns one blocking libpq connection and is used by one
 * thread at a time. The worker runs mp_sink_write_batch() on the libuv
 * thread pool (uv_queue_work), never on the loop thread, and keeps at most
 * one batch in flight per sink; several sinks give several connections.
 *
 * Idempotency: a record is identified by (job_id, seq). A record whose
 * journal row exists already changes nothing and moves no counter.
 */
#ifndef MARCPIPE_SINK_H
#define MARCPIPE_SINK_H

#include "marcpipe/mapping.h"
#include "marcpipe/record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mp_sink_config_s {
  const char *conninfo;      /* "" = libpq defaults / PG* environment */
  const char *tenant;        /* validated [a-z][a-z0-9_]{0,30}; schema name
                                is derived from it (see schemas/sql) */
  const char *group;         /* consumer group, key of stored offsets */
  const mp_mapping_t *mapping;
  int sink_latency_ms;       /* extra server-side delay per batch (pg_sleep
                                inside the transaction), for benchmarks */
} mp_sink_config_t;

typedef struct mp_sink_s mp_sink_t;

/* Connect (blocking), migrate the tenant schema, create the connection's
 * staging table. The strings of cfg are copied; cfg->mapping is borrowed
 * and must outlive the sink. 0, or with errbuf set: MP_ECONFIG (invalid
 * tenant, no mapping), MP_ETRANSIENT (database unreachable: retry later),
 * MP_EPG (migration failed). */
int mp_sink_open(const mp_sink_config_t *cfg, mp_sink_t **out, char *errbuf,
                 size_t errlen);
void mp_sink_close(mp_sink_t *s);

/* Write a batch in one transaction (records in any partitions, in offset
 * order per partition). Bad records are data: they become journal errors,
 * the batch goes on. Returns 0 when committed; MP_ETRANSIENT when the
 * database failed (connection lost, ...): nothing was committed and the
 * worker retries the same batch later with backoff (the sink reconnects).
 * A record the server refuses (should not happen: values are validated in
 * C) is isolated by splitting the batch and journaled as an ERROR. Other
 * codes: MP_ENOMEM; MP_EPG only if even the isolated ERROR row is refused.
 * recs[i].key may be empty: the match key is computed from the record.
 * The offsets stored are max(offset)+1 per (topic, partition) of the
 * batch, replays included, with the job/seq of that last record and its
 * cluster_id; a stored offset never moves backwards. If the connection drops during COMMIT the batch
 * may have been committed: the retry is then a replay and changes nothing. */
int mp_sink_write_batch(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                        mp_sink_result_t *res);

/* Next offset to read per partition as stored in PostgreSQL by committed
 * batches for (group, topic), with the identity of the log it belongs to;
 * next = -1 where none is stored. 0, MP_ETRANSIENT (reconnects on the next
 * call) or MP_EPG. */
int mp_sink_load_offsets(mp_sink_t *s, const char *topic,
                         const int32_t *partitions, mp_sink_offset_t *offs,
                         size_t n);
/* Replace the stored offset of one partition (found to belong to another
 * log) by `next`, read from cluster_id (NULL = unknown), identity of the
 * last message unknown. 0, MP_ETRANSIENT or MP_EPG. */
int mp_sink_reset_offset(mp_sink_t *s, const char *topic, int32_t partition,
                         int64_t next, const char *cluster_id);

#endif
