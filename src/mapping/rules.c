/* rules.c: load and compile the mapping rules file.
 *
 * Input: a JSON object keyed by tag ("001", "245", "LDR"), each an array of
 * rules (format: schemas/mapping/README.md). Output: an mp__ruleset_t whose
 * rules are grouped by tag index with all names resolved (targets,
 * functions, reference tables) and all filters turned into bitmaps. Every
 * problem is reported at load with the file, the tag, the rule's position
 * and what is wrong; nothing is checked again at run time.
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
  size_t index; /* 1-based rule position within the tag */
  const mp__refdata_t *rd;
  bool control; /* tag is a control field (00X, LDR) */
  char *err;
  size_t errlen;
} ctx_t;

__attribute__((format(printf, 2, 3))) static int fail(ctx_t *c,
                                                      const char *fmt, ...) {
  char what[200];
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

static bool key_in(const char *key, const char *const *keys) {
  if (key[0] == '_')
    return true; /* "_comment" */
  for (; *keys; keys++)
    if (strcmp(key, *keys) == 0)
      return true;
  return false;
}

static int check_keys(ctx_t *c, json_t *o, const char *const *keys) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) if (!key_in(k, keys)) return fail(
      c, "unknown key \"%s\"", k);
  return 0;
}

static int codeset(ctx_t *c, json_t *v, const char *what, mp__codeset_t *s) {
  memset(s, 0, sizeof *s);
  const char *codes = json_string_value(v);
  if (!codes || !codes[0])
    return fail(c, "\"%s\" must be a non-empty string of subfield codes",
                what);
  for (const char *p = codes; *p; p++) {
    unsigned u = (unsigned char)*p;
    if (u >= 128 || u <= ' ')
      return fail(c, "\"%s\": bad subfield code", what);
    s->bits[u >> 6] |= 1ull << (u & 63);
  }
  return 0;
}

static int indicator_filter(ctx_t *c, json_t *v, int which, uint64_t ok[4]) {
  memset(ok, 0, 4 * sizeof ok[0]);
  const char *f = json_string_value(v);
  if (!v || (f && strcmp(f, "*") == 0)) {
    memset(ok, 0xff, 4 * sizeof ok[0]);
    return 0;
  }
  if (!f || !f[0] || strchr(f, '*'))
    return fail(c,
                "bad indicator filter for ind%d: want \"*\" or the allowed "
                "indicator characters",
                which);
  for (const char *p = f; *p; p++) {
    unsigned u = (unsigned char)*p;
    ok[u >> 6] |= 1ull << (u & 63);
  }
  return 0;
}

static int functions(ctx_t *c, json_t *list, mp__member_t *m) {
  if (!list)
    return 0;
  if (!json_is_array(list))
    return fail(c, "\"functions\" must be an array");
  m->fns = calloc(json_array_size(list) + 1, sizeof *m->fns);
  if (!m->fns)
    return MP_ENOMEM;
  size_t i;
  json_t *f;
  json_array_foreach(list, i, f) {
    const char *name = json_string_value(f);
    json_t *params = NULL;
    if (json_is_object(f)) {
      static const char *const keys[] = {"name", "params", NULL};
      int rc = check_keys(c, f, keys);
      if (rc)
        return rc;
      name = json_string_value(json_object_get(f, "name"));
      params = json_object_get(f, "params");
    }
    if (!name)
      return fail(c, "function %zu has no name", i + 1);
    char why[160];
    if (mp__fn_compile(name, params, c->rd, &m->fns[m->nfns], why,
                       sizeof why))
      return fail(c, "%s", why);
    m->nfns++;
  }
  return 0;
}

static int delimiters(ctx_t *c, json_t *list, mp__member_t *m) {
  if (!list)
    return 0;
  if (!json_is_array(list) || json_array_size(list) > 32)
    return fail(c, "\"delimiters\" must be an array of {value, subfields}");
  m->delims = calloc(json_array_size(list) + 1, sizeof *m->delims);
  if (!m->delims)
    return MP_ENOMEM;
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    const char *val = json_string_value(json_object_get(d, "value"));
    mp__codeset_t set;
    if (!val)
      return fail(c, "delimiter %zu has no string \"value\"", i + 1);
    int rc = codeset(c, json_object_get(d, "subfields"), "delimiters", &set);
    if (rc)
      return rc;
    if (!(m->delims[m->ndelims] = strdup(val)))
      return MP_ENOMEM;
    m->ndelims++;
    for (int code = 0; code < 128; code++)
      if (mp__codeset_has(&set, (char)code))
        m->delim_of[code] = (uint8_t)m->ndelims;
  }
  return 0;
}

/* Split "contributors.name" into its property and member. */
static int resolve_target(ctx_t *c, json_t *t, const mp__target_t **top,
                          char **member) {
  const char *s = json_string_value(t);
  if (!s || !s[0])
    return fail(c, "target missing");
  const char *dot = strchr(s, '.');
  size_t n = dot ? (size_t)(dot - s) : strlen(s);
  *top = mp__target_find(s, n);
  if (!*top)
    return fail(c, "unknown target \"%s\"", s);
  bool objects = (*top)->kind == MP__T_OBJECTS || (*top)->kind == MP__T_OBJECT;
  if (objects && (!dot || !dot[1]))
    return fail(c, "target \"%s\" needs a member (\"%.*s.member\")", s,
                (int)n, s);
  if (!objects && dot)
    return fail(c, "target \"%s\": \"%.*s\" has no members", s, (int)n, s);
  if (dot && !(*member = strdup(dot + 1)))
    return MP_ENOMEM;
  return 0;
}

/* Which members give each member the target's objects require; an object
 * property none of whose members give a required member is an error. */
static int required_members(ctx_t *c, mp__rule_t *r) {
  for (int k = 0; k < 3 && r->target->required[k]; k++) {
    for (size_t i = 0; i < r->nmembers; i++)
      if (r->members[i].member &&
          strcmp(r->members[i].member, r->target->required[k]) == 0)
        r->required[k] |= 1ull << i;
    if (!r->required[k])
      return fail(c, "no member gives %s.%s, which every %s object needs",
                  r->target->name, r->target->required[k], r->target->name);
  }
  return 0;
}

static void set_member_len(mp__rule_t *r) {
  for (size_t i = 0; i < r->nmembers; i++) {
    mp__member_t *m = &r->members[i];
    if (!m->member)
      continue;
    m->member_len = strlen(m->member);
    for (size_t k = 0; k < i; k++)
      if (strcmp(r->members[k].member, m->member) == 0)
        m->same_before |= 1ull << k;
  }
}

/* A constant followed only by value-only functions (lookups by name, text
 * clean-up) always gives the same result: compute it now, so the evaluator
 * does no lookup per record. */
static int fold_constant(ctx_t *c, mp__member_t *m) {
  if (!m->value || m->nfns == 0)
    return 0;
  for (size_t i = 0; i < m->nfns; i++)
    if (!mp__fn_value_only(&m->fns[i]))
      return 0;
  mp_buf_t v;
  mp__fnctx_t fc = {c->rd, NULL, NULL};
  int rc = 0;
  mp_buf_init(&v);
  if (mp_buf_puts(&v, m->value))
    rc = MP_ENOMEM;
  for (size_t i = 0; rc == 0 && i < m->nfns; i++)
    rc = mp__fn_apply(&fc, &m->fns[i], &v);
  if (rc == 0 && v.len == 0)
    rc = MP__FN_OMIT;
  if (rc == 0 || rc == MP__FN_OMIT) {
    m->never = rc == MP__FN_OMIT;
    free(m->value);
    m->value = strdup(v.data ? v.data : "");
    m->nfns = 0;
    rc = m->value ? 0 : MP_ENOMEM;
  }
  mp_buf_release(&v);
  return rc;
}

static const char *const member_keys[] = {
    "target",    "subfields",  "value",        "functions", "delimiter",
    "delimiters", "each_subfield", "split_every", "first_only", NULL};

static int compile_member(ctx_t *c, json_t *o, const mp__target_t *top,
                          mp__member_t *m) {
  m->bool_value = -1;
  json_t *v = json_object_get(o, "value");
  json_t *sf = json_object_get(o, "subfields");
  int rc;
  if (json_is_boolean(v)) {
    m->bool_value = json_is_true(v);
    if (json_object_get(o, "functions"))
      return fail(c, "a boolean value takes no functions");
  } else if (v) {
    if (!json_is_string(v))
      return fail(c, "\"value\" must be a string or a boolean");
    if (!(m->value = strdup(json_string_value(v))))
      return MP_ENOMEM;
  }
  if (top->kind == MP__T_BOOL && m->bool_value < 0)
    return fail(c, "target \"%s\" takes a boolean \"value\"", top->name);
  if (sf) {
    if ((rc = codeset(c, sf, "subfields", &m->sf)))
      return rc;
    m->has_sf = true;
  }
  if (!v && !sf && !c->control)
    return fail(c, "data field rule needs \"subfields\" or \"value\"");
  json_t *d = json_object_get(o, "delimiter");
  if (d && !json_is_string(d))
    return fail(c, "\"delimiter\" must be a string");
  if (!(m->delim = strdup(d ? json_string_value(d) : " ")))
    return MP_ENOMEM;
  if ((rc = delimiters(c, json_object_get(o, "delimiters"), m)))
    return rc;
  m->each_subfield = json_is_true(json_object_get(o, "each_subfield"));
  m->first_only = json_is_true(json_object_get(o, "first_only"));
  json_t *split = json_object_get(o, "split_every");
  if (split) {
    if (!json_is_integer(split) || json_integer_value(split) < 1 ||
        json_integer_value(split) > 1000)
      return fail(c, "\"split_every\" must be a positive integer");
    m->split_every = (int)json_integer_value(split);
  }
  if ((rc = functions(c, json_object_get(o, "functions"), m)))
    return rc;
  return fold_constant(c, m);
}

static int compile_rule(ctx_t *c, json_t *o, mp__rule_t *r) {
  static const char *const rule_keys[] = {
      "target",       "subfields",   "value",
      "functions",    "delimiter",   "delimiters",
      "each_subfield", "split_every", "first_only", "entity",
      "indicators",   "required_subfield", "repeat_subfields",
      "ignore_subsequent_fields", "linked", NULL};
  int rc;
  if (!json_is_object(o))
    return fail(c, "a rule must be an object");
  if ((rc = check_keys(c, o, rule_keys)))
    return rc;
  memcpy(r->tag, c->tag, 4);
  r->index = c->index;
  json_t *ind = json_object_get(o, "indicators");
  if (ind && !json_is_object(ind))
    return fail(c, "\"indicators\" must be an object {ind1, ind2}");
  if ((rc = indicator_filter(c, json_object_get(ind, "ind1"), 1, r->ind_ok[0])) ||
      (rc = indicator_filter(c, json_object_get(ind, "ind2"), 2, r->ind_ok[1])))
    return rc;
  json_t *req = json_object_get(o, "required_subfield");
  if (req) {
    if ((rc = codeset(c, req, "required_subfield", &r->required_sf)))
      return rc;
    r->has_required = true;
  }
  json_t *rep = json_object_get(o, "repeat_subfields");
  if (rep) {
    if ((rc = codeset(c, rep, "repeat_subfields", &r->repeat)))
      return rc;
    r->has_repeat = true;
  }
  r->ignore_subsequent = json_is_true(json_object_get(o, "ignore_subsequent_fields"));
  json_t *linked = json_object_get(o, "linked");
  if (linked) {
    if (strcmp(c->tag, "880") != 0)
      return fail(c, "\"linked\" applies to 880 rules only");
    if (!json_is_array(linked) || json_array_size(linked) == 0 ||
        json_array_size(linked) > MP__MAX_LINKED)
      return fail(c, "\"linked\" must be a non-empty array of tags");
    size_t i;
    json_t *t;
    json_array_foreach(linked, i, t) {
      const char *s = json_string_value(t);
      if (!s || strlen(s) != 3 || mp__tag_index(s) < 0)
        return fail(c, "\"linked\": bad tag");
      memcpy(r->linked[r->nlinked++], s, 4);
    }
  }

  json_t *entity = json_object_get(o, "entity");
  if (entity) {
    if (!json_is_array(entity) || json_array_size(entity) == 0 ||
        json_array_size(entity) > MP__MAX_MEMBERS)
      return fail(c, "\"entity\" must be an array of 1 to %d members",
                  MP__MAX_MEMBERS);
    for (const char *const *k = member_keys; *k; k++)
      if (json_object_get(o, *k))
        return fail(c, "\"%s\" belongs in the entity's members", *k);
    r->entity = true;
    r->members = calloc(json_array_size(entity), sizeof *r->members);
    if (!r->members)
      return MP_ENOMEM;
    size_t i;
    json_t *mo;
    json_array_foreach(entity, i, mo) {
      const mp__target_t *top = NULL;
      mp__member_t *m = &r->members[r->nmembers++];
      if (!json_is_object(mo))
        return fail(c, "entity member %zu must be an object", i + 1);
      if ((rc = check_keys(c, mo, member_keys)) ||
          (rc = resolve_target(c, json_object_get(mo, "target"), &top,
                               &m->member)))
        return rc;
      if (!m->member)
        return fail(c, "entity member targets must be object members");
      if (r->target && r->target != top)
        return fail(c, "entity members target both \"%s\" and \"%s\"",
                    r->target->name, top->name);
      r->target = top;
      if ((rc = compile_member(c, mo, top, m)))
        return rc;
      if (m->split_every)
        return fail(c, "\"split_every\" is for simple rules only");
    }
    set_member_len(r);
    return required_members(c, r);
  }
  r->members = calloc(1, sizeof *r->members);
  if (!r->members)
    return MP_ENOMEM;
  r->nmembers = 1;
  if ((rc = resolve_target(c, json_object_get(o, "target"), &r->target,
                           &r->members[0].member)))
    return rc;
  set_member_len(r);
  if (r->members[0].member && (rc = required_members(c, r)))
    return rc;
  return compile_member(c, o, r->target, &r->members[0]);
}

static void release_rule(mp__rule_t *r) {
  for (size_t i = 0; i < r->nmembers; i++) {
    mp__member_t *m = &r->members[i];
    free(m->member);
    free(m->delim);
    for (size_t k = 0; k < m->ndelims; k++)
      free(m->delims[k]);
    free(m->delims);
    free(m->fns);
    free(m->value);
  }
  free(r->members);
}

static int by_tag(const void *a, const void *b) {
  const mp__rule_t *x = a, *y = b;
  int tx = mp__tag_index(x->tag), ty = mp__tag_index(y->tag);
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

int mp__rules_load(const char *path, const mp__refdata_t *rd,
                   mp__ruleset_t *rs, char *err, size_t errlen) {
  memset(rs, 0, sizeof *rs);
  ctx_t c = {.path = path, .tag = "-", .rd = rd, .err = err, .errlen = errlen};
  json_error_t je;
  int rc = 0;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    snprintf(err, errlen, "%s: not JSON: line %d column %d: %s", path,
             je.line, je.column, je.text);
    return MP_ERULES;
  }
  if (!json_is_object(root)) {
    snprintf(err, errlen, "%s: top level must be an object keyed by tag",
             path);
    rc = MP_ERULES;
    goto out;
  }
  size_t total = 0;
  const char *tag;
  json_t *list;
  json_object_foreach(root, tag, list) total += json_array_size(list);
  if (total > MP__MAX_RULES) {
    snprintf(err, errlen, "%s: more than %d rules", path, MP__MAX_RULES);
    rc = MP_ERULES;
    goto out;
  }
  rs->rules = calloc(total + 1, sizeof *rs->rules);
  if (!rs->rules) {
    rc = MP_ENOMEM;
    goto out;
  }
  json_object_foreach(root, tag, list) {
    if (tag[0] == '_')
      continue;
    c.tag = tag;
    c.index = 0;
    int ti = strlen(tag) == 3 ? mp__tag_index(tag) : -1;
    if (ti < 0) {
      snprintf(err, errlen, "%s: tag %s: not a tag (want 3 digits or LDR)",
               path, tag);
      rc = MP_ERULES;
      goto out;
    }
    c.control = ti < 10 || ti == MP__TAG_LDR;
    if (!json_is_array(list)) {
      snprintf(err, errlen, "%s: tag %s: must be an array of rules", path,
               tag);
      rc = MP_ERULES;
      goto out;
    }
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
      c.index = i + 1;
      rc = compile_rule(&c, o, &rs->rules[rs->nrules++]);
      if (rc)
        goto out;
    }
  }
  qsort(rs->rules, rs->nrules, sizeof *rs->rules, by_tag);
  for (size_t i = 0; i < rs->nrules; i++) {
    int ti = mp__tag_index(rs->rules[i].tag);
    if (rs->count[ti]++ == 0)
      rs->first[ti] = (uint32_t)i;
  }
out:
  json_decref(root);
  if (rc == MP_ENOMEM)
    snprintf(err, errlen, "%s: out of memory", path);
  if (rc)
    mp__rules_release(rs);
  return rc;
}

void mp__rules_release(mp__ruleset_t *rs) {
  for (size_t i = 0; i < rs->nrules; i++)
    release_rule(&rs->rules[i]);
  free(rs->rules);
  memset(rs, 0, sizeof *rs);
}
