/* fuzz_iso2709.c: libFuzzer target for the iso2709 reader (format forced) and,
 * through fuzz_common.h, the MARCXML, JSON and ISO 2709 writers. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_reader(data, size, MP_FMT_ISO2709);
}
