/* mapping_impl.h: internal model of FOLIO mapping rules, compiled.
 *
 * A FOLIO rules file (marc_bib_rules.json, marc_holdings_rules.json,
 * marc_authority_rules.json) is a JSON object keyed by tag; each value is an
 * array of "field mappings". A field mapping either is one "field rule"
 * (target, subfield, rules, subFieldDelimiter, ...) or holds an "entity"
 * array of field rules that fill ONE object together. Each field rule has
 * "rules" (tried in order; the first whose conditions hold and that has a
 * constant "value" ends the list), each with "conditions" whose "type" is a
 * comma-separated chain of normalisation functions.
 *
 * Everything is compiled once (rules.c): targets resolved against the
 * family's record shape (targets.c), functions resolved to table entries
 * with their parameters checked (functions.c), subfield lists turned into
 * bitmaps. Unknown keys, functions and targets are load errors. The result
 * is immutable: any number of threads evaluate with it (evaluate.c).
 */
#ifndef MP_MAPPING_IMPL_H
#define MP_MAPPING_IMPL_H

#include "marcpipe/buf.h"
#include "marcpipe/mapping.h"

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- record shapes (targets.c) ---- */

typedef enum {
  MP__K_STRING,   /* scalar string: a later value overwrites */
  MP__K_BOOL,     /* scalar boolean: "true" (any case) is true */
  MP__K_STRINGS,  /* list of strings: values appended */
  MP__K_STRSET,   /* set of strings (uniqueItems): duplicates dropped */
  MP__K_OBJECTS,  /* list of objects: members filled by rules */
  MP__K_OBJECT,   /* one nested object (dates) */
} mp__kind_t;

typedef struct mp__member_s {
  const char *name;
  bool boolean; /* else string */
} mp__member_t;

typedef struct mp__prop_s {
  const char *name;
  mp__kind_t kind;
  const mp__member_t *members; /* OBJECTS / OBJECT; NULL-name terminated */
} mp__prop_t;

typedef struct mp__shape_s {
  const char *name; /* "Instance" */
  const mp__prop_t *props;
  size_t nprops;
} mp__shape_t;

#define MP__MAX_PROPS 72
const mp__shape_t *mp__shape(mp_family_t f);
/* Index of the property called name[0..len) in s, or -1. */
int mp__shape_prop(const mp__shape_t *s, const char *name, size_t len);
/* Index of member name in prop p, or -1. */
int mp__prop_member(const mp__prop_t *p, const char *name);

/* ---- the mapped record's value tree (value.c) ---- */

typedef enum { MP__V_STR, MP__V_TRUE, MP__V_FALSE, MP__V_ARR, MP__V_OBJ } mp__vtype_t;

typedef struct mp__val_s mp__val_t;
typedef struct mp__kv_s {
  const char *key; /* not copied: a shape's name or a literal */
  mp__val_t *val;
} mp__kv_t;

struct mp__val_s {
  mp__vtype_t type;
  size_t n;           /* string bytes, array items, object members */
  union {
    const char *s;    /* MP__V_STR: NUL-terminated copy */
    mp__val_t **items; /* MP__V_ARR */
    mp__kv_t *kv;     /* MP__V_OBJ, in insertion order */
  };
  size_t cap;         /* array / object capacity */
};

/* Bytes one record's tree may take; more is refused (MP_ETOOBIG). */
#define MP__VT_CAP ((size_t)32 << 20)

typedef struct mp__vt_s { /* one thread's tree memory, reset per record */
  mp_arena_t arena;
  size_t used, cap;
  bool over;  /* an allocation went past cap */
} mp__vt_t;

void mp__vt_init(mp__vt_t *t);
void mp__vt_reset(mp__vt_t *t);
void mp__vt_release(mp__vt_t *t);

/* The calling thread's cap on its record trees (0: MP__VT_CAP); tests. */
void mp__mapping_tree_cap(size_t cap);

/* Constructors: NULL when out of memory or past the cap. */
mp__val_t *mp__v_str(mp__vt_t *t, const char *s, size_t n); /* copied */
mp__val_t *mp__v_bool(bool b);                              /* shared */
mp__val_t *mp__v_arr(mp__vt_t *t);
mp__val_t *mp__v_obj(mp__vt_t *t);
/* Append v (NULL: MP_ENOMEM, so constructors can be passed directly). */
int mp__v_push(mp__vt_t *t, mp__val_t *arr, mp__val_t *v);
/* Set key: in place when present, else last. v NULL: MP_ENOMEM. */
int mp__v_set(mp__vt_t *t, mp__val_t *obj, const char *key, mp__val_t *v);
void mp__v_del(mp__val_t *obj, const char *key);
void mp__v_remove(mp__val_t *arr, size_t i);
/* Readers: NULL / 0 when v is not of the type asked. */
mp__val_t *mp__v_get(const mp__val_t *obj, const char *key);
mp__val_t *mp__v_at(const mp__val_t *arr, size_t i);
size_t mp__v_size(const mp__val_t *arr);
const char *mp__v_cstr(const mp__val_t *v);
bool mp__v_equal(const mp__val_t *a, const mp__val_t *b);
/* Append the compact JSON text (json_dumps(.., JSON_COMPACT)'s bytes).
 * 0 or MP_ENOMEM, out then unchanged. */
int mp__v_write(const mp__val_t *v, mp_buf_t *out);

/* ---- reference data (refdata.c) ---- */

typedef struct mp__refrow_s {
  char *id;
  char *name;  /* may be NULL */
  char *code;  /* may be NULL */
  char **codes; /* authority source files: prefixes; may be NULL */
  size_t ncodes;
} mp__refrow_t;

typedef struct mp__reftable_s {
  char *type; /* FOLIO's mapping-parameter name: "identifierTypes" */
  mp__refrow_t *rows;
  size_t nrows;
} mp__reftable_t;

typedef struct mp__refdata_s {
  mp__reftable_t *tables;
  size_t ntables;
} mp__refdata_t;

int mp__refdata_load(const char *path, mp__refdata_t *rd, char *err,
                     size_t errlen);
void mp__refdata_release(mp__refdata_t *rd);
/* The table of that type, or NULL when the reference data has none (FOLIO:
 * the mapping parameter is null). */
const mp__reftable_t *mp__refdata_get(const mp__refdata_t *rd,
                                      const char *type);

/* ---- functions (functions.c) ---- */

typedef struct mp__sf_s {
  char code;
  const char *data;
  size_t len;
} mp__sf_t;

/* What a function may look at besides the value. */
typedef struct mp__fnctx_s {
  const mp__refdata_t *rd;
  const char *leader;  /* 24 bytes */
  bool data_field;     /* false for control fields and LDR */
  char ind1, ind2;
  const mp__sf_t *sf;  /* the field's current subfields */
  size_t nsf;
} mp__fnctx_t;

typedef struct mp__fndef_s mp__fndef_t;

/* A compiled call: the function and its "parameter" object, checked. */
typedef struct mp__fncall_s {
  const mp__fndef_t *def;
  json_t *param;   /* owned reference, may be NULL */
  int from, to;    /* char_select */
  const mp__reftable_t *table; /* lookups: resolved at load, NULL = none */
  regex_t *re;     /* set_identifier_type_id_by_value: oclc_regex */
  char *konst;     /* the result when it depends on nothing but the
                      parameter and reference data (folded at load) */
  size_t konst_len;
} mp__fncall_t;

/* Run one function: out = f(value). Returns 0, MP_ENOMEM, or MP_EMAPPING
 * when the function fails on this value (FOLIO's runner then keeps the
 * value unchanged; the evaluator does the same). out is distinct from
 * value. */
int mp__fn_run(const mp__fnctx_t *c, const mp__fncall_t *call,
               const char *value, size_t len, mp_buf_t *out);
/* Resolve `name` (trimmed) with its parameter into call; 0 or MP_ERULES
 * with a message. */
int mp__fn_compile(const char *name, size_t len, json_t *param,
                   const mp__refdata_t *rd, mp__fncall_t *call, char *err,
                   size_t errlen);
void mp__fn_release(mp__fncall_t *call);
/* Names of all functions (NULL-terminated), for tests and docs. */
extern const char *const mp__fn_names[];

/* ---- compiled rules (rules.c) ---- */

typedef struct mp__codeset_s {
  uint64_t bits[2];
} mp__codeset_t;

static inline bool mp__codeset_has(const mp__codeset_t *s, char c) {
  unsigned u = (unsigned char)c;
  return u < 128 && (s->bits[u >> 6] >> (u & 63)) & 1;
}

typedef struct mp__cond_s {
  mp__fncall_t *calls;
  size_t ncalls;
  char *value;   /* condition "value": the function result must equal it */
  bool ldr;      /* "LDR": functions see the leader */
} mp__cond_t;

typedef struct mp__rule_s { /* one element of "rules" */
  mp__cond_t *conds;
  size_t nconds;
  char *value;   /* constant "value" used when the conditions hold */
} mp__rule_t;

typedef struct mp__delim_s {
  char *value;
  mp__codeset_t codes;
  bool empty;    /* "subfields": [] : the separator between groups */
} mp__delim_t;

typedef struct mp__frule_s mp__frule_t;
struct mp__frule_s { /* a field rule: one target */
  char *target;       /* as written, for messages and --explain */
  int prop;           /* property index in the shape, -1: target "" */
  int member;         /* member index, -1 for a whole property */
  mp__codeset_t sf;   /* "subfield" codes */
  bool sf_all;        /* "subfield": [] : every subfield */
  bool has_rules;     /* "rules" present (even empty) */
  mp__rule_t *rules;
  size_t nrules;
  mp__delim_t *delims;
  size_t ndelims;
  bool has_delims;
  bool apply_post;           /* applyRulesOnConcatenatedData */
  bool ignore_subsequent_sf; /* ignoreSubsequentSubfields */
  int split_every;           /* subFieldSplit split_every N, 0 none */
  mp__codeset_t required;    /* requiredSubfield: all must be present */
  bool has_required;
  mp__codeset_t exclusive;   /* exclusiveSubfield: none may be present */
  bool has_exclusive;
  bool create_single;        /* createSingleObject */
  mp__frule_t *alt;          /* alternativeMapping */
};

typedef struct mp__repl_s {
  char source[4], target[4];
} mp__repl_t;

typedef struct mp__fmap_s { /* one element of a tag's array */
  mp__frule_t *items; /* entity members, or the mapping itself */
  size_t nitems;
  bool entity;               /* "entity" present */
  bool per_repeated;         /* entityPerRepeatedSubfield */
  bool keep_backslash;       /* keepTrailingBackslash */
  bool ignore_subsequent_fields;
  bool has_ind;
  char *ind1, *ind2;         /* indicator filters as written */
  bool repl3;                /* fieldReplacementBy3Digits */
  mp__codeset_t repl_sf;     /* the subfield holding the 3 digits */
  mp__repl_t *repl;
  size_t nrepl;
} mp__fmap_t;

#define MP__NTAGS 1001 /* 000-999, LDR */
#define MP__TAG_LDR 1000

typedef struct mp__tagrules_s {
  mp__fmap_t *maps;
  size_t nmaps;
  bool any_ind;       /* some map has "indicators" */
  bool any_repl;      /* some map has fieldReplacementBy3Digits */
} mp__tagrules_t;

typedef struct mp__ruleset_s {
  mp_family_t family;
  const mp__shape_t *shape;
  char *path;
  mp__tagrules_t *tags;   /* MP__NTAGS entries; other tags have no rules */
  json_t *extra;          /* rules keyed by non-numeric tags: kept, never
                             matched (FOLIO keys by exact tag) */
} mp__ruleset_t;

int mp__rules_load(const char *path, mp_family_t family,
                   const mp__refdata_t *rd, mp__ruleset_t *rs, char *err,
                   size_t errlen);
/* The same from a parsed rules document (root is only read; path names it
 * in messages). */
int mp__rules_compile(json_t *root, const char *path, mp_family_t family,
                      const mp__refdata_t *rd, mp__ruleset_t *rs, char *err,
                      size_t errlen);
void mp__rules_release(mp__ruleset_t *rs);
/* 0-999 for a numeric tag, MP__TAG_LDR for "LDR", -1 else. */
int mp__tag_index(const char *tag);

struct mp_mapping_s {
  mp__refdata_t refdata;
  mp__ruleset_t rules[MP_FAMILIES];
};

/* FOLIO's placeholder id, returned by several lookups when there is no
 * reference data of their type or no match. */
#define MP__STUB_ID "fe19bae4-da28-472b-be90-d442e2428ead"

/* ---- SHA-1 (sha1.c) ---- */
typedef struct mp__sha1_s {
  uint32_t h[5];
  uint64_t total;
  uint8_t block[64];
  size_t used;
} mp__sha1_t;
void mp__sha1_init(mp__sha1_t *s);
void mp__sha1_update(mp__sha1_t *s, const void *data, size_t len);
void mp__sha1_final(mp__sha1_t *s, uint8_t out[20]);

#endif
