/* text_writer.c: human-readable line format like yaz-marcdump's.
 *
 *   LEADER (24 bytes)
 *   001 value
 *   245 10 $a Title / $c Someone.
 *   (blank line after each record)
 * Bytes are written as they are (the reader already made them UTF-8).
 * Pure function of the record; appends to the caller's buffer.
 */
#include "marcpipe/marc.h"

int mp_marc_write_text(const mp_record_t *r, mp_buf_t *out) {
  int rc = mp_buf_printf(out, "%.24s\n", r->leader);
  for (uint32_t i = 0; !rc && i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    if (f->is_control) {
      rc = mp_buf_printf(out, "%.3s %.*s\n", f->tag, (int)f->len, f->data);
      continue;
    }
    rc = mp_buf_printf(out, "%.3s %c%c", f->tag, f->ind1, f->ind2);
    const mp_subfield_t *sf = mp_field_subfields(r, f);
    for (uint32_t j = 0; !rc && j < f->sf_count; j++)
      rc = mp_buf_printf(out, " $%c %.*s", sf[j].code, (int)sf[j].len,
                         sf[j].data);
    if (!rc)
      rc = mp_buf_putc(out, '\n');
  }
  return rc ? rc : mp_buf_putc(out, '\n');
}
