/* producer.h: streams a job's records into Kafka on a libuv loop (the
 * "SRM" role of the pipeline).
 *
 * One Kafka message per input item: key = the record's primary match key,
 * value = UTF-8 ISO 2709 (or MARC-in-JSON for records too large for ISO
 * 2709), headers per kafka.h (event type, job id, seq, tenant, content
 * type, schema version). seq is the item's 1-based number in the input:
 * rejected input records consume a seq too and are journaled through the
 * job operations, so every input record is accounted for.
 *
 * Bounded everywhere, never spinning:
 *   - inflight: at most max_inflight messages without a delivery report;
 *     RD_KAFKA_RESP_ERR__QUEUE_FULL also stops reading until reports come;
 *   - credit: at most max_backlog records / max_backlog_bytes bytes of the
 *     job produced but not yet processed by the workers. The processed
 *     count is read through ops.processed every credit_poll_ms, on the
 *     libuv thread pool (it may block on PostgreSQL). Optionally a slow
 *     start: at most startup_backlog + MP_PRODUCER_CREDIT_GROWTH x the
 *     processed count, so that a large input does not flood the cores
 *     (and a real broker) while the workers join their group and commit
 *     their first batch, and the credit then opens as fast as the workers
 *     show they keep up instead of all at once (at once, a real cluster's
 *     producer held the whole backlog unacknowledged for a moment: its
 *     peak RSS, bench/README.md "Memory from 100k to 1M");
 *   - rejected records waiting to be journaled: at most 1,000.
 * Delivery: enable.idempotence=true, acks=all, compression zstd (best
 * ratio of librdkafka's codecs on MARC; the embedded broker's retention is
 * counted in bytes), linger.ms=25. Delivery reports are served on the loop
 * through the bridge. The job's total is recorded (ops.set_total) only
 * after every delivery report succeeded. As the run goes, the contiguous
 * prefix of seqs delivered (or journaled) is recorded (ops.set_produced)
 * so that a killed run can be resumed (opts.skip). Any failed delivery, or
 * a fatal producer error, fails the job (ops.fail with the reason) and the run.
 *
 * The producer knows neither the MARC reader nor PostgreSQL: its input and
 * its job operations are interfaces (below); the MARC input and the job
 * operations over PostgreSQL wire them up in pipeline.h.
 *
 * Threading: mp_producer_* calls and every callback except the ops run on
 * the loop thread. The ops run on the thread pool, one at a time, never
 * concurrently with each other (one database connection is enough).
 */
#ifndef MARCPIPE_PRODUCER_H
#define MARCPIPE_PRODUCER_H

#include "marcpipe/record.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Defaults for the embedded broker with 8 partitions: 16 MiB of
 * uncompressed backlog spread over 8 partitions is ~2 MiB per partition
 * before compression, well under the mock's 5 MiB per partition, with
 * room for uneven keys; 20,000 records is far under its 100,000 message
 * sets. Scale both with the partition count (mp_producer_default_backlog).
 * The bound is on the whole backlog, not per partition: while some
 * partitions are not consumed (their worker died, until the rebalance)
 * the backlog gathers in them. zstd level 1 shrinks a whole generated
 * file to 0.29 but batches of a few dozen records (24-48 KB, what 8
 * partitions get in linger.ms at ~7,500 records/s) only to 0.40-0.42
 * (zstd -1 over slices of the file): 16 MiB fits in the 5 MiB of two
 * stalled partitions but not of one. So a worker dying in an import with
 * 8 workers on 8 partitions could make the mock drop records (not
 * reproduced); the worker would report them lost and the job would fail,
 * never lose them silently. */
#define MP_PRODUCER_BACKLOG_PER_PARTITION 2500
#define MP_PRODUCER_BACKLOG_BYTES_PER_PARTITION (2u << 20)
/* import's startup_backlog: a few batches, so the first commit comes as
 * soon as the workers have joined (bench/README.md "Start-up"). */
#define MP_PRODUCER_STARTUP_BACKLOG 100
/* The slow start's growth: each record processed opens the credit by this
 * many (so produced <= startup + (1 + growth) x processed): with the
 * records processed as fast as the credit lets them through, the bound
 * goes 100, 300, 900, 2,700, 8,100, then a 10,900-record backlog. */
#define MP_PRODUCER_CREDIT_GROWTH 2
#define MP_PRODUCER_MAX_INFLIGHT 10000
/* New clients a run may start after fatal client errors (producer.c)
 * before the error fails it. */
#define MP_PRODUCER_MAX_RESTARTS 3
#define MP_PRODUCER_CREDIT_POLL_MS 100
#define MP_PRODUCER_MAX_PENDING_REJECTS 1000

/* ---- input ---- */

typedef enum { MP_ITEM_RECORD = 1, MP_ITEM_REJECTED = 2 } mp_item_kind_t;

/* One input item, valid until the next call to next(). */
typedef struct mp_producer_item_s {
  mp_item_kind_t kind;
  uint64_t offset;         /* byte offset in the input */
  const char *key;         /* RECORD: Kafka key */
  size_t key_len;
  const char *value;       /* RECORD: message value */
  size_t value_len;
  mp_content_type_t content_type;
  const char *event_type;  /* RECORD: event-type header; NULL = MARC record
                              (MP_EVENT_RECORD) */
  int error;               /* REJECTED: MP_E* class of the problem */
  const char *reason;      /* REJECTED: positioned message */
  const char *raw;         /* REJECTED: raw input bytes (may be NULL) */
  size_t raw_len;
} mp_producer_item_t;

/* A source of items. next() returns 0 with *item set, MP_EOF at the end,
 * or another MP_E* if the input cannot be read at all (the run fails). */
typedef struct mp_producer_input_s {
  void *ctx;
  const char *name;  /* input name for messages ("FILE"), may be NULL */
  int (*next)(void *ctx, mp_producer_item_t *item);
  void (*close)(void *ctx);
  /* Input bytes consumed so far (progress); may be NULL. */
  uint64_t (*bytes)(void *ctx);
} mp_producer_input_t;

/* ---- job operations (the database side; run on the thread pool) ---- */

/* A rejected input record waiting to be journaled. */
typedef struct mp_producer_reject_s {
  int64_t seq;
  uint64_t offset;  /* byte offset in the input */
  int error;        /* MP_E* (mp_err_name gives the class) */
  char *reason;     /* positioned message */
  char *raw;        /* raw bytes, may be NULL */
  size_t raw_len;
} mp_producer_reject_t;

typedef struct mp_producer_job_ops_s {
  void *ctx;
  /* Journal rejected input records (in seq order) as error rows, all or
   * nothing; must be idempotent by (job, seq): after a failure the same
   * records come again. 0 or MP_E*. */
  int (*journal_rejected)(void *ctx, int64_t job_id,
                          const mp_producer_reject_t *recs, size_t n);
  /* The job's processed count so far. 0 or MP_E* (a failing read is
   * retried at the next tick; it never unblocks the credit). */
  int (*processed)(void *ctx, int64_t job_id, int64_t *processed);
  /* Record the total: every item has a seq, every message was delivered. */
  int (*set_total)(void *ctx, int64_t job_id, int64_t total);
  /* Fail the job loudly with reason. */
  int (*fail)(void *ctx, int64_t job_id, const char *reason);
  /* Optional (may be NULL): record that every seq <= produced was
   * delivered or journaled (the contiguous done prefix), for a later
   * resume. Called at most once per credit tick when the prefix moved, and
   * at the end of the run; a failure is retried at the next tick. */
  int (*set_produced)(void *ctx, int64_t job_id, int64_t produced);
  /* true: processed() counts the rejected records journaled through
   * journal_rejected too (the job's own processed counter); false: it
   * counts only records the workers finished. */
  bool processed_includes_rejected;
} mp_producer_job_ops_t;

/* ---- the producer ---- */

typedef struct mp_producer_stats_s {
  int64_t read;            /* items taken from the input (= last seq) */
  int64_t produced;        /* messages handed to librdkafka */
  int64_t delivered;       /* successful delivery reports */
  int64_t rejected;        /* rejected input records */
  int64_t failed;          /* failed delivery reports */
  int64_t processed;       /* last processed count read */
  int64_t max_outstanding; /* highest produced-but-not-processed seen */
  uint64_t value_bytes;    /* message value bytes produced */
  uint64_t input_bytes;    /* input bytes consumed */
  int64_t credit_waits;    /* times reading stopped for credit */
  int64_t queue_full_waits;/* times reading stopped for a full queue */
  int64_t skipped;         /* items skipped on resume (opts.skip) */
  int64_t done_prefix;     /* every seq <= this is delivered or journaled */
  int64_t restarts;        /* new clients after a fatal client error */
  int64_t resent;          /* messages produced again by those */
} mp_producer_stats_t;

typedef struct mp_producer_s mp_producer_t;

typedef struct mp_producer_opts_s {
  const char *brokers;           /* bootstrap servers */
  const char *const *props;      /* -X name=value, applied after defaults */
  size_t nprops;
  const char *topic;             /* full topic name (mp_topic_name) */
  const char *tenant;            /* header value */
  int64_t job_id;
  /* Resume: the first `skip` input items (rejected ones included) were
   * delivered or journaled by an earlier run. They are read and dropped,
   * so the rest keep their seqs (skip + 1, ...). An input with fewer items
   * fails the run (the file changed). */
  int64_t skip;
  /* Resume: seqs already processed (journaled) anywhere after `skip`, bit
   * seq-1 of `done_seqs` set for seq <= ndone_seqs (mp_job_journaled).
   * They are read and dropped like skipped items; every other item is
   * produced again, so records an earlier run delivered to a log that was
   * lost since (the embedded broker died with its import) are not lost,
   * and one that is consumed twice is a replay (counted once). NULL = none. */
  const uint8_t *done_seqs;
  int64_t ndone_seqs;
  int64_t max_inflight;          /* 0 = MP_PRODUCER_MAX_INFLIGHT */
  int64_t max_backlog;           /* 0 = default for 8 partitions; <0 = off */
  int64_t max_backlog_bytes;     /* 0 = default for 8 partitions; <0 = off */
  /* At most this many records outstanding plus MP_PRODUCER_CREDIT_GROWTH
   * per record processed (the slow start, above): this many until the
   * processed count first moves (the workers' first commit, or a resumed
   * run's earlier progress at the first read); max_backlog bounds it
   * too. 0 = no slow start: max_backlog alone. */
  int64_t startup_backlog;
  unsigned credit_poll_ms;       /* 0 = MP_PRODUCER_CREDIT_POLL_MS */
  unsigned progress_ms;          /* 0 = no periodic progress callback */
  const mp_producer_job_ops_t *ops; /* NULL = no database (no credit) */
  /* Loop-thread callbacks, all optional. */
  void *cb_data;
  void (*on_progress)(void *cb_data, const mp_producer_stats_t *st);
  void (*on_rejected)(void *cb_data, int64_t seq, uint64_t offset,
                      const char *reason);
  /* Runs once when the run is over: rc 0 (total recorded) or MP_E* with
   * reason. The producer may be destroyed from here on. */
  void (*on_done)(void *cb_data, int rc, const char *reason);
} mp_producer_opts_t;

/* Default credit for a topic with `partitions` partitions (<=0: 8). */
void mp_producer_default_backlog(int partitions, int64_t *records,
                                 int64_t *bytes);

/* Create the Kafka producer and start streaming input on loop. Takes
 * ownership of input (closed by mp_producer_destroy) on success only.
 * 0, or MP_ECONFIG / MP_EKAFKA with errbuf set (on_done is not called). */
int mp_producer_start(uv_loop_t *loop, const mp_producer_opts_t *opts,
                      mp_producer_input_t *input, mp_producer_t **out,
                      char *errbuf, size_t errlen);
/* Stop reading; the run ends as failed with MP_ECANCELED after in-flight
 * messages are purged (the job is failed through ops.fail). */
void mp_producer_cancel(mp_producer_t *p);
void mp_producer_stats(const mp_producer_t *p, mp_producer_stats_t *st);
/* The librdkafka handle (tests: mock cluster access); a restart after a
 * fatal client error replaces it. */
rd_kafka_t *mp_producer_rk(mp_producer_t *p);
/* Free everything; only after on_done ran (or start failed). */
void mp_producer_destroy(mp_producer_t *p);

/* Convenience: run on a private loop until done. Returns the run's rc and
 * copies the reason into errbuf; st (may be NULL) gets the final stats. */
int mp_producer_run(const mp_producer_opts_t *opts, mp_producer_input_t *input,
                    mp_producer_stats_t *st, char *errbuf, size_t errlen);

#endif
