/* sink_impl.h: the batch sink's internals shared by src/pg/sink*.c. */
#ifndef MP_PG_SINK_IMPL_H
#define MP_PG_SINK_IMPL_H

#include "marcpipe/marc.h"
#include "marcpipe/pg.h"
#include "marcpipe/profile.h"
#include "marcpipe/sink.h"

/* The profile of one job as the sink applies it; rc != 0 = the job's
 * profile is invalid (its records become ERROR rows with err). */
typedef struct mp__sink_prof_s {
  int64_t job;
  int rc;
  mp_profile_t p;
  char err[200];
} mp__sink_prof_t;

#define MP_SINK_PROF_CACHE 64

struct mp_sink_s {
  char *conninfo, *tenant, *group;
  const mp_mapping_t *mapping;
  int sink_latency_ms;
  PGconn *conn;      /* NULL after an infrastructure error: reconnect */
  mp_buf_t copy;     /* COPY rows staged but not yet sent (< a chunk) */
  mp_buf_t scratch;  /* MARC-in-JSON of one record */
  mp_record_t rec;   /* decoded record (views into the message value) */
  /* job profiles, loaded once per job id per sink (jobs.profile
   * never changes after the job is created) */
  mp__sink_prof_t prof[MP_SINK_PROF_CACHE];
  size_t nprof;
  mp_sink_error_t *errs; /* ERROR outcomes committed by the current call */
  size_t nerrs, errcap;
};

/* Columns of the staging table, in COPY order. */
#define MP_STAGE_COLUMNS                                                       \
  "ord, job_id, seq, partition, kafka_offset, outcome, match_key, "            \
  "content_type, raw, parsed, instance, keys, error_class, reason, "          \
  "mkinds, on_match, on_no_match, family, lccn, link_key, link"

/* Decode and map recs[i] and append its COPY row (ord = i) to s->copy.
 * A record that cannot be decoded or mapped becomes an ERROR row (forced
 * != NULL forces that, with this reason); records of no family (leader/06)
 * are SKIPPED. Only MP_ENOMEM is returned as an error. */
int mp__sink_stage(mp_sink_t *s, size_t ord, const mp_sink_rec_t *rec,
                   const char *forced);

/* Make sure the profiles of every job in recs are cached (one query for
 * the missing ones). A job without a row or without a profile gets the
 * default profile. 0, or as mp_pg_fail() with errbuf set. */
int mp__sink_load_profiles(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                           char *errbuf, size_t errlen);
/* The cached profile of a job (the default when not cached). */
const mp__sink_prof_t *mp__sink_profile(mp_sink_t *s, int64_t job);

#endif
