/* json_reader.c: MARC-in-JSON records, for the stream reader (the JSON
 * backend) and for single values (mp_marc_parse_json). Both go through
 * json_to_record(), which walks one decoded object through the shared
 * builder (build.c):
 *   {"leader": "...", "fields": [{"001": "..."},
 *    {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "..."}]}}]}
 * A string value is a control field, an object a data field; other keys
 * (such as "ind3") are ignored. Strings are copied into the record's arena.
 *
 * The backend frames records with json_frame.c (one object, an array, or
 * NDJSON; one record in memory at a time) and decodes each with
 * json_loadb. Invalid JSON inside one object rejects that record with its
 * line and column; input that cannot be framed ends the stream. JSON text
 * is UTF-8 whatever leader/09 says; the reader's charset step treats it so.
 * One reader per thread.
 */
#include "marc/build.h"
#include "marc/json_frame.h"
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEFAULT_MAX (16u << 20)

/* ---- one decoded object -> record ---- */

static void shape_error(mp_build_t *b, const char *tag, const char *what) {
  if (b->diag)
    b->diag(b->ctx, MP_EFIELD, MP_SEV_ERROR, tag, what);
}

static int to_subfields(mp_build_t *b, const char *tag, const json_t *subs) {
  if (!subs)
    return 0;
  if (!json_is_array(subs)) {
    shape_error(b, tag, "\"subfields\" is not an array");
    return MP_EFIELD;
  }
  size_t i;
  const json_t *sf;
  json_array_foreach(subs, i, sf) {
    const char *code;
    const json_t *v;
    if (!json_is_object(sf) || json_object_size(sf) == 0) {
      shape_error(b, tag, "subfield is not a {\"code\": \"value\"} object");
      return MP_EFIELD;
    }
    json_object_foreach((json_t *)sf, code, v) {
      if (!json_is_string(v)) {
        shape_error(b, tag, "subfield value is not a string");
        return MP_EFIELD;
      }
      int rc = mp__build_subfield(b, code, strlen(code), json_string_value(v),
                                  json_string_length(v));
      if (rc)
        return rc;
    }
  }
  return 0;
}

static void ind(const json_t *obj, const char *key, const char **p,
                size_t *n) {
  const json_t *v = json_object_get(obj, key);
  *p = NULL;
  *n = 0;
  if (json_is_string(v)) {
    *p = json_string_value(v);
    *n = json_string_length(v);
  }
}

static int to_field(mp_build_t *b, const char *tag, const json_t *v) {
  size_t tl = strlen(tag);
  if (json_is_string(v))
    return mp__build_control(b, tag, tl, json_string_value(v),
                             json_string_length(v));
  if (!json_is_object(v)) {
    shape_error(b, tl == 3 ? tag : "", "field is neither a string nor an object");
    return MP_EFIELD;
  }
  const char *i1, *i2;
  size_t n1, n2;
  ind(v, "ind1", &i1, &n1);
  ind(v, "ind2", &i2, &n2);
  int rc = mp__build_datafield(b, tag, tl, i1, n1, i2, n2);
  if (rc)
    return rc;
  rc = to_subfields(b, b->rec->fields[b->rec->nfields - 1].tag,
                    json_object_get(v, "subfields"));
  return rc ? rc : mp__build_field_end(b);
}

static int to_fields(mp_build_t *b, const json_t *fields) {
  if (!fields)
    return 0;
  if (!json_is_array(fields)) {
    shape_error(b, "", "\"fields\" is not an array");
    return MP_EFIELD;
  }
  size_t i;
  const json_t *item;
  json_array_foreach(fields, i, item) {
    const char *tag;
    const json_t *v;
    if (!json_is_object(item) || json_object_size(item) == 0) {
      shape_error(b, "", "field is not a {\"tag\": value} object");
      return MP_EFIELD;
    }
    json_object_foreach((json_t *)item, tag, v) {
      int rc = to_field(b, tag, v);
      if (rc)
        return rc;
    }
  }
  return 0;
}

/* Fill b->rec (begun by the caller) from one decoded value. */
static int json_to_record(mp_build_t *b, const json_t *root) {
  if (!json_is_object(root)) {
    shape_error(b, "", "record is not a json object");
    return MP_EJSON;
  }
  const json_t *leader = json_object_get(root, "leader");
  int rc = 0;
  if (leader && !json_is_string(leader)) {
    shape_error(b, "", "\"leader\" is not a string");
    return MP_ELEADER;
  }
  if (leader)
    rc = mp__build_leader(b, json_string_value(leader),
                          json_string_length(leader));
  if (!rc)
    rc = to_fields(b, json_object_get(root, "fields"));
  if (!rc)
    rc = mp__build_end(b, leader != NULL);
  return rc;
}

/* ---- single values ---- */

typedef struct one_s {
  mp_record_t *rec;
  mp_marc_diag_t *diag;
} one_t;

static void one_diag(void *ctx, int code, mp_severity_t sev, const char *tag,
                     const char *msg) {
  one_t *o = ctx;
  if (sev == MP_SEV_WARNING)
    o->rec->nwarnings++;
  if (!o->diag || sev == MP_SEV_WARNING || o->diag->code)
    return;
  o->diag->code = code;
  o->diag->severity = sev;
  snprintf(o->diag->tag, sizeof o->diag->tag, "%s", tag);
  snprintf(o->diag->msg, sizeof o->diag->msg, "%s", msg);
}

int mp_marc_parse_json(const char *p, size_t n, mp_record_t *rec,
                       mp_marc_diag_t *diag) {
  one_t o = {rec, diag};
  if (diag)
    memset(diag, 0, sizeof *diag);
  mp_record_clear(rec);
  json_error_t je;
  json_t *root = json_loadb(p, n, 0, &je);
  if (!root) {
    if (diag) {
      diag->code = MP_EJSON;
      diag->severity = MP_SEV_ERROR;
      diag->offset = (uint64_t)je.position;
      snprintf(diag->msg, sizeof diag->msg,
               "malformed json at line %d column %d: %s", je.line, je.column,
               je.text);
    }
    return MP_EJSON;
  }
  mp_build_t b;
  mp__build_init(&b, false, one_diag, &o);
  mp__build_begin(&b, rec);
  int rc = json_to_record(&b, root);
  mp__build_release(&b);
  json_decref(root);
  return rc;
}

/* ---- the stream backend ---- */

typedef struct json_state_s {
  mp_marc_reader_t *r;
  mp_json_frame_t frame;
  mp_build_t build;
  uint64_t line; /* line of the record being converted */
} json_state_t;

static void on_diag(void *ctx, int code, mp_severity_t sev, const char *tag,
                    const char *msg) {
  json_state_t *st = ctx;
  mp__reader_diag(st->r, code, sev, st->r->rec.offset, tag,
                  "%s (line %llu)", msg, (unsigned long long)st->line);
}

static size_t limit_of(const mp_marc_reader_t *r) {
  return r->opts.max_record_bytes ? r->opts.max_record_bytes
                                  : JSON_DEFAULT_MAX;
}

static int framing_failed(mp_marc_reader_t *r, int rc,
                          const mp_json_span_t *at, const char *err) {
  r->fatal = true;
  r->rec.recno = ++r->recno;
  r->rec.offset = at->offset;
  if (err[0])
    mp__reader_diag(r, rc, MP_SEV_FATAL, at->offset, "",
                    "%s at line %llu column %llu", err,
                    (unsigned long long)at->line, (unsigned long long)at->col);
  else /* not the text's fault: the input could not be read */
    mp__reader_diag(r, rc, MP_SEV_FATAL, at->offset, "", "read error: %s",
                    mp_strerror(rc));
  mp__reader_set_raw(r, NULL, 0);
  return rc;
}

/* Decode and convert one framed object. */
static int convert(json_state_t *st, const mp_json_span_t *sp) {
  mp_marc_reader_t *r = st->r;
  json_error_t je;
  json_t *root = json_loadb(sp->p, sp->len, 0, &je);
  if (!root) {
    uint64_t line = sp->line + (uint64_t)(je.line > 0 ? je.line - 1 : 0);
    uint64_t col = je.line == 1 ? sp->col + (uint64_t)je.column - 1
                                : (uint64_t)(je.column > 0 ? je.column : 0);
    mp__reader_diag(r, MP_EJSON, MP_SEV_ERROR,
                    sp->offset + (uint64_t)(je.position > 0 ? je.position : 0),
                    "", "malformed json at line %llu column %llu: %s",
                    (unsigned long long)line, (unsigned long long)col, je.text);
    return MP_EJSON;
  }
  mp__build_begin(&st->build, &r->rec);
  int rc = json_to_record(&st->build, root);
  json_decref(root);
  return rc;
}

static int json_next(mp_marc_reader_t *r) {
  json_state_t *st = r->impl;
  mp_json_span_t sp = {0};
  char err[160] = "";
  int rc = mp__json_frame_next(&st->frame, &r->in, limit_of(r), &sp, err,
                               sizeof err);
  if (rc == 0)
    return MP_EOF;
  if (rc < 0)
    return framing_failed(r, rc, &sp, err);
  r->rec.recno = ++r->recno;
  r->rec.offset = sp.offset;
  st->line = sp.line;
  /* The raw view points into the input buffer, which only moves on the
   * next call. */
  mp__reader_set_raw(r, sp.p, sp.len);
  return convert(st, &sp);
}

static int json_open(mp_marc_reader_t *r) {
  json_state_t *st = calloc(1, sizeof *st);
  if (!st)
    return MP_ENOMEM;
  st->r = r;
  mp_json_frame_t *f = &st->frame;
  mp__json_frame_init(f);
  mp__build_init(&st->build, r->opts.strict, on_diag, st);
  r->impl = st;
  return 0;
}

static void json_close(mp_marc_reader_t *r) {
  json_state_t *st = r->impl;
  if (!st)
    return;
  mp__build_release(&st->build);
  free(st);
  r->impl = NULL;
}

const mp_marc_backend_t mp__json_backend = {
    .name = "json", .open = json_open, .next = json_next, .close = json_close};
