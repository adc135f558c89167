/* complete.h: the completion flip inside a caller's transaction, private
 * to the job model (src/job/complete.c) and the batch sink that runs it at
 * the end of every batch (src/pg/sink.c). Not part of the public job.h:
 * callers outside a batch use mp_job_check_complete or mp_job_set_total,
 * which open their own transaction. */
#ifndef MP_JOB_COMPLETE_H
#define MP_JOB_COMPLETE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Inside an open transaction that has already written its progress rows,
 * lock the jobs (share while total is unknown, exclusive once it is known)
 * and flip those whose total is reached. Flipped ids are written to
 * flipped (up to max); *nflipped counts all. 0, MP_ETRANSIENT or MP_EPG
 * with errbuf set; the caller rolls back on failure. */
int mp__job_complete_locked(PGconn *c, const int64_t *ids, size_t n,
                            int64_t *flipped, size_t max, int *nflipped,
                            char *errbuf, size_t errlen);

#endif
