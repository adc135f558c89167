/* work_metrics.h: what only a worker knows, published for `marcpipe
 * serve` (composition of worker, sink and lease; used by `marcpipe work`).
 *
 * The worker's sink ops are wrapped so each batch's size, transaction
 * latency and failure class (mp_err_name of a failed write) are counted in
 * fixed-bucket histograms (mutex: sinks run on the thread pool). A loop
 * timer samples the window every 100 ms (pause time = samples found
 * paused) and, at each lease interval, publishes one JSON object into the
 * worker's lease row (lease.h): the worker's counters, window fill, pause
 * seconds, the two histograms, failures by class, per-partition lag. A
 * lease that cannot be taken (database down) leaves the worker running
 * without one; it is said once on stderr. */
#ifndef MP_CLI_WORK_METRICS_H
#define MP_CLI_WORK_METRICS_H

#include "marcpipe/lease.h"
#include "marcpipe/worker.h"

#include <pthread.h>
#include <uv.h>

#define MP_WM_BATCH_BUCKETS 9
#define MP_WM_LAT_BUCKETS 11
#define MP_WM_CLASSES 8

typedef struct mp_work_metrics_s {
  mp_worker_sink_ops_t ops;          /* the wrapper handed to the worker */
  const mp_worker_sink_ops_t *inner; /* the real sink ops and their ctx */
  void *inner_ctx;
  pthread_mutex_t mu;
  uint64_t batch_counts[MP_WM_BATCH_BUCKETS + 1]; /* +Inf last */
  uint64_t lat_counts[MP_WM_LAT_BUCKETS + 1];
  double batch_sum, lat_sum;
  uint64_t nbatches;
  char class_name[MP_WM_CLASSES][24];
  uint64_t class_count[MP_WM_CLASSES];
  /* loop thread */
  mp_worker_t *w;
  mp_lease_t *lease;
  uv_timer_t timer;
  bool timer_on;
  uint64_t paused_ms, ticks;
} mp_work_metrics_t;

/* Wrap cfg->sink / cfg->sink_ctx (set them first). m must outlive the
 * worker. */
void mp__work_metrics_wrap(mp_work_metrics_t *m, mp_worker_config_t *cfg);
/* Take the worker's lease and start publishing (after mp_worker_start). */
void mp__work_metrics_start(mp_work_metrics_t *m, uv_loop_t *loop, mp_worker_t *w,
                            const char *conninfo, const char *tenant,
                            const char *topic, const char *group);
/* Stop publishing, release the lease, close the timer (loop thread). */
void mp__work_metrics_stop(mp_work_metrics_t *m);

#endif
