/* marcxml_writer.c: MARCXML output (MARC21 slim). Each record is a
 * <record> element carrying the namespace itself, so it stands alone or
 * inside the <collection> written by the begin/end helpers. Text and
 * attributes are escaped by escape.c. Appends to the caller's buffer;
 * on error the buffer may hold a partial record (the caller truncates). */
#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#define SLIM "http://www.loc.gov/MARC21/slim"

int mp_marc_write_marcxml_begin(mp_buf_t *out) {
  return mp_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<collection xmlns=\"" SLIM "\">\n");
}

int mp_marc_write_marcxml_end(mp_buf_t *out) {
  return mp_buf_puts(out, "</collection>\n");
}

/* " name=\"value\"" */
static int attr(mp_buf_t *out, const char *name, const char *v, size_t n) {
  if (mp_buf_printf(out, " %s=\"", name) || mp__escape_xml(out, v, n, true))
    return MP_ENOMEM;
  return mp_buf_putc(out, '"');
}

static int control(mp_buf_t *out, const mp_field_t *f) {
  if (mp_buf_puts(out, "  <controlfield") || attr(out, "tag", f->tag, 3) ||
      mp_buf_putc(out, '>') || mp__escape_xml(out, f->data, f->len, false))
    return MP_ENOMEM;
  return mp_buf_puts(out, "</controlfield>\n");
}

static int datafield(const mp_record_t *r, mp_buf_t *out,
                     const mp_field_t *f) {
  if (mp_buf_puts(out, "  <datafield") || attr(out, "tag", f->tag, 3) ||
      attr(out, "ind1", &f->ind1, 1) || attr(out, "ind2", &f->ind2, 1) ||
      mp_buf_puts(out, ">\n"))
    return MP_ENOMEM;
  const mp_subfield_t *s = mp_field_subfields(r, f);
  for (uint32_t i = 0; i < f->sf_count; i++)
    if (mp_buf_puts(out, "    <subfield") || attr(out, "code", &s[i].code, 1) ||
        mp_buf_putc(out, '>') ||
        mp__escape_xml(out, s[i].data, s[i].len, false) ||
        mp_buf_puts(out, "</subfield>\n"))
      return MP_ENOMEM;
  return mp_buf_puts(out, "  </datafield>\n");
}

int mp_marc_write_marcxml(const mp_record_t *r, mp_buf_t *out) {
  if (mp_buf_puts(out, "<record xmlns=\"" SLIM "\">\n  <leader>") ||
      mp__escape_xml(out, r->leader, 24, false) ||
      mp_buf_puts(out, "</leader>\n"))
    return MP_ENOMEM;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    int rc = f->is_control ? control(out, f) : datafield(r, out, f);
    if (rc)
      return rc;
  }
  return mp_buf_puts(out, "</record>\n");
}
