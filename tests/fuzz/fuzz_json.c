/* fuzz_json.c: libFuzzer target for the json reader (format forced) and,
 * through fuzz_common.h, the MARCXML, JSON and ISO 2709 writers; the same
 * bytes also go to mp_marc_parse_json as one message value. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mp_record_t rec;
  mp_record_init(&rec);
  mp_marc_diag_t diag;
  mp_marc_parse_json((const char *)data, size, &rec, &diag);
  mp_record_release(&rec);
  return fuzz_reader(data, size, MP_FMT_JSON);
}
