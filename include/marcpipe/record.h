/* record.h: the consumed-message types the Kafka layer and its sinks share.
 *
 * A neutral header below both sides: the worker (worker.h) hands batches
 * of mp_sink_rec_t to a sink and reads back an mp_sink_result_t and the
 * stored mp_sink_offset_t; the producer (producer.h) tags each message with
 * an mp_content_type_t. The PostgreSQL sink (sink.h) and the circulation
 * services (circ.h) implement the other side. Plain data only: no library
 * header beyond the C standard ones, so a layer including it pulls in
 * neither the mapping, jansson, libpq nor librdkafka.
 *
 * Ownership: every pointer in an mp_sink_rec_t is borrowed from the caller
 * for the duration of the call it is passed to.
 */
#ifndef MARCPIPE_RECORD_H
#define MARCPIPE_RECORD_H

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

#endif
