/* share.c: how `marcpipe import` divides a job's budgets among its N
 * workers (contracts in worker.h). Pure functions of the job's shape.
 *
 * - The window: a worker needs no more than the backlog its partitions can
 *   carry (the producer's credit already bounds the job), so each gets the
 *   backlog of the most partitions one group member can be assigned.
 * - The database connections: batches in flight beyond what the database
 *   server can run at once only contend (measured: on 2 cores, 100k
 *   records with 4 workers, 8 connections gave 0.56 of the COPY ceiling
 *   and 4 gave 0.64, with 18% less server CPU), so the job's connections
 *   are a budget shared by the workers, each keeping at least one.
 * Neither share ever exceeds the worker's own default.
 */
#include "marcpipe/worker.h"

/* total * num / den rounded up, in 128 bits: a backlog near INT64_MAX
 * must not wrap. */
static uint64_t share_of(int64_t total, int num, int den) {
  unsigned __int128 v = (unsigned __int128)(uint64_t)total * (unsigned)num;
  return (uint64_t)((v + (unsigned)den - 1) / (unsigned)den);
}

void mp_worker_share_window(int64_t backlog_records, int64_t backlog_bytes,
                            int partitions, int workers, uint64_t *records,
                            uint64_t *bytes) {
  mp_worker_config_t d;
  mp_worker_config_defaults(&d);
  *records = d.window_records;
  *bytes = d.window_bytes;
  if (partitions <= 0 || workers <= 0)
    return;
  int most = (partitions + workers - 1) / workers; /* partitions of one */
  if (backlog_records > 0) {
    uint64_t r = share_of(backlog_records, most, partitions);
    if (r < *records)
      *records = r;
  }
  if (backlog_bytes > 0) {
    uint64_t b = share_of(backlog_bytes, most, partitions);
    if (b < *bytes)
      *bytes = b;
  }
}

int mp_worker_share_sinks(int connections, int workers) {
  mp_worker_config_t d;
  mp_worker_config_defaults(&d);
  if (connections <= 0 || workers <= 0)
    return d.nsinks;
  int s = (int)share_of(connections, 1, workers);
  return s < 1 ? 1 : s > d.nsinks ? d.nsinks : s;
}
