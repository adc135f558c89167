/* mapping.h: MARC bibliographic record -> Instance JSON, by a rules file.
 *
 * Rules (schemas/mapping/marc-bib.json) and reference data
 * (schemas/mapping/reference-data.json) are loaded once into an immutable
 * mp_mapping_t; mapping is then a pure function of (rules, record) and is
 * safe to call from several threads at once with the same mp_mapping_t.
 */
#ifndef MARCPIPE_MAPPING_H
#define MARCPIPE_MAPPING_H

#include "marcpipe/marc.h"

#include <jansson.h>
#include <stddef.h>

typedef struct mp_mapping_s mp_mapping_t;

/* Load rules and reference data. rules_path/refdata_path NULL = the
 * defaults mapping/marc-bib.json and mapping/reference-data.json under the
 * schemas directory: $MARCPIPE_SCHEMAS when set, else MP_SCHEMAS_DIR.
 * On failure returns NULL and writes a message naming the file, the rule's
 * tag and what is wrong into errbuf. */
mp_mapping_t *mp_mapping_load(const char *rules_path, const char *refdata_path,
                              char *errbuf, size_t errlen);
void mp_mapping_free(mp_mapping_t *m);

/* Match keys of one record (see schemas/mapping/MATCH-KEYS.md). Strings are
 * NUL-terminated, "" when absent. */
#define MP_MAX_KEYS 8
typedef struct mp_match_keys_s {
  char primary[160];              /* 001 with 003 ("003:001", or "001")
                                     else "sha1:<40 hex>" of the raw bytes
                                     (or of leader+fields); the Kafka
                                     message key */
  char control[160];              /* "003:001" or "001"; "" without 001 */
  char oclc[MP_MAX_KEYS][32];     /* OCLC numbers from 035 $a "(OCoLC)...",
                                     digits only, no ocm/ocn/on, no leading
                                     zeros */
  int noclc;
  char isbn[MP_MAX_KEYS][16];     /* ISBN-13, from 020 $a (ISBN-10 converted) */
  int nisbn;
  char issn[MP_MAX_KEYS][12];     /* NNNN-NNNN from 022 $a */
  int nissn;
} mp_match_keys_t;

/* Compute the match keys. Never fails. raw/raw_len: the record's bytes used
 * for the hash fallback (may be NULL: then the fields are hashed). */
void mp_match_keys(const mp_record_t *r, const char *raw, size_t raw_len,
                   mp_match_keys_t *keys);

/* Map one record. Returns 0 and a new JSON object in *instance (caller
 * decrefs), MP_ENOTBIB for authority/holdings records (leader/06 not one of
 * a c d e f g i j k m o p r t: "not a bibliographic record (leader/06 'z')"),
 * MP_EMAPPING when no Instance can be made ("no title: ..."), or MP_ENOMEM;
 * errbuf says why. The Instance always has "source":"MARC", "title" and
 * "instanceTypeId"; its shape is documented in schemas/mapping/README.md.
 * Thread-safe: m is only read. */
int mp_mapping_map(const mp_mapping_t *m, const mp_record_t *r,
                   json_t **instance, char *errbuf, size_t errlen);

#endif
