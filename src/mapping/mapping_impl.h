/* mapping_impl.h: internal model of compiled mapping rules.
 *
 * The rules file (schemas/mapping/marc-bib.json, format in
 * schemas/mapping/README.md) is compiled once into flat arrays: every rule
 * knows its target (resolved against the Instance target table), its
 * indicator filters as bitmaps, its subfield sets as bitmaps and its
 * function chain as resolved function pointers with parsed parameters.
 * Rules are grouped by tag index (000-999 numeric tags, MP__TAG_LDR for the
 * leader), so the evaluator finds a field's rules with one array access.
 * Everything here is immutable after mp_mapping_load(): any number of
 * threads may evaluate with the same mp_mapping_t.
 */
#ifndef MP_MAPPING_IMPL_H
#define MP_MAPPING_IMPL_H

#include "marcpipe/buf.h"
#include "marcpipe/mapping.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- Instance targets (schema.c) ---- */

typedef enum {
  MP__T_STRING,  /* scalar string: first value wins */
  MP__T_STRINGS, /* array of strings: values appended, duplicates dropped */
  MP__T_OBJECTS, /* array of objects: one object per matching field */
  MP__T_OBJECT,  /* single object (dates): members set once each */
  MP__T_BOOL,    /* boolean: constant values only */
} mp__tkind_t;

typedef struct mp__target_s {
  const char *name;
  mp__tkind_t kind;
  const char *required[3]; /* members an object must have to be kept */
} mp__target_t;

/* The Instance property called name[0..len), or NULL. */
const mp__target_t *mp__target_find(const char *name, size_t len);
/* Dense index of a property (0 .. MP__NTARGETS-1), for per-call caches. */
#define MP__NTARGETS 32
size_t mp__target_id(const mp__target_t *t);

/* ---- reference data (refdata.c) ---- */

typedef struct mp__refrow_s {
  char *id;
  char *name;
  char *code; /* may be NULL */
  char *key;  /* indicator value or tag this row answers for; may be NULL */
} mp__refrow_t;

typedef struct mp__reftable_s {
  char *name;
  mp__refrow_t *rows;
  size_t nrows;
  int fallback; /* row index used for unknown keys, -1 = leave unset */
} mp__reftable_t;

typedef struct mp__refdata_s {
  mp__reftable_t *tables;
  size_t ntables;
} mp__refdata_t;

typedef enum {
  MP__BY_NAME,         /* value compared with row names */
  MP__BY_CODE,         /* value compared with row codes */
  MP__BY_CODE_OR_NAME, /* code first, then name */
  MP__BY_KEY,          /* a key (indicator, tag) compared with row keys */
} mp__refby_t;

int mp__refdata_load(const char *path, mp__refdata_t *rd, char *err,
                     size_t errlen);
void mp__refdata_release(mp__refdata_t *rd);
/* Index of the table called name, or -1. */
int mp__refdata_table(const mp__refdata_t *rd, const char *name);
/* The row matching s[0..n) (case-insensitive, trailing spaces and
 * punctuation ignored), the table's fallback row, or NULL. */
const mp__refrow_t *mp__refdata_lookup(const mp__reftable_t *t,
                                       mp__refby_t by, const char *s,
                                       size_t n);

/* ---- functions (functions.c) ---- */

typedef struct mp__fnctx_s {
  const mp__refdata_t *rd;
  const mp_record_t *r; /* NULL when folding a constant at load */
  const mp_field_t *f;  /* NULL when folding a constant at load */
} mp__fnctx_t;

typedef struct mp__fncall_s mp__fncall_t;

/* A function transforms the value in v in place. Returns 0, MP__FN_OMIT
 * when the value must be dropped (e.g. unknown code without fallback), or
 * MP_ENOMEM. Functions are pure: they read only ctx and call. */
#define MP__FN_OMIT 1
typedef int (*mp__fn_t)(const mp__fnctx_t *ctx, const mp__fncall_t *call,
                        mp_buf_t *v);

typedef struct mp__fndef_s mp__fndef_t;

struct mp__fncall_s {
  const mp__fndef_t *def;
  int from, to;    /* char_select */
  int indicator;   /* 1 or 2: remove_prefix_by_indicator, lookups by ind */
  int table;       /* reference table index for set_* functions */
};

/* Resolve function `name` with its parameters (object or NULL) into call.
 * 0, or MP_ERULES with a message in err. */
int mp__fn_compile(const char *name, json_t *params, const mp__refdata_t *rd,
                   mp__fncall_t *call, char *err, size_t errlen);
int mp__fn_apply(const mp__fnctx_t *ctx, const mp__fncall_t *call,
                 mp_buf_t *v);
/* True when the call's result depends on the value alone (not on the
 * field's indicators, tag or other subfields): a constant value followed
 * by such calls is computed once at load. */
bool mp__fn_value_only(const mp__fncall_t *call);

/* ---- compiled rules (rules.c) ---- */

#define MP__TAG_LDR 1000
#define MP__NTAGS 1001
#define MP__MAX_RULES 4096
#define MP__MAX_LINKED 16
#define MP__MAX_MEMBERS 64

typedef struct mp__codeset_s {
  uint64_t bits[2]; /* subfield codes 0-127 */
} mp__codeset_t;

static inline bool mp__codeset_has(const mp__codeset_t *s, char c) {
  unsigned u = (unsigned char)c;
  return u < 128 && (s->bits[u >> 6] >> (u & 63)) & 1;
}

typedef struct mp__member_s {
  char *member;            /* object member, NULL for a whole property */
  size_t member_len;
  uint64_t same_before;    /* entity: earlier members with the same target */
  mp__codeset_t sf;        /* subfields taken, in field order */
  bool has_sf;
  char *delim;             /* between concatenated subfields (" ") */
  uint8_t delim_of[128];   /* code -> index+1 into delims, 0 = delim */
  char **delims;
  size_t ndelims;
  mp__fncall_t *fns;
  size_t nfns;
  char *value;             /* constant string, or NULL; when no functions
                              remain it is the final value (folded) */
  bool never;              /* the constant's functions drop it: no value */
  int bool_value;          /* -1 none, else 0/1 */
  bool each_subfield;      /* functions run on each subfield, not the join */
  bool first_only;         /* only the first matching subfield */
  int split_every;         /* 0 = no split */
} mp__member_t;

typedef struct mp__rule_s {
  char tag[4];
  size_t index;                 /* position in the tag's array (messages) */
  const mp__target_t *target;
  bool entity;                  /* object built from several members */
  mp__member_t *members;
  size_t nmembers;
  uint64_t required[3];         /* per required property member: the rule's
                                   members that give it (0 = unused) */
  uint64_t ind_ok[2][4];        /* allowed indicator bytes */
  mp__codeset_t required_sf;    /* field must have one of these */
  bool has_required;
  mp__codeset_t repeat;         /* one value/object per occurrence */
  bool has_repeat;
  bool ignore_subsequent;       /* only the first matching field */
  char linked[MP__MAX_LINKED][4]; /* 880: tags named by $6 */
  size_t nlinked;
} mp__rule_t;

typedef struct mp__ruleset_s {
  mp__rule_t *rules;            /* grouped by tag index */
  size_t nrules;
  uint32_t first[MP__NTAGS];
  uint32_t count[MP__NTAGS];
} mp__ruleset_t;

/* Compile the rules file at path against rd. 0 or MP_ERULES/MP_ENOMEM,
 * with "FILE: tag T rule N: what" in err. */
int mp__rules_load(const char *path, const mp__refdata_t *rd,
                   mp__ruleset_t *rs, char *err, size_t errlen);
void mp__rules_release(mp__ruleset_t *rs);
/* Tag index of a 3-byte tag: 0-999, MP__TAG_LDR for "LDR", -1 else. */
int mp__tag_index(const char *tag);

struct mp_mapping_s {
  mp__ruleset_t rules;
  mp__refdata_t refdata;
  int instance_types; /* table index of instanceTypes, -1 if absent */
};

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
