/* record_impl.h: appends for the readers' hot loops (private to src/marc).
 *
 * The public mp_record_add_* functions check what a reader already knows
 * (the last field is a data field, copy or view) and go through a call per
 * subfield. A reader that has just added a data field can append its
 * subfields with mp__record_push_subfield instead (and start fields with
 * mp__record_next_field, which mp_record_add_* use too): the capacity
 * check is inline and growing is out of line. Same record afterwards as with
 * mp_record_add_subfield(r, code, data, len, false). Single owner, like the
 * record.
 */
#ifndef MP_MARC_RECORD_IMPL_H
#define MP_MARC_RECORD_IMPL_H

#include "marcpipe/marc.h"

#include <string.h>

/* Make room for `need` fields / subfields in all (doubling). 0 or
 * MP_ENOMEM; on failure the record is unchanged. */
int mp__record_reserve_fields(mp_record_t *r, uint32_t need);
int mp__record_reserve_subfields(mp_record_t *r, uint32_t need);

/* The slot after the last field, initialised as an empty data field with
 * blank indicators whose subfields start at the next one; the caller fills
 * it and then counts it (r->nfields++). NULL on ENOMEM. */
static inline mp_field_t *mp__record_next_field(mp_record_t *r,
                                                const char tag[3]) {
  if (r->nfields == r->cap_fields &&
      mp__record_reserve_fields(r, r->nfields + 1))
    return NULL;
  mp_field_t *f = &r->fields[r->nfields];
  memcpy(f->tag, tag, 3);
  f->tag[3] = '\0';
  f->ind1 = f->ind2 = ' ';
  f->is_control = false;
  f->data = "";
  f->len = 0;
  f->sf_first = r->nsubfields;
  f->sf_count = 0;
  return f;
}

/* Append a subfield view (not copied) to the last field, which the caller
 * guarantees is a data field (it just added it). NULL on ENOMEM. */
static inline mp_subfield_t *mp__record_push_subfield(mp_record_t *r,
                                                      char code,
                                                      const char *data,
                                                      size_t len) {
  if (r->nsubfields == r->cap_subfields &&
      mp__record_reserve_subfields(r, r->nsubfields + 1))
    return NULL;
  mp_subfield_t *s = &r->subfields[r->nsubfields++];
  s->code = code;
  s->data = len ? data : "";
  s->len = (uint32_t)len;
  r->fields[r->nfields - 1].sf_count++;
  return s;
}

#endif
