/* joblog.h: the per-record job log (journal rows with the "why" of each
 * outcome), one record in full, and job control (cancel, delete, resume
 * preparation). Read by `marcpipe log`, `cancel`, `delete`, `import
 * --resume` and the web console (`serve`).
 *
 * All calls take a connection made by mp_pg_connect() (search_path on the
 * tenant schema) and block. Paging is keyset paging on the journal's
 * primary key (job_id, seq) or, with an outcome filter, on the index
 * (job_id, outcome, seq) of migration 004: a page costs its rows, never a
 * scan of the job. Errors as job.h (MP_ENOTFOUND, MP_ETRANSIENT, MP_EPG).
 */
#ifndef MARCPIPE_JOBLOG_H
#define MARCPIPE_JOBLOG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One journal row; strings valid during the callback only, "" when NULL. */
typedef struct mp_joblog_row_s {
  int64_t seq;
  const char *outcome;     /* CREATED UPDATED DUPLICATE SKIPPED ERROR */
  int partition;           /* -1 = rejected by the reader */
  int64_t kafka_offset;    /* -1 when none */
  int64_t file_offset;     /* -1 when none */
  const char *match_key;
  const char *instance_id;
  const char *hrid;        /* of the Instance, "" when none */
  const char *error_class;
  const char *reason;
  const char *match_kind;  /* the profile step that decided, "" = none */
  const char *match_value; /* the key value that matched */
} mp_joblog_row_t;
typedef int (*mp_joblog_cb)(void *ud, const mp_joblog_row_t *row);

/* Outcome names accepted as filters (lower or upper case); NULL when the
 * name is not one. Returns the upper-case name. */
const char *mp_joblog_outcome(const char *name);

/* A page of the log: rows with seq > after (forward) or seq < before
 * (when before > 0: the rows just before it, still delivered in seq
 * order), outcome filter (NULL = all; an upper-case name from
 * mp_joblog_outcome), at most limit rows (0 = no limit: the CLI's full
 * listing). MP_ENOTFOUND when the job does not exist. */
int mp_joblog_page(PGconn *c, int64_t job, const char *outcome, int64_t after,
                   int64_t before, size_t limit, mp_joblog_cb cb, void *ud,
                   char *errbuf, size_t errlen);

/* Why a row has its outcome, in one line (buf always terminated). */
void mp_joblog_why(const mp_joblog_row_t *r, char *buf, size_t n);

struct json_t;
/* The row as a JSON object (new reference; NULL on ENOMEM). */
struct json_t *mp_joblog_row_json(const mp_joblog_row_t *r);

/* One record in full: its journal row, the bytes received (source_records,
 * or the journal's raw bytes for errors), the stored Instance. Strings are
 * malloc'ed (mp_joblog_record_release); NULL when absent. */
typedef struct mp_joblog_record_s {
  int64_t seq;
  char *row_json;      /* the journal row (mp_joblog_row_json) */
  char *why;
  char *raw;           /* the record's bytes as received */
  size_t raw_len;
  char *content_type;  /* "iso2709" / "json" ... of raw, NULL = unknown */
  char *instance_json; /* the Instance as stored now (pretty JSON) */
} mp_joblog_record_t;
/* MP_ENOTFOUND (errbuf names job and record) when no journal row exists. */
int mp_joblog_record(PGconn *c, int64_t job, int64_t seq, mp_joblog_record_t *out,
                     char *errbuf, size_t errlen);
void mp_joblog_record_release(mp_joblog_record_t *r);
/* The record's bytes as `marcpipe dump` prints them (text), into a
 * malloc'ed string (*out); on a record that does not parse, its error.
 * 0 or MP_ENOMEM. */
int mp_joblog_record_text(const mp_joblog_record_t *r, char **out);

/* ---- job control (src/job/control.c) ---- */

typedef enum {
  MP_CANCEL_REQUESTED = 1, /* running: the producer stops reading, the
                              workers finish what was produced, the job
                              ends CANCELLED with exact counters */
  MP_CANCEL_DONE = 2       /* NEW or stalled: nobody runs it, so it is
                              CANCELLED now with the counters it has */
} mp_cancel_result_t;
/* Cancel a job in a running state. A finished job (COMPLETED...,
 * FAILED, CANCELLED) is MP_EUSAGE with errbuf naming its status. */
int mp_job_cancel(PGconn *c, int64_t job, mp_cancel_result_t *res, char *errbuf,
                  size_t errlen);
/* Delete a job that is not running (finished, or stalled): its journal,
 * source records, progress, samples and the job row, in one transaction.
 * Instances stay (they belong to the inventory). A running job is
 * MP_EUSAGE. *rows (may be NULL) = journal rows deleted. */
int mp_job_delete(PGconn *c, int64_t job, int64_t *rows, char *errbuf,
                  size_t errlen);
/* An interrupted run (Ctrl-C): a job still in a running state becomes
 * CANCELLED with failure_reason = reason, resumable like any cancelled job
 * (unlike FAILED). A finished job is left alone. */
int mp_job_interrupt(PGconn *c, int64_t job, const char *reason, char *errbuf,
                     size_t errlen);
/* Make a CANCELLED or stalled job resumable: in one transaction, under the
 * job row's lock, compute *skip = the longest prefix of seqs 1..n all
 * journaled (those records are never produced again), clear total, the
 * cancel request and completion, set status PRODUCING, count the resume.
 * Records after the prefix that were journaled are replays for the sink:
 * they write nothing and move no counter, so the result equals an
 * uninterrupted run. A running (not stalled), completed or FAILED job is
 * MP_EUSAGE with errbuf saying why. */
int mp_job_resume_prepare(PGconn *c, int64_t job, int64_t *skip, char *errbuf,
                          size_t errlen);

#endif
