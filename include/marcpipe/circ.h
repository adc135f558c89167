/* circ.h: circulation events (schemas/events/circulation-event-v1.md), the
 * design's second family of producers and consumers on the same pull
 * pipeline as MARC imports.
 *
 *   events file (NDJSON) --mp_circ_input_open--> the MARC producer (credit,
 *   idempotence) --> ENV.NS.TENANT.CIRCULATION (key = userId)
 *   --> one consumer group per service, each an mp_worker (window, batches,
 *   offsets) whose sink is mp_circ_sink_ops: one PostgreSQL transaction per
 *   batch runs the service's SQL function, its progress and its offsets.
 *
 * A consumer service is one row of the services table (services.c) and
 * one SQL function circ_apply_<name>(msgs jsonb) (schemas/sql); nothing of
 * the worker is copied. State lives in the tenant schema (006_circulation).
 */
#ifndef MARCPIPE_CIRC_H
#define MARCPIPE_CIRC_H

#include "marcpipe/pipeline.h"
#include "marcpipe/producer.h"
#include "marcpipe/worker.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MP_EVENT_CIRCULATION "CIRCULATION" /* topic ENV.NS.TENANT.CIRCULATION */
#define MP_CIRC_GROUP_PREFIX "marcpipe.circ." /* + service: default group */
#define MP_CIRC_FILE_FORMAT "circ-ndjson"  /* jobs.file_format of a run */

/* ---- events (event.c) ---- */

typedef enum {
  MP_CIRC_CHECKED_OUT,
  MP_CIRC_CHECKED_IN,
  MP_CIRC_DUE_DATE_CHANGED,
  MP_CIRC_DECLARED_LOST,
  MP_CIRC_AGED_TO_LOST,
  MP_CIRC_CLAIMED_RETURNED,
  MP_CIRC_LOAN_CLOSED,
  MP_CIRC_FEE_FINE_BALANCE_CHANGED,
  MP_CIRC_NTYPES
} mp_circ_type_t;

/* "ITEM_CHECKED_OUT", ...; NULL for an out-of-range value. */
const char *mp_circ_type_name(mp_circ_type_t t);
/* The type named s, or -1. */
int mp_circ_type_parse(const char *s);

/* A validated event; strings point into the parsed JSON (valid until
 * mp_circ_event_release), NULL when absent. */
typedef struct mp_circ_event_s {
  mp_circ_type_t type;
  const char *event_id, *tenant, *user_id, *event_time, *patron_group;
  const char *loan_id, *item_id, *due_date, *return_date;
  const char *fee_fine_id, *fee_fine_type_id;
  bool recall;             /* dueDateChangedByRecall */
  int64_t balance_cents;   /* FEE_FINE_BALANCE_CHANGED */
  void *json;              /* owned json_t */
} mp_circ_event_t;

/* Parse and validate one event (the rules of the v1 contract: required
 * members per type, string lengths, date-times as real UTC dates, balance
 * >= 0 with at most 2 decimals). 0, or MP_EJSON (not a JSON object) /
 * MP_EFORMAT with `why` naming the member; ev is then empty. */
int mp_circ_event_parse(const char *text, size_t len, mp_circ_event_t *ev,
                        char *why, size_t whylen);
void mp_circ_event_release(mp_circ_event_t *ev);

/* ---- producing (input.c, credit.c) ---- */

/* The producer input of an NDJSON events file ("-" = stdin): one RECORD
 * item per valid line (key = userId, value = the line, content type
 * MP_CT_EVENT, event type = eventType); a line that is not a valid event of
 * `tenant` is a REJECTED item "FILE: line N at byte OFF: why" with the
 * line as raw bytes. Blank lines are skipped. 0 or MP_EIO (errbuf). */
int mp_circ_input_open(const char *path, const char *tenant,
                       mp_producer_input_t *in, char *errbuf, size_t errlen);

/* Job operations of a circulation run: mp_producer_pg_ops, except that
 * processed() counts a message once every registered service has
 * committed it (the slowest service's count), plus the journaled rejects,
 * and set_total() then checks completion: the run is COMPLETED (with
 * errors when lines were rejected) once every registered service has
 * processed every message; the services' batches check it too. */
void mp_circ_producer_ops(mp_producer_pg_t *pg, mp_producer_job_ops_t *ops);

/* ---- consumer services (services.c, sink.c) ---- */

typedef struct mp_circ_service_s {
  const char *name;    /* [a-z]+: SQL function circ_apply_<name>, group
                          MP_CIRC_GROUP_PREFIX<name> */
  const char *summary; /* one line for --help */
} mp_circ_service_t;

/* The service called name, or NULL. */
const mp_circ_service_t *mp_circ_service_find(const char *name);
/* The table (n entries), for --help. */
const mp_circ_service_t *mp_circ_services(size_t *n);

/* sink_ctx of mp_circ_sink_ops; strings borrowed, must outlive the worker. */
typedef struct mp_circ_sink_config_s {
  const char *conninfo;  /* "" = PG* environment */
  const char *tenant;
  const char *group;     /* key of the stored offsets */
  const mp_circ_service_t *service;
} mp_circ_sink_config_t;

/* The worker's sink for a circulation service: opens a connection
 * (migrating the tenant schema, registering the service), and writes each
 * batch in one transaction through circ_apply_batch(). Result counts:
 * created = events applied now, duplicates = new messages whose event was
 * applied before (same eventId), replayed = redelivered messages, errors =
 * messages that are not valid events (kept in circ_invalid and reported
 * in error_recs for the dead-letter topic). Thread use as worker.h. */
extern const mp_worker_sink_ops_t mp_circ_sink_ops;

/* ---- queries (query.c); c from mp_pg_connect on the tenant ---- */

/* The blocks verdict of user at `at` (NULL = now; else a timestamptz text):
 * one line per condition (value, limit, BLOCKED or ok) and a first line
 * "USER: blocked (conditions)" or "USER: not blocked"; JSON with json.
 * *blocked set. MP_ENOTFOUND when the patron is unknown; else 0 or MP_EPG/
 * MP_ETRANSIENT with errbuf set. */
int mp_circ_blocks_print(PGconn *c, const char *user, const char *at,
                         bool json, FILE *out, bool *blocked, char *errbuf,
                         size_t errlen);
/* The summary of user (NULL = every patron, one per line, by userId) as
 * JSON lines: userId, patronGroup, openLoans, feesFines,
 * outstandingBalance. *n = patrons printed. */
int mp_circ_summary_print(PGconn *c, const char *user, FILE *out, size_t *n,
                          char *errbuf, size_t errlen);
/* Audit rows of a user or an item (one of them NULL), from `since` (NULL =
 * all), in event time order, as JSON lines (the event plus its delivery).
 * *n = rows printed. */
int mp_circ_audit_print(PGconn *c, const char *user, const char *item,
                        const char *since, FILE *out, size_t *n, char *errbuf,
                        size_t errlen);

/* ---- generator (gen.c) ---- */

typedef struct mp_circ_gen_opts_s {
  uint64_t seed;
  unsigned patrons;       /* >= 1 */
  uint64_t events;        /* events to write (duplicates included) */
  unsigned duplicate_pct; /* 0..50: this share of events is written twice
                             (the copy a little later, same eventId) */
  const char *tenant;
} mp_circ_gen_opts_t;

/* Write a realistic stream (patrons in groups, items, loans over months,
 * renewals and recalls, returns, losses, claimed returns, fines and
 * payments) as NDJSON to events, and the final summary every patron must
 * have to oracle (JSON: {"events", "unique_events", "as_of", "patrons":
 * [summary as mp_circ_summary_print, by userId]}). Deterministic: the same
 * options give the same bytes. 0, MP_EUSAGE, MP_EIO or MP_ENOMEM. */
int mp_circ_gen(const mp_circ_gen_opts_t *o, FILE *events, FILE *oracle,
                char *errbuf, size_t errlen);

#endif
