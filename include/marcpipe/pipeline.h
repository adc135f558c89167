/* pipeline.h: the wiring between the Kafka roles and the layers they carry
 * data between (src/pipeline). The producer (producer.h) reads an input
 * and reports to job operations through interfaces; the worker (worker.h)
 * writes batches through a sink interface. Here those interfaces are
 * implemented over the MARC reader (marc.h, mapping.h for the match key),
 * the job model in PostgreSQL (job.h, pg.h) and the batch sink (sink.h),
 * so that src/kafka depends on none of them. Composition only: contracts
 * are those of producer.h and worker.h.
 */
#ifndef MARCPIPE_PIPELINE_H
#define MARCPIPE_PIPELINE_H

#include "marcpipe/marc.h"
#include "marcpipe/producer.h"
#include "marcpipe/worker.h"

#include <stddef.h>

/* ---- producer input: MARC files ---- */

/* The MARC input: reads any format with the MARC reader (MARC-8 converted
 * to UTF-8), one item per record, rejected records as REJECTED items with
 * the reader's positioned diagnostic and raw bytes. A fatal reader error
 * (the stream cannot go on) becomes one last REJECTED item, then MP_EOF.
 * 0 or the reader's open error (errbuf says which file and why). */
int mp_producer_marc_input_open(const char *path,
                                const mp_marc_reader_opts_t *ropts,
                                mp_producer_input_t *in, char *errbuf,
                                size_t errlen);

/* Call fn with every warning the reader raises (a record read only after
 * a repair), in input order, from inside in->next, on the loop thread.
 * d is valid during the call. in must come from
 * mp_producer_marc_input_open. */
typedef void (*mp_producer_warning_fn)(void *data, const mp_marc_diag_t *d);
void mp_producer_marc_input_on_warning(mp_producer_input_t *in,
                                       mp_producer_warning_fn fn, void *data);

/* ---- producer job operations: PostgreSQL ---- */

/* Job operations over PostgreSQL (job.h): journal_rejected ->
 * mp_job_reject, processed -> mp_job_processed (rejects included),
 * set_total -> mp_job_set_total, fail -> mp_job_fail, set_produced ->
 * mp_job_set_produced. The connection
 * (mp_pg_connect) is used only by these ops, so only from the thread pool,
 * one call at a time; errmsg keeps the last database error. A broken
 * connection is reset in place (the PGconn stays the caller's); set_total
 * and fail retry for up to ~2 minutes while the database is unreachable. */
struct pg_conn;
typedef struct mp_producer_pg_s {
  struct pg_conn *conn;
  const char *tenant; /* set: the session is set up again after a reconnect
                         (PostgreSQL restarted); NULL: search_path lost */
  char errmsg[512];
  void *data; /* the owner's, untouched (e.g. to wrap an op) */
  volatile int give_up; /* set (any thread) to stop retrying the job's last
                           word against an unreachable database: the call
                           in progress returns within ~5 s */
} mp_producer_pg_t;
void mp_producer_pg_ops(mp_producer_pg_t *pg, mp_producer_job_ops_t *ops);

/* ---- worker sink: the PostgreSQL batch sink ---- */

/* The PostgreSQL sink (sink.h); sink_ctx = the mp_sink_config_t to open
 * every connection with (it and its mapping must outlive the worker). */
extern const mp_worker_sink_ops_t mp_worker_pg_sink_ops;

#endif
