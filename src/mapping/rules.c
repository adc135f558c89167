/* rules.c: load and compile a FOLIO mapping-rules file.
 *
 * Input: FOLIO's rule format as FOLIO writes it (marc_bib_rules.json and
 * friends, format in schemas/mapping/README.md). Output: an mp__ruleset_t
 * with every field mapping compiled (targets resolved against the family's
 * record shape, functions resolved with their parameters, subfield lists as
 * bitmaps). Every key FOLIO's mapper reads is understood; any other key is
 * an error naming it, its tag and its rule, so a misspelt key never silently
 * changes a mapping. "description" is accepted everywhere (FOLIO's files
 * describe rules with it). Nothing is checked again at run time.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx_s {
  const char *path;
  const char *tag;
  size_t index; /* 1-based mapping position within the tag */
  const mp__refdata_t *rd;
  const mp__shape_t *shape;
  char *err;
  size_t errlen;
} ctx_t;

__attribute__((format(printf, 2, 3))) static int fail(ctx_t *c,
                                                      const char *fmt, ...) {
  char what[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->errlen, "%s: tag %s rule %zu: %s", c->path, c->tag,
           c->index, what);
  return MP_ERULES;
}

int mp__tag_index(const char *tag) {
  if (memcmp(tag, "LDR", 3) == 0)
    return MP__TAG_LDR;
  int v = 0;
  for (int i = 0; i < 3; i++) {
    if (tag[i] < '0' || tag[i] > '9')
      return -1;
    v = v * 10 + (tag[i] - '0');
  }
  return v;
}

static int check_keys(ctx_t *c, json_t *o, const char *what,
                      const char *const *keys) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    bool ok = strcmp(k, "description") == 0;
    for (const char *const *p = keys; *p && !ok; p++)
      ok = strcmp(k, *p) == 0;
    if (!ok)
      return fail(c, "unknown key \"%s\" in %s", k, what);
  }
  return 0;
}

static int flag(ctx_t *c, json_t *o, const char *key, bool *out) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return 0;
  if (!json_is_boolean(v))
    return fail(c, "\"%s\" must be true or false", key);
  *out = json_is_true(v);
  return 0;
}

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

/* A list of one-character subfield codes. FOLIO skips entries that are not
 * strings; a longer string names no subfield. */
static int codes(ctx_t *c, json_t *v, const char *key, mp__codeset_t *s,
                 size_t *count) {
  memset(s, 0, sizeof *s);
  if (count)
    *count = 0;
  if (!json_is_array(v))
    return fail(c, "\"%s\" must be an array of subfield codes", key);
  size_t i;
  json_t *x;
  json_array_foreach(v, i, x) {
    const char *code = json_string_value(x);
    if (!code)
      continue;
    unsigned u = (unsigned char)code[0];
    if (strlen(code) == 1 && u < 128)
      s->bits[u >> 6] |= 1ull << (u & 63);
    if (count)
      (*count)++;
  }
  return 0;
}

static const char *const cond_keys[] = {"type", "parameter", "value", "LDR",
                                        NULL};

static int compile_cond(ctx_t *c, json_t *j, mp__cond_t *out) {
  if (!json_is_object(j))
    return fail(c, "a condition must be an object");
  int rc = check_keys(c, j, "a condition", cond_keys);
  if (rc)
    return rc;
  json_t *val = json_object_get(j, "value");
  if (val && !json_is_string(val))
    return fail(c, "condition \"value\" must be a string");
  if (val && !(out->value = dupstr(json_string_value(val))))
    return MP_ENOMEM;
  json_t *ldr = json_object_get(j, "LDR");
  if (ldr && !json_is_boolean(ldr))
    return fail(c, "condition \"LDR\" must be true or false");
  out->ldr = ldr != NULL; /* FOLIO: present at all */
  const char *type = json_string_value(json_object_get(j, "type"));
  if (!type)
    return fail(c, "a condition needs a \"type\" (its functions)");
  json_t *param = json_object_get(j, "parameter");
  size_t n = 1;
  for (const char *p = type; *p; p++)
    n += *p == ',';
  out->calls = calloc(n, sizeof *out->calls);
  if (!out->calls)
    return MP_ENOMEM;
  for (const char *p = type;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char why[300];
    rc = mp__fn_compile(p, len, param, c->rd, &out->calls[out->ncalls], why,
                        sizeof why);
    if (rc)
      return fail(c, "%s", why);
    out->ncalls++;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

static const char *const rule_keys[] = {"conditions", "value", NULL};

static int compile_rules(ctx_t *c, json_t *arr, mp__frule_t *f) {
  f->has_rules = arr != NULL && !json_is_null(arr);
  if (!f->has_rules)
    return 0;
  if (!json_is_array(arr))
    return fail(c, "\"rules\" must be an array");
  f->rules = calloc(json_array_size(arr) + 1, sizeof *f->rules);
  if (!f->rules)
    return MP_ENOMEM;
  size_t i;
  json_t *r;
  json_array_foreach(arr, i, r) {
    mp__rule_t *o = &f->rules[f->nrules++];
    if (!json_is_object(r))
      return fail(c, "each of \"rules\" must be an object");
    int rc = check_keys(c, r, "a rule", rule_keys);
    if (rc)
      return rc;
    json_t *val = json_object_get(r, "value");
    if (val && !json_is_string(val))
      return fail(c, "rule \"value\" must be a string");
    if (val && !(o->value = dupstr(json_string_value(val))))
      return MP_ENOMEM;
    json_t *conds = json_object_get(r, "conditions");
    if (!json_is_array(conds))
      return fail(c, "a rule needs \"conditions\" (an array, may be empty)");
    o->conds = calloc(json_array_size(conds) + 1, sizeof *o->conds);
    if (!o->conds)
      return MP_ENOMEM;
    size_t k;
    json_t *cj;
    json_array_foreach(conds, k, cj) {
      if ((rc = compile_cond(c, cj, &o->conds[o->nconds++])))
        return rc;
    }
  }
  return 0;
}

static int compile_target(ctx_t *c, const char *t, mp__frule_t *f) {
  f->prop = -1;
  f->member = -1;
  if (!(f->target = dupstr(t)))
    return MP_ENOMEM;
  if (!t[0])
    return 0; /* FOLIO: no such field, the rule does nothing (880) */
  const char *dot = strchr(t, '.');
  size_t len = dot ? (size_t)(dot - t) : strlen(t);
  f->prop = mp__shape_prop(c->shape, t, len);
  if (f->prop < 0)
    return fail(c, "target \"%s\": %s has no property \"%.*s\"", t,
                c->shape->name, (int)len, t);
  const mp__prop_t *p = &c->shape->props[f->prop];
  bool composite = p->kind == MP__K_OBJECTS || p->kind == MP__K_OBJECT;
  if (!dot) {
    if (composite)
      return fail(c, "target \"%s\" is an object: name a member (\"%s.x\")",
                  t, t);
    return 0;
  }
  if (!composite || strchr(dot + 1, '.'))
    return fail(c, "target \"%s\": \"%s\" has no member \"%s\"", t, p->name,
                dot + 1);
  f->member = mp__prop_member(p, dot + 1);
  if (f->member < 0)
    return fail(c, "target \"%s\": \"%s\" has no member \"%s\"", t, p->name,
                dot + 1);
  return 0;
}

static const char *const delim_keys[] = {"value", "subfields", NULL};
static const char *const split_keys[] = {"type", "value", NULL};

static int compile_delims(ctx_t *c, json_t *arr, mp__frule_t *f) {
  if (!arr)
    return 0;
  if (!json_is_array(arr))
    return fail(c, "\"subFieldDelimiter\" must be an array");
  f->has_delims = true;
  f->delims = calloc(json_array_size(arr) + 1, sizeof *f->delims);
  if (!f->delims)
    return MP_ENOMEM;
  size_t i;
  json_t *d;
  json_array_foreach(arr, i, d) {
    mp__delim_t *o = &f->delims[f->ndelims++];
    if (!json_is_object(d))
      return fail(c, "each \"subFieldDelimiter\" must be an object");
    int rc = check_keys(c, d, "subFieldDelimiter", delim_keys);
    if (rc)
      return rc;
    const char *v = json_string_value(json_object_get(d, "value"));
    if (!v)
      return fail(c, "subFieldDelimiter needs a string \"value\"");
    if (!(o->value = dupstr(v)))
      return MP_ENOMEM;
    size_t n;
    if ((rc = codes(c, json_object_get(d, "subfields"), "subfields",
                    &o->codes, &n)))
      return rc;
    o->empty = json_array_size(json_object_get(d, "subfields")) == 0;
  }
  return 0;
}

static int compile_split(ctx_t *c, json_t *s, mp__frule_t *f) {
  if (!s)
    return 0;
  if (!json_is_object(s))
    return fail(c, "\"subFieldSplit\" must be an object");
  int rc = check_keys(c, s, "subFieldSplit", split_keys);
  if (rc)
    return rc;
  const char *type = json_string_value(json_object_get(s, "type"));
  const char *val = json_string_value(json_object_get(s, "value"));
  if (type && strcmp(type, "custom") == 0)
    return fail(c, "subFieldSplit: JavaScript (\"custom\") splitting is not "
                   "supported");
  if (!type || strcmp(type, "split_every") != 0)
    return fail(c, "subFieldSplit: unknown type \"%s\" (split_every is "
                   "supported)",
                type ? type : "");
  long n = val ? strtol(val, NULL, 10) : 0;
  if (n <= 0 || n > 10000)
    return fail(c, "subFieldSplit: \"value\" must be a positive number");
  f->split_every = (int)n;
  return 0;
}

/* Keys of a field rule (an entity member or a mapping without entity). */
static const char *const frule_keys[] = {
    "target", "subfield", "rules", "applyRulesOnConcatenatedData",
    "subFieldDelimiter", "subFieldSplit", "ignoreSubsequentSubfields",
    "alternativeMapping", "requiredSubfield", "exclusiveSubfield",
    "createSingleObject", NULL};
/* Keys only a mapping (an element of the tag's array) has. */
static const char *const fmap_keys[] = {
    "target", "subfield", "rules", "applyRulesOnConcatenatedData",
    "subFieldDelimiter", "subFieldSplit", "ignoreSubsequentSubfields",
    "alternativeMapping", "requiredSubfield", "exclusiveSubfield",
    "createSingleObject", "entity", "entityPerRepeatedSubfield", "indicators",
    "ignoreSubsequentFields", "keepTrailingBackslash",
    "fieldReplacementBy3Digits", "fieldReplacementRule", NULL};

static int compile_frule(ctx_t *c, json_t *j, mp__frule_t *f, bool control) {
  int rc;
  const char *t = json_string_value(json_object_get(j, "target"));
  if (!t)
    return fail(c, "a rule needs a string \"target\"");
  if ((rc = compile_target(c, t, f)))
    return rc;
  if ((rc = compile_rules(c, json_object_get(j, "rules"), f)))
    return rc;
  if ((rc = flag(c, j, "createSingleObject", &f->create_single)))
    return rc;
  if (f->create_single && f->prop >= 0 &&
      c->shape->props[f->prop].kind != MP__K_OBJECT)
    return fail(c, "createSingleObject needs a single-object target, not "
                   "\"%s\"",
                t);
  json_t *sf = json_object_get(j, "subfield");
  if (!sf && !control)
    return fail(c, "a rule needs \"subfield\" (an array, may be empty)");
  size_t n = 0;
  if (sf && (rc = codes(c, sf, "subfield", &f->sf, &n)))
    return rc;
  f->sf_all = n == 0;
  if ((rc = flag(c, j, "applyRulesOnConcatenatedData", &f->apply_post)) ||
      (rc = flag(c, j, "ignoreSubsequentSubfields",
                 &f->ignore_subsequent_sf)) ||
      (rc = compile_delims(c, json_object_get(j, "subFieldDelimiter"), f)) ||
      (rc = compile_split(c, json_object_get(j, "subFieldSplit"), f)))
    return rc;
  json_t *req = json_object_get(j, "requiredSubfield");
  if (req && (rc = codes(c, req, "requiredSubfield", &f->required, NULL)))
    return rc;
  f->has_required = req != NULL;
  json_t *ex = json_object_get(j, "exclusiveSubfield");
  if (ex && (rc = codes(c, ex, "exclusiveSubfield", &f->exclusive, NULL)))
    return rc;
  f->has_exclusive = ex != NULL;
  json_t *alt = json_object_get(j, "alternativeMapping");
  if (alt) {
    if (!json_is_object(alt))
      return fail(c, "\"alternativeMapping\" must be an object");
    if ((rc = check_keys(c, alt, "alternativeMapping", frule_keys)))
      return rc;
    if (!(f->alt = calloc(1, sizeof *f->alt)))
      return MP_ENOMEM;
    if ((rc = compile_frule(c, alt, f->alt, control)))
      return rc;
  }
  return 0;
}

static const char *const ind_keys[] = {"ind1", "ind2", NULL};
static const char *const repl_keys[] = {"sourceDigits", "targetField", NULL};

static int compile_repl(ctx_t *c, json_t *j, mp__fmap_t *m) {
  int rc = flag(c, j, "fieldReplacementBy3Digits", &m->repl3);
  if (rc)
    return rc;
  json_t *rules = json_object_get(j, "fieldReplacementRule");
  if (rules) {
    if (!json_is_array(rules))
      return fail(c, "\"fieldReplacementRule\" must be an array");
    m->repl = calloc(json_array_size(rules) + 1, sizeof *m->repl);
    if (!m->repl)
      return MP_ENOMEM;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) {
      if (!json_is_object(r))
        return fail(c, "each \"fieldReplacementRule\" must be an object");
      if ((rc = check_keys(c, r, "fieldReplacementRule", repl_keys)))
        return rc;
      const char *s = json_string_value(json_object_get(r, "sourceDigits"));
      const char *t = json_string_value(json_object_get(r, "targetField"));
      if (!s || !t || strlen(s) != 3 || strlen(t) != 3)
        return fail(c, "fieldReplacementRule needs 3-character "
                       "\"sourceDigits\" and \"targetField\"");
      memcpy(m->repl[m->nrepl].source, s, 4);
      memcpy(m->repl[m->nrepl].target, t, 4);
      m->nrepl++;
    }
  }
  if (m->repl3) {
    size_t n;
    if ((rc = codes(c, json_object_get(j, "subfield"), "subfield",
                    &m->repl_sf, &n)))
      return rc;
    if (n == 0)
      return fail(c, "fieldReplacementBy3Digits needs the \"subfield\" that "
                     "holds the tag");
  }
  return 0;
}

static int compile_fmap(ctx_t *c, json_t *j, mp__fmap_t *m, bool control) {
  if (!json_is_object(j))
    return fail(c, "a rule must be an object");
  int rc = check_keys(c, j, "a rule", fmap_keys);
  if (rc)
    return rc;
  json_t *ent = json_object_get(j, "entity");
  if ((rc = flag(c, j, "entityPerRepeatedSubfield", &m->per_repeated)) ||
      (rc = flag(c, j, "keepTrailingBackslash", &m->keep_backslash)) ||
      (rc = flag(c, j, "ignoreSubsequentFields",
                 &m->ignore_subsequent_fields)) ||
      (rc = compile_repl(c, j, m)))
    return rc;
  json_t *ind = json_object_get(j, "indicators");
  if (ind) {
    if (!json_is_object(ind))
      return fail(c, "\"indicators\" must be an object");
    if ((rc = check_keys(c, ind, "indicators", ind_keys)))
      return rc;
    const char *i1 = json_string_value(json_object_get(ind, "ind1"));
    const char *i2 = json_string_value(json_object_get(ind, "ind2"));
    m->has_ind = true;
    if ((i1 && !(m->ind1 = strdup(i1))) || (i2 && !(m->ind2 = strdup(i2))))
      return MP_ENOMEM;
  }
  if (m->repl3 && !ent) {
    /* the replacement itself; its target (FOLIO: "") maps nothing */
    const char *t = json_string_value(json_object_get(j, "target"));
    m->items = calloc(1, sizeof *m->items);
    if (!m->items)
      return MP_ENOMEM;
    m->nitems = 1;
    rc = compile_target(c, t ? t : "", &m->items[0]);
    m->items[0].sf_all = true;
    return rc;
  }
  if (ent) {
    if (!json_is_array(ent))
      return fail(c, "\"entity\" must be an array of rules");
    if (json_object_get(j, "target"))
      return fail(c, "\"target\" beside \"entity\" is never used: put it in "
                     "an entity member");
    m->entity = true;
    m->items = calloc(json_array_size(ent) + 1, sizeof *m->items);
    if (!m->items)
      return MP_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(ent, i, e) {
      if (!json_is_object(e))
        return fail(c, "each entity member must be an object");
      if ((rc = check_keys(c, e, "an entity member", frule_keys)))
        return rc;
      if ((rc = compile_frule(c, e, &m->items[m->nitems++], control)))
        return rc;
    }
    return 0;
  }
  m->items = calloc(1, sizeof *m->items);
  if (!m->items)
    return MP_ENOMEM;
  m->nitems = 1;
  return compile_frule(c, j, &m->items[0], control);
}

static void free_frule(mp__frule_t *f) {
  free(f->target);
  for (size_t i = 0; i < f->nrules; i++) {
    mp__rule_t *r = &f->rules[i];
    for (size_t k = 0; k < r->nconds; k++) {
      for (size_t x = 0; x < r->conds[k].ncalls; x++)
        mp__fn_release(&r->conds[k].calls[x]);
      free(r->conds[k].calls);
      free(r->conds[k].value);
    }
    free(r->conds);
    free(r->value);
  }
  free(f->rules);
  for (size_t i = 0; i < f->ndelims; i++)
    free(f->delims[i].value);
  free(f->delims);
  if (f->alt) {
    free_frule(f->alt);
    free(f->alt);
  }
}

void mp__rules_release(mp__ruleset_t *rs) {
  if (rs->tags) {
    for (int t = 0; t < MP__NTAGS; t++) {
      mp__tagrules_t *tr = &rs->tags[t];
      for (size_t i = 0; i < tr->nmaps; i++) {
        mp__fmap_t *m = &tr->maps[i];
        for (size_t k = 0; k < m->nitems; k++)
          free_frule(&m->items[k]);
        free(m->items);
        free(m->ind1);
        free(m->ind2);
        free(m->repl);
      }
      free(tr->maps);
    }
  }
  free(rs->tags);
  free(rs->path);
  json_decref(rs->extra);
  memset(rs, 0, sizeof *rs);
}

int mp__rules_load(const char *path, mp_family_t family,
                   const mp__refdata_t *rd, mp__ruleset_t *rs, char *err,
                   size_t errlen) {
  memset(rs, 0, sizeof *rs);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    snprintf(err, errlen, "%s: not JSON: line %d column %d: %s", path, je.line,
             je.column, je.text);
    return MP_ERULES;
  }
  int rc = mp__rules_compile(root, path, family, rd, rs, err, errlen);
  json_decref(root);
  return rc;
}

int mp__rules_compile(json_t *root, const char *path, mp_family_t family,
                      const mp__refdata_t *rd, mp__ruleset_t *rs, char *err,
                      size_t errlen) {
  memset(rs, 0, sizeof *rs);
  rs->family = family;
  rs->shape = mp__shape(family);
  int rc = 0;
  ctx_t c = {path, "", 0, rd, rs->shape, err, errlen};
  if (!json_is_object(root)) {
    snprintf(err, errlen, "%s: rules must be a JSON object keyed by tag", path);
    rc = MP_ERULES;
    goto out;
  }
  rs->tags = calloc(MP__NTAGS, sizeof *rs->tags);
  rs->path = strdup(path);
  if (!rs->tags || !rs->path) {
    rc = MP_ENOMEM;
    goto out;
  }
  const char *tag;
  json_t *arr;
  json_object_foreach(root, tag, arr) {
    c.tag = tag;
    c.index = 0;
    int ti = strlen(tag) == 3 ? mp__tag_index(tag) : -1;
    if (ti < 0) {
      snprintf(err, errlen, "%s: \"%s\" is not a tag (000-999 or LDR)", path,
               tag);
      rc = MP_ERULES;
      goto out;
    }
    if (!json_is_array(arr)) {
      rc = fail(&c, "the rules of a tag must be an array");
      goto out;
    }
    bool control = ti == MP__TAG_LDR || ti < 10;
    mp__tagrules_t *tr = &rs->tags[ti];
    tr->maps = calloc(json_array_size(arr) + 1, sizeof *tr->maps);
    if (!tr->maps) {
      rc = MP_ENOMEM;
      goto out;
    }
    size_t i;
    json_t *j;
    json_array_foreach(arr, i, j) {
      c.index = i + 1;
      mp__fmap_t *m = &tr->maps[tr->nmaps++];
      if ((rc = compile_fmap(&c, j, m, control)))
        goto out;
      tr->any_ind |= m->has_ind;
      tr->any_repl |= m->repl3;
    }
  }
out:
  if (rc == MP_ENOMEM)
    snprintf(err, errlen, "%s: out of memory", path);
  if (rc)
    mp__rules_release(rs);
  return rc;
}
