/* sink.h: the PostgreSQL batch sink of an inventory worker.
 *
 * Contract between the Kafka side (worker window, src/kafka) and the
 * database side (src/pg). The worker hands a batch of consumed messages to
 * mp_sink_write_batch(); the sink decodes each record, maps it, and writes
 * source records, Instances, journal rows, per-(job, partition) progress
 * and the partitions' next offsets in ONE transaction. Only after it
 * returns 0 may the worker commit those offsets to Kafka.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  MP_CT_ISO2709 = 0, /* "application/marc" : UTF-8 ISO 2709 */
  MP_CT_JSON = 1,    /* "application/marc+json" : MARC-in-JSON */
  MP_CT_EVENT = 2,   /* "application/json" : an event of another family
                        (circulation-event-v1.md); not a MARC record */
} mp_content_type_t;

typedef struct mp_sink_rec_s {
  const char *topic;
  int32_t partition;
  int64_t offset;
  int64_t job_id;
  int64_t seq;               /* 1-based sequence number in the job */
  const char *key;           /* Kafka key = primary match key */
  size_t key_len;
  const char *value;         /* the record */
  size_t value_len;
  mp_content_type_t content_type;
  const char *cluster_id;    /* Kafka cluster it was read from, stored with
                                the offsets; NULL or "" = unknown */
} mp_sink_rec_t;

/* Where a group stopped reading one partition, and which log that was:
 * the identity lets a worker recognise offsets of another log (a topic
 * re-created under the same name, the embedded broker restarted). */
typedef struct mp_sink_offset_s {
  int64_t next;               /* next offset to read; -1 = none stored */
  int64_t last_job, last_seq; /* headers of the message at next - 1;
                                 0 = unknown */
  char cluster_id[64];        /* the cluster read from; "" = unknown */
} mp_sink_offset_t;

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

/* A record the sink journaled as an ERROR in this call (new journal row
 * only: a replayed error is not reported again). */
typedef struct mp_sink_error_s {
  size_t index;           /* into the recs given to mp_sink_write_batch */
  char error_class[32];   /* MP_E* name, as in journal.error_class */
  char reason[600];       /* as in journal.reason */
} mp_sink_error_t;

/* Outcome counts of one batch (rows really written). Each record is
 * applied with its job's profile (jobs.profile, include/marcpipe/profile.h,
 * read once per job per sink; a job without one uses the default:
 * match 001 then 035, update, else create). Outcomes: CREATED (no Instance
 * matched, or the profile creates anyway), UPDATED (the matched Instance
 * replaced: id and hrid kept, version + 1), DUPLICATE (matched, identical
 * raw record: nothing changes), SKIPPED (profile skip, journal error_class
 * "matched" / "no-match", or not bibliographic: "MP_ENOTBIB"), ERROR
 * (undecodable, unmappable, or "multiple-match": several Instances matched
 * one step; the reason names them). Records resolving to the same Instance
 * (or creating the same primary key) within a batch are applied in batch
 * order, last wins. A create that loses a race with another transaction
 * for the same primary key becomes an update (one Instance per primary
 * key). When mp_sink_write_batch() fails, all counts are 0 (a part of the
 * batch may have been committed when it was split to isolate a refused
 * record: the retry then counts that part as replayed). */
/* Jobs one batch can report as completed (a batch finishing more is
 * possible; the rest are not named, and their state is in PostgreSQL). */
#define MP_SINK_MAX_COMPLETED 8

typedef struct mp_sink_result_s {
  uint32_t created, updated, duplicates, skipped, errors;
  uint32_t replayed;          /* records already journaled: no change */
  uint32_t direct;            /* records of batches written without staging
                                 (only new records: src/pg/sink_fast.c) */
  int64_t completed_jobs[MP_SINK_MAX_COMPLETED]; /* jobs this batch flipped
                                                   to COMPLETED* */
  int ncompleted;
  /* The ERROR outcomes committed by this call, in recs order, so the
   * caller can publish them (dead-letter topic). Owned by the sink: valid
   * until its next mp_sink_write_batch or mp_sink_close. NULL/0 on failure. */
  const mp_sink_error_t *error_recs;
  size_t nerror_recs;
  char errmsg[512];           /* infrastructure error text when rc != 0 */
} mp_sink_result_t;

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
