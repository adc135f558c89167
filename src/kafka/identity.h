/* identity.h: does a stored offset belong to the log being read?
 *
 * Offsets restart at 0 when a topic is re-created under the same name (a
 * real topic deleted and created again, the embedded broker restarted).
 * A worker that started at an offset stored for the old log would skip
 * the new log's records, or stop with a wrong "records lost" diagnosis.
 * So each stored offset carries the identity of the log it was read from
 * (sink.h: the cluster id, and the job/seq headers of the message just
 * before it), and on assignment mp__ident_plan decides where a partition
 * starts: the stored position when it is consistent with the log; the
 * log start, with the reason, when it is not (a replay changes nothing, a
 * skip loses records: when in doubt, read again). Where the message before
 * the stored position still exists, the plan asks the worker to check its
 * headers first (the only check that also catches a topic re-created on
 * the same cluster and filled past the old position).
 * Pure functions; no Kafka or database calls.
 */
#ifndef MP_KAFKA_IDENTITY_H
#define MP_KAFKA_IDENTITY_H

#include "marcpipe/record.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct mp_ident_plan_s {
  int64_t start;         /* first offset to read; -1 = the log start */
  int64_t verify_offset; /* -1 = nothing to check; else the message at this
                            offset (start - 1) must carry verify_job and
                            verify_seq, and is not processed again */
  int64_t verify_job, verify_seq;
  int64_t await_offset;  /* the worker's: after moving the partition to
                            the log start, the first offset it waits for
                            (-1 = none; set to -1 by mp__ident_plan) */
  int64_t refuted_offset; /* set by mp__ident_refute: the offset whose
                            message refuted the plan; messages fetched
                            before the move come after it */
  bool mismatch;         /* the stored offset belongs to another log: the
                            plan starts at the log start; why says how it
                            was recognised */
  char why[200];
} mp_ident_plan_t;

/* The plan for one partition. kafka_next = Kafka's committed offset (-1 =
 * none); db = what PostgreSQL stored (db->next -1 = none); cluster_id = the
 * cluster being read ("" or NULL = unknown); lo, hi = the partition's low
 * and high watermarks (-1 = unknown: the checks that need them are not
 * made). */
void mp__ident_plan(int64_t kafka_next, const mp_sink_offset_t *db,
                    const char *cluster_id, int64_t lo, int64_t hi,
                    mp_ident_plan_t *out);

/* The plan after the first message read (at `offset`, headers job/seq,
 * 0 = none) turned out not to be the one at plan->verify_offset with the
 * stored job/seq: mismatch, start at lo (-1 = the log start), with the
 * reason. */
void mp__ident_refute(mp_ident_plan_t *plan, int64_t offset, int64_t job,
                      int64_t seq, int64_t lo);

#endif
