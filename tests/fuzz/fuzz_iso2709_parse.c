/* fuzz_iso2709_parse.c: libFuzzer target for what fuzz_iso2709.c leaves
 * out: the single-record parser (message values), the stream reader in
 * strict mode, and the ISO 2709 writer, whose output must parse back with
 * the same number of fields. */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_and_parse_back(const mp_record_t *rec, mp_buf_t *out,
                                 mp_record_t *back) {
  mp_buf_clear(out);
  if (mp_marc_write_iso2709(rec, out) != 0)
    return; /* MP_ETOOBIG is a valid answer */
  if (mp_marc_parse_iso2709(out->data, out->len, back, NULL) != 0 ||
      back->nfields != rec->nfields)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mp_marc_reader_opts_t o = {.format = MP_FMT_ISO2709,
                             .strict = true,
                             .max_record_bytes = 1 << 20};
  int err;
  mp_marc_reader_t *r =
      mp_marc_reader_open_mem("fuzz", (const char *)data, size, &o, &err);
  if (!r)
    abort();
  mp_buf_t out;
  mp_buf_init(&out);
  mp_record_t back;
  mp_record_init(&back);
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF)
    if (rc == 0)
      write_and_parse_back(rec, &out, &back);
  mp_marc_reader_close(r);
  mp_record_t one;
  mp_record_init(&one);
  if (mp_marc_parse_iso2709((const char *)data, size, &one, NULL) == 0)
    write_and_parse_back(&one, &out, &back);
  mp_record_release(&one);
  mp_record_release(&back);
  mp_buf_release(&out);
  return 0;
}
