/* profile.h: the match-and-overlay profile of an import job.
 *
 * A profile says how a record finds the Instance it re-imports (match
 * steps tried in order, first step with a candidate decides) and what
 * happens on a match and on no match. It travels with the job as JSON in
 * jobs.profile (written by `marcpipe import`/`produce`, read by the sink
 * per job). Format and named profiles: schemas/profiles/README.md.
 * Pure functions; no global state; thread-safe.
 */
#ifndef MARCPIPE_PROFILE_H
#define MARCPIPE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
  MP_MATCH_CONTROL = 0, /* "001": 003:001 / 001 (instance_keys kind control) */
  MP_MATCH_OCLC = 1,    /* "035": normalised OCLC number */
  MP_MATCH_ISBN = 2,    /* "isbn": ISBN-13 */
  MP_MATCH_ISSN = 3,    /* "issn": NNNN-NNNN */
} mp_match_kind_t;

typedef enum { MP_ON_UPDATE = 0, MP_ON_SKIP = 1, MP_ON_CREATE = 2 } mp_on_t;

#define MP_PROFILE_MAX_STEPS 4

typedef struct mp_profile_s {
  int nsteps;                              /* 0 = match nothing ("none") */
  mp_match_kind_t steps[MP_PROFILE_MAX_STEPS]; /* distinct, in order */
  mp_on_t on_match;                        /* update, skip or create */
  mp_on_t on_no_match;                     /* create or skip */
} mp_profile_t;

/* The default: match 001 then 035, update on match, create otherwise. */
void mp_profile_default(mp_profile_t *p);

/* Names as used in options and JSON ("001", "update", ...). */
const char *mp_profile_kind_name(mp_match_kind_t k);
/* instance_keys.kind of a step ("control", "oclc", "isbn", "issn"). */
const char *mp_profile_key_kind(mp_match_kind_t k);
const char *mp_profile_on_name(mp_on_t a);

/* Parse and validate profile JSON:
 *   {"match": ["001", "035"], "on_match": "update", "on_no_match": "create"}
 * Missing members take the default; unknown members, bad values, repeated
 * or more than MP_PROFILE_MAX_STEPS steps, "none" with other steps are
 * MP_ECONFIG with errbuf naming the bad value. NULL or "" text = default. */
int mp_profile_parse(const char *json, mp_profile_t *out, char *errbuf,
                     size_t errlen);
/* Canonical JSON (malloc'ed, caller free()s; NULL on ENOMEM). */
char *mp_profile_to_json(const mp_profile_t *p);

/* Load a named profile (schemas/profiles/NAME.json, schemas dir from
 * MARCPIPE_SCHEMAS or the build default) or, when name contains '/' or
 * ends in ".json", that file. MP_ECONFIG / MP_EIO with errbuf set. */
int mp_profile_load(const char *name, mp_profile_t *out, char *errbuf,
                    size_t errlen);

/* Collects the profile options of a command line. Initialise with
 * mp_profile_builder_init(). Later options override earlier ones; the
 * first --match replaces the base profile's steps, later ones append. */
typedef struct mp_profile_builder_s {
  mp_profile_t p;
  bool match_given;
  char err[256];   /* set when mp_profile_builder_set() returns -1 */
} mp_profile_builder_t;

/* The settings a builder takes (a command's --match, --on-match,
 * --on-no-match and --profile). */
typedef enum {
  MP_PROFILE_OPT_MATCH,       /* a match step, or "none" */
  MP_PROFILE_OPT_ON_MATCH,    /* update, skip or create */
  MP_PROFILE_OPT_ON_NO_MATCH, /* create or skip */
  MP_PROFILE_OPT_NAMED,       /* a named profile or a path (mp_profile_load):
                                 replaces everything set before */
} mp_profile_opt_t;

void mp_profile_builder_init(mp_profile_builder_t *b);
/* Apply one setting: 0, or -1 on a bad value with b->err naming it (an
 * on-match/on-no-match message names it as `what`, e.g. "--on-match"). */
int mp_profile_builder_set(mp_profile_builder_t *b, mp_profile_opt_t opt,
                           const char *what, const char *value);

#endif
