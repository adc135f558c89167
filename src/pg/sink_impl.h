/* sink_impl.h: the batch sink's internals shared by src/pg/sink*.c. */
#ifndef MP_PG_SINK_IMPL_H
#define MP_PG_SINK_IMPL_H

#include "marcpipe/marc.h"
#include "marcpipe/pg.h"
#include "marcpipe/sink.h"

struct mp_sink_s {
  char *conninfo, *tenant, *group;
  const mp_mapping_t *mapping;
  int sink_latency_ms;
  PGconn *conn;      /* NULL after an infrastructure error: reconnect */
  mp_buf_t copy;     /* COPY data of the batch being written */
  mp_buf_t scratch;  /* MARC-in-JSON of one record */
  mp_record_t rec;   /* decoded record (views into the message value) */
  mp_sink_error_t *errs; /* ERROR outcomes committed by the current call */
  size_t nerrs, errcap;
};

/* Columns of the staging table, in COPY order. */
#define MP_STAGE_COLUMNS                                                       \
  "ord, job_id, seq, partition, kafka_offset, outcome, match_key, "            \
  "content_type, raw, parsed, instance, keys, error_class, reason"

/* Decode and map recs[i] and append its COPY row (ord = i) to s->copy.
 * A record that cannot be decoded or mapped becomes an ERROR row (forced
 * != NULL forces that, with this reason); authority/holdings records are
 * SKIPPED. Only MP_ENOMEM is returned as an error. */
int mp__sink_stage(mp_sink_t *s, size_t ord, const mp_sink_rec_t *rec,
                   const char *forced);

#endif
