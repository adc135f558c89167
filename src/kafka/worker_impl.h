/* worker_impl.h: the worker's state and the functions its files share
 * (src/kafka/worker*.c; the contract is worker.h).
 *
 * One concern per file, as librdkafka splits its client:
 *   worker.c        the loop: batches, sink slots on the thread pool,
 *                   pause/resume, offset commits, lifecycle
 *   worker_assign.c the rebalance callback and the check that a stored
 *                   offset belongs to the log being read (identity.h)
 *   worker_conf.c   defaults, checks and the librdkafka configurations
 *   worker_dlq.c    the dead-letter producer
 *   worker_stats.c  counters, partition lag and the stats JSON
 *   worker_stall.c  the stall check: a partition's fetch restarted when
 *                   it stops delivering while its log has more
 *
 * Threads: everything here runs on the loop thread except the sink calls
 * a slot makes on the thread pool (work_cb in worker.c), which touch only
 * their slot and its batch until after_work_cb runs on the loop. The
 * worker owns every batch, the consumer, the dead-letter producer and the
 * sinks it opened; nothing here is locked.
 */
#ifndef MP_KAFKA_WORKER_IMPL_H
#define MP_KAFKA_WORKER_IMPL_H

#include "kafka/identity.h"
#include "kafka/offsets.h"
#include "kafka/window.h"
#include "marcpipe/buf.h"
#include "marcpipe/kafka.h"
#include "marcpipe/worker.h"

#include <stdbool.h>
#include <stdint.h>

/* A batch owns copies of its messages' keys and values (in `data`): the
 * Kafka message is destroyed as soon as it is polled. librdkafka's
 * messages point into the fetch response they came in, and one message
 * held keeps the whole response alive, so holding them made a worker's
 * memory depend on how records were spread over responses rather than on
 * the window. Blocks of DATA_BLOCK bytes come from the worker's pool,
 * which keeps as many as the window's bytes fill (DATA_POOL_UNBOUNDED
 * without a byte bound): reusing them avoids an unmap, the page faults of
 * fresh memory and the TLB shootdowns on every batch (measured: +30%
 * worker CPU without the pool). */
enum { DATA_BLOCK = 256 * 1024, DATA_POOL_UNBOUNDED = 64 };

typedef struct batch_s batch_t;
struct batch_s {
  batch_t *next;
  int32_t partition;         /* every message of a batch is of one */
  int64_t *offsets;          /* of each message, valid or not */
  uint64_t *epochs;          /* tracker epoch of each message */
  size_t n, cap;
  mp_sink_rec_t *recs;       /* valid messages only; point into data */
  size_t nrecs;
  uint64_t bytes;
  mp_arena_t data;           /* the records' keys and values */
};

typedef struct slot_s {
  mp_worker_t *w;
  int index;
  void *sink;          /* opened lazily on the pool thread */
  batch_t *batch;      /* running or waiting to retry; NULL = free */
  bool running;
  uv_work_t req;
  uv_timer_t retry;
  unsigned backoff_ms;
  int rc;
  mp_sink_result_t res;
  char err[sizeof(mp_sink_result_t){0}.errmsg];
} slot_t;

struct mp_worker_s {
  uv_loop_t *loop;
  mp_worker_config_t cfg;
  rd_kafka_t *rk;
  rd_kafka_t *dlq;   /* producer for cfg.dlq_topic, or NULL */
  rd_kafka_queue_t *queue;
  mp_kafka_bridge_t bridge;
  uv_timer_t batch_timer, tick, close_timer;
  void *control;
  slot_t *slots;
  mp_window_t win;
  mp_arena_pool_t data_pool; /* the batches' data blocks (see batch_t) */
  mp_offsets_t offs;
  char cluster_id[64];  /* the consumer's Kafka cluster; "" = unknown */
  mp_ident_plan_t *plans; /* per partition id: a stored position still to
                             check against its log (identity.h) */
  size_t nplans;
  batch_t **cur;     /* current batch per partition (indexed by id) */
  bool *busy;        /* partition has a batch in a slot */
  size_t nparts;     /* size of cur and busy */
  size_t ncur;       /* current batches holding messages */
  bool seal_due;     /* batch_ms passed: seal partial batches as slots free */
  batch_t *ready, *ready_tail;
  bool kpaused;      /* what was applied to the current assignment */
  bool started, stopping, closing;
  bool in_group;     /* assigned (possibly no partitions) since last revoke */
  bool close_abandoned; /* leaving the group did not finish in time */
  int status;
  int open_handles;
  uint64_t last_msg_ms, last_status_ms;
  /* worker_stall.c: per partition id, the next offset seen at the last
   * check (STALL_NONE = no snapshot); the check's time and the pause and
   * rebalance counters it was taken under */
  int64_t *stall_next;
  size_t nstall;
  uint64_t stall_at, stall_pauses, stall_rebalances;
  /* error_cb: when the cluster last reported an error (loop time, 0 =
   * never) and its name, so a restart can say what came before it */
  uint64_t kafka_err_ms;
  const char *kafka_err;
  mp_worker_done_cb done_cb;
  mp_worker_stats_t st;
#ifdef MP_TEST_HOOKS
  /* Test-only fault hook, built with the CMake option MP_TEST_HOOKS
   * (tests/faults/worker_kill.sh, circ_seed.sh, circ_exactly_once.sh):
   * with MP_FAULT_CRASH_AFTER_PG_COMMIT=N the process _exit(137)s right
   * after the Nth batch the sink committed, before its offsets reach
   * Kafka. Without the option the variable is not read. */
  uint64_t fault_crash_after, fault_batches;
  /* MP_FAULT_WEDGE_PARTITION=P (tests/faults/fetch_stall.sh): on its first
   * message, partition P is paused in librdkafka behind the worker's back,
   * as a wedged fetcher looks to the worker; P:assign: right after it is
   * assigned, before any message (its stored position still to check).
   * Once per process; -1 = off */
  int32_t fault_wedge;
  bool fault_wedge_on_assign;
#endif
};

/* Diagnostics to cfg.log (stderr when NULL), prefixed "marcpipe work: ". */
void mp__worker_log(mp_worker_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define wlog mp__worker_log

/* ---- worker.c: the loop ---- */

/* Record status (the first one wins) and stop gracefully. */
void mp__worker_fail(mp_worker_t *w, int status);
/* Pause or resume every assigned partition now. */
void mp__worker_set_paused(mp_worker_t *w, bool pause);
/* Move partition p's fetch to offset (asynchronous: messages fetched
 * before may still come), resuming it in librdkafka first when resume.
 * NULL, or the error (the caller destroys it). */
rd_kafka_error_t *mp__worker_seek(mp_worker_t *w, int32_t p, int64_t offset,
                                  bool resume);
/* Bring the pause state to what the window and a stop request want. */
void mp__worker_apply_pause(mp_worker_t *w);
/* Commit the tracker's positions to Kafka (sync: wait for the answer);
 * all = every assigned partition, else those that moved. */
void mp__worker_commit_offsets(mp_worker_t *w, bool sync, bool all);
/* Abandon the current batches and the ready FIFO (revocation). */
void mp__worker_drop_queued(mp_worker_t *w);

#ifdef MP_TEST_HOOKS
/* The MP_FAULT_WEDGE_PARTITION hook (above): pause partition p in
 * librdkafka, leaving the worker's own pause state alone. */
void mp__worker_fault_wedge(mp_worker_t *w, int32_t p, const char *when);
#endif

/* ---- worker_stall.c: the stall check ---- */

/* Called by the loop's tick (every 100 ms); cheap unless cfg.stall_ms
 * passed since the last check. */
void mp__worker_stall_check(mp_worker_t *w, uint64_t now);

/* ---- worker_assign.c: rebalance and log identity ---- */

/* librdkafka's rebalance callback (eager protocol); opaque = the worker.
 * Runs inside rd_kafka_consumer_poll, or inside leave_group at close. */
void mp__worker_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts,
                             void *opaque);
/* Without a group (cfg.member_count > 0): this member's share of the
 * topic's partitions (p % count == index), the caller's to destroy; NULL
 * when the topic's metadata cannot be read (errbuf says why). Then
 * assign_share assigns it as a rebalance would, once, at start (the list
 * gets the start offsets). Loop thread. */
rd_kafka_topic_partition_list_t *mp__worker_member_share(mp_worker_t *w,
                                                         char *errbuf,
                                                         size_t errlen);
void mp__worker_assign_share(mp_worker_t *w,
                             rd_kafka_topic_partition_list_t *parts);
/* The message m (epoch ep) may be the one that proves or refutes a stored
 * position: true when it was consumed (destroyed) here. */
bool mp__worker_check_identity(mp_worker_t *w, rd_kafka_message_t *m,
                               uint64_t ep);

/* ---- worker_conf.c ---- */

/* The checks of the config alone: 0, MP_EUSAGE or MP_ECONFIG (errbuf). */
int mp__worker_check(const mp_worker_config_t *c, char *errbuf,
                     size_t errlen);
/* The consumer's configuration (caller owns it), NULL with errbuf set. */
rd_kafka_conf_t *mp__worker_consumer_conf(const mp_worker_config_t *c,
                                          char *errbuf, size_t errlen);
/* The dead-letter producer's configuration (caller owns it), NULL with
 * errbuf set. */
rd_kafka_conf_t *mp__worker_dlq_conf(const mp_worker_config_t *c,
                                     char *errbuf, size_t errlen);

/* ---- worker_dlq.c: dead-letter copies (no-ops without a producer) ---- */

/* Create w->dlq for cfg.dlq_topic: 0, MP_ECONFIG or MP_EKAFKA (errbuf). */
int mp__worker_dlq_open(mp_worker_t *w, char *errbuf, size_t errlen);
/* Copy an invalid message (not taken: the caller still destroys m). */
void mp__worker_dead_letter(mp_worker_t *w, const rd_kafka_message_t *m,
                            const char *why);
/* Copy the records of committed batch b that the sink journaled as
 * errors (r->error_recs index into b->recs). */
void mp__worker_dead_letter_errors(mp_worker_t *w, const batch_t *b,
                                   const mp_sink_result_t *r);
/* Serve delivery reports (never blocks). */
void mp__worker_dlq_poll(mp_worker_t *w);
/* Destroy the producer; flush = first wait up to 10 s for queued copies. */
void mp__worker_dlq_close(mp_worker_t *w, bool flush);

/* ---- worker_stats.c ---- */

/* Add a committed batch's outcome counts to the stats. */
void mp__worker_add_result(mp_worker_t *w, const mp_sink_result_t *r);
/* One stats JSON line to cfg.status_out (stdout when NULL), flushed. */
void mp__worker_print_status(mp_worker_t *w);

#endif
