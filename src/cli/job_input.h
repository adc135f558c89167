/* job_input.h: composition for the commands that run a job's producer
 * (import, produce): the producer lease (lease.h) and an input that ends
 * early once the job is asked to cancel.
 *
 * A cancel request is seen by the lease's renewal; the wrapped input then
 * reports end of input at the next record, so the producer stops reading,
 * waits for its delivery reports and records the total it produced; the
 * workers finish those records and the completion flip ends the job
 * CANCELLED with exact counters (complete.c). Loop thread (next). */
#ifndef MP_CLI_JOB_INPUT_H
#define MP_CLI_JOB_INPUT_H

#include "marcpipe/lease.h"
#include "marcpipe/producer.h"

typedef struct mp_cancel_input_s {
  mp_producer_input_t inner; /* owned: closed with the wrapper */
  const mp_lease_t *lease;   /* NULL = never cancelled */
  bool stopped;              /* the input ended because of a cancel */
} mp_cancel_input_t;

/* Wrap *in (its ownership moves into w) into *out, which the producer
 * takes. w must outlive the producer. */
void mp__cancel_input_wrap(mp_cancel_input_t *w, const mp_producer_input_t *in,
                           const mp_lease_t *lease, mp_producer_input_t *out);

#endif
