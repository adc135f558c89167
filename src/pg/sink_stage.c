/* sink_stage.c: turn one Kafka message into one COPY row of the sink's
 * staging table: decode (ISO 2709 or MARC-in-JSON), compute match keys,
 * map by the record's family (leader/06: Instance, Holdings or Authority),
 * with the family's own keys (a holdings record's link to its Instance:
 * 004, alone and after its 003; an authority's LCCN: 010 $a without
 * spaces), serialise the record as MARC-in-JSON (written COPY-escaped in
 * one pass, always jsonb-safe: see mp_marc_write_json_copy). All CPU work
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

/* jsonb accepts neither invalid UTF-8 nor the escape \u0000: a "u0000"
 * after an odd run of backslashes (after an even one, as in the JSON of
 * the text \u0000, it is text). */
static bool jsonb_safe(const char *p, size_t n) {
  if (!mp_utf8_valid(p, n))
    return false;
  for (const char *u = p, *e = p + n; (u = memmem(u, (size_t)(e - u), "\\u0000", 6)); u++) {
    size_t bs = 1; /* the run of backslashes ending at u */
    while (bs <= (size_t)(u - p) && u[-(ptrdiff_t)bs] == '\\')
      bs++;
    if (bs % 2)
      return false;
  }
  return true;
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
  /* mkinds, on_match, on_no_match, family, lccn, link_key, link */
  for (int i = 0; i < 7 && !rc; i++)
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_null(b);
  return rc ? rc : mp__copy_end_row(b);
}

/* The first subfield `code` of the first `tag` field (or the control
 * field's data) with whitespace at both ends removed, into out; "" if none. */
static void field_text(const mp_record_t *r, const char *tag, char code,
                       bool all_space, char *out, size_t cap) {
  out[0] = '\0';
  const mp_field_t *f = mp_record_field(r, tag);
  if (!f)
    return;
  const char *d = f->data;
  size_t n = f->len;
  if (!f->is_control) {
    const mp_subfield_t *sf = mp_field_subfield(r, f, code);
    if (!sf)
      return;
    d = sf->data;
    n = sf->len;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++) {
    bool sp = (unsigned char)d[i] <= ' ';
    if (sp && (all_space || k == 0))
      continue;
    out[k++] = d[i];
  }
  while (k && (unsigned char)out[k - 1] <= ' ')
    k--;
  out[k] = '\0';
}

/* Family columns: family, lccn, link_key, link (text[] literal). */
static int family_cols(mp_buf_t *b, const mp_record_t *r, mp_family_t fam) {
  char lccn[64], key[128], org[64];
  int rc = mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, fam == MP_FAMILY_NONE ? NULL : mp_family_name(fam));
  field_text(r, "010", 'a', true, lccn, sizeof lccn);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, fam == MP_FAMILY_AUTHORITY && lccn[0] ? lccn : NULL);
  field_text(r, "004", 0, false, key, sizeof key);
  bool link = fam == MP_FAMILY_HOLDINGS && key[0];
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, link ? key : NULL);
  rc = rc ? rc : mp__copy_sep(b);
  if (!link)
    return rc ? rc : mp__copy_null(b);
  field_text(r, "003", 0, false, org, sizeof org);
  mp_buf_t lit; /* the text[] literal {"003:004","004"}, quoted */
  mp_buf_init(&lit);
  rc = rc ? rc : mp_buf_putc(&lit, '{');
  const char *cands[2] = {NULL, key};
  char both[200];
  if (org[0]) {
    snprintf(both, sizeof both, "%s:%s", org, key);
    cands[0] = both;
  }
  bool first = true;
  for (int i = 0; i < 2 && !rc; i++) {
    if (!cands[i])
      continue;
    rc = first ? 0 : mp_buf_putc(&lit, ',');
    first = false;
    rc = rc ? rc : mp_buf_putc(&lit, '"');
    for (const char *p = cands[i]; *p && !rc; p++)
      rc = (*p == '"' || *p == '\\') ? mp_buf_printf(&lit, "\\%c", *p)
                                     : mp_buf_putc(&lit, *p);
    rc = rc ? rc : mp_buf_putc(&lit, '"');
  }
  rc = rc ? rc : mp_buf_putc(&lit, '}');
  rc = rc ? rc : mp__copy_text(b, lit.data, lit.len);
  mp_buf_release(&lit);
  return rc;
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

int mp__sink_decode(mp_sink_t *s, const mp_sink_rec_t *r, mp_match_keys_t *keys,
                    char *reason, size_t rlen) {
  mp_marc_diag_t diag;
  memset(&diag, 0, sizeof diag);
  mp_record_clear(&s->rec);
  int prc = r->content_type == MP_CT_JSON
                ? mp_marc_parse_json(r->value, r->value_len, &s->rec, &diag)
                : mp_marc_parse_iso2709(r->value, r->value_len, &s->rec, &diag);
  if (prc < 0) {
    snprintf(reason, rlen, "job %lld record %lld (partition %d offset %lld)%s%s: %s",
             (long long)r->job_id, (long long)r->seq, (int)r->partition,
             (long long)r->offset, diag.tag[0] ? ", field " : "", diag.tag,
             diag.msg[0] ? diag.msg : mp_strerror(prc));
    return prc;
  }
  mp_match_keys(&s->rec, r->value, r->value_len, keys);
  return 0;
}

int mp__sink_map(mp_sink_t *s, const mp_record_t *rec, const mp_sink_rec_t *r,
                 const char *id, mp__sink_mapped_t *m, char *reason, size_t rlen) {
  memset(m, 0, sizeof *m);
  m->fam = MP_FAMILY_NONE;
  reason[0] = '\0';
  mp_buf_t b;
  mp_buf_init(&b);
  mp_mapped_t info = {MP_FAMILY_NONE, NULL};
  int mrc = mp_buf_reserve(&b, 4096);
  if (mrc == 0)
    mrc = mp_mapping_map_text(s->mapping, rec, MP_FAMILY_NONE, id, &b,
                              &info, NULL, NULL, reason, rlen);
  m->fam = info.family;
  if (mrc == MP_ENOTBIB) {
    mp_buf_release(&b);
    m->cls = mp_err_name(mrc);
    return mrc;
  }
  if (mrc < 0) {
    mp_buf_release(&b);
    char merr[400];
    snprintf(merr, sizeof merr, "%s", reason[0] ? reason : mp_strerror(mrc));
    snprintf(reason, rlen, "job %lld record %lld (partition %d offset %lld): %s",
             (long long)r->job_id, (long long)r->seq, (int)r->partition,
             (long long)r->offset, merr);
    m->cls = mp_err_name(mrc);
    return mrc;
  }
  m->inst = b.data; /* the buffer's memory becomes the row's text */
  if (info.hrid && !(m->hrid = strdup(info.hrid))) {
    mp__sink_mapped_release(m);
    return MP_ENOMEM;
  }
  if (!jsonb_safe(m->inst, strlen(m->inst))) {
    snprintf(reason, rlen,
             "job %lld record %lld (partition %d offset %lld): mapped %s "
             "contains a NUL character or invalid UTF-8",
             (long long)r->job_id, (long long)r->seq, (int)r->partition,
             (long long)r->offset, mp_family_target(m->fam));
    mp__sink_mapped_release(m);
    m->cls = "MP_EMAPPING";
    return MP_EMAPPING;
  }
  return 0;
}

void mp__sink_mapped_release(mp__sink_mapped_t *m) {
  free(m->inst);
  free(m->hrid);
  m->inst = m->hrid = NULL;
}

int mp__sink_source_cols(mp_sink_t *s, mp_buf_t *b, const mp_sink_rec_t *r,
                         const char *primary) {
  int rc = mp__copy_str(b, primary);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, ct_name(r->content_type));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_bytea(b, r->value, r->value_len);
  rc = rc ? rc : mp__copy_sep(b);
  return rc ? rc : mp_marc_write_json_copy(&s->rec, b);
}

/* mp_marc_write_json's text is valid UTF-8 without \u0000 (escape.c
 * replaces NUL and invalid bytes), what jsonb takes. */
int mp__sink_source_cols_binary(const mp_record_t *rec, mp_buf_t *b,
                                const mp_sink_rec_t *r, const char *primary) {
  const char *ct = ct_name(r->content_type);
  size_t at;
  int rc = mp__copyb_str(b, primary);
  rc = rc ? rc : mp__copyb_bytes(b, ct, strlen(ct));
  rc = rc ? rc : mp__copyb_bytes(b, r->value, r->value_len);
  rc = rc ? rc : mp__copyb_jsonb_open(b, &at);
  rc = rc ? rc : mp_marc_write_json(rec, b);
  return rc ? rc : mp__copyb_close(b, at);
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
  mp_match_keys_t keys;
  int prc = mp__sink_decode(s, r, &keys, reason, sizeof reason);
  if (prc < 0)
    return error_row(b, ord, r, mp_err_name(prc), reason);
  mp__sink_mapped_t m;
  int mrc = mp__sink_map(s, &s->rec, r, NULL, &m, reason, sizeof reason);
  const char *outcome = NULL, *cls = NULL;
  char *keys_s = NULL;
  int rc = 0;
  if (mrc == MP_ENOTBIB) {
    outcome = "SKIPPED";
    cls = m.cls;
  } else if (mrc < 0) {
    return m.cls ? error_row(b, ord, r, m.cls, reason) : mrc;
  }
  mp_family_t fam = m.fam;
  if (fam != MP_FAMILY_BIB) /* secondary keys are the Instances' */
    keys.control[0] = '\0', keys.noclc = keys.nisbn = keys.nissn = 0;
  if (!(keys_s = keys_json(&keys))) {
    rc = MP_ENOMEM;
    goto out;
  }
  rc = row_head(b, ord, r);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (outcome ? mp__copy_str(b, outcome) : mp__copy_null(b));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__sink_source_cols(s, b, r, keys.primary);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, m.inst);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, keys_s);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, cls);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (outcome ? mp__copy_str(b, reason) : mp__copy_null(b));
  rc = rc ? rc : profile_cols(b, &prof->p);
  rc = rc ? rc : family_cols(b, &s->rec, mrc == 0 ? fam : MP_FAMILY_NONE);
  rc = rc ? rc : mp__copy_end_row(b);
out:
  if (rc) {
    b->len = mark;
    if (b->data)
      b->data[mark] = '\0';
  }
  mp__sink_mapped_release(&m);
  free(keys_s);
  return rc;
}
