/* iso2709_writer.c: serialise a record as ISO 2709 (see marc.h).
 *
 * Lengths, base address and directory are recomputed from the fields;
 * data fields are written from their subfields (the source of truth for
 * every reader), so two indicators and one-byte codes: leader/10-11 = "22"
 * and leader/20-23 = "4500". Other leader bytes are copied. A record that
 * would exceed 99,999 bytes appends nothing and returns MP_ETOOBIG.
 * Pure function of the record; appends to the caller's buffer.
 */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <string.h>

static size_t field_size(const mp_record_t *r, const mp_field_t *f) {
  if (f->is_control)
    return f->len + 1;
  size_t n = 3; /* indicators + terminator */
  const mp_subfield_t *sf = mp_field_subfields(r, f);
  for (uint32_t j = 0; j < f->sf_count; j++)
    n += 2 + sf[j].len;
  return n;
}

static char *put_field(const mp_record_t *r, const mp_field_t *f, char *o) {
  if (f->is_control) {
    memcpy(o, f->data, f->len);
    o += f->len;
  } else {
    *o++ = f->ind1;
    *o++ = f->ind2;
    const mp_subfield_t *sf = mp_field_subfields(r, f);
    for (uint32_t j = 0; j < f->sf_count; j++) {
      *o++ = MP_MARC_SD;
      *o++ = sf[j].code;
      memcpy(o, sf[j].data, sf[j].len);
      o += sf[j].len;
    }
  }
  *o++ = MP_MARC_FT;
  return o;
}

static void put_num(char *o, size_t v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    o[i] = (char)('0' + v % 10);
}

int mp_marc_write_iso2709(const mp_record_t *r, mp_buf_t *out) {
  size_t base = 24 + 12 * (size_t)r->nfields + 1, data = 0;
  for (uint32_t i = 0; i < r->nfields; i++) {
    size_t n = field_size(r, &r->fields[i]);
    if (n > 9999)
      return MP_ETOOBIG;
    data += n;
  }
  size_t total = base + data + 1;
  if (total > MP_MARC_ISO_MAX)
    return MP_ETOOBIG;
  int rc = mp_buf_reserve(out, total);
  if (rc)
    return rc;
  char *rec = out->data + out->len, *dir = rec + 24, *o = rec + base;
  memcpy(rec, r->leader, 24);
  put_num(rec, total, 5);
  memcpy(rec + 10, "22", 2);
  put_num(rec + 12, base, 5);
  memcpy(rec + 20, "4500", 4);
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    char *end = put_field(r, f, o);
    for (int k = 0; k < 3; k++) /* short tags (XML/JSON) padded */
      dir[k] = f->tag[k] && (k == 0 || f->tag[k - 1]) ? f->tag[k] : ' ';
    put_num(dir + 3, (size_t)(end - o), 4);
    put_num(dir + 7, (size_t)(o - (rec + base)), 5);
    dir += 12;
    o = end;
  }
  *dir = MP_MARC_FT;
  *o = MP_MARC_RT;
  out->len += total;
  out->data[out->len] = '\0';
  return 0;
}
