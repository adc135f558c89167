/* pool.c: the source pool of mp_gen (see marcpipe/gen.h).
 *
 * Records are offered one by one; a record is kept when leader/06 is a
 * bibliographic type and, with the most a generated variant can add to
 * it, its ISO 2709 length stays within 99,999 bytes and its longest field
 * within 9,999. A kept record is copied into the pool as one contiguous
 * block and the words of its 245 $a are added to the title word list. Single
 * thread while loading; read-only afterwards.
 */
#include "gen/gen_impl.h"
#include "marcpipe/error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAX_RECORDS 5000
#define ISO_FIELD_MAX 9999 /* a directory entry has 4 length digits */

mp_gen_pool_t *mp_gen_pool_new(size_t max_records) {
  mp_gen_pool_t *p = calloc(1, sizeof *p);
  if (p)
    p->max_recs = max_records ? max_records : DEFAULT_MAX_RECORDS;
  return p;
}

void mp_gen_pool_destroy(mp_gen_pool_t *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->nrecs; i++)
    free(p->recs[i].fields); /* the record's single block (compact_copy) */
  free(p->recs);
  free(p->words);
  free(p);
}

size_t mp_gen_pool_size(const mp_gen_pool_t *p) { return p->nrecs; }

void mp_gen_pool_stats(const mp_gen_pool_t *p, mp_gen_pool_stats_t *s) {
  *s = p->st;
  s->title_words = p->nwords;
}

/* The parent of MP_SCHEMAS_DIR is taken lexically, so the sample is found
 * even when the schemas directory itself is absent. */
const char *mp_gen_default_source(void) {
  static char path[4096];
  const char *env = getenv(MP_GEN_SAMPLE_ENV);
  if (env && *env)
    return env;
  size_t n = strlen(MP_SCHEMAS_DIR);
  while (n > 1 && MP_SCHEMAS_DIR[n - 1] == '/')
    n--;
  while (n > 0 && MP_SCHEMAS_DIR[n - 1] != '/')
    n--;
  snprintf(path, sizeof path, "%.*stests/fixtures/gen-sample", (int)n,
           MP_SCHEMAS_DIR);
  return path;
}

static bool is_bib_type(char t) {
  return t && strchr("acdefgijkmoprt", t) != NULL;
}

/* ISO 2709 length of r: leader, directory (12 bytes a field) and its
 * terminator, each field with its terminator, the record terminator.
 * *longest is set to the longest field's length (ISO 2709 allows 9,999). */
static size_t iso_length(const mp_record_t *r, size_t *longest) {
  size_t n = 24 + 12 * (size_t)r->nfields + 1 + 1;
  *longest = 0;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    size_t fl = f->is_control ? f->len + 1 : 3;
    for (uint32_t j = 0; !f->is_control && j < f->sf_count; j++)
      fl += 2 + r->subfields[f->sf_first + j].len;
    if (fl > *longest)
      *longest = fl;
    n += fl;
  }
  return n;
}

/* Most bytes mp_gen_make can add to r: a new 001 and 003 (directory
 * entries included), the appended title words, and for each rewritten
 * identifier a number up to 13 digits (and a space) where the source may
 * have had none. */
static size_t growth(const mp_record_t *r) {
  size_t n = (12 + MP__GEN_MAX_PREFIX + 20 + 1) + (12 + MP__GEN_MAX_ORG + 1) +
             MP__GEN_MAX_WORDS * (1 + MP__GEN_MAX_WORD_LEN);
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    for (uint32_t j = 0; !f->is_control && j < f->sf_count; j++)
      if (mp__gen_is_id_subfield(f->tag, r->subfields[f->sf_first + j].code))
        n += 14;
  }
  return n;
}

/* Make room for one more element in a growable array. 0 or MP_ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t elem, size_t first) {
  if (n < *cap)
    return 0;
  size_t c = *cap ? 2 * *cap : first;
  void *a = realloc(*arr, c * elem);
  if (!a)
    return MP_ENOMEM;
  *arr = a;
  *cap = c;
  return 0;
}

static bool is_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '-' || c == '\'';
}

/* Split s on spaces; keep tokens of 3..MP__GEN_MAX_WORD_LEN bytes made of
 * letters (any non-ASCII byte counts as one), after trimming ASCII
 * punctuation at both ends. */
static int add_words(mp_gen_pool_t *p, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ' ')
      i++;
    size_t b = i;
    while (i < n && s[i] != ' ')
      i++;
    size_t e = i;
    while (b < e && !is_word_byte((unsigned char)s[b]))
      b++;
    while (e > b && !is_word_byte((unsigned char)s[e - 1]))
      e--;
    if (e - b < 3 || e - b > MP__GEN_MAX_WORD_LEN)
      continue;
    bool ok = true;
    for (size_t k = b; k < e && ok; k++)
      ok = is_word_byte((unsigned char)s[k]);
    if (!ok)
      continue;
    if (grow((void **)&p->words, p->nwords, &p->cap_words, sizeof *p->words,
             1024))
      return MP_ENOMEM;
    p->words[p->nwords++] = (mp__gen_word_t){s + b, (uint32_t)(e - b)};
  }
  return 0;
}

/* Copy r into dst as one block: fields, then subfields in field order,
 * then the bytes (control data; data fields as subfields with their
 * delimiters, which the subfield views point into). Sources are read in
 * a generator's inner loop, so keeping each one contiguous matters. dst
 * is not a record the record.c functions may grow or release: the pool
 * frees dst->fields, the block, itself. 0 or MP_ENOMEM. */
static int compact_copy(mp_record_t *dst, const mp_record_t *r) {
  size_t fsz = (size_t)r->nfields * sizeof(mp_field_t), ssz = 0, dsz = 1;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    if (f->is_control) {
      dsz += f->len;
      continue;
    }
    ssz += f->sf_count * sizeof(mp_subfield_t);
    for (uint32_t j = 0; j < f->sf_count; j++)
      dsz += 2 + r->subfields[f->sf_first + j].len;
  }
  char *block = malloc(fsz + ssz + dsz);
  if (!block)
    return MP_ENOMEM;
  memset(dst, 0, sizeof *dst);
  memcpy(dst->leader, r->leader, sizeof dst->leader);
  dst->fields = (mp_field_t *)block;
  dst->subfields = (mp_subfield_t *)(block + fsz);
  dst->nfields = dst->cap_fields = r->nfields;
  char *d = block + fsz + ssz;
  uint32_t k = 0;
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    mp_field_t *nf = &dst->fields[i];
    *nf = *f;
    if (f->is_control) {
      memcpy(d, f->data, f->len);
      nf->data = d;
      d += f->len;
      continue;
    }
    if (f->sf_count)
      memcpy(dst->subfields + k, r->subfields + f->sf_first,
             f->sf_count * sizeof(mp_subfield_t));
    nf->sf_first = k;
    nf->data = d;
    nf->len =
        (uint32_t)mp__gen_pack_subfields(d, dst->subfields + k, f->sf_count);
    d += nf->len;
    k += f->sf_count;
  }
  *d = '\0';
  dst->nsubfields = dst->cap_subfields = k;
  return 0;
}

int mp_gen_pool_add(mp_gen_pool_t *p, const mp_record_t *r) {
  if (!is_bib_type(r->leader[6])) {
    p->st.not_bib++;
    return 0;
  }
  size_t longest, extra = growth(r);
  if (iso_length(r, &longest) + extra > MP_MARC_ISO_MAX ||
      longest + extra > ISO_FIELD_MAX) {
    p->st.too_big++;
    return 0;
  }
  if (p->nrecs == p->max_recs) {
    p->st.over_cap++;
    return 0;
  }
  if (grow((void **)&p->recs, p->nrecs, &p->cap_recs, sizeof *p->recs, 64))
    return MP_ENOMEM;
  mp_record_t *dst = &p->recs[p->nrecs];
  if (compact_copy(dst, r))
    return MP_ENOMEM;
  p->nrecs++;
  const mp_field_t *t = mp_record_field(dst, "245");
  const mp_subfield_t *a =
      t && !t->is_control ? mp_field_subfield(dst, t, 'a') : NULL;
  if (a && add_words(p, a->data, a->len))
    return MP_ENOMEM;
  p->st.used++;
  return 1;
}

static int load_file(mp_gen_pool_t *p, const char *path, char *err,
                     size_t errsz) {
  int rc = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, NULL, &rc);
  if (!rd) {
    snprintf(err, errsz, "cannot read %s: %s", path, mp_strerror(rc));
    return rc;
  }
  for (;;) {
    mp_record_t *rec;
    int r = mp_marc_reader_next(rd, &rec);
    if (r == MP_EOF)
      break;
    if (r < 0) {
      p->st.rejected++;
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    p->st.read++;
    r = mp_gen_pool_add(p, rec);
    if (r < 0) {
      snprintf(err, errsz, "%s: record %llu: %s", path,
               (unsigned long long)rec->recno, mp_strerror(r));
      rc = r;
      break;
    }
  }
  mp_marc_reader_close(rd);
  return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int hidden(const struct dirent *d) { return d->d_name[0] != '.'; }

static int load_dir(mp_gen_pool_t *p, const char *dir, char *err,
                    size_t errsz) {
  struct dirent **ents = NULL;
  int n = scandir(dir, &ents, hidden, by_name);
  if (n < 0) {
    int rc = -errno;
    snprintf(err, errsz, "cannot read %s: %s", dir, mp_strerror(rc));
    return rc;
  }
  int rc = 0;
  char path[4096];
  for (int i = 0; i < n; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
    if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
      rc = load_file(p, path, err, errsz);
    free(ents[i]);
  }
  free(ents);
  return rc;
}

int mp_gen_pool_load(mp_gen_pool_t *p, const char *path, char *err,
                     size_t errsz) {
  char dummy[1];
  if (!err) {
    err = dummy;
    errsz = sizeof dummy;
  }
  struct stat st;
  if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return load_dir(p, path, err, errsz);
  return load_file(p, path, err, errsz);
}
