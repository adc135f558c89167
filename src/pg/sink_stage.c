/* sink_stage.c: turn one Kafka message into one COPY row of the sink's
 * staging table: decode (ISO 2709 or MARC-in-JSON), compute match keys,
 * map to an Instance, serialise the record as MARC-in-JSON. All CPU work
 * of a batch happens here, called by the COPY loop of sink.c one record at
 * a time. A record that fails is data: an ERROR row carrying the reason
 * and its raw bytes.
 * Runs on the sink's thread (libuv thread pool); uses only the sink's own
 * buffers and the immutable mapping. */
#include "copy.h"
#include "sink_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* [["kind","value"], ...] of the secondary keys. NULL on ENOMEM. */
static char *keys_json(const mp_match_keys_t *k) {
  json_t *a = json_array();
  if (!a)
    return NULL;
  if (k->control[0])
    json_array_append_new(a, json_pack("[ss]", "control", k->control));
  for (int i = 0; i < k->noclc && i < MP_MAX_KEYS; i++)
    json_array_append_new(a, json_pack("[ss]", "oclc", k->oclc[i]));
  for (int i = 0; i < k->nisbn && i < MP_MAX_KEYS; i++)
    json_array_append_new(a, json_pack("[ss]", "isbn", k->isbn[i]));
  for (int i = 0; i < k->nissn && i < MP_MAX_KEYS; i++)
    json_array_append_new(a, json_pack("[ss]", "issn", k->issn[i]));
  char *s = json_dumps(a, JSON_COMPACT);
  json_decref(a);
  return s;
}

/* jsonb accepts neither invalid UTF-8 nor \u0000. */
static bool jsonb_safe(const char *p, size_t n) {
  return mp_utf8_valid(p, n) && !memmem(p, n, "\\u0000", 6);
}

/* Common leading columns: ord, job_id, seq, partition, kafka_offset. */
static int row_head(mp_buf_t *b, size_t ord, const mp_sink_rec_t *r) {
  int rc = mp__copy_int(b, (int64_t)ord);
  const int64_t v[] = {r->job_id, r->seq, r->partition, r->offset};
  for (size_t i = 0; i < 4 && !rc; i++)
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_int(b, v[i]);
  return rc;
}

static const char *ct_name(mp_content_type_t ct) {
  return ct == MP_CT_JSON ? "application/marc+json" : "application/marc";
}

/* ERROR row: the Kafka key as match key, raw bytes, class and reason. */
static int error_row(mp_buf_t *b, size_t ord, const mp_sink_rec_t *r,
                     const char *cls, const char *reason) {
  int rc = row_head(b, ord, r);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, "ERROR");
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (r->key ? mp__copy_text(b, r->key, r->key_len) : mp__copy_null(b));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, ct_name(r->content_type));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_bytea(b, r->value, r->value_len);
  for (int i = 0; i < 3 && !rc; i++) /* parsed, instance, keys */
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_null(b);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, cls);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, reason);
  for (int i = 0; i < 3 && !rc; i++) /* mkinds, on_match, on_no_match */
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_null(b);
  return rc ? rc : mp__copy_end_row(b);
}

/* Trailing profile columns: match steps as a text[] literal, actions. */
static int profile_cols(mp_buf_t *b, const mp_profile_t *p) {
  int rc = mp__copy_sep(b);
  rc = rc ? rc : mp_buf_putc(b, '{');
  for (int i = 0; i < p->nsteps && !rc; i++)
    rc = mp_buf_printf(b, "%s%s", i ? "," : "", mp_profile_key_kind(p->steps[i]));
  rc = rc ? rc : mp_buf_putc(b, '}');
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, mp_profile_on_name(p->on_match));
  rc = rc ? rc : mp__copy_sep(b);
  return rc ? rc : mp__copy_str(b, mp_profile_on_name(p->on_no_match));
}

int mp__sink_stage(mp_sink_t *s, size_t ord, const mp_sink_rec_t *r,
                   const char *forced) {
  mp_buf_t *b = &s->copy;
  size_t mark = b->len;
  char reason[600];
  if (forced)
    return error_row(b, ord, r, "MP_EPG", forced);
  const mp__sink_prof_t *prof = mp__sink_profile(s, r->job_id);
  if (prof->rc) {
    snprintf(reason, sizeof reason, "job %lld record %lld: invalid job profile: %s",
             (long long)r->job_id, (long long)r->seq, prof->err);
    return error_row(b, ord, r, mp_err_name(prof->rc), reason);
  }
  mp_marc_diag_t diag;
  memset(&diag, 0, sizeof diag);
  mp_record_clear(&s->rec);
  int prc = r->content_type == MP_CT_JSON
                ? mp_marc_parse_json(r->value, r->value_len, &s->rec, &diag)
                : mp_marc_parse_iso2709(r->value, r->value_len, &s->rec, &diag);
  if (prc < 0) {
    snprintf(reason, sizeof reason, "job %lld record %lld (partition %d offset %lld)%s%s: %s",
             (long long)r->job_id, (long long)r->seq, (int)r->partition,
             (long long)r->offset, diag.tag[0] ? ", field " : "", diag.tag,
             diag.msg[0] ? diag.msg : mp_strerror(prc));
    return error_row(b, ord, r, mp_err_name(prc), reason);
  }
  mp_match_keys_t keys;
  mp_match_keys(&s->rec, r->value, r->value_len, &keys);
  json_t *inst = NULL;
  char merr[400] = "";
  int mrc = mp_mapping_map(s->mapping, &s->rec, &inst, merr, sizeof merr);
  const char *outcome = NULL, *cls = NULL;
  char *inst_s = NULL, *keys_s = NULL;
  int rc = 0;
  if (mrc == MP_ENOTBIB) {
    outcome = "SKIPPED";
    cls = mp_err_name(mrc);
  } else if (mrc < 0) {
    snprintf(reason, sizeof reason, "job %lld record %lld (partition %d offset %lld): %s",
             (long long)r->job_id, (long long)r->seq, (int)r->partition,
             (long long)r->offset, merr[0] ? merr : mp_strerror(mrc));
    return error_row(b, ord, r, mp_err_name(mrc), reason);
  } else {
    inst_s = json_dumps(inst, JSON_COMPACT);
    json_decref(inst);
    if (!inst_s) {
      rc = MP_ENOMEM;
      goto out;
    }
    if (!jsonb_safe(inst_s, strlen(inst_s))) {
      snprintf(reason, sizeof reason,
               "job %lld record %lld (partition %d offset %lld): mapped Instance "
               "contains a NUL character or invalid UTF-8",
               (long long)r->job_id, (long long)r->seq, (int)r->partition,
               (long long)r->offset);
      rc = error_row(b, ord, r, "MP_EMAPPING", reason);
      goto out;
    }
  }
  if (!(keys_s = keys_json(&keys))) {
    rc = MP_ENOMEM;
    goto out;
  }
  mp_buf_clear(&s->scratch);
  bool parsed_ok = mp_marc_write_json(&s->rec, &s->scratch) == 0 &&
                   jsonb_safe(s->scratch.data ? s->scratch.data : "", s->scratch.len);
  rc = row_head(b, ord, r);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (outcome ? mp__copy_str(b, outcome) : mp__copy_null(b));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, keys.primary);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, ct_name(r->content_type));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_bytea(b, r->value, r->value_len);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (parsed_ok ? mp__copy_text(b, s->scratch.data, s->scratch.len)
                            : mp__copy_null(b));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, inst_s);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, keys_s);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, cls);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (outcome ? mp__copy_str(b, merr) : mp__copy_null(b));
  rc = rc ? rc : profile_cols(b, &prof->p);
  rc = rc ? rc : mp__copy_end_row(b);
out:
  if (rc) {
    b->len = mark;
    if (b->data)
      b->data[mark] = '\0';
  }
  free(inst_s);
  free(keys_s);
  return rc;
}
