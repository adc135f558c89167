/* json_writer.c: MARC-in-JSON output, one record per line (no trailing
 * newline), in the shape json_reader.c reads:
 *   {"leader":"...","fields":[{"001":"..."},{"245":{"ind1":"1","ind2":"0",
 *    "subfields":[{"a":"..."}]}}]}
 * Strings are escaped by escape.c; markup is appended as literals after
 * one reserve per record. Appends to the caller's buffer. The COPY form
 * is the same text with each backslash doubled: the markup holds none, so
 * only the strings' escapes change (one pass, no second encoder). */
#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

typedef int (*esc_fn)(mp_buf_t *out, const char *p, size_t n);

/* `open` (markup up to the opening quote) + escaped text + `close` */
#define STR(out, open, p, n, close)                                            \
  (MP__PUT_LIT(out, open) || esc(out, p, n) || MP__PUT_LIT(out, close))

static int datafield(const mp_record_t *r, mp_buf_t *out, const mp_field_t *f,
                     esc_fn esc) {
  if (STR(out, "{\"ind1\":\"", &f->ind1, 1, "\"") ||
      STR(out, ",\"ind2\":\"", &f->ind2, 1, "\",\"subfields\":["))
    return MP_ENOMEM;
  const mp_subfield_t *s = mp_field_subfields(r, f);
  for (uint32_t i = 0; i < f->sf_count; i++)
    if ((i && MP__PUT_LIT(out, ",")) ||
        STR(out, "{\"", &s[i].code, 1, "\":") ||
        STR(out, "\"", s[i].data, s[i].len, "\"}"))
      return MP_ENOMEM;
  return MP__PUT_LIT(out, "]}");
}

static int write_json(const mp_record_t *r, mp_buf_t *out, esc_fn esc) {
  if (mp__reserve_record(out, r, 48, 12) ||
      STR(out, "{\"leader\":\"", r->leader, 24, "\",\"fields\":["))
    return MP_ENOMEM;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    if ((i && MP__PUT_LIT(out, ",")) || STR(out, "{\"", f->tag, 3, "\":"))
      return MP_ENOMEM;
    int rc = f->is_control ? STR(out, "\"", f->data, f->len, "\"")
                           : datafield(r, out, f, esc);
    if (rc || MP__PUT_LIT(out, "}"))
      return rc ? rc : MP_ENOMEM;
  }
  return MP__PUT_LIT(out, "]}");
}

int mp_marc_write_json(const mp_record_t *r, mp_buf_t *out) {
  return write_json(r, out, mp__escape_json);
}

int mp_marc_write_json_copy(const mp_record_t *r, mp_buf_t *out) {
  return write_json(r, out, mp__escape_json_copy);
}
