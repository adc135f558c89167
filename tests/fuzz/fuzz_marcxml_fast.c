/* fuzz_marcxml_fast.c: differential libFuzzer target for the MARCXML fast
 * scanner. The bytes are read twice from memory, through the scanner (with
 * its hand-over to libxml2) and through libxml2 alone. When libxml2 alone
 * reads the whole input without a fatal error, both must return the same
 * codes and the same records (offsets aside); a difference aborts. (When
 * libxml2 fails, it may fail earlier than the scanner, which delivers the
 * good records before a broken one, so only crashes are looked for.) */
#include "marc/marcxml_fast.h"

#include "fuzz_quiet.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of everything a pass returns, and whether it ended fatally. */
static uint64_t pass(const uint8_t *data, size_t size, bool fast,
                     bool *fatal) {
  mp_marc_reader_opts_t opts = {.format = MP_FMT_MARCXML,
                                .max_record_bytes = 1 << 20};
  mp__marcxml_no_fast = !fast;
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open_mem(
      "fuzz", (const char *)data, size, &opts, &err);
  mp__marcxml_no_fast = false;
  *fatal = true;
  if (!rd)
    return 0;
  uint64_t h = 1469598103934665603ull;
#define MIX(p, n)                                                              \
  for (size_t k_ = 0; k_ < (n); k_++)                                          \
    h = (h ^ ((const unsigned char *)(p))[k_]) * 1099511628211ull;
  for (size_t calls = 0; calls <= size + 2; calls++) {
    mp_record_t *rec;
    int rc = mp_marc_reader_next(rd, &rec);
    MIX(&rc, sizeof rc);
    if (rc == MP_EOF) {
      *fatal = false;
      break;
    }
    if (rc < 0 && mp_marc_reader_fatal(rd))
      break;
    if (rc < 0)
      continue;
    MIX(rec->leader, 24);
    for (uint32_t i = 0; i < rec->nfields; i++) {
      const mp_field_t *f = &rec->fields[i];
      MIX(f->tag, 3);
      MIX(&f->ind1, 1);
      MIX(&f->ind2, 1);
      MIX(f->data, f->len);
    }
  }
  mp_marc_reader_close(rd);
  return h;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet_libxml();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bool fatal_fast, fatal_slow;
  uint64_t a = pass(data, size, true, &fatal_fast);
  uint64_t b = pass(data, size, false, &fatal_slow);
  if (!fatal_slow && (fatal_fast || a != b))
    abort();
  return 0;
}
