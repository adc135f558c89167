/* marcxml_writer.c: MARCXML output (MARC21 slim). Each record is a
 * <record> element carrying the namespace itself, so it stands alone or
 * inside the <collection> written by the begin/end helpers. Text and
 * attributes are escaped by escape.c; markup is appended as literals (no
 * formatting calls) after one reserve per record. Appends to the caller's
 * buffer; on error the buffer may hold a partial record (the caller
 * truncates). */
#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#define SLIM "http://www.loc.gov/MARC21/slim"

int mp_marc_write_marcxml_begin(mp_buf_t *out) {
  return MP__PUT_LIT(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<collection xmlns=\"" SLIM "\">\n");
}

int mp_marc_write_marcxml_end(mp_buf_t *out) {
  return MP__PUT_LIT(out, "</collection>\n");
}

/* `open` (markup up to the opening quote) + escaped value + '"' */
#define ATTR(out, open, v, n)                                                  \
  (MP__PUT_LIT(out, open) || mp__escape_xml(out, v, n, true) ||              \
   MP__PUT_LIT(out, "\""))

static int control(mp_buf_t *out, const mp_field_t *f) {
  if (ATTR(out, "  <controlfield tag=\"", f->tag, 3) ||
      MP__PUT_LIT(out, ">") || mp__escape_xml(out, f->data, f->len, false))
    return MP_ENOMEM;
  return MP__PUT_LIT(out, "</controlfield>\n");
}

static int datafield(const mp_record_t *r, mp_buf_t *out,
                     const mp_field_t *f) {
  if (ATTR(out, "  <datafield tag=\"", f->tag, 3) ||
      ATTR(out, " ind1=\"", &f->ind1, 1) ||
      ATTR(out, " ind2=\"", &f->ind2, 1) || MP__PUT_LIT(out, ">\n"))
    return MP_ENOMEM;
  const mp_subfield_t *s = mp_field_subfields(r, f);
  for (uint32_t i = 0; i < f->sf_count; i++)
    if (ATTR(out, "    <subfield code=\"", &s[i].code, 1) ||
        MP__PUT_LIT(out, ">") ||
        mp__escape_xml(out, s[i].data, s[i].len, false) ||
        MP__PUT_LIT(out, "</subfield>\n"))
      return MP_ENOMEM;
  return MP__PUT_LIT(out, "  </datafield>\n");
}

int mp_marc_write_marcxml(const mp_record_t *r, mp_buf_t *out) {
  if (mp__reserve_record(out, r, 64, 36) ||
      MP__PUT_LIT(out, "<record xmlns=\"" SLIM "\">\n  <leader>") ||
      mp__escape_xml(out, r->leader, 24, false) ||
      MP__PUT_LIT(out, "</leader>\n"))
    return MP_ENOMEM;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    int rc = f->is_control ? control(out, f) : datafield(r, out, f);
    if (rc)
      return rc;
  }
  return MP__PUT_LIT(out, "</record>\n");
}
