/* fuzz_common.h: the body shared by the reader fuzz targets: open the
 * bytes with the format forced, drain the reader (every record, rejected
 * or not, with its diagnostics and raw view), and write the first good
 * record of at most FUZZ_WRITE_MAX_BYTES raw bytes with the MARCXML, JSON
 * and ISO 2709 writers; the JSON output must parse again with as many
 * fields. The writers escape byte by byte and the JSON round trip builds a
 * jansson tree, so writing costs ten times more than reading: writing every
 * record of an input (or one of 60 KB) held the targets to hundreds of runs
 * per second, and with records up to 4 KB the JSON parse-back alone was
 * 40% of an execution of fuzz_iso2709 (1 KB: a quarter more executions per
 * second, same coverage). One small record exercises the writers' code as
 * well as many; every record still exercises the reader.
 * A reader that fails to make progress aborts (an endless loop is a bug).
 * Per-execution setup is kept out of the loop: the write buffer and the
 * parse-back record live across executions (cleared, not freed), and
 * libxml2's generic error printer is silenced once (fuzz_quiet.h) in
 * LLVMFuzzerInitialize. */
#ifndef MP_FUZZ_COMMON_H
#define MP_FUZZ_COMMON_H

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include "fuzz_quiet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_WRITE_RECORDS 1
#define FUZZ_WRITE_MAX_BYTES 1024

static void fuzz_touch(const mp_marc_reader_t *rd) {
  size_t n, rawlen;
  const mp_marc_diag_t *d = mp_marc_reader_diags(rd, &n);
  char line[512];
  for (size_t i = 0; i < n; i++)
    mp_marc_diag_format(&d[i], mp_marc_reader_name(rd), line, sizeof line);
  const char *raw = mp_marc_reader_raw(rd, &rawlen);
  volatile unsigned char sink = 0;
  if (raw && rawlen)
    sink ^= (unsigned char)(raw[0] ^ raw[rawlen - 1]);
  (void)sink;
}

/* The writers' output of a good record must be readable and give back as
 * many fields. */
static void fuzz_write(const mp_record_t *rec, mp_buf_t *out,
                       mp_record_t *back) {
  mp_buf_clear(out);
  if (mp_marc_write_json(rec, out) != 0)
    abort();
  if (mp_marc_parse_json(out->data, out->len, back, NULL) != 0 ||
      back->nfields != rec->nfields)
    abort();
  mp_buf_clear(out);
  if (mp_marc_write_marcxml(rec, out) != 0)
    abort();
  mp_buf_clear(out);
  mp_marc_write_iso2709(rec, out); /* MP_ETOOBIG is a valid answer */
}

static mp_buf_t fuzz_out;       /* writers' output, reused */
static mp_record_t fuzz_back;   /* JSON parsed back, reused */

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet_libxml();
  mp_buf_init(&fuzz_out);
  mp_record_init(&fuzz_back);
  return 0;
}

static int fuzz_reader(const uint8_t *data, size_t size,
                       mp_marc_format_t fmt) {
  mp_marc_reader_opts_t opts = {.format = fmt, .max_record_bytes = 1 << 20};
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open_mem(
      "fuzz", (const char *)data, size, &opts, &err);
  if (!rd)
    return 0;
  mp_buf_t *out = &fuzz_out;
  mp_record_t *back = &fuzz_back;
  size_t written = 0;
  for (size_t calls = 0;; calls++) {
    if (calls > size + 2)
      abort(); /* every call must consume input or end the stream */
    mp_record_t *rec = NULL;
    int rc = mp_marc_reader_next(rd, &rec);
    if (rc == MP_EOF)
      break;
    fuzz_touch(rd);
    size_t rawlen;
    mp_marc_reader_raw(rd, &rawlen);
    if (rc == 0 && rawlen <= FUZZ_WRITE_MAX_BYTES &&
        written++ < FUZZ_WRITE_RECORDS)
      fuzz_write(rec, out, back);
    else if (mp_marc_reader_fatal(rd))
      break;
  }
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(rd, &st);
  mp_record_clear(back);
  mp_marc_reader_close(rd);
  return 0;
}

#endif
