/* iso2709_parse.c: parse one framed ISO 2709 record (see iso2709_impl.h).
 *
 * Steps: leader (length, indicator count, subfield-code length, base
 * address, entry map), directory (12-byte entries up to the first field
 * terminator), fields (control fields 00X and non-numeric tags without
 * 0x1F; data fields split on 0x1F). Field and subfield data are views into
 * the input; nothing is copied. Lenient mode repairs with a warning what
 * can be repaired without guessing data; strict mode turns each such repair
 * into an error. Problems that leave nothing sound to read (non-numeric
 * directory entries, no fields) are errors in both modes.
 * Amplification bound: directory entries may point at the same bytes, and
 * each field read is a copy further on (UTF-8 conversion, JSON, the
 * journal), so a 99,917-byte record whose 7,490 entries all point at one
 * 9,999-byte field would become 75 MB. The fields' lengths together may
 * not exceed twice the record's data area (non-overlapping fields fill it
 * once; an entry pointing into another field, as repaired records have,
 * reads some bytes twice): beyond it the record is rejected (MP_EDIRECTORY)
 * in both modes, so memory per record stays bounded by its byte length.
 * Pure function of its input: no state, callable from any thread.
 */
#include "iso2709_impl.h"
#include "record_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define LEADER_LEN 24
#define ENTRY_LEN 12
#define ENTRY_CACHE 256 /* entries whose numbers are parsed only once */

typedef struct entry_s {
  uint32_t len, start;
} entry_t;

typedef struct dir_s {
  size_t base;    /* first byte of the data area */
  size_t dlen;    /* data area size (up to, not including, the 0x1D) */
  size_t nent;    /* directory entries */
  int indc;       /* indicator count used to parse data fields */
  bool by_ft;     /* fields located by terminators, not by the directory */
  entry_t cache[ENTRY_CACHE]; /* first entries, filled by check_entries */
} dir_t;

static void vdiag(const mp_iso_ctx_t *ctx, int code, mp_severity_t sev,
                  size_t off, const char *tag, const char *fmt, va_list ap) {
  char msg[240];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (ctx->emit)
    ctx->emit(ctx->ud, code, sev, off, tag ? tag : "", msg);
}

void mp__iso_diag(const mp_iso_ctx_t *ctx, int code, mp_severity_t sev,
                  size_t rel_off, const char *tag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdiag(ctx, code, sev, rel_off, tag, fmt, ap);
  va_end(ap);
}

/* A problem lenient mode repairs: warning and 0, or (strict) error and
 * `code`. */
__attribute__((format(printf, 5, 6))) static int
repairable(const mp_iso_ctx_t *ctx, int code, size_t off, const char *tag,
           const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdiag(ctx, code, ctx->strict ? MP_SEV_ERROR : MP_SEV_WARNING, off, tag, fmt,
        ap);
  va_end(ap);
  return ctx->strict ? code : 0;
}


/* Copy n leader bytes for a message: non-printable bytes become '?'. */
static const char *shown(char out[8], const char *p, int n) {
  for (int i = 0; i < n; i++)
    out[i] = p[i] >= 0x20 && p[i] < 0x7F ? p[i] : '?';
  out[n] = '\0';
  return out;
}

static int check_length(const char *p, size_t n, const mp_iso_ctx_t *ctx) {
  long stated = mp__iso_digits(p, 5);
  char s[8];
  if (n > MP_MARC_ISO_MAX) {
    int rc = repairable(ctx, MP_ELENGTH, 0, NULL,
                        "record of %zu bytes exceeds the iso 2709 limit of "
                        "%d bytes",
                        n, MP_MARC_ISO_MAX);
    if (rc)
      return rc;
  }
  if (stated < 0)
    return repairable(ctx, MP_ELENGTH, 0, NULL,
                      "leader length \"%s\" is not numeric; using the "
                      "%zu bytes up to the record terminator",
                      shown(s, p, 5), n);
  if ((size_t)stated != n && n <= MP_MARC_ISO_MAX)
    return repairable(ctx, MP_ELENGTH, 0, NULL,
                      "leader length %ld but the record terminator ends the "
                      "record at %zu bytes",
                      stated, n);
  return 0;
}

/* Indicator count (leader/10), subfield-code length (leader/11) and entry
 * map (leader/20-23). The record model has two indicators and one-byte
 * codes, so rec->leader is set to the values the record now satisfies. */
static int check_layout(const char *p, mp_record_t *rec, dir_t *d,
                        const mp_iso_ctx_t *ctx) {
  int rc = 0;
  char s[8];
  unsigned ic = (unsigned char)p[10] - '0';
  d->indc = 2;
  if (ic != 2) {
    if (ic >= 1 && ic <= 9)
      d->indc = (int)ic;
    rc = repairable(ctx, MP_ELEADER, 10, NULL,
                    "indicator count '%s' is not 2; %s", shown(s, p + 10, 1),
                    ic <= 9 && ic ? "fields parsed with it, 2 indicators kept"
                                  : "using 2");
    if (rc)
      return rc;
    rec->leader[10] = '2';
  }
  if (p[11] != '2') {
    rc = repairable(ctx, MP_ELEADER, 11, NULL,
                    "subfield code length '%s' is not 2; using 2",
                    shown(s, p + 11, 1));
    if (rc)
      return rc;
    rec->leader[11] = '2';
  }
  if (memcmp(p + 20, "45", 2) != 0 || p[22] != '0' || p[23] != '0') {
    rc = repairable(ctx, MP_ELEADER, 20, NULL,
                    "entry map \"%s\" is not \"4500\"; using 4500",
                    shown(s, p + 20, 4));
    if (rc)
      return rc;
    memcpy(rec->leader + 20, "4500", 4);
  }
  return 0;
}

/* Base address: must follow the directory's field terminator. When it does
 * not, derive it from the first field terminator after the leader. */
static int find_base(const char *p, size_t n, dir_t *d,
                     const mp_iso_ctx_t *ctx) {
  long b = mp__iso_digits(p + 12, 5);
  size_t end = n > LEADER_LEN && p[n - 1] == MP_MARC_RT ? n - 1 : n;
  bool fits = b > LEADER_LEN && (size_t)b <= end;
  if (fits && p[b - 1] == MP_MARC_FT) {
    d->base = (size_t)b;
  } else if (fits && (b - 1 - LEADER_LEN) % ENTRY_LEN == 0 &&
             !memchr(p + LEADER_LEN, MP_MARC_FT, (size_t)b - LEADER_LEN)) {
    /* whole entries up to the base address, wrong byte at its end */
    d->base = (size_t)b;
    int rc = repairable(ctx, MP_EDIRECTORY, (size_t)b - 1, NULL,
                        "directory ends with 0x%02X instead of a field "
                        "terminator",
                        (unsigned char)p[b - 1]);
    if (rc)
      return rc;
  } else {
    const char *ft = memchr(p + LEADER_LEN, MP_MARC_FT, end - LEADER_LEN);
    if (!ft) {
      mp__iso_diag(ctx, MP_EDIRECTORY, MP_SEV_ERROR, LEADER_LEN, NULL,
                   "no field terminator ends the directory");
      return MP_EDIRECTORY;
    }
    d->base = (size_t)(ft - p) + 1;
    char s[8];
    int rc = repairable(ctx, MP_ELEADER, 12, NULL,
                        "base address \"%s\" does not follow the directory; "
                        "using %zu",
                        shown(s, p + 12, 5), d->base);
    if (rc)
      return rc;
  }
  d->dlen = end - d->base;
  size_t dirlen = d->base - 1 - LEADER_LEN;
  d->nent = dirlen / ENTRY_LEN;
  if (dirlen % ENTRY_LEN)
    return repairable(ctx, MP_EDIRECTORY, LEADER_LEN, NULL,
                      "directory length %zu is not a multiple of 12; last "
                      "%zu bytes ignored",
                      dirlen, dirlen % ENTRY_LEN);
  return 0;
}

static void entry_tag(const char *e, char tag[4]) {
  memcpy(tag, e, 3);
  tag[3] = '\0';
}

/* Check every entry is numeric; count those whose data is in bounds and ends
 * with a field terminator. */
static int check_entries(const char *p, dir_t *d, const mp_iso_ctx_t *ctx,
                         size_t *sound) {
  *sound = 0;
  for (size_t i = 0; i < d->nent; i++) {
    const char *e = p + LEADER_LEN + i * ENTRY_LEN;
    uint32_t len, start;
    if (!mp__iso_entry(e, &len, &start)) {
      char tag[4], s[8], s2[8];
      entry_tag(e, tag);
      mp__iso_diag(ctx, MP_EDIRECTORY, MP_SEV_ERROR, (size_t)(e - p), tag,
                   "directory entry %zu has a non-numeric length or start "
                   "\"%s%s\"",
                   i + 1, shown(s, e + 3, 4), shown(s2, e + 7, 5));
      return MP_EDIRECTORY;
    }
    size_t s = start, l = len;
    if (i < ENTRY_CACHE)
      d->cache[i] = (entry_t){(uint32_t)l, (uint32_t)s};
    if (l > 0 && s + l <= d->dlen && p[d->base + s + l - 1] == MP_MARC_FT)
      (*sound)++;
  }
  return 0;
}

/* Lengths counted in characters instead of bytes (and similar) make the
 * directory disagree with the terminators. When the data area holds exactly
 * one terminated field per entry, the terminators are the better framing. */
static int choose_framing(const char *p, dir_t *d, size_t sound,
                          const mp_iso_ctx_t *ctx) {
  if (sound == d->nent || d->dlen == 0)
    return 0;
  const char *q = p + d->base, *end = q + d->dlen;
  size_t nft = 0;
  while ((q = memchr(q, MP_MARC_FT, (size_t)(end - q))) != NULL) {
    nft++;
    q++;
  }
  if (nft != d->nent || p[d->base + d->dlen - 1] != MP_MARC_FT)
    return 0;
  d->by_ft = true;
  return repairable(ctx, MP_EDIRECTORY, LEADER_LEN, NULL,
                    "%zu of %zu directory entries disagree with the field "
                    "terminators; fields located by their terminators",
                    d->nent - sound, d->nent);
}

static bool is_control_tag(const char tag[4]) {
  return tag[0] == '0' && tag[1] == '0';
}

static bool is_numeric_tag(const char tag[4]) {
  unsigned a = (unsigned char)tag[0] - '0', b = (unsigned char)tag[1] - '0',
           c = (unsigned char)tag[2] - '0';
  return a <= 9 && b <= 9 && c <= 9; /* below '0' wraps to a large value */
}

__attribute__((noinline, cold)) static int
no_code(size_t off, const char *tag, const mp_iso_ctx_t *ctx) {
  return repairable(ctx, MP_EFIELD, off, tag,
                    "subfield delimiter without a code; ignored");
}

/* The subfields of the field being split are appended through locals:
 * the record's array and counters are read once per field and written
 * back once (stores of subfield bytes through char could otherwise alias
 * them, and they would be reloaded for every subfield). */
typedef struct sf_out_s {
  mp_record_t *rec;
  mp_subfield_t *v; /* rec->subfields */
  uint32_t n, cap;  /* rec->nsubfields, rec->cap_subfields */
} sf_out_t;

static inline int sf_push(sf_out_t *o, char code, const char *d,
                          size_t len) {
  if (__builtin_expect(o->n == o->cap, 0)) {
    o->rec->nsubfields = o->n;
    if (mp__record_reserve_subfields(o->rec, o->n + 1))
      return MP_ENOMEM;
    o->v = o->rec->subfields;
    o->cap = o->rec->cap_subfields;
  }
  mp_subfield_t *sf = &o->v[o->n++];
  sf->code = code;
  sf->data = len ? d : "";
  sf->len = (uint32_t)len;
  return 0;
}

/* The subfield opened by the delimiter at s[sd], ending at s[next] (the
 * next delimiter or the end of the field). Inlined: once per subfield. */
static inline __attribute__((always_inline)) int
add_subfield(sf_out_t *o, const char *s, size_t sd, size_t next, size_t off,
             const char *tag, const mp_iso_ctx_t *ctx) {
  if (__builtin_expect(sd + 1 == next, 0))
    return no_code(off, tag, ctx);
  return sf_push(o, s[sd + 1], s + sd + 2, next - sd - 2);
}

/* Bit 7 of each byte of w that equals 0x1F (exact: no false positives, so
 * every set bit is a delimiter). */
static inline uint64_t sd_bytes(uint64_t w) {
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
  uint64_t x = w ^ 0x1F1F1F1F1F1F1F1Full; /* delimiter bytes become 0 */
  return ~(((x & low7) + low7) | x | low7);
}

/* Split s[0..n) (a data field after its indicators, the record's last
 * field) on 0x1F. The delimiters are found 16 bytes at a time (SSE2, every
 * x86-64), then 8 (a word; the only wide step elsewhere), then one by one
 * for the last bytes; each one closes the subfield the previous one
 * opened (the SSE2 step takes up to 64 bytes into one mask, see there).
 * *high is set when a byte >= 0x80 is seen. */
static int add_subfields(mp_record_t *rec, const char *s, size_t n,
                         size_t off, const char *tag,
                         const mp_iso_ctx_t *ctx, bool *high) {
  sf_out_t o = {rec, rec->subfields, rec->nsubfields, rec->cap_subfields};
  uint32_t first = o.n;
  size_t open = 0; /* delimiter of the subfield being read */
  int rc = 0;
  if (n && *s != MP_MARC_SD) {
    const char *sd = memchr(s, MP_MARC_SD, n);
    size_t lead = sd ? (size_t)(sd - s) : n;
    rc = repairable(ctx, MP_EFIELD, off, tag,
                    "no subfield delimiter after the indicators; %zu "
                    "bytes of text kept as subfield $a",
                    lead);
    if (rc || (rc = sf_push(&o, 'a', s, lead)))
      goto out;
    *high |= mp_utf8_ascii_prefix(s, lead) != lead;
    open = lead;
  }
  if (open >= n)
    goto out;
/* the delimiter at s[pos] closes the open subfield and opens the next */
#define CLOSE_AT(pos)                                                        \
  do {                                                                       \
    size_t at_ = (pos);                                                      \
    if ((rc = add_subfield(&o, s, open, at_, off, tag, ctx)))                \
      goto out;                                                              \
    open = at_;                                                              \
  } while (0)
  size_t i = open + 1;
  uint64_t any = 0; /* OR of the bytes scanned: a high bit = not ASCII */
#ifdef __SSE2__
  /* x86-64, at least 16 bytes left: the delimiters of a span of up to 64
   * bytes go into one mask, then one loop over its bits. A span is four
   * 16-byte loads at q, q+16, q+32, q+48, each moved back to end at the
   * view's end at the latest (so near the end they overlap: the same bit
   * set twice), with q = i, or n - 16 when fewer than 16 bytes are left
   * (bits below i dropped): no branch on how long the span is, and no
   * loop per 16-byte block, whose count of delimiters is unpredictable.
   * Shorter views take the word steps below. */
  if (n - i >= 16) {
    const __m128i sdv = _mm_set1_epi8(MP_MARC_SD);
    __m128i acc = _mm_setzero_si128();
    const size_t last = n - 16; /* the last 16-byte load's start */
    while (i < n) {
      size_t q = i < last ? i : last;
      uint64_t mask = 0;
      for (unsigned k = 0; k < 64; k += 16) {
        size_t at = q + k < last ? q + k : last;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        acc = _mm_or_si128(acc, v);
        mask |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sdv))
                << (at - q);
      }
      mask &= ~0ull << (i - q); /* 0..15 bytes already scanned */
      for (; mask; mask &= mask - 1)
        CLOSE_AT(q + (size_t)__builtin_ctzll(mask));
      i = n - q > 64 ? q + 64 : n;
    }
    any |= _mm_movemask_epi8(acc) ? 0x80u : 0u;
  }
#endif
  for (uint64_t w; i + 8 <= n; i += 8) {
    memcpy(&w, s + i, 8);
    any |= w;
    for (uint64_t m = sd_bytes(mp__le64(w)); m; m &= m - 1)
      CLOSE_AT(i + (size_t)__builtin_ctzll(m) / 8);
  }
  if (i < n && n >= 8) {
    /* the last 1..7 bytes: the view's last word, less the bytes of it
       already scanned (reading before s + i stays inside the view) */
    uint64_t w;
    memcpy(&w, s + n - 8, 8);
    w = mp__le64(w);
    unsigned done = (unsigned)(i - (n - 8)); /* 1..7 */
    any |= w >> (8 * done);
    for (uint64_t m = sd_bytes(w) & (~0ull << (8 * done)); m; m &= m - 1)
      CLOSE_AT(n - 8 + (size_t)__builtin_ctzll(m) / 8);
    i = n;
  }
  for (; i < n; i++) { /* views shorter than a word */
    any |= (unsigned char)s[i];
    if (s[i] == MP_MARC_SD)
      CLOSE_AT(i);
  }
#undef CLOSE_AT
  *high |= (any & 0x8080808080808080ull) != 0;
  rc = add_subfield(&o, s, open, n, off, tag, ctx);
out:
  rec->nsubfields = o.n;
  rec->fields[rec->nfields - 1].sf_count += o.n - first;
  return rc;
}

/* A byte >= 0x80 in p[0..n) (control field values: short, so inline, a
 * word at a time, the last word overlapping). */
static inline bool has_high(const char *p, size_t n) {
  uint64_t any = 0, w;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&w, p + i, 8);
    any |= w;
  }
  if (i < n && n >= 8) {
    memcpy(&w, p + n - 8, 8);
    any |= w;
  } else {
    for (; i < n; i++)
      any |= (unsigned char)p[i];
  }
  return (any & 0x8080808080808080ull) != 0;
}

static int add_field(mp_record_t *rec, const char tag[4], const char *c,
                     size_t n, size_t off, const dir_t *d,
                     const mp_iso_ctx_t *ctx, bool *high) {
  if (is_control_tag(tag) ||
      (!is_numeric_tag(tag) && !memchr(c, MP_MARC_SD, n))) {
    mp_field_t *f = mp__record_next_field(rec, tag);
    if (!f)
      return MP_ENOMEM;
    f->is_control = true;
    f->data = n ? c : "";
    f->len = (uint32_t)n;
    rec->nfields++;
    *high |= has_high(c, n);
    return 0;
  }
  size_t ic = (size_t)d->indc;
  if (n < ic) {
    int rc = repairable(ctx, MP_EFIELD, off, tag,
                        "data field of %zu bytes is shorter than its "
                        "indicators",
                        n);
    if (rc)
      return rc;
    ic = n;
  }
  mp_field_t *f = mp__record_next_field(rec, tag);
  if (!f)
    return MP_ENOMEM;
  f->ind1 = ic > 0 ? c[0] : ' ';
  f->ind2 = ic > 1 ? c[1] : ' ';
  rec->nfields++;
  f->data = c + ic;
  f->len = (uint32_t)(n - ic);
  return add_subfields(rec, c + ic, n - ic, off, tag, ctx, high);
}

/* Fields by directory entries (or by terminators, see choose_framing). */
static int add_fields(const char *p, const dir_t *d, mp_record_t *rec,
                      const mp_iso_ctx_t *ctx, bool *high) {
  const char *ft = p + d->base, *dend = p + d->base + d->dlen;
  if (d->nent > UINT32_MAX - rec->nfields ||
      mp__record_reserve_fields(rec, rec->nfields + (uint32_t)d->nent))
    return MP_ENOMEM;
  size_t total = 0; /* bytes of the fields read so far (amplification) */
  for (size_t i = 0; i < d->nent; i++) {
    const char *e = p + LEADER_LEN + i * ENTRY_LEN;
    char tag[4];
    entry_tag(e, tag);
    const char *c;
    size_t n;
    if (d->by_ft) {
      c = ft;
      ft = memchr(c, MP_MARC_FT, (size_t)(dend - c));
      n = (size_t)(ft - c) + 1;
      ft++;
    } else {
      size_t l, s; /* numeric: checked by check_entries */
      if (i < ENTRY_CACHE) {
        l = d->cache[i].len;
        s = d->cache[i].start;
      } else {
        uint32_t l32 = 0, s32 = 0;
        mp__iso_entry(e, &l32, &s32);
        l = l32;
        s = s32;
      }
      if (s + l > d->dlen) {
        int rc = repairable(ctx, MP_EDIRECTORY, (size_t)(e - p), tag,
                            "field at %zu+%zu runs past the data area (%zu "
                            "bytes); field dropped",
                            s, l, d->dlen);
        if (rc)
          return rc;
        continue;
      }
      c = p + d->base + s;
      n = l;
      total += l;
      if (total > 2 * d->dlen) {
        mp__iso_diag(ctx, MP_EDIRECTORY, MP_SEV_ERROR, (size_t)(e - p), tag,
                     "directory entries overlap: fields 1..%zu total %zu "
                     "bytes, more than twice the %zu-byte data area; record "
                     "rejected (its fields would be read many times over)",
                     i + 1, total, d->dlen);
        return MP_EDIRECTORY;
      }
    }
    size_t off = (size_t)(c - p);
    if (n > 0 && c[n - 1] == MP_MARC_FT) {
      n--;
    } else {
      int rc = repairable(ctx, MP_EFIELD, off, tag,
                          "field does not end with a field terminator");
      if (rc)
        return rc;
    }
    int rc = add_field(rec, tag, c, n, off, d, ctx, high);
    if (rc)
      return rc;
  }
  return 0;
}

int mp__iso2709_parse(const char *p, size_t n, mp_record_t *rec,
                      const mp_iso_ctx_t *ctx) {
  if (n < LEADER_LEN + 2) {
    mp__iso_diag(ctx, MP_ELEADER, MP_SEV_ERROR, 0, NULL,
                 "%zu bytes are too short for a record", n);
    return MP_ELEADER;
  }
  memcpy(rec->leader, p, LEADER_LEN);
  rec->leader[LEADER_LEN] = '\0';
  dir_t d;
  memset(&d, 0, offsetof(dir_t, cache));
  size_t sound;
  bool high = false; /* a byte >= 0x80 in a field view */
  int rc = check_length(p, n, ctx);
  if (!rc)
    rc = check_layout(p, rec, &d, ctx);
  if (!rc)
    rc = find_base(p, n, &d, ctx);
  if (!rc)
    rc = check_entries(p, &d, ctx, &sound);
  if (!rc)
    rc = choose_framing(p, &d, sound, ctx);
  if (!rc)
    rc = add_fields(p, &d, rec, ctx, &high);
  if (!rc && rec->nfields == 0) {
    mp__iso_diag(ctx, MP_EDIRECTORY, MP_SEV_ERROR, LEADER_LEN, NULL,
                 "record has no fields");
    rc = MP_EDIRECTORY;
  }
  if (ctx->ascii)
    *ctx->ascii = !rc && !high;
  return rc;
}

/* Public single-record parse: keeps the first error in *diag. */
static void keep_error(void *ud, int code, mp_severity_t sev, size_t off,
                       const char *tag, const char *msg) {
  mp_marc_diag_t *d = ud;
  if (!d || sev < MP_SEV_ERROR || d->code)
    return;
  d->code = code;
  d->severity = sev;
  d->recno = 1;
  d->offset = off;
  snprintf(d->tag, sizeof d->tag, "%s", tag);
  snprintf(d->msg, sizeof d->msg, "%s", msg);
}

int mp_marc_parse_iso2709(const char *p, size_t n, mp_record_t *rec,
                          mp_marc_diag_t *diag) {
  if (diag)
    memset(diag, 0, sizeof *diag);
  mp_record_clear(rec);
  mp_iso_ctx_t ctx = {.strict = false, .emit = keep_error, .ud = diag};
  return mp__iso2709_parse(p, n, rec, &ctx);
}
