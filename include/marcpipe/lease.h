/* lease.h: liveness of the processes that run jobs (migration 004).
 *
 * A lease is a row of `leases`, renewed every interval by its holder: the
 * producer of a job (import, produce) or a worker of a topic (work). The
 * row expires after MP_LEASE_TTL_BEATS intervals without renewal, so a
 * process killed with -9 is seen as gone within seconds, and a job whose
 * processes are gone shows as STALLED (job.h, mp_job_summary_t.stalled)
 * instead of running forever.
 *
 * Each lease renews on a thread of its own with a connection of its own
 * (blocking libpq; no loop needed, so it keeps beating while the owner's
 * loop is busy). The owner may publish a JSON object of statistics with
 * mp_lease_set_stats (any thread; stored in leases.stats for `serve`). A
 * producer lease also samples the job's processed count (job_samples, the
 * rate chart) and reads the job's cancel request
 * (mp_lease_cancel_requested). A renewal that fails (database down) is
 * retried at the next interval; the lease never stops its owner.
 *
 * The interval is opts.interval_ms, else $MARCPIPE_HEARTBEAT_MS, else
 * MP_LEASE_INTERVAL_MS.
 */
#ifndef MARCPIPE_LEASE_H
#define MARCPIPE_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define MP_LEASE_INTERVAL_MS 3000
#define MP_LEASE_TTL_BEATS 5

typedef struct mp_lease_opts_s {
  const char *conninfo;  /* libpq conninfo (copied) */
  const char *tenant;    /* copied */
  const char *role;      /* "producer" or "worker" */
  int64_t job_id;        /* producer: the job (mp_lease_set_job to change) */
  const char *topic;     /* worker: the topic it consumes (copied) */
  const char *group;     /* worker: its consumer group (copied, may be NULL) */
  unsigned interval_ms;  /* 0 = default (above) */
} mp_lease_opts_t;

typedef struct mp_lease_s mp_lease_t;

/* Connect, take the lease (first renewal done before returning) and start
 * renewing. 0, or MP_E* with errbuf set (nothing started). */
int mp_lease_start(const mp_lease_opts_t *opts, mp_lease_t **out, char *errbuf,
                   size_t errlen);
/* A producer lease moves to another job (import: the next FILE); renewed
 * at once. */
void mp_lease_set_job(mp_lease_t *l, int64_t job_id);
/* Statistics JSON to publish at the next renewal (copied; NULL clears). */
void mp_lease_set_stats(mp_lease_t *l, const char *json);
/* True once a renewal saw the lease's job asked to cancel (`marcpipe
 * cancel`). Any thread. */
bool mp_lease_cancel_requested(const mp_lease_t *l);
/* The interval in force (ms). */
unsigned mp_lease_interval_ms(const mp_lease_t *l);
/* Stop renewing, delete the row (the holder left in order), free. NULL ok. */
void mp_lease_stop(mp_lease_t *l);

#endif
