/* evaluate.c: apply compiled FOLIO rules to one record.
 *
 * The walk is FOLIO's mapper's: the leader's rules ("LDR") and the control
 * fields' rules first, then the data fields in record order. For a data
 * field: a 880 first becomes the field its $6 names (fieldReplacementRule);
 * the tag's mappings are filtered by indicators (a mapping with
 * "indicators" needs them to match; one without is skipped when another
 * mapping's indicators match, with FOLIO's precedence); each mapping's
 * members gather their subfields (per subfield or, with
 * applyRulesOnConcatenatedData, on the joined text; subFieldDelimiter
 * groups joined by the group separator; subFieldSplit expanding the
 * field's subfields), run their rules, and store the value by the target's
 * kind. Objects follow FOLIO's "remember" logic: a mapping's first value
 * creates an object, later members fill it; entityPerRepeatedSubfield keeps
 * one object per subfield position. Every value passes FOLIO's escaper
 * ('|' -> ' ', a final backslash dropped, lone backslashes doubled).
 * After the walk, FOLIO's per-family post-processing runs.
 *
 * The record is built as a value tree (value.c) in the thread's arena,
 * with jansson's operations and order (a key set again keeps its place),
 * then written as JSON text; mp_mapping_map_record parses that text for
 * callers that want a jansson tree. A string is stored as valid UTF-8
 * (jansson's rule: kept as it is when valid, NULs included; else invalid
 * bytes and NULs become U+FFFD).
 *
 * All state is in an ev_t of the calling thread (reused from record to
 * record): mapping is reentrant and the mp_mapping_t is only read. A trace
 * callback must not map another record on the same thread.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 16
#define MAX_SF 512

typedef struct slot_s { /* FOLIO's rememberComplexObj */
  int prop;             /* -1: nothing remembered */
  mp__val_t *obj;       /* NULL with prop -2: the record itself */
} slot_t;

typedef struct ev_s {
  const mp_mapping_t *m;
  const mp__ruleset_t *rs;
  const mp_record_t *r;
  mp__vt_t vt;           /* the record's tree lives here */
  mp__val_t *out;
  mp__val_t *props[MP__MAX_PROPS];
  mp__fnctx_t fc;
  bool create_new;
  bool keep_backslash;
  const char *separator; /* NULL until a group with no subfields sets it */
  mp__codeset_t ignored_sf;
  uint64_t ignored_tags[16]; /* ignoreSubsequentFields, by tag index */
  mp__sf_t sf[MAX_SF];
  size_t nsf;
  mp_buf_t groups[MAX_GROUPS];
  const char *group_delim[MAX_GROUPS];
  size_t ngroups;
  mp_buf_t ab[2], tmp, esc, data, fix;
  char tag[4];
  size_t map_index;
  int member_index;
  mp_mapping_trace_fn trace;
  void *trace_ud;
  char *err;
  size_t errlen;
} ev_t;

/* ---- per-thread state ----
 * The evaluation state and its buffers are kept per thread and reused
 * from record to record (allocating them per record was a tenth of the
 * mapping time); a thread's state is freed when the thread ends. */

static pthread_key_t ev_key;
static pthread_once_t ev_once = PTHREAD_ONCE_INIT;

static void ev_free(void *p) {
  ev_t *e = p;
  if (!e)
    return;
  for (size_t g = 0; g < MAX_GROUPS; g++)
    mp_buf_release(&e->groups[g]);
  mp_buf_release(&e->ab[0]);
  mp_buf_release(&e->ab[1]);
  mp_buf_release(&e->tmp);
  mp_buf_release(&e->esc);
  mp_buf_release(&e->data);
  mp_buf_release(&e->fix);
  mp__vt_release(&e->vt);
  free(e);
}

static void ev_key_init(void) { (void)pthread_key_create(&ev_key, ev_free); }

static ev_t *ev_get(void) {
  (void)pthread_once(&ev_once, ev_key_init);
  ev_t *e = pthread_getspecific(ev_key);
  if (!e && (e = calloc(1, sizeof *e))) {
    mp__vt_init(&e->vt);
    if (pthread_setspecific(ev_key, e)) {
      free(e);
      e = NULL;
    }
  }
  return e;
}

/* Everything but the buffers back to zero. */
static void ev_reset(ev_t *e) {
  e->m = NULL;
  e->rs = NULL;
  e->r = NULL;
  e->out = NULL;
  mp__vt_reset(&e->vt);
  memset(e->props, 0, sizeof e->props);
  memset(&e->fc, 0, sizeof e->fc);
  e->create_new = e->keep_backslash = false;
  e->separator = NULL;
  memset(&e->ignored_sf, 0, sizeof e->ignored_sf);
  memset(e->ignored_tags, 0, sizeof e->ignored_tags);
  e->nsf = e->ngroups = 0;
}

/* ---- values (valid UTF-8: bad bytes become U+FFFD) ---- */

/* A string value of s[0..n): as it is when it is valid UTF-8 (a NUL
 * included, as jansson kept it), else with every invalid byte and every
 * NUL replaced by U+FFFD. */
static mp__val_t *jstr(ev_t *e, const char *s, size_t n) {
  if (mp_utf8_ascii_prefix(s, n) == n || mp_utf8_valid_prefix(s, n, NULL) == n)
    return mp__v_str(&e->vt, s, n);
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
  return mp__v_str(&e->vt, e->fix.data ? e->fix.data : "", e->fix.len);
}

/* A string value of the C string s. */
static mp__val_t *cstr(ev_t *e, const char *s) {
  return mp__v_str(&e->vt, s, strlen(s));
}

static bool jtrue(const char *s, size_t n) {
  return n == 4 && (s[0] | 32) == 't' && (s[1] | 32) == 'r' &&
         (s[2] | 32) == 'u' && (s[3] | 32) == 'e';
}

/* ---- the escaper ---- */

static int escape(ev_t *e, const char *v, size_t n, mp_buf_t *out) {
  mp_buf_clear(out);
  if (!e->keep_backslash && n && v[n - 1] == '\\')
    n--;
  if (mp_buf_reserve(out, n + n / 8 + 1))
    return MP_ENOMEM;
  if (!memchr(v, '|', n) && !memchr(v, '\\', n)) { /* nearly always */
    memcpy(out->data, v, n);
    out->len = n;
    out->data[n] = '\0';
    return 0;
  }
  bool slash = false, even = false;
  for (size_t j = 0; j < n; j++) {
    char t = v[j] == '|' ? ' ' : v[j];
    if (slash && !even && t != '\\') {
      if (mp_buf_putc(out, '\\'))
        return MP_ENOMEM;
      slash = false;
    } else if (t == '\\') {
      even = slash ? !even : false;
      slash = true;
    } else {
      slash = even = false;
    }
    if (mp_buf_putc(out, t))
      return MP_ENOMEM;
  }
  out->data[out->len] = '\0';
  return 0;
}

/* ---- rules and conditions ---- */

static int set_buf(mp_buf_t *b, const char *s, size_t n) {
  mp_buf_clear(b);
  if (mp_buf_append(b, s, n))
    return MP_ENOMEM;
  return b->data ? 0 : mp_buf_reserve(b, 1);
}

/* The value being worked on: a view of the input, the leader, a rule's
 * constant, or one of two buffers that results alternate between. */
typedef struct val_s {
  const char *p;
  size_t n;
  int buf; /* 0/1: e->ab[buf] holds it; -1: a view */
} val_t;

/* Run call on *v, the result becoming *v. */
static int call_fn(ev_t *e, const mp__fncall_t *call, val_t *v) {
  int dst = v->buf == 0 ? 1 : 0;
  mp_buf_t *out = &e->ab[dst];
  int rc = mp__fn_run(&e->fc, call, v->p, v->n, out);
  if (rc == MP_EMAPPING) /* FOLIO: a failing function returns the value */
    return 0;
  if (rc)
    return rc;
  *v = (val_t){out->data, out->len, dst};
  return 0;
}

/* One condition: *met is the running "all conditions hold"; orig is the
 * value before the rules. With a rule constant, function results are not
 * kept (FOLIO's processFunction), only compared. */
static int condition(ev_t *e, const mp__cond_t *c, const char *const_val,
                     val_t orig, val_t *cur, bool *met) {
  int rc;
  if (c->ldr)
    *cur = (val_t){e->r->leader, 24, -1};
  if (const_val && cur->buf >= 0) { /* results alternate in e->ab: keep it */
    if ((rc = set_buf(&e->tmp, cur->p, cur->n)))
      return rc;
    *cur = (val_t){e->tmp.data, e->tmp.len, -1};
  }
  for (size_t i = 0; i < c->ncalls; i++) {
    val_t res = *cur;
    if ((rc = call_fn(e, &c->calls[i], &res)))
      return rc;
    if (c->value && !(res.n == strlen(c->value) &&
                      memcmp(res.p, c->value, res.n) == 0)) {
      *met = false;
      break;
    }
    if (!const_val)
      *cur = res;
  }
  if (!*met)
    *cur = orig;
  return 0;
}

/* FOLIO's processRules: the value (v, n) through f's rules, escaped, into
 * e->esc. v must not point into e->ab or e->esc. */
static int run_rules(ev_t *e, const mp__frule_t *f, const char *v, size_t n) {
  int rc;
  if (!f->has_rules)
    return escape(e, v, n, &e->esc);
  val_t orig = {v, n, -1}, cur = orig;
  for (size_t i = 0; i < f->nrules; i++) {
    const mp__rule_t *r = &f->rules[i];
    bool met = true;
    for (size_t k = 0; k < r->nconds; k++)
      if ((rc = condition(e, &r->conds[k], r->value, orig, &cur, &met)))
        return rc;
    if (met && r->value) {
      cur = (val_t){r->value, strlen(r->value), -1};
      break;
    }
  }
  return escape(e, cur.p ? cur.p : "", cur.n, &e->esc);
}

/* ---- storing (FOLIO's buildObject) ---- */

static mp__val_t *prop_container(ev_t *e, int p, bool array) {
  if (!e->props[p]) {
    mp__val_t *c = array ? mp__v_arr(&e->vt) : mp__v_obj(&e->vt);
    if (mp__v_set(&e->vt, e->out, e->rs->shape->props[p].name, c))
      return NULL;
    e->props[p] = c;
  }
  return e->props[p];
}

static int set_scalar(ev_t *e, int p, mp__val_t *val) {
  if (mp__v_set(&e->vt, e->out, e->rs->shape->props[p].name, val))
    return MP_ENOMEM;
  e->props[p] = val;
  return 0;
}

static void trace(ev_t *e, const mp__frule_t *f, const char *v) {
  if (e->trace)
    e->trace(e->trace_ud, e->tag, (int)e->map_index, e->member_index,
             f->target, v);
}

/* Store v by f's target. Returns 1 when stored (FOLIO: true), 0 when the
 * target could not take it, or a negative error. */
static int build(ev_t *e, const mp__frule_t *f, const char *v, size_t n,
                 bool newcomp, slot_t *slot) {
  const mp__prop_t *p = &e->rs->shape->props[f->prop];
  mp__val_t *c, *obj = NULL, *val;
  switch (p->kind) {
  case MP__K_STRING:
    if (set_scalar(e, f->prop, jstr(e, v, n)))
      return MP_ENOMEM;
    break;
  case MP__K_BOOL:
    if (set_scalar(e, f->prop, mp__v_bool(jtrue(v, n))))
      return MP_ENOMEM;
    break;
  case MP__K_STRINGS:
  case MP__K_STRSET:
    if (!(c = prop_container(e, f->prop, true)) || !(val = jstr(e, v, n)))
      return MP_ENOMEM;
    if (p->kind == MP__K_STRSET)
      for (size_t i = 0; i < c->n && val; i++)
        if (mp__v_equal(c->items[i], val))
          val = NULL; /* stays in the arena until the next record */
    if (val && mp__v_push(&e->vt, c, val))
      return MP_ENOMEM;
    break;
  case MP__K_OBJECTS:
    if (newcomp) {
      if (!(c = prop_container(e, f->prop, true)) ||
          mp__v_push(&e->vt, c, obj = mp__v_obj(&e->vt)))
        return MP_ENOMEM;
      slot->prop = f->prop;
      slot->obj = obj;
    } else if (slot->obj && slot->prop == f->prop) {
      obj = slot->obj;
    } else {
      /* FOLIO continues on the record itself: the member is set there if
       * the record has a text property of that name, else nothing. */
      slot->prop = -2;
      slot->obj = NULL;
      const char *mn = p->members[f->member].name;
      int top = mp__shape_prop(e->rs->shape, mn, strlen(mn));
      if (top < 0 || e->rs->shape->props[top].kind != MP__K_STRING)
        return 0;
      if (set_scalar(e, top, jstr(e, v, n)))
        return MP_ENOMEM;
      trace(e, f, v);
      return 1;
    }
    goto member;
  case MP__K_OBJECT:
    if (!(obj = e->props[f->prop]))
      return 0; /* FOLIO: the nested object does not exist yet */
  member:
    val = p->members[f->member].boolean ? mp__v_bool(jtrue(v, n))
                                        : jstr(e, v, n);
    if (mp__v_set(&e->vt, obj, p->members[f->member].name, val))
      return MP_ENOMEM;
    break;
  }
  trace(e, f, v);
  return 1;
}

/* createSingleObject: the nested object is made when absent. */
static int build_single(ev_t *e, const mp__frule_t *f, const char *v,
                        size_t n) {
  mp__val_t *o = prop_container(e, f->prop, false);
  const char *mn = e->rs->shape->props[f->prop].members[f->member].name;
  if (!o || mp__v_set(&e->vt, o, mn, jstr(e, v, n)))
    return MP_ENOMEM;
  trace(e, f, v);
  return 0;
}

/* ---- control fields ---- */

static int control_field(ev_t *e, int ti, const char *data, size_t len) {
  const mp__tagrules_t *tr = &e->rs->tags[ti];
  slot_t slot = {-1, NULL};
  e->create_new = true;
  e->fc.data_field = false;
  e->fc.nsf = 0;
  e->keep_backslash = false;
  for (size_t i = 0; i < tr->nmaps; i++) {
    const mp__frule_t *f = &tr->maps[i].items[0];
    e->map_index = i;
    e->member_index = -1;
    int rc = run_rules(e, f, data, len);
    if (rc)
      return rc;
    if (e->esc.len == 0)
      continue;
    if (f->prop < 0)
      continue;
    if (f->create_single) {
      if ((rc = build_single(e, f, e->esc.data, e->esc.len)))
        return rc;
    } else if ((rc = build(e, f, e->esc.data, e->esc.len, e->create_new,
                           &slot)) < 0) {
      return rc;
    }
    e->create_new = false;
  }
  return 0;
}

/* ---- data fields ---- */

static bool handled(const mp__frule_t *f, char code) {
  return f->sf_all || mp__codeset_has(&f->sf, code);
}

static bool has_code(ev_t *e, const mp__codeset_t *s, bool all) {
  for (unsigned u = 0; u < 128; u++) {
    if (!((s->bits[u >> 6] >> (u & 63)) & 1))
      continue;
    bool found = false;
    for (size_t i = 0; i < e->nsf && !found; i++)
      found = (unsigned char)e->sf[i].code == u;
    if (all && !found)
      return false;
    if (!all && found)
      return true;
  }
  return all;
}

static int split_subfields(ev_t *e, int every) {
  mp__sf_t in[MAX_SF];
  size_t n = e->nsf;
  memcpy(in, e->sf, n * sizeof *in);
  e->nsf = 0;
  for (size_t i = 0; i < n; i++) {
    const char *d = in[i].data;
    size_t len = in[i].len, at = 0;
    if (len == 0 && e->nsf < MAX_SF) /* an empty subfield stays one piece */
      e->sf[e->nsf++] = in[i];
    while (at < len) {
      size_t end = at, k = 0;
      while (end < len && k < (size_t)every) {
        end++;
        while (end < len && ((unsigned char)d[end] & 0xC0) == 0x80)
          end++;
        k++;
      }
      if (e->nsf == MAX_SF)
        return 0;
      e->sf[e->nsf++] = (mp__sf_t){in[i].code, d + at, end - at};
      at = end;
    }
  }
  e->fc.nsf = e->nsf;
  return 0;
}

/* FOLIO's generateDataString: non-empty groups joined by the separator. */
static int joined(ev_t *e) {
  mp_buf_clear(&e->data);
  for (size_t g = 0; g < e->ngroups; g++) {
    if (!e->groups[g].len)
      continue;
    if (e->data.len &&
        mp_buf_puts(&e->data, e->separator ? e->separator : "null"))
      return MP_ENOMEM;
    if (mp_buf_append(&e->data, e->groups[g].data, e->groups[g].len))
      return MP_ENOMEM;
  }
  return e->data.data ? 0 : mp_buf_reserve(&e->data, 1);
}

typedef struct fctx_s {
  bool entity, per_repeated;
  slot_t *field_slot;
  slot_t holders[MAX_SF];
  bool held[MAX_SF];
} fctx_t;

static int create_object(ev_t *e, const mp__frule_t *f, slot_t *slot) {
  if (!e->data.len)
    return 0;
  return build(e, f, e->data.data, e->data.len, e->create_new, slot);
}

static int subfield(ev_t *e, const mp__frule_t *f, size_t i, fctx_t *x) {
  const mp__sf_t *s = &e->sf[i];
  const char *v = s->data;
  size_t n = s->len;
  int rc;
  if (!f->apply_post) {
    if ((rc = run_rules(e, f, v, n)))
      return rc;
    v = e->esc.data;
    n = e->esc.len;
  }
  mp_buf_t *b = NULL;
  const char *delim = " ";
  if (f->has_delims)
    for (size_t g = 0; g < f->ndelims; g++)
      if (mp__codeset_has(&f->delims[g].codes, s->code)) {
        b = &e->groups[g];
        delim = f->delims[g].value;
      }
  if (!b) {
    b = &e->groups[0];
    delim = " ";
    if (x->per_repeated)
      mp_buf_clear(b);
  }
  if (b->len && mp_buf_puts(b, delim))
    return MP_ENOMEM;
  if (mp_buf_append(b, v, n))
    return MP_ENOMEM;
  if (x->per_repeated && x->entity) {
    if (!x->held[i]) {
      x->held[i] = true;
      x->holders[i] = (slot_t){-1, NULL};
    }
    e->create_new = x->holders[i].obj == NULL && x->holders[i].prop != -2;
    if ((rc = joined(e)) || (rc = create_object(e, f, &x->holders[i])) < 0)
      return rc;
  }
  return 0;
}

static int field_rule(ev_t *e, const mp__frule_t *f, fctx_t *x) {
  int rc;
  e->ngroups = f->has_delims ? f->ndelims : 1;
  if (e->ngroups > MAX_GROUPS)
    e->ngroups = MAX_GROUPS;
  if (e->ngroups == 0)
    e->ngroups = 1; /* FOLIO would fail on an empty list; one group */
  for (size_t g = 0; g < e->ngroups; g++)
    mp_buf_clear(&e->groups[g]);
  for (size_t g = 0; f->has_delims && g < f->ndelims; g++)
    if (f->delims[g].empty)
      e->separator = f->delims[g].value;
  if (f->prop < 0)
    return 0;
  if (f->split_every && (rc = split_subfields(e, f->split_every)))
    return rc;
  bool any = false;
  for (size_t i = 0; i < e->nsf && !any; i++)
    any = handled(f, e->sf[i].code);
  if (!any)
    return 0;
  for (size_t i = 0; i < e->nsf; i++) {
    char code = e->sf[i].code;
    if (!handled(f, code))
      continue;
    if (f->ignore_subsequent_sf) {
      if (mp__codeset_has(&e->ignored_sf, code))
        continue;
      unsigned u = (unsigned char)code;
      if (u < 128)
        e->ignored_sf.bits[u >> 6] |= 1ull << (u & 63);
    }
    if ((rc = subfield(e, f, i, x)))
      return rc;
  }
  if (x->per_repeated && x->entity)
    return 0;
  if ((rc = joined(e)))
    return rc;
  if (f->apply_post) {
    if ((rc = run_rules(e, f, e->data.data, e->data.len)) ||
        (rc = set_buf(&e->data, e->esc.data, e->esc.len)))
      return rc;
  }
  bool empty = e->data.len == 0;
  if ((rc = create_object(e, f, x->field_slot)) < 0)
    return rc;
  if (rc == 1)
    e->create_new = false;
  if (empty && f->alt) {
    memset(&e->ignored_sf, 0, sizeof e->ignored_sf);
    return field_rule(e, f->alt, x);
  }
  return 0;
}

static int mapping(ev_t *e, const mp__fmap_t *m, slot_t *field_slot) {
  fctx_t x;
  x.entity = m->entity;
  x.per_repeated = m->per_repeated;
  x.field_slot = field_slot;
  memset(x.held, 0, sizeof x.held);
  e->keep_backslash = m->keep_backslash;
  int rc = 0;
  for (size_t i = 0; i < m->nitems; i++) {
    const mp__frule_t *f = &m->items[i];
    e->member_index = m->entity ? (int)i : -1;
    if ((f->has_required && !has_code(e, &f->required, true)) ||
        (f->has_exclusive && has_code(e, &f->exclusive, false)))
      break;
    if ((rc = field_rule(e, f, &x)))
      break;
  }
  if (rc == 0 && m->entity)
    e->create_new = true;
  memset(&e->ignored_sf, 0, sizeof e->ignored_sf);
  return rc;
}

static bool ind_eq(const char *want, char ind) {
  return want && want[0] == ind && !want[1];
}
static bool ind_star(const char *want) { return want && strcmp(want, "*") == 0; }

/* A mapping without indicators is skipped when some mapping's indicators
 * match, read as FOLIO reads them: ind1 equal, OR (ind1 "*" AND ind2 equal
 * or "*"). */
static bool other_matches(const mp__tagrules_t *tr, char i1, char i2) {
  for (size_t k = 0; k < tr->nmaps; k++) {
    const mp__fmap_t *o = &tr->maps[k];
    if (!o->has_ind)
      continue;
    if (ind_eq(o->ind1, i1) ||
        (ind_star(o->ind1) && (ind_eq(o->ind2, i2) || ind_star(o->ind2))))
      return true;
  }
  return false;
}

/* The tag a 880 stands for, by the rule's fieldReplacementBy3Digits. */
static int replace_tag(ev_t *e, const mp__tagrules_t *tr) {
  for (size_t k = 0; k < tr->nmaps; k++) {
    const mp__fmap_t *m = &tr->maps[k];
    if (!m->repl3)
      continue;
    for (unsigned u = 0; u < 128; u++) {
      if (!((m->repl_sf.bits[u >> 6] >> (u & 63)) & 1))
        continue;
      const mp__sf_t *s = NULL;
      for (size_t i = 0; i < e->nsf && !s; i++)
        if ((unsigned char)e->sf[i].code == u)
          s = &e->sf[i];
      if (!s || s->len < 3) {
        snprintf(e->err, e->errlen,
                 "field %s: no $%c naming the linked field (FOLIO's mapper "
                 "makes no record then)",
                 e->tag, (char)u);
        return MP_EMAPPING;
      }
      char d[4] = {s->data[0], s->data[1], s->data[2], '\0'};
      memcpy(e->tag, d, 4);
      for (size_t r = 0; r < m->nrepl; r++)
        if (memcmp(m->repl[r].source, d, 3) == 0)
          memcpy(e->tag, m->repl[r].target, 4);
    }
  }
  return 0;
}

static int data_field(ev_t *e, const mp_field_t *fld, int ti) {
  const mp_subfield_t *s = mp_field_subfields(e->r, fld);
  e->nsf = 0;
  for (uint32_t i = 0; i < fld->sf_count && e->nsf < MAX_SF; i++)
    e->sf[e->nsf++] = (mp__sf_t){s[i].code, s[i].data, s[i].len};
  e->fc.data_field = true;
  e->fc.ind1 = fld->ind1;
  e->fc.ind2 = fld->ind2;
  e->fc.sf = e->sf;
  e->fc.nsf = e->nsf;
  memcpy(e->tag, fld->tag, 3);
  e->tag[3] = '\0';
  int rc;
  if (e->rs->tags[ti].any_repl) {
    if ((rc = replace_tag(e, &e->rs->tags[ti])))
      return rc;
    ti = mp__tag_index(e->tag);
    if (ti < 0 || ti == MP__TAG_LDR)
      return 0;
  }
  const mp__tagrules_t *tr = &e->rs->tags[ti];
  slot_t slot = {-1, NULL};
  e->create_new = true;
  for (size_t i = 0; i < tr->nmaps; i++) {
    const mp__fmap_t *m = &tr->maps[i];
    e->map_index = i;
    if (tr->any_ind) {
      if (m->has_ind) {
        if (!(ind_eq(m->ind1, fld->ind1) || ind_star(m->ind1)) ||
            !(ind_eq(m->ind2, fld->ind2) || ind_star(m->ind2)))
          continue;
      } else if (other_matches(tr, fld->ind1, fld->ind2)) {
        continue;
      }
    }
    if (m->ignore_subsequent_fields) {
      uint64_t bit = 1ull << (ti & 63);
      if (e->ignored_tags[ti >> 6] & bit)
        continue;
      e->ignored_tags[ti >> 6] |= bit;
    }
    if ((rc = mapping(e, m, &slot)))
      return rc;
  }
  return 0;
}

/* ---- FOLIO's post-processing ---- */

static bool is_uuid_at(const char *s) {
  for (int i = 0; i < 36; i++) {
    char ch = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? ch != '-'
             : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
      return false;
  }
  return true;
}

/* "uuid uuid ..." (two or more, single spaces). */
static size_t uuid_run(const char *s) {
  size_t n = strlen(s), k = 0, at = 0;
  while (at + 36 <= n && is_uuid_at(s + at)) {
    k++;
    at += 36;
    if (at == n)
      return k >= 2 ? k : 0;
    if (s[at] != ' ')
      return 0;
    at++;
  }
  return 0;
}

static char **split_spaces(const char *s, size_t *n) {
  size_t cap = 1;
  for (const char *p = s; *p; p++)
    cap += *p == ' ';
  char **v = calloc(cap, sizeof *v);
  char *copy = strdup(s);
  if (!v || !copy) {
    free(v);
    free(copy);
    return NULL;
  }
  *n = 0;
  char *p = copy;
  for (;;) { /* Java split(" "): empty pieces kept, trailing ones dropped */
    char *sp = strchr(p, ' ');
    if (sp)
      *sp = '\0';
    v[(*n)++] = p;
    if (!sp)
      break;
    p = sp + 1;
  }
  while (*n > 1 && !v[*n - 1][0])
    (*n)--;
  return v;
}

/* Identifiers / classifications whose type is several ids joined by spaces
 * (a type member over repeated subfields) are split, one per id. Texts are
 * read as C strings (up to a NUL), as they were read from jansson. */
static int fix_uuids(ev_t *e, const char *prop, const char *tkey,
                     const char *vkey) {
  mp__vt_t *vt = &e->vt;
  mp__val_t *arr = mp__v_get(e->out, prop);
  size_t n0 = mp__v_size(arr);
  for (size_t i = 0; i < n0; i++) {
    mp__val_t *o = mp__v_at(arr, i);
    const char *t = mp__v_cstr(mp__v_get(o, tkey));
    const char *v = mp__v_cstr(mp__v_get(o, vkey));
    if (!t || !uuid_run(t))
      continue;
    size_t nu, nv = 0;
    char **u = split_spaces(t, &nu);
    char **vs = v ? split_spaces(v, &nv) : NULL;
    int rc = !u || (v && !vs) ? MP_ENOMEM : 0;
    for (size_t k = 1; k < nu && !rc; k++) {
      if (nv <= k)
        continue;
      mp__val_t *no = mp__v_obj(vt);
      mp_buf_clear(&e->tmp);
      for (size_t x = k; x < (k == nu - 1 ? nv : k + 1) && !rc; x++)
        if ((x > k && mp_buf_putc(&e->tmp, ' ')) || mp_buf_puts(&e->tmp, vs[x]))
          rc = MP_ENOMEM;
      rc = rc ? rc : mp__v_set(vt, no, tkey, cstr(e, u[k]));
      rc = rc ? rc
              : mp__v_set(vt, no, vkey,
                          mp__v_str(vt, e->tmp.data ? e->tmp.data : "", e->tmp.len));
      rc = rc ? rc : mp__v_push(vt, arr, no);
    }
    if (!rc && nu > 1 && nv > 1) {
      rc = mp__v_set(vt, o, tkey, cstr(e, u[0]));
      rc = rc ? rc : mp__v_set(vt, o, vkey, cstr(e, vs[0]));
    }
    if (u)
      free(u[0]);
    free(u);
    if (vs)
      free(vs[0]);
    free(vs);
    if (rc)
      return rc;
  }
  return 0;
}

static void drop_without(mp__val_t *out, const char *prop, const char *member) {
  mp__val_t *arr = mp__v_get(out, prop);
  for (size_t i = mp__v_size(arr); i-- > 0;) {
    const char *v = mp__v_cstr(mp__v_get(mp__v_at(arr, i), member));
    if (!v || !v[0])
      mp__v_remove(arr, i);
  }
}

static void distinct(mp__val_t *out, const char *prop) {
  mp__val_t *arr = mp__v_get(out, prop);
  for (size_t i = 0; i < mp__v_size(arr); i++)
    for (size_t k = mp__v_size(arr); k-- > i + 1;)
      if (mp__v_equal(mp__v_at(arr, i), mp__v_at(arr, k)))
        mp__v_remove(arr, k);
}

/* precedingTitles/succeedingTitles: isbnId/isbnValue and issnId/issnValue
 * become identifiers [{identifierTypeId, value}]. */
static int move_related_ids(ev_t *e, const char *prop) {
  static const char *const pairs[2][2] = {{"isbnId", "isbnValue"},
                                          {"issnId", "issnValue"}};
  mp__vt_t *vt = &e->vt;
  mp__val_t *arr = mp__v_get(e->out, prop);
  for (size_t i = 0; i < mp__v_size(arr); i++) {
    mp__val_t *t = mp__v_at(arr, i);
    for (int k = 0; k < 2; k++) {
      const char *id = mp__v_cstr(mp__v_get(t, pairs[k][0]));
      if (!id || !id[0])
        continue;
      mp__val_t *ident = mp__v_obj(vt);
      if (mp__v_set(vt, ident, "identifierTypeId", cstr(e, id)))
        return MP_ENOMEM;
      mp__v_del(t, pairs[k][0]);
      mp__val_t *val = mp__v_get(t, pairs[k][1]);
      const char *v = mp__v_cstr(val);
      if (v && v[0]) {
        if (mp__v_set(vt, ident, "value", val))
          return MP_ENOMEM;
        mp__v_del(t, pairs[k][1]);
        mp__val_t *ids = mp__v_get(t, "identifiers");
        if (!ids && mp__v_set(vt, t, "identifiers", ids = mp__v_arr(vt)))
          return MP_ENOMEM;
        if (mp__v_push(vt, ids, ident))
          return MP_ENOMEM;
      }
    }
  }
  return 0;
}

/* Authority: the source file whose code prefixes an 010 $a (else the 001),
 * longest code first; naturalId is that value without whitespace. */
static int link_source_file(ev_t *e) {
  const mp__reftable_t *t =
      mp__refdata_get(&e->m->refdata, "authoritySourceFiles");
  if (!t || !t->nrows)
    return 0;
  const char *cands[64];
  size_t lens[64], nc = 0;
  for (uint32_t i = 0; i < e->r->nfields && nc < 63; i++) {
    const mp_field_t *f = &e->r->fields[i];
    if (f->is_control || memcmp(f->tag, "010", 3) != 0)
      continue;
    const mp_subfield_t *s = mp_field_subfields(e->r, f);
    for (uint32_t k = 0; k < f->sf_count && nc < 63; k++)
      if (s[k].code == 'a')
        cands[nc] = s[k].data, lens[nc++] = s[k].len;
  }
  const mp_field_t *f001 = mp_record_field(e->r, "001");
  size_t n010 = nc;
  if (f001)
    cands[nc] = f001->data, lens[nc++] = f001->len;
  for (size_t c = 0; c < nc; c++) {
    const char *id = NULL;
    size_t best = 0;
    for (size_t r = 0; r < t->nrows; r++)
      for (size_t k = 0; k < t->rows[r].ncodes; k++) {
        size_t cl = strlen(t->rows[r].codes[k]);
        if (cl <= lens[c] && cl >= best && memcmp(cands[c], t->rows[r].codes[k], cl) == 0)
          id = t->rows[r].id, best = cl;
      }
    if (!id && c < n010)
      continue;
    mp_buf_clear(&e->tmp);
    for (size_t k = 0; k < lens[c]; k++)
      if ((unsigned char)cands[c][k] > ' ' && mp_buf_putc(&e->tmp, cands[c][k]))
        return MP_ENOMEM;
    if (id && mp__v_set(&e->vt, e->out, "sourceFileId", cstr(e, id)))
      return MP_ENOMEM;
    if (mp__v_set(&e->vt, e->out, "naturalId",
                  jstr(e, e->tmp.data ? e->tmp.data : "", e->tmp.len)))
      return MP_ENOMEM;
    break;
  }
  return 0;
}

static int finish(ev_t *e, mp_family_t fam) {
  int rc = 0;
  switch (fam) {
  case MP_FAMILY_BIB:
    if (mp__v_set(&e->vt, e->out, "source", cstr(e, "MARC")))
      return MP_ENOMEM;
    if ((rc = fix_uuids(e, "identifiers", "identifierTypeId", "value")) ||
        (rc = fix_uuids(e, "classifications", "classificationTypeId",
                        "classificationNumber")))
      return rc;
    distinct(e->out, "languages");
    drop_without(e->out, "electronicAccess", "uri");
    drop_without(e->out, "precedingTitles", "title");
    drop_without(e->out, "succeedingTitles", "title");
    if ((rc = move_related_ids(e, "precedingTitles")) ||
        (rc = move_related_ids(e, "succeedingTitles")))
      return rc;
    if (!mp__v_get(e->out, "title")) {
      snprintf(e->err, e->errlen, "no title: %s",
               mp_record_field(e->r, "245") ? "245 has no title subfields"
                                            : "the record has no 245");
      return MP_EMAPPING;
    }
    if (!mp__v_get(e->out, "instanceTypeId")) {
      snprintf(e->err, e->errlen,
               "no instance type (no 008 and no 336 the rules map)");
      return MP_EMAPPING;
    }
    break;
  case MP_FAMILY_HOLDINGS:
    drop_without(e->out, "electronicAccess", "uri");
    if (mp__v_set(&e->vt, e->out, "sourceId",
                  cstr(e, "036ee84a-6afd-4c3c-9ad3-4a12ab875f59")))
      return MP_ENOMEM;
    break;
  case MP_FAMILY_AUTHORITY:
    rc = link_source_file(e);
    break;
  default:
    break;
  }
  /* empty arrays say nothing: FOLIO's empty lists are left out */
  mp__val_t *o = e->out;
  size_t k = 0;
  for (size_t i = 0; i < o->n; i++)
    if (!(o->kv[i].val->type == MP__V_ARR && o->kv[i].val->n == 0))
      o->kv[k++] = o->kv[i];
  o->n = k;
  return rc;
}

int mp_mapping_map_text(const mp_mapping_t *m, const mp_record_t *r,
                        mp_family_t family, const char *id, mp_buf_t *out,
                        mp_mapped_t *info, mp_mapping_trace_fn trace,
                        void *trace_ud, char *errbuf, size_t errlen) {
  if (info)
    *info = (mp_mapped_t){MP_FAMILY_NONE, NULL};
  if (errlen)
    errbuf[0] = '\0';
  if (family == MP_FAMILY_NONE)
    family = mp_mapping_family_of(r->leader[6]);
  if (info)
    info->family = family;
  if (family < 0 || family >= MP_FAMILIES) {
    snprintf(errbuf, errlen, "no record family for leader/06 '%c'",
             r->leader[6] ? r->leader[6] : ' ');
    return MP_ENOTBIB;
  }
  ev_t *e = ev_get();
  if (!e) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  ev_reset(e);
  e->m = m;
  e->rs = &m->rules[family];
  e->r = r;
  e->trace = trace;
  e->trace_ud = trace_ud;
  e->err = errbuf;
  e->errlen = errlen;
  e->fc.rd = &m->refdata;
  e->fc.leader = r->leader;
  int rc = 0;
  e->out = mp__v_obj(&e->vt);
  if (!e->out) {
    rc = MP_ENOMEM;
    goto out;
  }
  if (e->rs->tags[MP__TAG_LDR].nmaps) {
    memcpy(e->tag, "LDR", 4);
    if ((rc = control_field(e, MP__TAG_LDR, r->leader, 24)))
      goto out;
  }
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    int ti = mp__tag_index(f->tag);
    if (!f->is_control || ti < 0 || ti >= 10 || !e->rs->tags[ti].nmaps)
      continue;
    memcpy(e->tag, f->tag, 3);
    e->tag[3] = '\0';
    if ((rc = control_field(e, ti, f->data, f->len)))
      goto out;
  }
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    int ti = mp__tag_index(f->tag);
    if (f->is_control || ti < 10 || ti == MP__TAG_LDR || !e->rs->tags[ti].nmaps)
      continue;
    if ((rc = data_field(e, f, ti)))
      goto out;
  }
  if ((rc = finish(e, family)))
    goto out;
  if (id && mp__v_set(&e->vt, e->out, "id", cstr(e, id)))
    rc = MP_ENOMEM;
  if (!rc && info)
    info->hrid = mp__v_cstr(mp__v_get(e->out, "hrid"));
  rc = rc ? rc : mp__v_write(e->out, out);
out:
  if (rc && e->vt.over) {
    rc = MP_ETOOBIG;
    snprintf(errbuf, errlen,
             "the mapped %s would take more than %zu bytes (the limit per "
             "record)",
             mp_family_target(family), e->vt.cap);
  } else if (rc == MP_ENOMEM) {
    snprintf(errbuf, errlen, "out of memory");
  }
  e->out = NULL;
  return rc;
}

void mp__mapping_tree_cap(size_t cap) {
  ev_t *e = ev_get();
  if (e)
    e->vt.cap = cap ? cap : MP__VT_CAP;
}

int mp_mapping_map_record(const mp_mapping_t *m, const mp_record_t *r,
                          mp_family_t family, json_t **out,
                          mp_family_t *family_out, mp_mapping_trace_fn trace,
                          void *trace_ud, char *errbuf, size_t errlen) {
  mp_buf_t b;
  mp_buf_init(&b);
  mp_mapped_t info;
  *out = NULL;
  int rc = mp_mapping_map_text(m, r, family, NULL, &b, &info, trace, trace_ud,
                               errbuf, errlen);
  if (family_out)
    *family_out = info.family;
  if (rc == 0 && !(*out = json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL))) {
    snprintf(errbuf, errlen, "out of memory");
    rc = MP_ENOMEM;
  }
  mp_buf_release(&b);
  return rc;
}

int mp_mapping_map(const mp_mapping_t *m, const mp_record_t *r,
                   json_t **instance, char *errbuf, size_t errlen) {
  *instance = NULL;
  if (mp_mapping_family_of(r->leader[6]) != MP_FAMILY_BIB) {
    snprintf(errbuf, errlen, "not a bibliographic record (leader/06 '%c')",
             r->leader[6] ? r->leader[6] : ' ');
    return MP_ENOTBIB;
  }
  return mp_mapping_map_record(m, r, MP_FAMILY_BIB, instance, NULL, NULL,
                               NULL, errbuf, errlen);
}
