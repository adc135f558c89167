/* job.h: the import job model in PostgreSQL (producer, import, status).
 *
 * All calls take a connection made by mp_pg_connect() (search_path on the
 * tenant schema), block, and run in their own transaction; none may be
 * called inside another open transaction on the same connection. Errors:
 * MP_ENOTFOUND (no such job), MP_ETRANSIENT (connection lost / retryable:
 * nothing changed), MP_EPG (other database error), with errbuf set.
 *
 * Lifecycle: NEW -> PRODUCING -> IN_PROGRESS -> COMPLETED |
 * COMPLETED_WITH_ERRORS, or FAILED from any state, or CANCELLED (joblog.h:
 * a cancel request makes the producer stop reading and the completion
 * flip end the job CANCELLED; a stalled job is cancelled at once). A
 * CANCELLED or stalled job can be resumed (mp_job_resume_prepare). IN_PROGRESS is entered by
 * mp_job_set_total(): from then on the job completes when the processed
 * count over all its partitions (partition -1 = reader rejects) reaches
 * total. Exactly one transaction flips it (see src/job/complete.c).
 */
#ifndef MARCPIPE_JOB_H
#define MARCPIPE_JOB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MP_JOB_REJECT_PARTITION (-1)

/* A job's status; the database stores the name (jobs.status, one name
 * table in src/job/status.c). Running: NEW, PRODUCING, IN_PROGRESS;
 * final: the COMPLETED ones, FAILED, CANCELLED. */
typedef enum {
  MP_JOB_NEW = 0,
  MP_JOB_PRODUCING,
  MP_JOB_IN_PROGRESS,
  MP_JOB_COMPLETED,
  MP_JOB_COMPLETED_WITH_ERRORS,
  MP_JOB_FAILED,
  MP_JOB_CANCELLED,
} mp_job_status_t;

/* "NEW", "PRODUCING", ... as stored; "?" for a value out of range. */
const char *mp_job_status_name(mp_job_status_t st);
/* The status named by name (as stored): 0, or MP_ENOTFOUND when name is
 * none of them. */
int mp_job_status_parse(const char *name, mp_job_status_t *out);
/* NEW, PRODUCING or IN_PROGRESS (stalled or not). */
bool mp_job_status_running(mp_job_status_t st);
/* COMPLETED, COMPLETED_WITH_ERRORS, FAILED or CANCELLED. */
bool mp_job_status_final(mp_job_status_t st);

typedef struct mp_job_spec_s {
  const char *file_name;   /* may be NULL */
  const char *file_format; /* "iso2709", "marcxml", "json" or NULL */
  const char *topic;       /* may be NULL */
  const char *profile;     /* profile JSON (mp_profile_to_json()) or NULL
                              = the default; validated by mp_job_create()
                              (MP_ECONFIG naming the bad value) */
} mp_job_spec_t;

typedef struct mp_job_summary_s {
  int64_t id;
  mp_job_status_t status;
  char file_name[256];
  char file_format[16];
  char topic[256];
  int64_t total;           /* -1 while unknown */
  int64_t produced;
  int64_t processed, created, updated, duplicates, skipped, errors;
  int64_t skipped_matched;  /* of skipped: the profile's on_match skip */
  int64_t skipped_no_match; /* of skipped: the profile's on_no_match skip */
  char profile[512];        /* the job's profile JSON, "" when none */
  char failure_reason[512];
  /* Unix epoch seconds (fractional); 0 when not set. */
  double created_at, started_at, completed_at;
  bool stalled;          /* running state, but its processes are gone
                            (lease.h): shown as STALLED */
  bool cancel_requested; /* `marcpipe cancel` asked; it ends CANCELLED */
  int resumes;           /* times resumed (import --resume) */
  double input_read;     /* share (0..1] of the input file's bytes its live
                            producer has read; -1 when unknown (no live
                            producer, not a regular file, nothing read) */
} mp_job_summary_t;

/* One record the reader rejected (never sent to Kafka). */
typedef struct mp_job_reject_s {
  int64_t seq;             /* its sequence number in the job */
  int64_t file_offset;     /* byte offset in the input file */
  const char *error_class; /* e.g. "MP_ELEADER" */
  const char *reason;      /* positioned diagnostic */
  const char *raw;         /* raw bytes (may be NULL) */
  size_t raw_len;
} mp_job_reject_t;

/* A journal ERROR row (strings valid during the callback only). */
typedef struct mp_job_error_s {
  int64_t seq;
  int partition;           /* -1 = rejected by the reader */
  int64_t kafka_offset;    /* -1 when none */
  int64_t file_offset;     /* -1 when unknown */
  const char *match_key;   /* "" when unknown */
  const char *error_class;
  const char *reason;
  const char *raw;         /* may be NULL */
  size_t raw_len;
} mp_job_error_t;
/* Return non-zero to stop the iteration (that value is returned). */
typedef int (*mp_job_error_cb)(void *ud, const mp_job_error_t *e);

/* New job, status NEW. */
int mp_job_create(PGconn *c, const mp_job_spec_t *spec, int64_t *id,
                  char *errbuf, size_t errlen);
/* Set the status (NEW, PRODUCING or IN_PROGRESS; any other is MP_EUSAGE);
 * PRODUCING also stamps started_at. A job already completed or failed is
 * left alone (returns 0). Use mp_job_fail() for FAILED. */
int mp_job_set_status(PGconn *c, int64_t id, mp_job_status_t status,
                      char *errbuf, size_t errlen);
/* Record the contiguous produced prefix (for resume); never goes down. */
int mp_job_set_produced(PGconn *c, int64_t id, int64_t produced, char *errbuf,
                        size_t errlen);
/* Journal reader-rejected records and count them in partition -1, in one
 * transaction. Idempotent by (job, seq): re-sent rejects change nothing.
 * *inserted (may be NULL) = rows really written. */
int mp_job_reject(PGconn *c, int64_t id, const mp_job_reject_t *recs, size_t n,
                  size_t *inserted, char *errbuf, size_t errlen);
/* Every record is read and delivered: set total, NEW/PRODUCING ->
 * IN_PROGRESS, then run the completion check (workers may have finished
 * first). *completed (may be NULL) = this call flipped the job. */
int mp_job_set_total(PGconn *c, int64_t id, int64_t total, bool *completed,
                     char *errbuf, size_t errlen);
/* Sum of processed over the job's partitions (the producer's credit). */
int mp_job_processed(PGconn *c, int64_t id, int64_t *processed, char *errbuf,
                     size_t errlen);
/* Run the completion check alone (idempotent). */
int mp_job_check_complete(PGconn *c, int64_t id, bool *completed,
                          char *errbuf, size_t errlen);
/* FAILED with a reason, unless already completed. */
int mp_job_fail(PGconn *c, int64_t id, const char *reason, char *errbuf,
                size_t errlen);
/* Summary with counters summed over partitions. */
int mp_job_get(PGconn *c, int64_t id, mp_job_summary_t *out, char *errbuf,
               size_t errlen);
/* Records of a job that matched an Instance an earlier record of the same
 * job had created or changed, and so replaced it (several records with
 * one 001 in a file become one Instance): said in the summaries, never
 * silent. Counted from the journal (records per Instance beyond the
 * first), one aggregate per call: for summaries, not progress polls. */
typedef struct mp_job_self_matches_s {
  int64_t records;      /* 0 = none */
  char key[128];        /* the match key most of them share */
  int64_t key_records;  /* how many of them share it */
} mp_job_self_matches_t;
int mp_job_self_matches(PGconn *c, int64_t id, mp_job_self_matches_t *out,
                        char *errbuf, size_t errlen);
/* "61 records matched a record of the same job (by match key
 * FOLIOstorage: 61); each replaced the one before" into out, "" when none. */
void mp_job_self_matches_line(const mp_job_self_matches_t *m, char *out,
                              size_t n);

/* The seqs of a job that have their journal row (processed: whatever the
 * outcome), for a resume: *bits (malloc'ed, free()) has bit seq-1 set for
 * each, *nbits = the highest such seq (0 and NULL when none), *prefix =
 * the largest k with every seq 1..k journaled. */
int mp_job_journaled(PGconn *c, int64_t id, uint8_t **bits, int64_t *nbits,
                     int64_t *prefix, char *errbuf, size_t errlen);
/* Newest first, at most limit (0 = all). *out is malloc'ed (free()). */
int mp_job_list(PGconn *c, size_t limit, mp_job_summary_t **out, size_t *n,
                char *errbuf, size_t errlen);
/* The same, only jobs with id < before (before <= 0: all): keyset pages. */
int mp_job_list_before(PGconn *c, int64_t before, size_t limit,
                       mp_job_summary_t **out, size_t *n, char *errbuf, size_t errlen);
/* Journal ERROR rows of a job in seq order (MP_ENOTFOUND if no such job). */
int mp_job_errors(PGconn *c, int64_t id, mp_job_error_cb cb, void *ud,
                  char *errbuf, size_t errlen);

/* Summary as a JSON object (new reference; NULL on ENOMEM). */
struct json_t;
struct json_t *mp_job_summary_json(const mp_job_summary_t *s);
/* The status to show: "STALLED" when s->stalled, else s->status's name. */
const char *mp_job_display_status(const mp_job_summary_t *s);
/* Human-readable multi-line summary. */
void mp_job_summary_print(FILE *out, const mp_job_summary_t *s);

/* How far a job has come, for import's line and serve's bar. `seen`: the
 * records read (or produced) so far; `input_read`: the share (0..1] of the
 * input's bytes read, <= 0 when unknown (a pipe). The records in all: the
 * total once known (>= 0), else estimated as seen / input_read, else 0
 * (nothing to estimate from). The share done, 0..1: processed of those,
 * or of seen when there is no estimate; below 1 (at most 0.999) while the
 * total is unknown, whoever has caught up with whom. */
double mp_job_records_expected(int64_t total, int64_t seen, double input_read);
double mp_job_share_done(int64_t total, int64_t seen, int64_t processed,
                         double input_read);

#endif
