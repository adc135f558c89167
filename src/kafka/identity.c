/* identity.c: where a partition starts, given its stored offsets and the
 * log's identity (see identity.h). Pure. */
#include "kafka/identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void mp__ident_plan(int64_t kafka_next, const mp_sink_offset_t *db,
                    const char *cluster_id, int64_t lo, int64_t hi,
                    mp_ident_plan_t *out) {
  memset(out, 0, sizeof *out);
  out->verify_offset = out->await_offset = -1;
  int64_t start = kafka_next > db->next ? kafka_next : db->next;
  out->start = start < 0 ? -1 : start;
  if (start < 0)
    return;
  bool from_db = db->next >= 0 && start == db->next;
  if (from_db && db->cluster_id[0] && cluster_id && cluster_id[0] &&
      strcmp(db->cluster_id, cluster_id) != 0) {
    snprintf(out->why, sizeof out->why,
             "it was read from Kafka cluster %s, this is cluster %s",
             db->cluster_id, cluster_id);
  } else if (hi >= 0 && start > hi) {
    snprintf(out->why, sizeof out->why,
             "it is past the end of the log (offsets %" PRId64 "..%" PRId64
             ")",
             lo < 0 ? 0 : lo, hi - 1);
  } else {
    if (from_db && db->last_job > 0 && lo >= 0 && start - 1 >= lo) {
      out->verify_offset = start - 1;
      out->verify_job = db->last_job;
      out->verify_seq = db->last_seq;
    }
    return;
  }
  out->mismatch = true;
  out->start = lo >= 0 ? lo : -1;
}

void mp__ident_refute(mp_ident_plan_t *plan, int64_t offset, int64_t job,
                      int64_t seq, int64_t lo) {
  snprintf(plan->why, sizeof plan->why,
           "the message at offset %" PRId64 " is job %" PRId64 " seq %" PRId64
           ", the one read at offset %" PRId64 " was job %" PRId64
           " seq %" PRId64,
           offset, job, seq, plan->verify_offset, plan->verify_job,
           plan->verify_seq);
  plan->mismatch = true;
  plan->start = lo >= 0 ? lo : -1;
  plan->refuted_offset = offset;
  plan->verify_offset = -1;
}
