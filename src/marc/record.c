/* record.c: the MARC record model (see marcpipe/marc.h).
 *
 * Fields and subfields live in two growable arrays owned by the record;
 * their data are views. mp_record_clear() keeps the arrays and the arena's
 * first block, so a reader that reuses one record allocates nothing per
 * record in steady state. Single owner, no locking.
 */
#include "marc/record_impl.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_record_init(mp_record_t *r) {
  memset(r, 0, sizeof *r);
  memset(r->leader, ' ', 24);
  r->leader[24] = '\0';
  mp_arena_init(&r->arena, 16 * 1024);
}

void mp_record_release(mp_record_t *r) {
  free(r->fields);
  free(r->subfields);
  mp_arena_release(&r->arena);
  memset(r, 0, sizeof *r);
}

void mp_record_clear(mp_record_t *r) {
  r->nfields = 0;
  r->nsubfields = 0;
  r->recno = 0;
  r->offset = 0;
  r->nwarnings = 0;
  memset(r->leader, ' ', 24);
  mp_arena_reset(&r->arena);
}

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  uint32_t c = *cap ? *cap : 32;
  while (c < need)
    c *= 2;
  void *p = realloc(*arr, (size_t)c * elem);
  if (!p)
    return MP_ENOMEM;
  *arr = p;
  *cap = c;
  return 0;
}

int mp__record_reserve_fields(mp_record_t *r, uint32_t need) {
  return grow((void **)&r->fields, &r->cap_fields, need, sizeof *r->fields);
}

int mp__record_reserve_subfields(mp_record_t *r, uint32_t need) {
  return grow((void **)&r->subfields, &r->cap_subfields, need,
              sizeof *r->subfields);
}

static const char *store(mp_record_t *r, const char *data, size_t len,
                         bool copy) {
  if (!copy || len == 0)
    return len ? data : "";
  return mp_arena_dup(&r->arena, data, len);
}

mp_field_t *mp_record_add_control(mp_record_t *r, const char tag[3],
                                  const char *data, size_t len, bool copy) {
  mp_field_t *f = mp__record_next_field(r, tag);
  if (!f)
    return NULL;
  const char *d = store(r, data, len, copy);
  if (!d)
    return NULL;
  f->is_control = true;
  f->data = d;
  f->len = (uint32_t)len;
  r->nfields++;
  return f;
}

mp_field_t *mp_record_add_datafield(mp_record_t *r, const char tag[3],
                                    char ind1, char ind2) {
  mp_field_t *f = mp__record_next_field(r, tag);
  if (!f)
    return NULL;
  f->ind1 = ind1;
  f->ind2 = ind2;
  r->nfields++;
  return f;
}

mp_subfield_t *mp_record_add_subfield(mp_record_t *r, char code,
                                      const char *data, size_t len,
                                      bool copy) {
  if (r->nfields == 0 || r->fields[r->nfields - 1].is_control)
    return NULL;
  if (mp__record_reserve_subfields(r, r->nsubfields + 1))
    return NULL;
  const char *d = store(r, data, len, copy);
  return d ? mp__record_push_subfield(r, code, d, len) : NULL;
}

int mp_record_clone(mp_record_t *dst, const mp_record_t *src) {
  mp_record_clear(dst);
  memcpy(dst->leader, src->leader, sizeof dst->leader);
  dst->recno = src->recno;
  dst->offset = src->offset;
  dst->nwarnings = src->nwarnings;
  for (uint32_t i = 0; i < src->nfields; i++) {
    const mp_field_t *f = &src->fields[i];
    mp_field_t *n;
    if (f->is_control) {
      n = mp_record_add_control(dst, f->tag, f->data, f->len, true);
      if (!n)
        return MP_ENOMEM;
      continue;
    }
    n = mp_record_add_datafield(dst, f->tag, f->ind1, f->ind2);
    if (!n)
      return MP_ENOMEM;
    n->data = mp_arena_dup(&dst->arena, f->data, f->len);
    if (!n->data)
      return MP_ENOMEM;
    n->len = f->len;
    for (uint32_t j = 0; j < f->sf_count; j++) {
      const mp_subfield_t *s = &src->subfields[f->sf_first + j];
      if (!mp_record_add_subfield(dst, s->code, s->data, s->len, true))
        return MP_ENOMEM;
    }
  }
  return 0;
}

/* Snapshot layout: this header, the fields, the subfields. */
typedef struct {
  char leader[24];
  uint32_t nfields, nsubfields;
} snap_head_t;

size_t mp_record_snapshot_size(const mp_record_t *r) {
  if (!mp_arena_empty(&r->arena))
    return 0;
  size_t n = sizeof(snap_head_t) + (size_t)r->nfields * sizeof(mp_field_t) +
             (size_t)r->nsubfields * sizeof(mp_subfield_t);
  return (n + 7) & ~(size_t)7;
}

void mp_record_snapshot(const mp_record_t *r, void *out) {
  snap_head_t h = {.nfields = r->nfields, .nsubfields = r->nsubfields};
  memcpy(h.leader, r->leader, 24);
  char *o = out;
  memcpy(o, &h, sizeof h);
  o += sizeof h;
  if (r->nfields)
    memcpy(o, r->fields, (size_t)r->nfields * sizeof(mp_field_t));
  o += (size_t)r->nfields * sizeof(mp_field_t);
  if (r->nsubfields)
    memcpy(o, r->subfields, (size_t)r->nsubfields * sizeof(mp_subfield_t));
}

void mp_record_view(mp_record_t *v, const void *snap) {
  snap_head_t h;
  memcpy(&h, snap, sizeof h);
  memset(v, 0, sizeof *v);
  memcpy(v->leader, h.leader, 24);
  const char *p = (const char *)snap + sizeof h;
  v->fields = (mp_field_t *)p;
  v->subfields = (mp_subfield_t *)(p + (size_t)h.nfields * sizeof(mp_field_t));
  v->nfields = h.nfields;
  v->nsubfields = h.nsubfields;
}

const mp_field_t *mp_record_field(const mp_record_t *r, const char *tag) {
  for (uint32_t i = 0; i < r->nfields; i++)
    if (memcmp(r->fields[i].tag, tag, 3) == 0)
      return &r->fields[i];
  return NULL;
}

const mp_subfield_t *mp_field_subfield(const mp_record_t *r,
                                       const mp_field_t *f, char code) {
  for (uint32_t j = 0; j < f->sf_count; j++)
    if (r->subfields[f->sf_first + j].code == code)
      return &r->subfields[f->sf_first + j];
  return NULL;
}

void mp_marc_diag_format(const mp_marc_diag_t *d, const char *file, char *buf,
                         size_t bufsz) {
  const char *sev = d->severity == MP_SEV_WARNING ? "warning" : "error";
  if (d->tag[0])
    snprintf(buf, bufsz, "%s: record %llu at byte %llu, field %s: %s: %s",
             file ? file : "-", (unsigned long long)d->recno,
             (unsigned long long)d->offset, d->tag, sev, d->msg);
  else
    snprintf(buf, bufsz, "%s: record %llu at byte %llu: %s: %s",
             file ? file : "-", (unsigned long long)d->recno,
             (unsigned long long)d->offset, sev, d->msg);
}
