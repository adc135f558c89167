/* fuzz_mapping.c: libFuzzer target for the mapping engine: the bytes are one
 * ISO 2709 record for mp_marc_parse_iso2709 (as a worker receives a message
 * value); a record that parses goes through mp_match_keys and mp_mapping_map
 * with the default rules (loaded once, from $MARCPIPE_SCHEMAS or the build's
 * schemas directory). Checked contracts: the primary key is never empty,
 * every key string is NUL-terminated within its array, a mapped Instance
 * has "source", "title" and "instanceTypeId", and a refusal says why.
 * Parsing applies no charset step, so the mapping also sees bytes that are
 * not valid UTF-8. */
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
  json_t *inst = NULL;
  char msg[512] = "";
  int rc = mp_mapping_map(m, &rec, &inst, msg, sizeof msg);
  if (rc == 0) {
    if (!json_is_object(inst) || !json_object_get(inst, "source") ||
        !json_object_get(inst, "title") ||
        !json_object_get(inst, "instanceTypeId"))
      abort();
    char *text = json_dumps(inst, JSON_COMPACT);
    if (!text)
      abort(); /* an Instance must serialise (valid UTF-8 strings) */
    free(text);
    json_decref(inst);
  } else if (inst || !msg[0] ||
             (rc != MP_ENOTBIB && rc != MP_EMAPPING && rc != MP_ENOMEM)) {
    abort();
  }
out:
  mp_record_release(&rec);
  return 0;
}
