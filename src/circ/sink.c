/* sink.c: the worker sink of a circulation service (mp_circ_sink_ops,
 * circ.h): the batch writer that makes a service a table row instead of a
 * copy of the worker.
 *
 * A batch becomes ONE statement, circ_apply_batch(service, group, topic,
 * msgs, invalid) (schemas/sql/006_circulation.sql), run in autocommit: one
 * transaction holds the service's effects, its progress per (job,
 * partition), the messages that are not events, and the partition's next
 * offset. The worker commits offsets to Kafka only after it returns.
 * Each message is validated here (mp_circ_event_parse, same rules as the
 * producer) so the database never refuses a value; a message that is not
 * a valid event of this tenant goes to `invalid`: kept and counted, never
 * applied. msgs carry the event's text as it came (valid JSON, checked).
 *
 * Threading: one sink = one blocking connection, used by one thread at a
 * time (worker.h). A lost connection is dropped and reopened on the next
 * call (MP_ETRANSIENT: the worker retries the batch; a replay of a batch
 * that did commit changes nothing).
 */
#include "marcpipe/circ.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct circ_sink_s {
  const mp_circ_sink_config_t *cfg;
  PGconn *conn;
  mp_buf_t msgs, invalid;
  mp_sink_error_t *errs; /* invalid messages of the last batch */
  size_t nerrs, caperrs;
} circ_sink_t;

static int connect_sink(circ_sink_t *s, char *err, size_t errlen) {
  int rc = mp_pg_connect(s->cfg->conninfo, s->cfg->tenant, &s->conn, err,
                         errlen);
  if (!rc) {
    const char *p[1] = {s->cfg->service->name};
    PGresult *r = PQexecParams(s->conn,
                               "INSERT INTO circ_services (service) VALUES ($1)"
                               " ON CONFLICT DO NOTHING",
                               1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = mp_pg_fail(s->conn, r, "registering the service", err, errlen);
    PQclear(r);
  }
  if (rc && s->conn) {
    if (PQstatus(s->conn) != CONNECTION_OK)
      rc = MP_ETRANSIENT;
    PQfinish(s->conn);
    s->conn = NULL;
  }
  return rc;
}

static int circ_open(void *ctx, int index, void **out, char *err,
                     size_t errlen) {
  circ_sink_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return MP_ENOMEM;
  }
  s->cfg = ctx;
  mp_buf_init(&s->msgs);
  mp_buf_init(&s->invalid);
  int rc = connect_sink(s, err, errlen);
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static void circ_close(void *sink) {
  circ_sink_t *s = sink;
  if (!s)
    return;
  if (s->conn)
    PQfinish(s->conn);
  mp_buf_release(&s->msgs);
  mp_buf_release(&s->invalid);
  free(s->errs);
  free(s);
}

static int add_error(circ_sink_t *s, size_t index, int rc, const char *why) {
  if (mp_array_room(&s->errs, s->nerrs, &s->caperrs, sizeof *s->errs, 16))
    return MP_ENOMEM;
  mp_sink_error_t *e = &s->errs[s->nerrs++];
  e->index = index;
  snprintf(e->error_class, sizeof e->error_class, "%s", mp_err_name(rc));
  size_t n = strlen(why);
  if (n >= sizeof e->reason)
    n = sizeof e->reason - 1; /* the reason is cut; circ_invalid has it whole */
  memcpy(e->reason, why, n);
  e->reason[n] = '\0';
  return 0;
}

/* Append one message to the msgs array (valid event) or invalid array. */
static int stage(circ_sink_t *s, size_t index, const mp_sink_rec_t *r) {
  char why[600], head[160];
  mp_circ_event_t ev;
  int rc = r->content_type == MP_CT_EVENT
               ? mp_circ_event_parse(r->value, r->value_len, &ev, why,
                                     sizeof why)
               : MP_EFORMAT;
  if (r->content_type != MP_CT_EVENT)
    snprintf(why, sizeof why, "not a circulation event (content type)");
  if (!rc) {
    if (strcmp(ev.tenant, s->cfg->tenant)) {
      snprintf(why, sizeof why, "tenant '%s' is not the service's '%s'",
               ev.tenant, s->cfg->tenant);
      rc = MP_EFORMAT;
    }
    mp_circ_event_release(&ev);
  }
  int n = snprintf(head, sizeof head,
                   "{\"j\":%" PRId64 ",\"s\":%" PRId64 ",\"p\":%" PRId32
                   ",\"o\":%" PRId64 ",",
                   r->job_id, r->seq, r->partition, r->offset);
  mp_buf_t *b = rc ? &s->invalid : &s->msgs;
  int e = mp_buf_append(b, b->len > 1 ? "," : "", b->len > 1);
  e = e ? e : mp_buf_append(b, head, (size_t)n);
  if (!rc) {
    e = e ? e : mp_buf_append(b, "\"e\":", 4);
    e = e ? e : mp_buf_append(b, r->value, r->value_len);
    return e ? e : mp_buf_append(b, "}", 1);
  }
  char full[700];
  snprintf(full, sizeof full, "job %" PRId64 " seq %" PRId64
           " (partition %" PRId32 " offset %" PRId64 "): %s",
           r->job_id, r->seq, r->partition, r->offset, why);
  json_t *w = json_string(full);
  char *wt = w ? json_dumps(w, JSON_ENCODE_ANY) : NULL;
  json_decref(w);
  if (!wt)
    return MP_ENOMEM;
  e = e ? e : mp_buf_append(b, "\"why\":", 6);
  e = e ? e : mp_buf_append(b, wt, strlen(wt));
  free(wt);
  e = e ? e : mp_buf_append(b, ",\"raw\":\"", 8);
  for (size_t i = 0; !e && i < r->value_len; i++) {
    char hx[3];
    snprintf(hx, sizeof hx, "%02x", (unsigned char)r->value[i]);
    e = mp_buf_append(b, hx, 2);
  }
  e = e ? e : mp_buf_append(b, "\"}", 2);
  return e ? e : add_error(s, index, rc, full);
}

static int circ_write(void *sink, const mp_sink_rec_t *recs, size_t n,
                      mp_sink_result_t *res) {
  circ_sink_t *s = sink;
  memset(res, 0, sizeof *res);
  s->nerrs = 0;
  if (!s->conn) {
    int rc = connect_sink(s, res->errmsg, sizeof res->errmsg);
    if (rc)
      return rc;
  }
  mp_buf_clear(&s->msgs);
  mp_buf_clear(&s->invalid);
  int rc = mp_buf_append(&s->msgs, "[", 1);
  rc = rc ? rc : mp_buf_append(&s->invalid, "[", 1);
  for (size_t i = 0; !rc && i < n; i++)
    rc = stage(s, i, &recs[i]);
  rc = rc ? rc : mp_buf_append(&s->msgs, "]", 1); /* data stays NUL-ended */
  rc = rc ? rc : mp_buf_append(&s->invalid, "]", 1);
  if (rc) {
    snprintf(res->errmsg, sizeof res->errmsg, "out of memory");
    return rc;
  }
  const char *p[5] = {s->cfg->service->name, s->cfg->group, recs[0].topic,
                      s->msgs.data, s->invalid.data};
  PGresult *r = PQexecParams(
      s->conn, "SELECT applied, replayed FROM circ_apply_batch($1, $2, $3,"
               " $4::jsonb, $5::jsonb)",
      5, NULL, p, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(s->conn, r, "applying a circulation batch", res->errmsg,
                    sizeof res->errmsg);
    PQclear(r);
    if (PQstatus(s->conn) != CONNECTION_OK) {
      PQfinish(s->conn);
      s->conn = NULL;
      rc = MP_ETRANSIENT;
    }
    s->nerrs = 0;
    return rc;
  }
  uint32_t applied = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
  uint32_t replayed = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
  PQclear(r);
  uint32_t valid = (uint32_t)(n - s->nerrs);
  res->created = applied;
  res->replayed = replayed;
  res->errors = (uint32_t)s->nerrs;
  res->duplicates = valid > applied + replayed ? valid - applied - replayed : 0;
  res->error_recs = s->nerrs ? s->errs : NULL;
  res->nerror_recs = s->nerrs;
  return 0;
}

/* Offsets without the log's identity (cluster id, last job/seq unknown):
 * the worker checks only the log's watermarks for circulation topics. */
static int circ_load(void *sink, const char *topic, const int32_t *parts,
                     mp_sink_offset_t *offs, size_t n) {
  circ_sink_t *s = sink;
  char err[256];
  for (size_t i = 0; i < n; i++)
    offs[i] = (mp_sink_offset_t){.next = -1};
  if (!s->conn && connect_sink(s, err, sizeof err))
    return MP_ETRANSIENT;
  const char *p[2] = {s->cfg->group, topic};
  PGresult *r = PQexecParams(s->conn,
                             "SELECT partition, next_offset FROM kafka_offsets"
                             " WHERE group_id = $1 AND topic = $2",
                             2, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(s->conn, r, "loading offsets", err, sizeof err);
    if (PQstatus(s->conn) != CONNECTION_OK) { /* reconnect on the next call */
      PQfinish(s->conn);
      s->conn = NULL;
      rc = MP_ETRANSIENT;
    }
  } else {
    for (int row = 0; row < PQntuples(r); row++) {
      int32_t part = (int32_t)atoi(PQgetvalue(r, row, 0));
      for (size_t i = 0; i < n; i++)
        if (parts[i] == part)
          offs[i].next = strtoll(PQgetvalue(r, row, 1), NULL, 10);
    }
  }
  PQclear(r);
  return rc;
}

const mp_worker_sink_ops_t mp_circ_sink_ops = {
    .open = circ_open,
    .write_batch = circ_write,
    .load_offsets = circ_load,
    .reset_offset = NULL, /* nothing of a log's identity is stored */
    .close = circ_close};
