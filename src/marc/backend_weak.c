/* backend_weak.c: TEMPORARY weak placeholders for the MARCXML and JSON
 * reader backends so the library links before marcxml_reader.c and
 * json_reader.c exist. Their real (strong) definitions override these;
 * delete this file once both are in. Opening either format fails with
 * MP_EFORMAT.
 */
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

static int unavailable_open(mp_marc_reader_t *r) { return MP_EFORMAT; }
static int unavailable_next(mp_marc_reader_t *r) { return MP_EOF_; }
static void unavailable_close(mp_marc_reader_t *r) {}

__attribute__((weak)) const mp_marc_backend_t mp__marcxml_backend = {
    .name = "marcxml",
    .open = unavailable_open,
    .next = unavailable_next,
    .close = unavailable_close};

__attribute__((weak)) const mp_marc_backend_t mp__json_backend = {
    .name = "json",
    .open = unavailable_open,
    .next = unavailable_next,
    .close = unavailable_close};
