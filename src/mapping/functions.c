/* functions.c: the normalisation and lookup functions rules may chain.
 *
 * A table maps each name to a small pure function that rewrites one value
 * in place (an mp_buf_t). Parameters are parsed once at load into an
 * mp__fncall_t; at run time a call is one indirect jump. Lookup functions
 * (set_*_id) are table rows too: which reference table, how to match
 * (name, code, indicator, tag) and where the key comes from. Operations that
 * change the NUMBER of values (concatenation with delimiters, split_every,
 * one value per repeated subfield) are rule options, not functions; see
 * schemas/mapping/README.md.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <string.h>

typedef enum {
  KEY_VALUE, /* the value itself */
  KEY_IND,   /* the field's indicator named by call->indicator */
  KEY_TAG,   /* the field's tag (880: the linked tag) */
  KEY_OCLC,  /* "OCLC" when the value is an OCLC number, else other */
  KEY_IND_OR_SF2, /* ind2, or subfield $2 when ind2 is '7' */
} keysrc_t;

struct mp__fndef_s {
  const char *name;
  mp__fn_t fn;
  const char *table; /* lookups: default reference table */
  mp__refby_t by;
  keysrc_t key;
  bool out_name; /* lookups: write the row's name, not its id */
  int params;    /* 0 none, 1 char_select, 2 indicator */
};

/* ---- text helpers ---- */

static void cut(mp_buf_t *v, size_t start, size_t end) {
  if (!v->data)
    return;
  if (start)
    memmove(v->data, v->data + start, end - start);
  v->len = end - start;
  v->data[v->len] = '\0';
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int fn_trim(const mp__fnctx_t *c, const mp__fncall_t *call,
                   mp_buf_t *v) {
  size_t a = 0, b = v->len;
  while (a < b && is_space(v->data[a]))
    a++;
  while (b > a && is_space(v->data[b - 1]))
    b--;
  cut(v, a, b);
  return 0;
}

static void rtrim(mp_buf_t *v) {
  while (v->len && is_space(v->data[v->len - 1]))
    v->data[--v->len] = '\0';
}

/* One trailing period, unless it ends an ellipsis. */
static int fn_trim_period(const mp__fnctx_t *c, const mp__fncall_t *call,
                          mp_buf_t *v) {
  rtrim(v);
  if (v->len && v->data[v->len - 1] == '.' &&
      !(v->len >= 3 && memcmp(v->data + v->len - 3, "...", 3) == 0))
    v->data[--v->len] = '\0';
  rtrim(v);
  return 0;
}

/* Trailing ; : , / + = and spaces (ISBD separators before the next element). */
static int fn_remove_ending_punc(const mp__fnctx_t *c, const mp__fncall_t *call,
                                 mp_buf_t *v) {
  while (v->len && strchr(" \t;:,/+=", v->data[v->len - 1]))
    v->data[--v->len] = '\0';
  return 0;
}

/* ISBD separators as above, then a final period unless it closes an
 * initial ("Smith, J.") or an ellipsis. */
static int fn_trim_punctuation(const mp__fnctx_t *c, const mp__fncall_t *call,
                               mp_buf_t *v) {
  fn_remove_ending_punc(c, call, v);
  size_t n = v->len;
  if (n && v->data[n - 1] == '.') {
    bool initial = n >= 2 && v->data[n - 2] >= 'A' && v->data[n - 2] <= 'Z' &&
                   (n == 2 || v->data[n - 3] == ' ' || v->data[n - 3] == '.');
    bool ellipsis = n >= 3 && memcmp(v->data + n - 3, "...", 3) == 0;
    if (!initial && !ellipsis)
      v->data[--v->len] = '\0';
  }
  return fn_trim(c, call, v);
}

/* Upper-case the first letter: ASCII and the Latin-1 supplement (U+00E0-
 * U+00FE except U+00F7), which covers the common Western titles. */
static int fn_capitalize(const mp__fnctx_t *c, const mp__fncall_t *call,
                         mp_buf_t *v) {
  if (!v->len)
    return 0;
  unsigned char *p = (unsigned char *)v->data;
  if (p[0] >= 'a' && p[0] <= 'z')
    p[0] -= 32;
  else if (v->len >= 2 && p[0] == 0xC3 && p[1] >= 0xA0 && p[1] <= 0xBE &&
           p[1] != 0xB7)
    p[1] -= 0x20;
  return 0;
}

/* Bytes [from, to) of a fixed-length control field (ASCII by definition). */
static int fn_char_select(const mp__fnctx_t *c, const mp__fncall_t *call,
                          mp_buf_t *v) {
  size_t from = (size_t)call->from, to = (size_t)call->to;
  if (from >= v->len) {
    cut(v, 0, 0);
    return 0;
  }
  cut(v, from, to < v->len ? to : v->len);
  return 0;
}

/* Drop the first N characters (UTF-8 code points), N = the indicator digit
 * (non-filing characters: "The ", "A "), then any spaces left in front.
 * Non-digit or zero indicator: nothing. */
static int fn_remove_prefix_by_indicator(const mp__fnctx_t *c,
                                         const mp__fncall_t *call,
                                         mp_buf_t *v) {
  char ind = call->indicator == 1 ? c->f->ind1 : c->f->ind2;
  if (ind < '1' || ind > '9')
    return 0;
  int n = ind - '0';
  size_t i = 0;
  while (n > 0 && i < v->len) {
    i++;
    while (i < v->len && ((unsigned char)v->data[i] & 0xC0) == 0x80)
      i++;
    n--;
  }
  while (i < v->len && is_space(v->data[i]))
    i++;
  cut(v, i, v->len);
  return 0;
}

/* Keep the value only when it is letters only (008 language "   ", "|||"). */
static int fn_letters_only(const mp__fnctx_t *c, const mp__fncall_t *call,
                           mp_buf_t *v) {
  if (!v->len)
    return MP__FN_OMIT;
  for (size_t i = 0; i < v->len; i++) {
    char ch = v->data[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
      return MP__FN_OMIT;
  }
  return 0;
}

/* ---- lookups ---- */

static bool is_oclc(const char *s, size_t n) {
  return n >= 7 && memcmp(s, "(OCoLC)", 7) == 0;
}

static int fn_lookup(const mp__fnctx_t *c, const mp__fncall_t *call,
                     mp_buf_t *v) {
  const mp__reftable_t *t = &c->rd->tables[call->table];
  const char *key = v->data ? v->data : "";
  size_t klen = v->len;
  char ind[1];
  switch (call->def->key) {
  case KEY_VALUE:
    break;
  case KEY_OCLC:
    key = is_oclc(key, klen) ? "OCLC" : "System control number";
    klen = strlen(key);
    break;
  case KEY_IND_OR_SF2:
    if (c->f->ind2 == '7') {
      const mp_subfield_t *s2 = mp_field_subfield(c->r, c->f, '2');
      key = s2 ? s2->data : "";
      klen = s2 ? s2->len : 0;
      break;
    }
    /* fall through */
  case KEY_IND:
    ind[0] = call->indicator == 1 ? c->f->ind1 : c->f->ind2;
    key = ind;
    klen = 1;
    break;
  case KEY_TAG:
    key = c->f->tag;
    if (memcmp(key, "880", 3) == 0) {
      const mp_subfield_t *s6 = mp_field_subfield(c->r, c->f, '6');
      if (s6 && s6->len >= 3)
        key = s6->data;
    }
    klen = 3;
    break;
  }
  mp__refby_t by = call->def->by;
  if (call->def->key == KEY_IND_OR_SF2 && key != ind)
    by = MP__BY_CODE;
  const mp__refrow_t *row = mp__refdata_lookup(t, by, key, klen);
  if (!row)
    return MP__FN_OMIT;
  const char *out = call->def->out_name ? row->name : row->id;
  mp_buf_clear(v);
  return mp_buf_puts(v, out);
}

static const mp__fndef_t fns[] = {
    {"trim", fn_trim, 0, 0, 0, 0, 0},
    {"trim_period", fn_trim_period, 0, 0, 0, 0, 0},
    {"remove_ending_punc", fn_remove_ending_punc, 0, 0, 0, 0, 0},
    {"trim_punctuation", fn_trim_punctuation, 0, 0, 0, 0, 0},
    {"capitalize", fn_capitalize, 0, 0, 0, 0, 0},
    {"char_select", fn_char_select, 0, 0, 0, 0, 1},
    {"remove_prefix_by_indicator", fn_remove_prefix_by_indicator, 0, 0, 0, 0,
     2},
    {"letters_only", fn_letters_only, 0, 0, 0, 0, 0},
    {"set_identifier_type_id_by_name", fn_lookup, "identifierTypes",
     MP__BY_NAME, KEY_VALUE, 0, 0},
    {"set_identifier_type_id_by_value", fn_lookup, "identifierTypes",
     MP__BY_NAME, KEY_OCLC, 0, 0},
    {"set_contributor_name_type_id", fn_lookup, "contributorNameTypes",
     MP__BY_NAME, KEY_VALUE, 0, 0},
    {"set_contributor_type_id", fn_lookup, "contributorTypes",
     MP__BY_CODE_OR_NAME, KEY_VALUE, 0, 0},
    {"set_instance_type_id", fn_lookup, "instanceTypes", MP__BY_CODE,
     KEY_VALUE, 0, 0},
    {"set_note_type_id", fn_lookup, "noteTypes", MP__BY_NAME, KEY_VALUE, 0,
     0},
    {"set_classification_type_id", fn_lookup, "classificationTypes",
     MP__BY_NAME, KEY_VALUE, 0, 0},
    {"set_alternative_title_type_id", fn_lookup, "alternativeTitleTypes",
     MP__BY_NAME, KEY_VALUE, 0, 0},
    {"set_electronic_access_relations_id", fn_lookup,
     "electronicAccessRelationships", MP__BY_KEY, KEY_IND, 0, 2},
    {"set_subject_source_id", fn_lookup, "subjectSources", MP__BY_KEY,
     KEY_IND_OR_SF2, 0, 0},
    {"set_subject_type_id", fn_lookup, "subjectTypes", MP__BY_KEY, KEY_TAG, 0,
     0},
    {"set_publisher_role", fn_lookup, "publisherRoles", MP__BY_KEY, KEY_IND,
     1, 2},
};

static bool int_param(json_t *params, const char *name, int lo, int hi,
                      int *out) {
  json_t *p = json_object_get(params, name);
  if (!json_is_integer(p) || json_integer_value(p) < lo ||
      json_integer_value(p) > hi)
    return false;
  *out = (int)json_integer_value(p);
  return true;
}

int mp__fn_compile(const char *name, json_t *params, const mp__refdata_t *rd,
                   mp__fncall_t *call, char *err, size_t errlen) {
  memset(call, 0, sizeof *call);
  call->indicator = 2;
  call->table = -1;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    if (strcmp(fns[i].name, name) != 0)
      continue;
    call->def = &fns[i];
    if (fns[i].params == 1 &&
        !(int_param(params, "from", 0, 99999, &call->from) &&
          int_param(params, "to", 0, 99999, &call->to) &&
          call->to > call->from)) {
      snprintf(err, errlen, "char_select needs integer \"from\" < \"to\"");
      return MP_ERULES;
    }
    if (fns[i].params == 2 && json_object_get(params, "indicator") &&
        !int_param(params, "indicator", 1, 2, &call->indicator)) {
      snprintf(err, errlen, "%s: \"indicator\" must be 1 or 2", name);
      return MP_ERULES;
    }
    if (fns[i].table) {
      const char *table = fns[i].table;
      json_t *tp = json_object_get(params, "table");
      if (json_is_string(tp))
        table = json_string_value(tp);
      call->table = mp__refdata_table(rd, table);
      if (call->table < 0) {
        snprintf(err, errlen, "%s: no reference table \"%s\"", name, table);
        return MP_ERULES;
      }
    }
    return 0;
  }
  snprintf(err, errlen, "unknown function \"%s\"", name);
  return MP_ERULES;
}

int mp__fn_apply(const mp__fnctx_t *ctx, const mp__fncall_t *call,
                 mp_buf_t *v) {
  return call->def->fn(ctx, call, v);
}

bool mp__fn_value_only(const mp__fncall_t *call) {
  const mp__fndef_t *d = call->def;
  if (d->fn == fn_remove_prefix_by_indicator)
    return false;
  return d->fn != fn_lookup || d->key == KEY_VALUE || d->key == KEY_OCLC;
}
