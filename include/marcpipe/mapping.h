/* mapping.h: MARC record -> inventory record JSON, by FOLIO's mapping rules.
 *
 * Three record families, chosen by leader/06: bibliographic -> Instance
 * (FOLIO's marc_bib_rules.json), holdings (u v x y) -> Holdings
 * (marc_holdings_rules.json), authority (z) -> Authority
 * (marc_authority_rules.json). Rule files are read in FOLIO's own format
 * with FOLIO's semantics; reference data are FOLIO-shaped records with
 * their ids (schemas/mapping/README.md). Everything is loaded once into an
 * immutable mp_mapping_t; mapping is then a pure function of (mapping,
 * record) and safe to call from several threads with the same mapping.
 */
#ifndef MARCPIPE_MAPPING_H
#define MARCPIPE_MAPPING_H

#include "marcpipe/buf.h"
#include "marcpipe/marc.h"

#include <jansson.h>
#include <stddef.h>

typedef struct mp_mapping_s mp_mapping_t;

typedef enum {
  MP_FAMILY_BIB = 0,   /* -> Instance */
  MP_FAMILY_HOLDINGS,  /* -> Holdings */
  MP_FAMILY_AUTHORITY, /* -> Authority */
  MP_FAMILIES,
  MP_FAMILY_NONE = -1 /* leader/06 of no family */
} mp_family_t;

/* Family of a leader/06 byte (a c d e f g i j k m o p r t: bib; u v x y:
 * holdings; z: authority), MP_FAMILY_NONE else. */
mp_family_t mp_mapping_family_of(char leader6);
/* "bib", "holdings", "authority" / "Instance", "Holdings", "Authority";
 * parse returns the family or MP_FAMILY_NONE. */
const char *mp_family_name(mp_family_t f);
const char *mp_family_target(mp_family_t f);
mp_family_t mp_family_parse(const char *s);

/* Load rules and reference data.
 * rules: NULL = FOLIO's three default rule files under the schemas
 *   directory (mapping/marc_bib_rules.json, marc_holdings_rules.json,
 *   marc_authority_rules.json); else "FILE" (the bib rules; the other
 *   families keep their defaults) or a comma-separated list of
 *   "bib=FILE", "holdings=FILE", "authority=FILE".
 * refdata: NULL = the seeded reference data, mapping/reference-data/ under
 *   the schemas directory; else a directory of FOLIO reference records
 *   (one sub-directory per type, e.g. identifier-types/, each file one
 *   record or an array) or a FILE holding one JSON object keyed by type
 *   ("identifierTypes": [...], as FOLIO's mapping parameters). A type that
 *   is absent is "no reference data" for FOLIO's functions.
 * The schemas directory is $MARCPIPE_SCHEMAS when set, else MP_SCHEMAS_DIR.
 * On failure returns NULL and writes a message naming the file, the tag, the
 * rule and what is wrong (an unknown key or function names it) into errbuf. */
mp_mapping_t *mp_mapping_load(const char *rules, const char *refdata,
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

/* One step of a mapping, for --explain: rule `index` (0-based) of `tag`
 * (for a 880, the tag it stands for), entity member `member` (-1 none),
 * wrote `value` to `target`. Called synchronously during the map call. */
typedef void (*mp_mapping_trace_fn)(void *ud, const char *tag, int index,
                                    int member, const char *target,
                                    const char *value);

/* What a mapping says besides the text. */
typedef struct mp_mapped_s {
  mp_family_t family; /* the family mapped by (also when mapping fails;
                         MP_FAMILY_NONE when leader/06 names none) */
  const char *hrid;   /* the record's "hrid" (NUL-terminated), NULL when it
                         has none; valid until the calling thread maps its
                         next record */
} mp_mapped_t;

/* Map one record of family `family` (MP_FAMILY_NONE: by leader/06) and
 * append its compact JSON text to out: the record's properties in the
 * order the rules first set them, no spaces, strings escaped as jansson
 * escapes them (the bytes json_dumps(.., JSON_COMPACT) gives for the same
 * record). id, when not NULL, is set as the record's "id" (in its place
 * when the rules mapped one, else last). info may be NULL.
 * Returns 0; MP_ENOTBIB when leader/06 names no family ("no record family
 * for leader/06 'q'"); MP_EMAPPING when FOLIO's mapper makes no record
 * ("880 field without $6", "no title: ..."); MP_ETOOBIG when the record
 * would take more memory than the limit per record (a pathological
 * record: the mapping state stays bounded); MP_ENOMEM. On failure out is
 * unchanged and errbuf says why. trace (may be NULL) is called for each
 * value written. Thread-safe: m is only read; each thread has its own
 * mapping state, reused from record to record. */
int mp_mapping_map_text(const mp_mapping_t *m, const mp_record_t *r,
                        mp_family_t family, const char *id, mp_buf_t *out,
                        mp_mapped_t *info, mp_mapping_trace_fn trace,
                        void *trace_ud, char *errbuf, size_t errlen);

/* The same as a new jansson object in *out (caller decrefs; the text
 * above, parsed) and the family in *family_out (may be NULL). For tools
 * and tests that look into the record; the sink uses the text. */
int mp_mapping_map_record(const mp_mapping_t *m, const mp_record_t *r,
                          mp_family_t family, json_t **out,
                          mp_family_t *family_out, mp_mapping_trace_fn trace,
                          void *trace_ud, char *errbuf, size_t errlen);

/* Bibliographic only: as mp_mapping_map_record, but MP_ENOTBIB for any
 * record that is not bibliographic ("not a bibliographic record
 * (leader/06 'z')"). */
int mp_mapping_map(const mp_mapping_t *m, const mp_record_t *r,
                   json_t **instance, char *errbuf, size_t errlen);

#endif
