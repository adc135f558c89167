/* worker.h: the inventory worker (`marcpipe work`): a Kafka consumer-group
 * member (or, with member_count, the owner of a fixed share of the
 * partitions, no group) that pulls records through a bounded window, hands them in
 * batches to sinks on the libuv thread pool, and commits to Kafka the
 * contiguous prefix of offsets whose batches the sink has committed.
 *
 * Loop and threads: a worker lives on one uv loop, whose thread pool must
 * have at least nsinks threads (UV_THREADPOOL_SIZE, default 4). Kafka events reach the
 * loop through the kafka.h bridge (rd_kafka_consumer_poll(rk, 0) until
 * NULL); the rebalance callback runs inside that poll, on the loop thread.
 * Sink calls (open, write_batch) run on the thread pool via uv_queue_work,
 * at most one batch per sink; load_offsets and close run on the loop
 * thread on a separate "control" sink (index -1).
 *
 * Delivery: at least once. Offsets move to Kafka only after the sink
 * returned 0 for every earlier offset of the partition. On assignment a
 * partition starts at max(Kafka committed offset, sink's stored next
 * offset), or at the log start when neither exists. A stored offset must
 * belong to the log being read: one read from another cluster, past the
 * log's end, or whose previous message does not carry the job and seq
 * stored with it (the topic was re-created) is reported and the partition
 * is read from its start instead (replays change nothing; nothing is
 * skipped). An offset that jumps
 * past the expected one, or an out-of-range fetch position, stops the
 * worker with MP_ELOST naming topic, partition and the lost offsets.
 */
#ifndef MARCPIPE_WORKER_H
#define MARCPIPE_WORKER_H

#include "marcpipe/record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

/* How the worker reaches its sinks: the handler table of a consumer
 * family. The worker owns Kafka (window, pause/resume, batches of one
 * partition in offset order, retries, offsets committed to Kafka only
 * after write_batch returned 0); the table owns what a batch means and
 * must write it, with the partitions' next offsets, in ONE transaction.
 * Families: MARC records (mp_worker_pg_sink_ops, pipeline.h, over sink.h) and
 * circulation services (mp_circ_sink_ops, circ.h); unit tests plug in a
 * fake. Messages reach write_batch as mp_sink_rec_t (job-id and seq
 * headers required, content type per the message contract). Contracts
 * are those of sink.h. */
typedef struct mp_worker_sink_ops_s {
  /* Open sink number `index` (0..nsinks-1 on the loop thread at start,
   * and again on a pool thread when that failed; -1 = the control sink, on
   * the loop thread at start). 0 or a negative error with errbuf set. A
   * failure of a pool sink is retried like MP_ETRANSIENT; of the control
   * sink, fails mp_worker_start. */
  int (*open)(void *ctx, int index, void **sink, char *errbuf, size_t errlen);
  /* 0 = committed; any other value = nothing committed, retry later. */
  int (*write_batch)(void *sink, const mp_sink_rec_t *recs, size_t n,
                     mp_sink_result_t *res);
  /* As mp_sink_load_offsets (next offset per partition, -1 = none, and
   * the identity of the log it was read from). */
  int (*load_offsets)(void *sink, const char *topic, const int32_t *parts,
                      mp_sink_offset_t *offs, size_t n);
  /* As mp_sink_reset_offset; NULL = nothing stored to reset. */
  int (*reset_offset)(void *sink, const char *topic, int32_t partition,
                      int64_t next, const char *cluster_id);
  void (*close)(void *sink);
} mp_worker_sink_ops_t;

typedef struct mp_worker_config_s {
  const char *brokers;           /* bootstrap servers (required) */
  const char *const *props;      /* "name=value" librdkafka properties, */
  size_t nprops;                 /*   applied after the worker's defaults */
  const char *topic;             /* required */
  const char *group;             /* MP_WORKER_DEFAULT_GROUP */
  int member_count;              /* 0 = join the consumer group (its
                                    rebalances move partitions between
                                    workers); N > 0 = no group membership:
                                    read the partitions p with
                                    p % N == member_index, assigned once at
                                    start (offsets still committed under
                                    group). For a supervisor that keeps
                                    exactly N workers running: nothing
                                    takes over while one is down */
  int member_index;              /* 0 .. member_count - 1 */
  const char *dlq_topic;         /* NULL = none; else messages with missing or
                                    invalid headers are copied there (original
                                    key, value and headers plus "source",
                                    "error-class" and "error" headers) before
                                    being skipped, and so are records the
                                    sink journaled as errors (key, value,
                                    job-id, seq and the same three headers)
                                    after their batch committed */
  uint64_t window_records;       /* 20,000; 0 = unbounded (bench_window:
                                    with a 20k rec/s sink 10,000 lost ~40%
                                    to ~0.5 s resumes, 20,000 ~0%) */
  uint64_t window_bytes;         /* 64 MiB; 0 = unbounded */
  unsigned low_water_pct;        /* 50: resume when both are at or below */
  size_t batch_records;          /* 1000; at most window_records / 2 */
  unsigned batch_ms;             /* 50: a partial batch waits at most this */
  int nsinks;                    /* 2: batches in flight, one per sink */
  unsigned retry_min_ms;         /* 100: transient sink error backoff, */
  unsigned retry_max_ms;         /* 10,000: doubling up to this */
  unsigned exit_when_idle_ms;    /* 0 = never; else stop after the
                                    assignment had no message this long and
                                    nothing is held */
  uint64_t max_records;          /* 0 = no limit; else stop after this many */
  unsigned stall_ms;             /* 10,000; 0 = off: a partition behind its
                                    log end that delivered nothing for this
                                    long while not paused has its fetch
                                    restarted (worker_stall.c) */
  unsigned status_ms;            /* 0 = off; else a JSON stats line to
                                    status_out every status_ms */
  FILE *status_out;              /* stdout when NULL */
  FILE *log;                     /* diagnostics; stderr when NULL */
  int verbose;                   /* 1 = log assignments and pauses */
  const mp_worker_sink_ops_t *sink;
  void *sink_ctx;                /* passed to sink->open */
  void *data;                    /* user data, see mp_worker_data */
} mp_worker_config_t;

#define MP_WORKER_DEFAULT_GROUP "marcpipe.inventory"

/* Counters; read with mp_worker_get_stats at any time on the loop thread. */
typedef struct mp_worker_stats_s {
  uint64_t consumed;        /* messages polled and tracked */
  uint64_t committed;       /* records in batches the sink committed */
  uint64_t invalid;         /* messages with missing/invalid headers */
  uint64_t dlq_sent, dlq_failed; /* their copies delivered / not */
  uint64_t batches;         /* batches committed by the sink */
  uint64_t abandoned;       /* records of batches dropped (revoke/stop) */
  uint64_t pauses, resumes;
  uint64_t max_records_held, max_bytes_held;
  uint64_t window_records, window_bytes; /* the bounds (0 = unbounded) */
  uint64_t sinks;           /* batches in flight at most (cfg.nsinks) */
  uint64_t retries;         /* transient sink failures retried */
  uint64_t kafka_commits, kafka_commit_errors;
  uint64_t rebalances;      /* assignments received */
  uint64_t created, updated, duplicates, skipped, errors, replayed;
  uint64_t offset_resets;    /* stored offsets found to belong to another
                               log: those partitions were read from their
                               start (identity.h) */
  uint64_t fetch_restarts;  /* fetches restarted by the stall check */
  uint64_t peak_rss_kb;
  /* set when the worker stopped with MP_ELOST */
  int32_t lost_partition;   /* -1 when nothing was lost */
  int64_t lost_from, lost_to; /* inclusive; lost_to -1 = unknown */
  int64_t lost_job;         /* job of the first record after the gap, when
                               known (0 otherwise): the job to mark FAILED */
  uint64_t records_held, bytes_held; /* in the window now */
  bool paused;              /* the window is at high water now */
} mp_worker_stats_t;

typedef struct mp_worker_s mp_worker_t;
typedef void (*mp_worker_done_cb)(mp_worker_t *w, int status);

/* Fill a config with the defaults above (brokers/topic/sink still unset). */
void mp_worker_config_defaults(mp_worker_config_t *cfg);

/* The window of one of `workers` group members sharing `partitions`
 * partitions of a job whose backlog (records produced but not yet
 * processed, the producer's credit) is at most backlog_records and
 * backlog_bytes: the backlog of the most partitions one member can be
 * assigned, ceil(partitions / workers) of them, rounded up; never above
 * the worker defaults (0 = no backlog bound in that unit: the default).
 * A worker holding more than that only moves records from Kafka into its
 * own memory; the backlog already bounds the job. Pure. */
void mp_worker_share_window(int64_t backlog_records, int64_t backlog_bytes,
                            int partitions, int workers, uint64_t *records,
                            uint64_t *bytes);
/* The sinks (database connections) of one of `workers` workers sharing a
 * budget of `connections` for the whole job: ceil(connections / workers),
 * at least 1 (every worker needs one, so the job may use more than the
 * budget when workers > connections), never above the worker default
 * (nsinks). A budget or worker count <= 0 gives the default. Pure. */
int mp_worker_share_sinks(int connections, int workers);

/* The checks of mp_worker_new alone (the config and the consumer's
 * librdkafka properties), before anything connects: 0, or
 * MP_EUSAGE/MP_ECONFIG with errbuf set. */
int mp_worker_check_config(const mp_worker_config_t *cfg, char *errbuf,
                           size_t errlen);
/* Validate the config and create the consumer (not yet subscribed). The
 * config's strings must outlive the worker. 0, MP_EUSAGE/MP_ECONFIG/
 * MP_EKAFKA with errbuf set. */
int mp_worker_new(uv_loop_t *loop, const mp_worker_config_t *cfg,
                  mp_worker_t **out, char *errbuf, size_t errlen);
/* Open the control sink, subscribe (with member_count: read the topic's
 * partition count and assign this member's share, MP_EKAFKA when the
 * metadata cannot be read), open the pool sinks (one that fails
 * here is opened again by its first batch), and start pulling. done_cb
 * runs once, on the loop, after the worker left the group and closed
 * every handle:
 * status 0 (stopped, idle or max_records reached), MP_ELOST, MP_EKAFKA
 * (fatal client error). If start returns an error, done_cb never runs. */
int mp_worker_start(mp_worker_t *w, mp_worker_done_cb done_cb, char *errbuf,
                    size_t errlen);
/* Graceful stop (SIGINT/SIGTERM): stop fetching, write and commit the
 * batches in flight (a batch waiting to retry a transient error is
 * abandoned: it is redelivered later), commit offsets, leave the group.
 * Idempotent; loop thread only. */
void mp_worker_stop(mp_worker_t *w);
/* The config's user data pointer. */
void *mp_worker_data(const mp_worker_t *w);
void mp_worker_get_stats(const mp_worker_t *w, mp_worker_stats_t *st);
/* Lag of each assigned partition (high watermark - position, from
 * librdkafka's cached fetch state; never blocks): up to max entries,
 * returns how many. Loop thread. */
size_t mp_worker_partition_lag(const mp_worker_t *w, int32_t *partitions,
                               int64_t *lag, size_t max);
/* One JSON object (no newline) with every counter. */
void mp_worker_stats_json(const mp_worker_stats_t *st, FILE *out);
/* Free a worker that was never started or whose done_cb has run. */
void mp_worker_destroy(mp_worker_t *w);

#endif
