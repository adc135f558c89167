/* fuzz_json.c: libFuzzer target for the json reader (format forced) and,
 * through fuzz_common.h, the MARCXML, JSON and ISO 2709 writers; the same
 * bytes also go to mp_marc_parse_json as one message value. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mp_record_t rec; /* reused: its arena and arrays stay allocated */
  static bool ready;
  if (!ready) {
    mp_record_init(&rec);
    ready = true;
  }
  mp_marc_diag_t diag;
  mp_marc_parse_json((const char *)data, size, &rec, &diag);
  mp_record_clear(&rec);
  return fuzz_reader(data, size, MP_FMT_JSON);
}
