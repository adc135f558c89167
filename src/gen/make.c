/* make.c: one generated record from the pool (see marcpipe/gen.h).
 *
 * Output record i is built field by field from a pool record chosen by a
 * PRNG whose state depends only on the seed and the record's running
 * number g = first_id + i, so a run split by --first-id ranges gives the
 * same records as one run. Unchanged fields are shallow
 * copies (views into the pool); changed ones (001, 003, 010, 020, 035,
 * 245) get new bytes in the output record's arena, and their field data
 * (the subfields with their delimiters) is rebuilt so that data and
 * subfield views agree. Identifiers are unique in a file because each
 * comes from a bijection of (g, occurrence) onto a fixed number range.
 * Thread-safe on a loaded pool.
 */
#include "gen/gen_impl.h"
#include "marcpipe/error.h"

#include <string.h>

/* Bijections x -> (A*x + B) mod M (A coprime with M): ISBN bodies are 9
 * digits, other system numbers 10. */
#define ISBN_M 1000000000ULL
#define ISBN_A 792606241ULL
#define NUM_M 10000000000ULL
#define NUM_A 6364136223ULL

typedef struct ctx_s {
  const mp_gen_pool_t *pool;
  mp_record_t *out;
  uint64_t g; /* the record's running number: first_id + i */
  uint64_t rng;
  uint64_t isbn_b, num_b; /* seed-dependent offsets of the bijections */
  unsigned nisbn, nnum;   /* identifiers rewritten so far in this record */
} ctx_t;

/* v in decimal, zero-padded to at least width digits; returns the length
 * (at most 20). No NUL. */
static size_t put_digits(char *o, uint64_t v, size_t width) {
  char t[20];
  size_t n = 0;
  do {
    t[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < width)
    t[n++] = '0';
  for (size_t k = 0; k < n; k++)
    o[k] = t[n - 1 - k];
  return n;
}

static uint64_t affine(uint64_t x, uint64_t a, uint64_t b, uint64_t m) {
  return (uint64_t)(((unsigned __int128)a * (x % m) + b) % m);
}

/* ISBN token: the leading run of digits, X and hyphens. New ISBN of the
 * same kind (10 or 13 digits; 13 when the source is neither), followed by
 * whatever followed the token ("(pbk.)", " :"). */
static size_t new_isbn(ctx_t *c, const char *s, size_t n, char *out,
                       size_t cap) {
  size_t tok = 0, digits = 0;
  while (tok < n && ((s[tok] >= '0' && s[tok] <= '9') || s[tok] == 'X' ||
                     s[tok] == 'x' || s[tok] == '-')) {
    digits += s[tok] != '-';
    tok++;
  }
  uint64_t u = c->g * MP__GEN_MAX_IDS + c->nisbn++;
  uint64_t body = affine(u, ISBN_A, c->isbn_b, ISBN_M);
  char d[13];
  size_t len;
  if (digits == 10) {
    put_digits(d, body, 9);
    d[9] = mp_isbn_check10(d);
    len = 10;
  } else {
    memcpy(d, "978", 3);
    put_digits(d + 3, body, 9);
    d[12] = mp_isbn_check13(d);
    len = 13;
  }
  /* a source without an ISBN token ("$a pbk.") gets one before its text */
  bool sep = tok == 0 && n > 0 && s[0] != ' ';
  if (len + sep + (n - tok) > cap)
    return 0;
  memcpy(out, d, len);
  if (sep)
    out[len] = ' ';
  memcpy(out + len + sep, s + tok, n - tok);
  return len + sep + (n - tok);
}

/* System number "(ORG)letters digits..." (035) or LCCN ("  2001012345",
 * "hew60000046"; 010): keeps "(ORG)" and the letters and blanks after it,
 * replaces the rest with a unique 10-digit number. */
static size_t new_number(ctx_t *c, const char *s, size_t n, char *out,
                         size_t cap) {
  size_t keep = 0;
  if (n && s[0] == '(') {
    const char *close = memchr(s, ')', n);
    if (close)
      keep = (size_t)(close - s) + 1;
  }
  while (keep < n && ((s[keep] >= 'a' && s[keep] <= 'z') ||
                      (s[keep] >= 'A' && s[keep] <= 'Z') || s[keep] == ' '))
    keep++;
  uint64_t u = c->g * MP__GEN_MAX_IDS + c->nnum++;
  uint64_t num = affine(u, NUM_A, c->num_b, NUM_M);
  if (keep + 10 > cap)
    return 0;
  memcpy(out, s, keep);
  return keep + put_digits(out + keep, num, 10);
}

/* "$a" of 245 with 1..MP__GEN_MAX_WORDS pool words inserted before its
 * closing ISBD punctuation (" /", " :", "."). */
static size_t new_title(ctx_t *c, const char *s, size_t n, char *out,
                        size_t cap) {
  const mp_gen_pool_t *p = c->pool;
  size_t end = n;
  while (end > 0 && s[end - 1] && strchr(" /:;=.,", s[end - 1]))
    end--;
  if (end == 0) /* nothing but punctuation: leave it */
    return 0;
  if (end + (n - end) + MP__GEN_MAX_WORDS * (1 + MP__GEN_MAX_WORD_LEN) > cap)
    return 0;
  memcpy(out, s, end);
  size_t len = end;
  unsigned k = 1 + (unsigned)(mp__gen_rand(&c->rng) % MP__GEN_MAX_WORDS);
  for (unsigned w = 0; w < k && p->nwords; w++) {
    const mp__gen_word_t *wd = &p->words[mp__gen_rand(&c->rng) % p->nwords];
    out[len++] = ' ';
    memcpy(out + len, wd->p, wd->len);
    len += wd->len;
  }
  memcpy(out + len, s + end, n - end);
  return len + (n - end);
}

size_t mp__gen_pack_subfields(char *d, mp_subfield_t *s, uint32_t n) {
  size_t k = 0;
  for (uint32_t j = 0; j < n; j++) {
    d[k++] = MP_MARC_SD;
    d[k++] = s[j].code;
    memcpy(d + k, s[j].data, s[j].len);
    s[j].data = d + k;
    k += s[j].len;
  }
  return k;
}

/* Field data = its subfields with delimiters, in the arena. */
static int rebuild_data(mp_record_t *r, mp_field_t *f) {
  size_t n = 1;
  for (uint32_t j = 0; j < f->sf_count; j++)
    n += 2 + r->subfields[f->sf_first + j].len;
  char *d = mp_arena_alloc(&r->arena, n);
  if (!d)
    return MP_ENOMEM;
  f->len = (uint32_t)mp__gen_pack_subfields(d, r->subfields + f->sf_first,
                                            f->sf_count);
  d[f->len] = '\0';
  f->data = d;
  return 0;
}

/* Copy data field f of src, rewriting identifier or title subfields.
 * Drops the field (returns 0) when it holds more identifiers than a
 * record may have rewritten. */
static int copy_datafield(ctx_t *c, const mp_record_t *src,
                          const mp_field_t *f) {
  mp_record_t *out = c->out;
  bool is_title = memcmp(f->tag, "245", 3) == 0;
  bool is_isbn = memcmp(f->tag, "020", 3) == 0;
  bool changes = is_title;
  for (uint32_t j = 0; j < f->sf_count && !changes; j++)
    changes =
        mp__gen_is_id_subfield(f->tag, src->subfields[f->sf_first + j].code);
  unsigned *used = is_isbn ? &c->nisbn : &c->nnum;
  if (changes && !is_title && *used + f->sf_count > MP__GEN_MAX_IDS)
    return 0;
  mp_field_t *nf = mp_record_add_datafield(out, f->tag, f->ind1, f->ind2);
  if (!nf)
    return MP_ENOMEM;
  bool title_done = false;
  for (uint32_t j = 0; j < f->sf_count; j++) {
    const mp_subfield_t *s = &src->subfields[f->sf_first + j];
    char buf[512];
    size_t len = 0;
    if (is_title && s->code == 'a' && !title_done) {
      len = new_title(c, s->data, s->len, buf, sizeof buf);
      title_done = true;
    } else if (mp__gen_is_id_subfield(f->tag, s->code)) {
      len = is_isbn ? new_isbn(c, s->data, s->len, buf, sizeof buf)
                    : new_number(c, s->data, s->len, buf, sizeof buf);
    }
    mp_subfield_t *ns =
        len ? mp_record_add_subfield(out, s->code, buf, len, true)
            : mp_record_add_subfield(out, s->code, s->data, s->len, false);
    if (!ns)
      return MP_ENOMEM;
  }
  nf = &out->fields[out->nfields - 1];
  if (changes)
    return rebuild_data(out, nf);
  nf->data = f->data;
  nf->len = f->len;
  return 0;
}

void mp_gen_opts_default(mp_gen_opts_t *o) {
  o->seed = 1;
  o->id_prefix = "gen";
  o->first_id = 1;
  o->org_code = "MPGEN";
}

int mp_gen_make(const mp_gen_pool_t *p, const mp_gen_opts_t *o, uint64_t i,
                mp_record_t *out) {
  if (p->nrecs == 0)
    return MP_ENOTFOUND;
  size_t plen = strlen(o->id_prefix), olen = strlen(o->org_code);
  if (plen > MP__GEN_MAX_PREFIX || olen > MP__GEN_MAX_ORG)
    return MP_EUSAGE;
  mp_record_clear(out);
  uint64_t seed_state = o->seed;
  uint64_t seed_mix = mp__gen_rand(&seed_state);
  ctx_t c = {.pool = p, .out = out, .g = o->first_id + i};
  c.isbn_b = mp__gen_rand(&seed_state) % ISBN_M;
  c.num_b = mp__gen_rand(&seed_state) % NUM_M;
  c.rng = seed_mix ^ (c.g * 0xd1b54a32d192ed03ULL);
  const mp_record_t *src = &p->recs[mp__gen_rand(&c.rng) % p->nrecs];

  memcpy(out->leader, src->leader, sizeof out->leader);
  out->leader[9] = 'a';
  out->recno = i + 1;
  char id[MP__GEN_MAX_PREFIX + 24];
  memcpy(id, o->id_prefix, plen);
  size_t idlen = plen + put_digits(id + plen, c.g, 9);
  if (!mp_record_add_control(out, "001", id, idlen, true) ||
      !mp_record_add_control(out, "003", o->org_code, olen, true))
    return MP_ENOMEM;
  for (uint32_t k = 0; k < src->nfields; k++) {
    const mp_field_t *f = &src->fields[k];
    if (!memcmp(f->tag, "001", 3) || !memcmp(f->tag, "003", 3))
      continue;
    if (f->is_control) {
      if (!mp_record_add_control(out, f->tag, f->data, f->len, false))
        return MP_ENOMEM;
      continue;
    }
    int rc = copy_datafield(&c, src, f);
    if (rc)
      return rc;
  }
  return 0;
}
