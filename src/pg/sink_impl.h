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
/* Bytes of decoded records (match keys and a snapshot of the parsed form,
 * ~3.5 KB a typical record) the fast path keeps per sink, so a batch of
 * 1,000 is decoded once; records past it are decoded again. */
#define MP_SINK_PARSED_BYTES (4u << 20)
/* Seconds a sink statement waits for a lock before its batch fails as
 * transient (lock_timeout; the worker retries it), and for how long a
 * sink's COPY may wait for its client before another sink, after a failed
 * batch, ends that session as frozen (sink.c's note). */
#define MP_SINK_LOCK_TIMEOUT_S 10
#define MP_SINK_STALLED_COPY_S 10

struct mp_sink_s {
  char *conninfo, *tenant, *group;
  const mp_mapping_t *mapping;
  int sink_latency_ms;
  PGconn *conn;      /* NULL after an infrastructure error: reconnect */
  mp_buf_t copy;     /* COPY rows staged but not yet sent (< a chunk) */
  mp_record_t rec;   /* decoded record (views into the message value) */
  mp_buf_t parsed;   /* the fast path's kept records (sink_fast.c), at most
                        MP_SINK_PARSED_BYTES */
  /* job profiles, loaded once per job id per sink (jobs.profile
   * never changes after the job is created) */
  mp__sink_prof_t prof[MP_SINK_PROF_CACHE];
  size_t nprof;
  bool force_staged; /* MP_SINK_FORCE_STAGED set: never the fast path */
  mp_sink_error_t *errs; /* ERROR outcomes committed by the current call */
  size_t nerrs, errcap;
};

/* Both paths' claim statement (009_key_claims.sql) over a FROM clause
 * that yields the batch's keys as (kind, value): their hashes inserted
 * into key_claims or, existing, locked without a change, until the
 * transaction ends. Every batch claims before its match query, in hash
 * order, so two batches sharing keys wait on each other in one order
 * only. */
#define MP__SINK_CLAIM(from)                                                   \
  "INSERT INTO key_claims (h) SELECT DISTINCT"                                 \
  " hashtextextended(kind || ':' || value, 0) " from                           \
  " ORDER BY 1 ON CONFLICT (h) DO UPDATE SET h = EXCLUDED.h WHERE false"

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

/* Decode r into s->rec and compute its match keys. 0, or the decoder's
 * error (its class is mp_err_name(rc)) with the journal reason in reason. */
int mp__sink_decode(mp_sink_t *s, const mp_sink_rec_t *r, mp_match_keys_t *keys,
                    char *reason, size_t rlen);

/* A record of s->rec mapped by its family: inst (with "id" when one was
 * given) and hrid are malloc'ed, owned by the caller
 * (mp__sink_mapped_release). */
typedef struct mp__sink_mapped_s {
  char *inst, *hrid; /* hrid = inst->>'hrid', NULL when absent */
  mp_family_t fam;
  const char *cls;   /* error class of a failed mapping, else NULL */
} mp__sink_mapped_t;

/* Map rec (s->rec decoded by mp__sink_decode, or a view of it kept by
 * the fast path). 0; MP_ENOTBIB (no family:
 * skipped, the message in reason); another error with m->cls set and the
 * journal reason in reason (the record is an ERROR); or an error with
 * m->cls NULL (out of memory: the batch fails). */
int mp__sink_map(mp_sink_t *s, const mp_record_t *rec, const mp_sink_rec_t *r,
                 const char *id, mp__sink_mapped_t *m, char *reason, size_t rlen);
void mp__sink_mapped_release(mp__sink_mapped_t *m);

/* The columns a staging row and a source record share, with tabs between
 * them: match_key (primary), content_type, raw, parsed (the MARC-in-JSON
 * of s->rec, written straight into b). */
int mp__sink_source_cols(mp_sink_t *s, mp_buf_t *b, const mp_sink_rec_t *r,
                         const char *primary);
/* The same four columns in COPY's binary format (copy.h), the
 * MARC-in-JSON that of rec (s->rec or a view of it). */
int mp__sink_source_cols_binary(const mp_record_t *rec, mp_buf_t *b,
                                const mp_sink_rec_t *r, const char *primary);

/* Make sure the profiles of every job in recs are cached (one query for
 * the missing ones). A job without a row or without a profile gets the
 * default profile. 0, or as mp_pg_fail() with errbuf set. */
int mp__sink_load_profiles(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                           char *errbuf, size_t errlen);
/* The cached profile of a job (the default when not cached). */
const mp__sink_prof_t *mp__sink_profile(mp_sink_t *s, int64_t job);

/* Append an ERROR outcome committed by the current call (index in the
 * caller's batch). 0 or MP_ENOMEM. */
int mp__sink_add_error(mp_sink_t *s, size_t index, const char *cls,
                       const char *reason);

/* Append "v", quoted, to a text[] literal being built. */
int mp__sink_array_text(mp_buf_t *b, const char *v);

/* Append the COPY row(s) of item i to s->copy; nonzero aborts the COPY. */
typedef int (*mp__sink_row_fn)(mp_sink_t *s, size_t i, void *ctx);

/* Run the COPY statement sql with the rows of items 0..n), sent in chunks
 * as they are made (memory does not grow with n). what names the COPY in
 * errors. 0, or as mp_pg_fail(). */
int mp__sink_copy(mp_sink_t *s, const char *sql, size_t n, mp__sink_row_fn row,
                  void *ctx, const char *what, char *errbuf, size_t errlen);
/* The same for a COPY ... WITH (FORMAT binary): the stream's header and
 * trailer are added here, the rows are mp__copyb_* ones (copy.h). */
int mp__sink_copy_binary(mp_sink_t *s, const char *sql, size_t n,
                         mp__sink_row_fn row, void *ctx, const char *what,
                         char *errbuf, size_t errlen);

/* mp__sink_fast: the batch is not for the fast path, nothing was written */
#define MP__SINK_STAGE 1
/* sink.c's write_once: records of the batch share a match key, the batch
 * is to be written in parts, one transaction each (nothing was written) */
#define MP__SINK_SPLIT 2

/* The fast path (sink_fast.c), inside the batch's open transaction: when
 * no record of recs[0..n) matches a stored record or another of the batch
 * (and none is journaled yet), COPY the rows straight into their tables
 * and return 0 with the counts (created, updated, duplicates, skipped,
 * errors) and the jobs of the batch (*jobs malloc'ed); ERROR outcomes are
 * appended to s->errs with index base + i. MP__SINK_STAGE when the batch
 * needs the staged path; else an error as mp_pg_fail(). */
int mp__sink_fast(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n, size_t base,
                  uint32_t cnt[5], int64_t **jobs, size_t *njobs, char *errbuf,
                  size_t errlen);

#endif
