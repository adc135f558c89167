/* profile.c: match-and-overlay profiles (contract in
 * include/marcpipe/profile.h, format in schemas/profiles/README.md).
 * Parsing is strict: every member and value is checked and an error names
 * the bad value, because a profile silently read wrong re-imports a whole
 * catalogue wrong. Pure functions, no global state. */
#include "marcpipe/profile.h"

#include "marcpipe/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"001", "035", "isbn", "issn"};
static const char *const key_kinds[] = {"control", "oclc", "isbn", "issn"};
static const char *const on_names[] = {"update", "skip", "create"};

void mp_profile_default(mp_profile_t *p) {
  memset(p, 0, sizeof *p);
  p->nsteps = 2;
  p->steps[0] = MP_MATCH_CONTROL;
  p->steps[1] = MP_MATCH_OCLC;
  p->on_match = MP_ON_UPDATE;
  p->on_no_match = MP_ON_CREATE;
}

const char *mp_profile_kind_name(mp_match_kind_t k) { return kind_names[k]; }
const char *mp_profile_key_kind(mp_match_kind_t k) { return key_kinds[k]; }
const char *mp_profile_on_name(mp_on_t a) { return on_names[a]; }

/* Add one --match value ("none" clears). */
static int add_step(mp_profile_t *p, const char *v, char *errbuf, size_t errlen) {
  if (!strcmp(v, "none")) {
    p->nsteps = 0;
    return 0;
  }
  int k = -1;
  for (int i = 0; i < 4; i++)
    if (!strcmp(v, kind_names[i]) || !strcmp(v, key_kinds[i]))
      k = i;
  if (k < 0) {
    snprintf(errbuf, errlen, "match key '%s' is not one of 001, 035, isbn, issn, none", v);
    return MP_ECONFIG;
  }
  for (int i = 0; i < p->nsteps; i++)
    if ((int)p->steps[i] == k) {
      snprintf(errbuf, errlen, "match key '%s' given twice", v);
      return MP_ECONFIG;
    }
  if (p->nsteps == MP_PROFILE_MAX_STEPS) {
    snprintf(errbuf, errlen, "too many match keys (at most %d)", MP_PROFILE_MAX_STEPS);
    return MP_ECONFIG;
  }
  p->steps[p->nsteps++] = (mp_match_kind_t)k;
  return 0;
}

static int parse_on(const char *what, const char *v, bool create_or_skip,
                    mp_on_t *out, char *errbuf, size_t errlen) {
  for (int i = create_or_skip ? 1 : 0; i < 3; i++)
    if (!strcmp(v, on_names[i])) {
      *out = (mp_on_t)i;
      return 0;
    }
  snprintf(errbuf, errlen, "%s '%s' is not one of %s", what, v,
           create_or_skip ? "create, skip" : "update, skip, create");
  return MP_ECONFIG;
}

static int parse_match(json_t *m, mp_profile_t *p, char *errbuf, size_t errlen) {
  if (!json_is_array(m)) {
    snprintf(errbuf, errlen, "profile: \"match\" must be an array of strings");
    return MP_ECONFIG;
  }
  p->nsteps = 0;
  size_t i;
  json_t *v;
  bool none = false;
  json_array_foreach(m, i, v) {
    if (!json_is_string(v)) {
      snprintf(errbuf, errlen, "profile: \"match\"[%zu] is not a string", i);
      return MP_ECONFIG;
    }
    if (!strcmp(json_string_value(v), "none"))
      none = true;
    int rc = add_step(p, json_string_value(v), errbuf, errlen);
    if (rc)
      return rc;
  }
  if (none && json_array_size(m) > 1) {
    snprintf(errbuf, errlen, "profile: \"none\" cannot be combined with other match keys");
    return MP_ECONFIG;
  }
  return 0;
}

int mp_profile_parse(const char *text, mp_profile_t *out, char *errbuf,
                     size_t errlen) {
  mp_profile_default(out);
  if (!text || !*text)
    return 0;
  json_error_t je;
  json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  int rc = 0;
  if (!o || !json_is_object(o)) {
    snprintf(errbuf, errlen, "profile: %s", o ? "not a JSON object" : je.text);
    rc = MP_ECONFIG;
    goto out;
  }
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    bool is_on = !strcmp(k, "on_match"), is_no = !strcmp(k, "on_no_match");
    if (!strcmp(k, "match")) {
      rc = parse_match(v, out, errbuf, errlen);
    } else if (is_on || is_no) {
      if (!json_is_string(v)) {
        snprintf(errbuf, errlen, "profile: \"%s\" must be a string", k);
        rc = MP_ECONFIG;
      } else {
        rc = parse_on(k, json_string_value(v), is_no,
                      is_on ? &out->on_match : &out->on_no_match, errbuf, errlen);
      }
    } else if (strcmp(k, "description")) {
      snprintf(errbuf, errlen, "profile: unknown member \"%s\"", k);
      rc = MP_ECONFIG;
    }
    if (rc)
      break;
  }
out:
  json_decref(o);
  return rc;
}

char *mp_profile_to_json(const mp_profile_t *p) {
  json_t *m = json_array();
  for (int i = 0; m && i < p->nsteps; i++)
    json_array_append_new(m, json_string(kind_names[p->steps[i]]));
  json_t *o = json_pack("{s:o?,s:s,s:s}", "match", m, "on_match",
                        on_names[p->on_match], "on_no_match", on_names[p->on_no_match]);
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  return s;
}

int mp_profile_load(const char *name, mp_profile_t *out, char *errbuf,
                    size_t errlen) {
  char path[1024];
  size_t n = strlen(name);
  if (strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json"))) {
    snprintf(path, sizeof path, "%s", name);
  } else {
    const char *env = getenv("MARCPIPE_SCHEMAS");
    snprintf(path, sizeof path, "%s/profiles/%s.json", env && *env ? env : MP_SCHEMAS_DIR,
             name);
  }
  json_error_t je;
  json_t *o = json_load_file(path, 0, &je);
  if (!o) {
    snprintf(errbuf, errlen, "%s: profile '%s': %s", path, name, je.text);
    return MP_ECONFIG;
  }
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!text)
    return MP_ENOMEM;
  char e[256];
  int rc = mp_profile_parse(text, out, e, sizeof e);
  free(text);
  if (rc)
    snprintf(errbuf, errlen, "%s: %s", path, e);
  return rc;
}

void mp_profile_builder_init(mp_profile_builder_t *b) {
  memset(b, 0, sizeof *b);
  mp_profile_default(&b->p);
}

int mp_profile_builder_set(mp_profile_builder_t *b, mp_profile_opt_t opt,
                           const char *what, const char *value) {
  int rc = 0;
  if (opt == MP_PROFILE_OPT_MATCH) {
    if (!b->match_given)
      b->p.nsteps = 0;
    b->match_given = true;
    rc = add_step(&b->p, value, b->err, sizeof b->err);
  } else if (opt == MP_PROFILE_OPT_NAMED) {
    rc = mp_profile_load(value, &b->p, b->err, sizeof b->err);
    b->match_given = false;
  } else {
    bool no_match = opt == MP_PROFILE_OPT_ON_NO_MATCH;
    rc = parse_on(what, value, no_match, no_match ? &b->p.on_no_match : &b->p.on_match,
                  b->err, sizeof b->err);
  }
  return rc ? -1 : 0;
}
