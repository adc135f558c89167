/* json_writer.c: MARC-in-JSON output, one record per line (no trailing
 * newline), in the shape json_reader.c reads:
 *   {"leader":"...","fields":[{"001":"..."},{"245":{"ind1":"1","ind2":"0",
 *    "subfields":[{"a":"..."}]}}]}
 * Strings are escaped by escape.c. Appends to the caller's buffer. */
#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

/* "text" */
static int str(mp_buf_t *out, const char *p, size_t n) {
  if (mp_buf_putc(out, '"') || mp__escape_json(out, p, n))
    return MP_ENOMEM;
  return mp_buf_putc(out, '"');
}

static int datafield(const mp_record_t *r, mp_buf_t *out,
                     const mp_field_t *f) {
  if (mp_buf_puts(out, "{\"ind1\":") || str(out, &f->ind1, 1) ||
      mp_buf_puts(out, ",\"ind2\":") || str(out, &f->ind2, 1) ||
      mp_buf_puts(out, ",\"subfields\":["))
    return MP_ENOMEM;
  const mp_subfield_t *s = mp_field_subfields(r, f);
  for (uint32_t i = 0; i < f->sf_count; i++)
    if ((i && mp_buf_putc(out, ',')) || mp_buf_putc(out, '{') ||
        str(out, &s[i].code, 1) || mp_buf_putc(out, ':') ||
        str(out, s[i].data, s[i].len) || mp_buf_putc(out, '}'))
      return MP_ENOMEM;
  return mp_buf_puts(out, "]}");
}

int mp_marc_write_json(const mp_record_t *r, mp_buf_t *out) {
  if (mp_buf_puts(out, "{\"leader\":") || str(out, r->leader, 24) ||
      mp_buf_puts(out, ",\"fields\":["))
    return MP_ENOMEM;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    if ((i && mp_buf_putc(out, ',')) || mp_buf_putc(out, '{') ||
        str(out, f->tag, 3) || mp_buf_putc(out, ':'))
      return MP_ENOMEM;
    int rc = f->is_control ? str(out, f->data, f->len) : datafield(r, out, f);
    if (rc || mp_buf_putc(out, '}'))
      return rc ? rc : MP_ENOMEM;
  }
  return mp_buf_puts(out, "]}");
}
