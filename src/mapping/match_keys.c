/* match_keys.c: keys that identify a record across loads (mp_match_keys).
 *
 * primary: "003:001", "001", else "sha1:<hex>" of the raw record (or of its
 * leader and fields when no raw bytes are given). Identifier keys are
 * normalised so that spellings of the same number agree: OCLC numbers lose
 * "(OCoLC)", the ocm/ocn/on prefixes and leading zeros; ISBNs become
 * ISBN-13 (ISBN-10 converted, check digit recomputed); ISSNs are NNNN-NNNN.
 * Rules: schemas/mapping/MATCH-KEYS.md. Pure function of its inputs.
 */
#include "mapping/mapping_impl.h"

#include <stdio.h>
#include <string.h>

static void trimmed(const char *p, size_t n, const char **s, size_t *len) {
  while (n && (*p == ' ' || *p == '\t'))
    p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  *s = p;
  *len = n;
}

/* An identifier in 001 has a digit; a word without one (a system's name
 * written where the number should be) identifies nothing. */
static bool memchr_digit(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] >= '0' && p[i] <= '9')
      return true;
  return false;
}

static void control_key(const mp_record_t *r, char *out, size_t outlen) {
  const mp_field_t *f001 = mp_record_field(r, "001");
  const mp_field_t *f003 = mp_record_field(r, "003");
  out[0] = '\0';
  if (!f001 || !f001->is_control)
    return;
  const char *id, *org = "";
  size_t idn, orgn = 0;
  trimmed(f001->data, f001->len, &id, &idn);
  if (!idn || !memchr_digit(id, idn))
    return; /* not an identifier (e.g. "FOLIOstorage"): matching by it
               would merge unrelated records; the record keeps its hash */
  if (f003 && f003->is_control)
    trimmed(f003->data, f003->len, &org, &orgn);
  if (orgn)
    snprintf(out, outlen, "%.*s:%.*s", (int)orgn, org, (int)idn, id);
  else
    snprintf(out, outlen, "%.*s", (int)idn, id);
}

static bool add_key(char *keys, size_t width, int *n, const char *k) {
  for (int i = 0; i < *n; i++)
    if (strcmp(keys + (size_t)i * width, k) == 0)
      return false;
  if (*n >= MP_MAX_KEYS || strlen(k) >= width)
    return false;
  strcpy(keys + (size_t)(*n)++ * width, k);
  return true;
}

/* "(OCoLC)ocm00012345" -> "12345"; false when not an OCLC number. */
static bool oclc_number(const char *p, size_t n, char out[32]) {
  if (n < 7 || memcmp(p, "(OCoLC)", 7) != 0)
    return false;
  p += 7, n -= 7;
  trimmed(p, n, &p, &n);
  static const char *const prefixes[] = {"ocm", "ocn", "on"};
  for (int i = 0; i < 3; i++) {
    size_t pl = strlen(prefixes[i]);
    if (n > pl && memcmp(p, prefixes[i], pl) == 0) {
      p += pl, n -= pl;
      break;
    }
  }
  while (n > 1 && *p == '0')
    p++, n--;
  if (n == 0 || n >= 32)
    return false;
  for (size_t i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9')
      return false;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

/* Leading ISBN digits (hyphens and spaces inside skipped, qualifiers such as
 * "(pbk.)" ignored) as ISBN-13. */
static bool isbn13(const char *p, size_t n, char out[16]) {
  char d[14];
  size_t k = 0, i = 0;
  while (i < n && p[i] == ' ')
    i++;
  for (; i < n && k < 14; i++) {
    char c = p[i];
    if (c >= '0' && c <= '9')
      d[k++] = c;
    else if ((c == 'X' || c == 'x') && k == 9)
      d[k++] = 'X';
    else if (c != '-' && !(c == ' ' && i + 1 < n && p[i + 1] >= '0' &&
                           p[i + 1] <= '9' && k < 10))
      break;
  }
  if (k == 13 && d[12] != 'X' &&
      (memcmp(d, "978", 3) == 0 || memcmp(d, "979", 3) == 0)) {
    memcpy(out, d, 13);
    out[13] = '\0';
    return true;
  }
  if (k != 10)
    return false;
  memcpy(out, "978", 3);
  memcpy(out + 3, d, 9);
  int sum = 0;
  for (int j = 0; j < 12; j++)
    sum += (out[j] - '0') * (j % 2 ? 3 : 1);
  out[12] = (char)('0' + (10 - sum % 10) % 10);
  out[13] = '\0';
  return true;
}

static bool issn(const char *p, size_t n, char out[12]) {
  char d[8];
  size_t k = 0, i = 0;
  while (i < n && p[i] == ' ')
    i++;
  for (; i < n && k < 8; i++) {
    char c = p[i];
    if ((c >= '0' && c <= '9') || ((c == 'X' || c == 'x') && k == 7))
      d[k++] = c == 'x' ? 'X' : c;
    else if (c != '-' || k != 4)
      break;
  }
  if (k != 8)
    return false;
  snprintf(out, 12, "%.4s-%.4s", d, d + 4);
  return true;
}

static void hash_key(const mp_record_t *r, const char *raw, size_t raw_len,
                     char *out, size_t outlen) {
  mp__sha1_t s;
  uint8_t h[20];
  mp__sha1_init(&s);
  if (raw) {
    mp__sha1_update(&s, raw, raw_len);
  } else {
    mp__sha1_update(&s, r->leader, 24);
    for (uint32_t i = 0; i < r->nfields; i++) {
      const mp_field_t *f = &r->fields[i];
      char head[6] = {f->tag[0], f->tag[1], f->tag[2], f->ind1, f->ind2,
                      MP_MARC_FT};
      mp__sha1_update(&s, head, sizeof head);
      if (f->is_control) {
        mp__sha1_update(&s, f->data, f->len);
        continue;
      }
      const mp_subfield_t *sf = mp_field_subfields(r, f);
      for (uint32_t j = 0; j < f->sf_count; j++) {
        char code[2] = {MP_MARC_SD, sf[j].code};
        mp__sha1_update(&s, code, 2);
        mp__sha1_update(&s, sf[j].data, sf[j].len);
      }
    }
  }
  mp__sha1_final(&s, h);
  size_t at = (size_t)snprintf(out, outlen, "sha1:");
  for (int i = 0; i < 20 && at + 2 < outlen; i++, at += 2)
    snprintf(out + at, outlen - at, "%02x", h[i]);
}

void mp_match_keys(const mp_record_t *r, const char *raw, size_t raw_len,
                   mp_match_keys_t *keys) {
  memset(keys, 0, sizeof *keys);
  control_key(r, keys->control, sizeof keys->control);
  if (keys->control[0])
    memcpy(keys->primary, keys->control, sizeof keys->primary);
  else
    hash_key(r, raw, raw_len, keys->primary, sizeof keys->primary);
  for (uint32_t i = 0; i < r->nfields; i++) {
    const mp_field_t *f = &r->fields[i];
    bool is035 = memcmp(f->tag, "035", 3) == 0;
    bool is020 = memcmp(f->tag, "020", 3) == 0;
    bool is022 = memcmp(f->tag, "022", 3) == 0;
    if (f->is_control || !(is035 || is020 || is022))
      continue;
    const mp_subfield_t *s = mp_field_subfields(r, f);
    for (uint32_t j = 0; j < f->sf_count; j++) {
      if (s[j].code != 'a')
        continue;
      char k[32];
      if (is035 && oclc_number(s[j].data, s[j].len, k))
        add_key(&keys->oclc[0][0], sizeof keys->oclc[0], &keys->noclc, k);
      else if (is020 && isbn13(s[j].data, s[j].len, k))
        add_key(&keys->isbn[0][0], sizeof keys->isbn[0], &keys->nisbn, k);
      else if (is022 && issn(s[j].data, s[j].len, k))
        add_key(&keys->issn[0][0], sizeof keys->issn[0], &keys->nissn, k);
    }
  }
}
