/* fuzz_mapping.c: libFuzzer target for the mapping engine, two ways.
 *
 * Bytes starting with '{' are a rules document in FOLIO's format: it is
 * compiled for each family against the seeded reference data (every rule
 * key FOLIO's mapper reads: entity, entityPerRepeatedSubfield,
 * subFieldDelimiter, subFieldSplit, indicators, requiredSubfield,
 * exclusiveSubfield, alternativeMapping, createSingleObject,
 * ignoreSubsequentFields/Subfields, keepTrailingBackslash,
 * fieldReplacementBy3Digits, conditions with LDR and value, functions with
 * parameters); a document that compiles maps FOLIO's example record of
 * that family (tests/data/folio). A refused document must say why.
 * Other bytes are one ISO 2709 record for mp_marc_parse_iso2709 (as a
 * worker receives a message value); a record that parses goes through
 * mp_match_keys and mp_mapping_map_record with the default rules (its
 * family by leader/06). Checked contracts: the primary key is never empty,
 * key strings are NUL-terminated in their arrays, a mapped record is an
 * object that serialises (valid UTF-8), a bib Instance has "source",
 * "title" and "instanceTypeId", and a refusal says why. Parsing applies no
 * charset step, so the mapping also sees bytes that are not valid UTF-8. */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MP_SCHEMAS_DIR
#define MP_SCHEMAS_DIR "schemas"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mp_mapping_t *rules(void) {
  static mp_mapping_t *m;
  if (!m) {
    char msg[512] = "";
    m = mp_mapping_load(NULL, NULL, msg, sizeof msg);
    if (!m) {
      fprintf(stderr, "fuzz_mapping: cannot load the default rules: %s\n",
              msg);
      abort();
    }
  }
  return m;
}

/* FOLIO's example record of each family, read once. */
static mp_record_t examples[MP_FAMILIES];
static mp_marc_reader_t *readers[MP_FAMILIES];

static const mp_record_t *example(mp_family_t f) {
  static const char *const names[MP_FAMILIES] = {
      "parsedBibRecord.json", "parsedHoldingsRecord.json",
      "parsedAuthorityRecord.json"};
  if (!readers[f]) {
    const char *dir = getenv("MARCPIPE_SCHEMAS");
    char path[4096];
    snprintf(path, sizeof path, "%s/../tests/data/folio/%s",
             dir && dir[0] ? dir : MP_SCHEMAS_DIR, names[f]);
    int err = 0;
    mp_marc_reader_opts_t o = {0};
    o.format = MP_FMT_JSON;
    mp_record_t *rec;
    if (!(readers[f] = mp_marc_reader_open(path, &o, &err)) ||
        mp_marc_reader_next(readers[f], &rec) != 0) {
      fprintf(stderr, "fuzz_mapping: cannot read %s\n", path);
      abort();
    }
    mp_record_init(&examples[f]);
    if (mp_record_clone(&examples[f], rec))
      abort();
  }
  return &examples[f];
}

static void check_str(const char *s, size_t cap) {
  if (!memchr(s, '\0', cap))
    abort();
}

static void check_keys(const mp_match_keys_t *k) {
  check_str(k->primary, sizeof k->primary);
  check_str(k->control, sizeof k->control);
  if (!k->primary[0] || k->noclc < 0 || k->noclc > MP_MAX_KEYS ||
      k->nisbn < 0 || k->nisbn > MP_MAX_KEYS || k->nissn < 0 ||
      k->nissn > MP_MAX_KEYS)
    abort();
  for (int i = 0; i < k->noclc; i++)
    check_str(k->oclc[i], sizeof k->oclc[i]);
  for (int i = 0; i < k->nisbn; i++)
    check_str(k->isbn[i], sizeof k->isbn[i]);
  for (int i = 0; i < k->nissn; i++)
    check_str(k->issn[i], sizeof k->issn[i]);
}

/* Map r with m; the result must be a serialisable object, or a refusal
 * that says why. */
static void map_checked(const mp_mapping_t *m, const mp_record_t *r,
                        mp_family_t want) {
  json_t *out = NULL;
  char msg[512] = "";
  mp_family_t fam = MP_FAMILY_NONE;
  int rc = mp_mapping_map_record(m, r, want, &out, &fam, NULL, NULL, msg,
                                 sizeof msg);
  if (rc == 0) {
    if (!json_is_object(out))
      abort();
    if (fam == MP_FAMILY_BIB &&
        (!json_object_get(out, "source") || !json_object_get(out, "title") ||
         !json_object_get(out, "instanceTypeId")))
      abort();
    char *text = json_dumps(out, JSON_COMPACT);
    if (!text)
      abort(); /* a record must serialise (valid UTF-8 strings) */
    free(text);
    json_decref(out);
  } else if (out || !msg[0] ||
             (rc != MP_ENOTBIB && rc != MP_EMAPPING && rc != MP_ENOMEM)) {
    abort();
  }
}

static void fuzz_rules(const uint8_t *data, size_t size) {
  const mp_mapping_t *m = rules();
  json_t *root = json_loadb((const char *)data, size, 0, NULL);
  if (!root)
    return;
  for (int f = 0; f < MP_FAMILIES; f++) {
    mp_mapping_t alt;
    memset(&alt, 0, sizeof alt);
    alt.refdata = m->refdata; /* shared, only read */
    for (int k = 0; k < MP_FAMILIES; k++)
      alt.rules[k] = m->rules[k];
    mp__ruleset_t rs;
    char msg[512] = "";
    int rc = mp__rules_compile(root, "fuzz.json", (mp_family_t)f, &m->refdata,
                               &rs, msg, sizeof msg);
    if (rc) {
      if (!msg[0] || (rc != MP_ERULES && rc != MP_ENOMEM))
        abort();
      continue;
    }
    alt.rules[f] = rs;
    map_checked(&alt, example((mp_family_t)f), (mp_family_t)f);
    mp__rules_release(&rs);
  }
  json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size && data[0] == '{') {
    fuzz_rules(data, size);
    return 0;
  }
  const mp_mapping_t *m = rules();
  mp_record_t rec;
  mp_record_init(&rec);
  if (mp_marc_parse_iso2709((const char *)data, size, &rec, NULL) != 0)
    goto out;
  mp_match_keys_t keys;
  mp_match_keys(&rec, (const char *)data, size, &keys);
  check_keys(&keys);
  mp_match_keys(&rec, NULL, 0, &keys); /* hash of the fields */
  check_keys(&keys);
  map_checked(m, &rec, MP_FAMILY_NONE);
out:
  mp_record_release(&rec);
  return 0;
}
