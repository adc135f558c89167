/* evaluate.c: apply compiled rules to one record (mp_mapping_map).
 *
 * Walk the record's fields in order; for each field, the rules of its tag
 * index run in file order. A rule yields values (simple rule) or objects
 * (entity) that are stored by the target's kind: scalars first-wins, arrays
 * append and drop exact duplicates, the single
 * object (dates) fills members not yet set. Values are built in two
 * scratch buffers owned by the call, so mp_mapping_map is reentrant and
 * thread-safe: the mapping is only read. After the walk the Instance gets
 * "source":"MARC", the instance type fallback when no 336 gave one, and is
 * rejected without a title.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MAX_FP 32 /* fingerprints kept per object array */

typedef struct ev_s {
  const mp_mapping_t *m;
  const mp_record_t *r;
  json_t *inst;
  mp_buf_t v, tmp, fix;
  json_t *cont[MP__NTARGETS];          /* property value once set */
  uint64_t fp[MP__NTARGETS][MAX_FP];   /* content hashes of array objects,
                                          valid below the array's size */
  uint64_t used[MP__MAX_RULES / 64];   /* ignore_subsequent_fields */
} ev_t;

/* Cheap content hash of a value (length, first and last bytes), to skip
 * json_equal for objects that cannot be equal. */
static uint64_t fp_mix(uint64_t h, const char *p, size_t n) {
  uint64_t a = 0, b = 0;
  memcpy(&a, p, n < 8 ? n : 8);
  if (n > 8)
    memcpy(&b, p + n - 8, 8);
  h ^= n + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h = (h ^ a) * 0x100000001b3ull;
  return (h ^ b) * 0x100000001b3ull;
}

/* ---- JSON values (always valid UTF-8: bad bytes become U+FFFD) ---- */

static bool ascii(const char *s, size_t n) {
  return mp_utf8_ascii_prefix(s, n) == n && !memchr(s, '\0', n);
}

static json_t *jstr(ev_t *e, const char *s, size_t n) {
  if (s && ascii(s, n))
    return json_stringn_nocheck(s, n);
  json_t *j = json_stringn(s, n);
  if (j || !s)
    return j;
  mp_buf_clear(&e->fix);
  for (size_t i = 0; i < n;) {
    size_t k = mp_utf8_seq((const unsigned char *)s + i, n - i);
    if (k == 0 || (k == 1 && s[i] == '\0')) {
      if (mp_buf_append(&e->fix, "\xEF\xBF\xBD", 3))
        return NULL;
      i++;
      continue;
    }
    if (mp_buf_append(&e->fix, s + i, k))
      return NULL;
    i += k;
  }
  return json_stringn(e->fix.data, e->fix.len);
}

/* ---- storing values ---- */

static int set_prop(ev_t *e, const mp__target_t *t, json_t *val) {
  if (!val || json_object_set_new_nocheck(e->inst, t->name, val))
    return MP_ENOMEM;
  e->cont[mp__target_id(t)] = val;
  return 0;
}

static json_t *container(ev_t *e, const mp__target_t *t, bool array) {
  json_t *c = e->cont[mp__target_id(t)];
  if (!c && set_prop(e, t, array ? json_array() : json_object()) == 0)
    c = e->cont[mp__target_id(t)];
  return c;
}

static int store_simple(ev_t *e, const mp__target_t *t, json_t *val) {
  if (!val)
    return MP_ENOMEM;
  if (t->kind == MP__T_STRING || t->kind == MP__T_BOOL) {
    if (e->cont[mp__target_id(t)]) {
      json_decref(val);
      return 0;
    }
    return set_prop(e, t, val);
  }
  json_t *arr = container(e, t, true);
  if (!arr) {
    json_decref(val);
    return MP_ENOMEM;
  }
  size_t i;
  json_t *x;
  json_array_foreach(arr, i, x) if (json_equal(x, val)) {
    json_decref(val);
    return 0;
  }
  return json_array_append_new(arr, val) ? MP_ENOMEM : 0;
}

/* ---- one member's value ---- */

static int run_fns(ev_t *e, const mp_field_t *f, const mp__member_t *m,
                   mp_buf_t *v) {
  mp__fnctx_t c = {&e->m->refdata, e->r, f};
  for (size_t i = 0; i < m->nfns; i++) {
    int rc = mp__fn_apply(&c, &m->fns[i], v);
    if (rc)
      return rc;
  }
  return v->len ? 0 : MP__FN_OMIT;
}

/* Build the member's raw value into e->v (functions not yet applied unless
 * each_subfield). only: take this subfield occurrence alone. Returns 0,
 * MP__FN_OMIT (nothing) or MP_ENOMEM. *derived: the value came from data. */
static int gather(ev_t *e, const mp_field_t *f, const mp__member_t *m,
                  const mp_subfield_t *only, bool *derived) {
  mp_buf_clear(&e->v);
  *derived = false;
  if (m->never)
    return MP__FN_OMIT;
  if (m->value)
    return mp_buf_puts(&e->v, m->value);
  if (f->is_control) {
    *derived = true;
    return mp_buf_append(&e->v, f->data, f->len);
  }
  const mp_subfield_t *s = mp_field_subfields(e->r, f);
  uint32_t n = f->sf_count;
  if (only) {
    s = only;
    n = 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (!mp__codeset_has(&m->sf, s[i].code))
      continue;
    const char *p = s[i].data;
    size_t len = s[i].len;
    if (m->each_subfield) {
      mp_buf_clear(&e->tmp);
      int rc = mp_buf_append(&e->tmp, p, len);
      if (rc == 0)
        rc = run_fns(e, f, m, &e->tmp);
      if (rc == MP__FN_OMIT)
        continue;
      if (rc)
        return rc;
      p = e->tmp.data;
      len = e->tmp.len;
    }
    if (len == 0)
      continue;
    if (e->v.len) {
      uint8_t d = m->delim_of[(unsigned char)s[i].code & 127];
      if (mp_buf_puts(&e->v, d ? m->delims[d - 1] : m->delim))
        return MP_ENOMEM;
    }
    if (mp_buf_append(&e->v, p, len))
      return MP_ENOMEM;
    if (m->first_only)
      break;
  }
  *derived = e->v.len > 0;
  return e->v.len ? 0 : MP__FN_OMIT;
}

/* The member's final value in e->v. */
static int member_value(ev_t *e, const mp_field_t *f, const mp__member_t *m,
                        const mp_subfield_t *only, bool *derived) {
  int rc = gather(e, f, m, only, derived);
  if (rc == 0 && !m->each_subfield)
    rc = run_fns(e, f, m, &e->v);
  return rc;
}

/* ---- rules ---- */

static int simple_rule(ev_t *e, const mp_field_t *f, const mp__rule_t *r,
                       const mp_subfield_t *only) {
  const mp__member_t *m = &r->members[0];
  bool derived;
  if (m->bool_value >= 0)
    return store_simple(e, r->target, json_boolean(m->bool_value));
  if (!m->split_every) {
    int rc = member_value(e, f, m, only, &derived);
    if (rc)
      return rc == MP__FN_OMIT ? 0 : rc;
    return store_simple(e, r->target, jstr(e, e->v.data, e->v.len));
  }
  int rc = gather(e, f, m, only, &derived);
  if (rc)
    return rc == MP__FN_OMIT ? 0 : rc;
  for (size_t at = 0; at < e->v.len; at += (size_t)m->split_every) {
    size_t n = e->v.len - at;
    if (n > (size_t)m->split_every)
      n = (size_t)m->split_every;
    mp_buf_clear(&e->tmp);
    if (mp_buf_append(&e->tmp, e->v.data + at, n))
      return MP_ENOMEM;
    rc = m->each_subfield ? (e->tmp.len ? 0 : MP__FN_OMIT)
                          : run_fns(e, f, m, &e->tmp);
    if (rc == MP__FN_OMIT)
      continue;
    if (rc || (rc = store_simple(e, r->target,
                                 jstr(e, e->tmp.data, e->tmp.len))))
      return rc;
  }
  return 0;
}

/* Append obj to the property's array unless an equal object is there. */
static int append_object(ev_t *e, const mp__target_t *t, json_t *obj,
                         uint64_t fp) {
  json_t *arr = container(e, t, true);
  if (!arr)
    return MP_ENOMEM;
  size_t id = mp__target_id(t), n = json_array_size(arr);
  for (size_t k = 0; k < n; k++) {
    bool maybe = k >= MAX_FP || e->fp[id][k] == fp;
    if (maybe && json_equal(json_array_get(arr, k), obj))
      return 0; /* 490 = 830 */
  }
  if (n < MAX_FP)
    e->fp[id][n] = fp;
  return json_array_append(arr, obj) ? MP_ENOMEM : 0;
}

static int entity_rule(ev_t *e, const mp_field_t *f, const mp__rule_t *r,
                       const mp_subfield_t *only) {
  json_t *obj = json_object();
  bool any = false;
  uint64_t have = 0, fp = 0xcbf29ce484222325ull;
  int rc = 0;
  if (!obj)
    return MP_ENOMEM;
  for (size_t i = 0; i < r->nmembers; i++) {
    const mp__member_t *m = &r->members[i];
    json_t *val;
    bool derived;
    if (have & m->same_before)
      continue; /* an earlier member gave it: first wins */
    if (m->bool_value >= 0) {
      val = json_boolean(m->bool_value);
      fp = fp_mix(fp, m->bool_value ? "T" : "F", 1);
    } else {
      const mp_subfield_t *o =
          only && m->has_sf && mp__codeset_has(&m->sf, only->code) ? only
                                                                   : NULL;
      rc = member_value(e, f, m, o, &derived);
      if (rc == MP__FN_OMIT)
        continue;
      if (rc)
        goto out;
      any |= derived;
      val = jstr(e, e->v.data, e->v.len);
      fp = fp_mix(fp, e->v.data, e->v.len);
    }
    fp = fp_mix(fp, m->member, m->member_len);
    if (!val ||
        json_object_setn_new_nocheck(obj, m->member, m->member_len, val)) {
      rc = MP_ENOMEM;
      goto out;
    }
    have |= 1ull << i;
  }
  rc = 0;
  if (!any)
    goto out;
  for (int k = 0; k < 3 && r->required[k]; k++)
    if (!(have & r->required[k]))
      goto out;
  if (r->target->kind == MP__T_OBJECTS) {
    rc = append_object(e, r->target, obj, fp);
    goto out;
  }
  json_t *single = container(e, r->target, false);
  if (!single || json_object_update_missing(single, obj))
    rc = MP_ENOMEM;
out:
  json_decref(obj);
  return rc;
}

static bool ind_ok(const uint64_t ok[4], char ind) {
  unsigned u = (unsigned char)ind;
  return (ok[u >> 6] >> (u & 63)) & 1;
}

static bool has_code(const mp_record_t *r, const mp_field_t *f,
                     const mp__codeset_t *set) {
  const mp_subfield_t *s = mp_field_subfields(r, f);
  for (uint32_t i = 0; i < f->sf_count; i++)
    if (mp__codeset_has(set, s[i].code))
      return true;
  return false;
}

static bool linked_ok(const mp_record_t *rec, const mp_field_t *f,
                      const mp__rule_t *r) {
  const mp_subfield_t *s6 = mp_field_subfield(rec, f, '6');
  if (!s6 || s6->len < 3)
    return false;
  for (size_t i = 0; i < r->nlinked; i++)
    if (memcmp(s6->data, r->linked[i], 3) == 0)
      return true;
  return false;
}

static int apply_rule(ev_t *e, const mp_field_t *f, const mp__rule_t *r,
                      size_t ri) {
  if (r->ignore_subsequent && (e->used[ri >> 6] >> (ri & 63)) & 1)
    return 0;
  if (!f->is_control) {
    if (!ind_ok(r->ind_ok[0], f->ind1) || !ind_ok(r->ind_ok[1], f->ind2))
      return 0;
    if (r->has_required && !has_code(e->r, f, &r->required_sf))
      return 0;
    if (r->nlinked && !linked_ok(e->r, f, r))
      return 0;
  }
  e->used[ri >> 6] |= 1ull << (ri & 63);
  int (*one)(ev_t *, const mp_field_t *, const mp__rule_t *,
             const mp_subfield_t *) = r->entity ||
                                              r->members[0].member
                                          ? entity_rule
                                          : simple_rule;
  if (!r->has_repeat || f->is_control)
    return one(e, f, r, NULL);
  const mp_subfield_t *s = mp_field_subfields(e->r, f);
  for (uint32_t i = 0; i < f->sf_count; i++) {
    if (!mp__codeset_has(&r->repeat, s[i].code))
      continue;
    int rc = one(e, f, r, &s[i]);
    if (rc)
      return rc;
  }
  return 0;
}

static int apply_field(ev_t *e, const mp_field_t *f, int ti) {
  const mp__ruleset_t *rs = &e->m->rules;
  for (uint32_t k = 0; k < rs->count[ti]; k++) {
    size_t ri = rs->first[ti] + k;
    int rc = apply_rule(e, f, &rs->rules[ri], ri);
    if (rc)
      return rc;
  }
  return 0;
}

static bool is_bib(char type) {
  return type && strchr("acdefgijkmoprt", type) != NULL;
}

static int finish(ev_t *e, char *errbuf, size_t errlen) {
  if (!json_object_get(e->inst, "title")) {
    const mp_field_t *t245 = mp_record_field(e->r, "245");
    snprintf(errbuf, errlen, "no title: %s",
             t245 ? "245 has no title subfields" : "the record has no 245");
    return MP_EMAPPING;
  }
  if (!json_object_get(e->inst, "instanceTypeId")) {
    const mp__reftable_t *t =
        e->m->instance_types >= 0
            ? &e->m->refdata.tables[e->m->instance_types]
            : NULL;
    if (!t || t->fallback < 0) {
      snprintf(errbuf, errlen,
               "no instance type and reference table instanceTypes has no "
               "fallback");
      return MP_EMAPPING;
    }
    if (json_object_set_new(e->inst, "instanceTypeId",
                            json_string(t->rows[t->fallback].id)))
      return MP_ENOMEM;
  }
  return 0;
}

int mp_mapping_map(const mp_mapping_t *m, const mp_record_t *r,
                   json_t **instance, char *errbuf, size_t errlen) {
  ev_t e;
  int rc = 0;
  *instance = NULL;
  if (errlen)
    errbuf[0] = '\0';
  if (!is_bib(r->leader[6])) {
    snprintf(errbuf, errlen, "not a bibliographic record (leader/06 '%c')",
             r->leader[6] ? r->leader[6] : ' ');
    return MP_ENOTBIB;
  }
  memset(&e, 0, offsetof(ev_t, fp)); /* fp: written before being read */
  memset(e.used, 0, sizeof e.used[0] * ((m->rules.nrules + 63) / 64));
  e.m = m;
  e.r = r;
  e.inst = json_object();
  if (!e.inst || json_object_set_new(e.inst, "source", json_string("MARC"))) {
    rc = MP_ENOMEM;
    goto out;
  }
  if (m->rules.count[MP__TAG_LDR]) {
    mp_field_t ldr = {.tag = "LDR", .is_control = true, .data = r->leader,
                      .len = 24};
    if ((rc = apply_field(&e, &ldr, MP__TAG_LDR)))
      goto out;
  }
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    int ti = mp__tag_index(f->tag);
    if (ti < 0 || ti == MP__TAG_LDR || m->rules.count[ti] == 0)
      continue;
    if ((rc = apply_field(&e, f, ti)))
      goto out;
  }
  rc = finish(&e, errbuf, errlen);
out:
  mp_buf_release(&e.v);
  mp_buf_release(&e.tmp);
  mp_buf_release(&e.fix);
  if (rc == MP_ENOMEM)
    snprintf(errbuf, errlen, "out of memory");
  if (rc) {
    json_decref(e.inst);
    return rc;
  }
  *instance = e.inst;
  return 0;
}
