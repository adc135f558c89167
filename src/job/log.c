/* log.c: the per-record job log (joblog.h): pages of journal rows with the
 * Instance each one wrote and why, and one record in full.
 *
 * Every statement is a constant string with text parameters (job id,
 * outcome, seq bounds, limit): nothing from a caller reaches SQL text.
 * Pages use keyset paging: seq > $after ORDER BY seq, or seq < $before
 * ORDER BY seq DESC (reversed here), on the journal's primary key or, with
 * an outcome filter, on journal_outcome (job_id, outcome, seq). The hrid
 * comes from one primary-key lookup per row of the page. Blocking libpq. */
#include "job_impl.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/joblog.h"
#include "marcpipe/marc.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcomes[] = {"CREATED", "UPDATED", "DUPLICATE",
                                       "SKIPPED", "ERROR"};

const char *mp_joblog_outcome(const char *name) {
  for (size_t i = 0; name && i < sizeof outcomes / sizeof *outcomes; i++)
    if (!strcasecmp(name, outcomes[i]))
      return outcomes[i];
  return NULL;
}

#define ROW_COLUMNS                                                            \
  "j.seq, j.outcome, j.partition, coalesce(j.kafka_offset, -1), "             \
  "coalesce(j.file_offset, -1), coalesce(j.match_key, ''), "                  \
  "coalesce(j.instance_id::text, ''), coalesce(i.hrid, ''), "                 \
  "coalesce(j.error_class, ''), coalesce(j.reason, ''), "                     \
  "coalesce(j.match_kind, ''), coalesce(j.match_value, '') "

/* $1 job, $2 outcome or NULL, $3 bound, $4 limit or NULL (all) */
static const char page_fwd[] =
    "SELECT " ROW_COLUMNS "FROM (SELECT * FROM journal WHERE job_id = $1"
    " AND ($2::text IS NULL OR outcome = $2) AND seq > $3::bigint"
    " ORDER BY job_id, seq LIMIT $4::bigint) j"
    " LEFT JOIN instances i ON i.id = j.instance_id ORDER BY j.seq";
static const char page_back[] =
    "SELECT " ROW_COLUMNS "FROM (SELECT * FROM journal WHERE job_id = $1"
    " AND ($2::text IS NULL OR outcome = $2) AND seq < $3::bigint"
    " ORDER BY job_id, seq DESC LIMIT $4::bigint) j"
    " LEFT JOIN instances i ON i.id = j.instance_id ORDER BY j.seq";

static void read_row(const PGresult *r, int i, mp_joblog_row_t *row) {
  row->seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
  row->outcome = PQgetvalue(r, i, 1);
  row->partition = atoi(PQgetvalue(r, i, 2));
  row->kafka_offset = strtoll(PQgetvalue(r, i, 3), NULL, 10);
  row->file_offset = strtoll(PQgetvalue(r, i, 4), NULL, 10);
  row->match_key = PQgetvalue(r, i, 5);
  row->instance_id = PQgetvalue(r, i, 6);
  row->hrid = PQgetvalue(r, i, 7);
  row->error_class = PQgetvalue(r, i, 8);
  row->reason = PQgetvalue(r, i, 9);
  row->match_kind = PQgetvalue(r, i, 10);
  row->match_value = PQgetvalue(r, i, 11);
}

static int job_exists(PGconn *c, int64_t job, char *errbuf, size_t errlen) {
  return mp__job_query_id(c, "SELECT 1 FROM jobs WHERE id = $1", job, NULL, true,
                          "reading the job log", NULL, errbuf, errlen);
}

int mp_joblog_page(PGconn *c, int64_t job, const char *outcome, int64_t after,
                   int64_t before, size_t limit, mp_joblog_cb cb, void *ud,
                   char *errbuf, size_t errlen) {
  int rc = job_exists(c, job, errbuf, errlen);
  if (rc)
    return rc;
  char ids[24], bound[24], lim[24];
  snprintf(ids, sizeof ids, "%lld", (long long)job);
  snprintf(bound, sizeof bound, "%lld", (long long)(before > 0 ? before : after));
  snprintf(lim, sizeof lim, "%zu", limit);
  const char *p[4] = {ids, outcome, bound, limit ? lim : NULL};
  PGresult *r;
  rc = mp__job_query(c, before > 0 ? page_back : page_fwd, 4, p,
                     "reading the job log", &r, errbuf, errlen);
  if (rc)
    return rc;
  for (int i = 0; i < PQntuples(r) && !rc; i++) {
    mp_joblog_row_t row;
    read_row(r, i, &row);
    rc = cb(ud, &row);
  }
  PQclear(r);
  return rc;
}

static const char *kind_label(const char *kind) {
  return !strcmp(kind, "control") ? "001" : !strcmp(kind, "oclc") ? "OCLC number"
         : !strcmp(kind, "isbn")  ? "ISBN" : !strcmp(kind, "issn") ? "ISSN" : kind;
}

void mp_joblog_why(const mp_joblog_row_t *r, char *buf, size_t n) {
  const char *o = r->outcome;
  bool matched = r->match_kind[0] != 0;
  if (!strcmp(o, "ERROR") || !strcmp(o, "SKIPPED")) {
    snprintf(buf, n, "%s%s%s", r->error_class, r->reason[0] ? ": " : "",
             r->reason);
  } else if (matched && !strcmp(o, "CREATED")) {
    snprintf(buf, n, "matched on %s %s; the profile creates a new Instance",
             kind_label(r->match_kind), r->match_value);
  } else if (!strcmp(o, "CREATED")) {
    snprintf(buf, n, "no Instance matched");
  } else if (matched) {
    snprintf(buf, n, "matched on %s %s%s", kind_label(r->match_kind),
             r->match_value,
             !strcmp(o, "DUPLICATE") ? "; identical record, nothing changed" : "");
  } else {
    snprintf(buf, n, "same match key %s as a record written just before%s",
             r->match_key,
             !strcmp(o, "DUPLICATE") ? "; identical record, nothing changed" : "");
  }
}

static json_t *str_or_null(const char *s) {
  return s && *s ? json_string(s) : json_null();
}

json_t *mp_joblog_row_json(const mp_joblog_row_t *r) {
  char why[1024];
  mp_joblog_why(r, why, sizeof why);
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "seq", json_integer(r->seq));
  json_object_set_new(o, "outcome", json_string(r->outcome));
  json_object_set_new(o, "partition", json_integer(r->partition));
  json_object_set_new(o, "kafka_offset",
                      r->kafka_offset >= 0 ? json_integer(r->kafka_offset) : json_null());
  json_object_set_new(o, "file_offset",
                      r->file_offset >= 0 ? json_integer(r->file_offset) : json_null());
  json_object_set_new(o, "match_key", str_or_null(r->match_key));
  json_object_set_new(o, "instance_id", str_or_null(r->instance_id));
  json_object_set_new(o, "hrid", str_or_null(r->hrid));
  json_object_set_new(o, "match_kind", str_or_null(r->match_kind));
  json_object_set_new(o, "match_value", str_or_null(r->match_value));
  json_object_set_new(o, "error_class", str_or_null(r->error_class));
  json_object_set_new(o, "reason", str_or_null(r->reason));
  json_object_set_new(o, "why", json_string(why));
  return o;
}

/* ---- one record ---- */

typedef struct {
  mp_joblog_record_t *out;
  int rc;
} one_t;

static int one_row(void *ud, const mp_joblog_row_t *row) {
  one_t *x = ud;
  char why[1024];
  mp_joblog_why(row, why, sizeof why);
  json_t *o = mp_joblog_row_json(row);
  x->out->seq = row->seq;
  x->out->row_json = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  x->out->why = strdup(why);
  json_decref(o);
  x->rc = x->out->row_json && x->out->why ? 0 : MP_ENOMEM;
  return 0;
}

static char *dup_bytes(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = 0;
  }
  return s;
}

int mp_joblog_record(PGconn *c, int64_t job, int64_t seq, mp_joblog_record_t *out,
                     char *errbuf, size_t errlen) {
  memset(out, 0, sizeof *out);
  one_t x = {.out = out, .rc = MP_ENOTFOUND};
  int rc = mp_joblog_page(c, job, NULL, seq - 1, 0, 1, one_row, &x, errbuf, errlen);
  if (!rc && (x.rc == MP_ENOTFOUND || out->seq != seq)) {
    snprintf(errbuf, errlen, "job %lld has no record %lld in its log", (long long)job,
             (long long)seq);
    rc = MP_ENOTFOUND;
  } else if (!rc) {
    rc = x.rc;
  }
  if (rc) {
    mp_joblog_record_release(out);
    return rc;
  }
  char ids[24], seqs[24];
  snprintf(ids, sizeof ids, "%lld", (long long)job);
  snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
  const char *p[2] = {ids, seqs};
  PGresult *r = NULL;
  rc = mp__job_query(c,
                     "SELECT coalesce(s.raw, j.raw), s.content_type,"
                     " jsonb_pretty(i.instance)"
                     " FROM journal j"
                     " LEFT JOIN source_records s ON s.job_id = j.job_id AND s.seq = j.seq"
                     " LEFT JOIN instances i ON i.id = j.instance_id"
                     " WHERE j.job_id = $1 AND j.seq = $2::bigint",
                     2, p, "reading a record", &r, errbuf, errlen);
  if (!rc && PQntuples(r) == 1) {
    if (!PQgetisnull(r, 0, 0)) {
      size_t n = 0;
      unsigned char *raw =
          PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
      out->raw = raw ? dup_bytes((const char *)raw, n) : NULL;
      out->raw_len = n;
      PQfreemem(raw);
      if (!out->raw)
        rc = MP_ENOMEM;
    }
    if (!PQgetisnull(r, 0, 1) && !(out->content_type = strdup(PQgetvalue(r, 0, 1))))
      rc = MP_ENOMEM;
    if (!PQgetisnull(r, 0, 2) && !(out->instance_json = strdup(PQgetvalue(r, 0, 2))))
      rc = MP_ENOMEM;
  }
  PQclear(r);
  if (rc)
    mp_joblog_record_release(out);
  return rc;
}

void mp_joblog_record_release(mp_joblog_record_t *r) {
  free(r->row_json);
  free(r->why);
  free(r->raw);
  free(r->content_type);
  free(r->instance_json);
  memset(r, 0, sizeof *r);
}

int mp_joblog_record_text(const mp_joblog_record_t *r, char **out) {
  *out = NULL;
  mp_buf_t b;
  mp_buf_init(&b);
  mp_record_t rec;
  mp_record_init(&rec);
  mp_marc_diag_t diag;
  memset(&diag, 0, sizeof diag);
  int rc = 0;
  if (!r->raw || !r->raw_len) {
    rc = mp_buf_puts(&b, "(no bytes kept for this record)\n");
  } else {
    bool json = r->content_type ? strstr(r->content_type, "json") != NULL
                                : r->raw[0] == '{';
    int prc = json ? mp_marc_parse_json(r->raw, r->raw_len, &rec, &diag)
                   : mp_marc_parse_iso2709(r->raw, r->raw_len, &rec, &diag);
    if (prc == 0) {
      rc = mp_marc_write_text(&rec, &b);
    } else {
      char msg[512];
      mp_marc_diag_format(&diag, "record", msg, sizeof msg);
      rc = mp_buf_printf(&b, "(does not parse: %s)\n", msg);
    }
  }
  mp_record_release(&rec);
  if (!rc && !b.data)
    rc = mp_buf_puts(&b, "");
  if (rc) {
    mp_buf_release(&b);
    return MP_ENOMEM;
  }
  *out = b.data; /* the buffer's storage becomes the caller's */
  return 0;
}
