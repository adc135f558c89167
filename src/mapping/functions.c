/* functions.c: FOLIO's normalisation functions ("conditions" "type").
 *
 * One table row per function FOLIO's mapper knows: its name, what it needs
 * (parameters, a reference-data type) and a small function that computes
 * out = f(value) from the value and the field (indicators, subfields, the
 * leader). The behaviour is FOLIO's, documented per function below,
 * including its answers when reference data is missing (the placeholder id
 * MP__STUB_ID, or "", which the mapper treats as "no value"). Text is UTF-8;
 * where FOLIO counts characters, code points are counted. Parameters are
 * checked once at load (mp__fn_compile): a function that would fail on
 * every record for want of a parameter is a load error, never a run-time
 * surprise. Pure functions: they read only the context and the call.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fn_t)(const mp__fnctx_t *c, const mp__fncall_t *call,
                    const char *v, size_t n, mp_buf_t *out);

enum { P_NONE = 0, P_NAME = 1, P_FROMTO = 2, P_CONCAT = 4, P_NAMES = 8,
       P_CODE = 16, P_CODESF = 32 };

struct mp__fndef_s {
  const char *name;
  fn_t fn;
  const char *type; /* reference-data type read, or NULL */
  int needs;        /* parameters that must be present */
};

/* ---- helpers ---- */

static int put(mp_buf_t *out, const char *s, size_t n) {
  return mp_buf_append(out, s ? s : "", s ? n : 0);
}
static int puts_(mp_buf_t *out, const char *s) {
  return put(out, s, s ? strlen(s) : 0);
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* s[0..n) equals want, ignoring ASCII case (Java equalsIgnoreCase on the
 * texts reference data holds). Stops at the first difference: the lookups
 * below try every row of a table, and a strlen of each row's text first
 * was most of their time. */
static bool eq_ci(const char *s, size_t n, const char *want) {
  if (!want)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!want[i] || lower(s[i]) != lower(want[i]))
      return false;
  return want[n] == '\0';
}

/* The same with case. */
static bool eq_cs(const char *s, size_t n, const char *want) {
  for (size_t i = 0; i < n; i++)
    if (!want[i] || s[i] != want[i])
      return false;
  return want[n] == '\0';
}

/* Java String.trim: drop characters <= U+0020 at both ends. */
static void jtrim(const char **s, size_t *n) {
  while (*n && (unsigned char)(*s)[0] <= ' ')
    (*s)++, (*n)--;
  while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
    (*n)--;
}

static bool ends(const char *s, size_t n, char c) { return n && s[n - 1] == c; }

static const char *pstr(const mp__fncall_t *call, const char *key) {
  return json_string_value(json_object_get(call->param, key));
}

/* Row of t whose name (trimmed when trim) equals want ignoring case. */
static const mp__refrow_t *by_name(const mp__reftable_t *t, const char *want,
                                   size_t wlen, bool trim) {
  for (size_t i = 0; t && i < t->nrows; i++) {
    const char *nm = t->rows[i].name;
    if (!nm)
      continue;
    size_t nl = strlen(nm);
    if (trim)
      jtrim(&nm, &nl);
    if (nl == wlen) {
      bool same = true;
      for (size_t k = 0; k < nl && same; k++)
        same = lower(nm[k]) == lower(want[k]);
      if (same)
        return &t->rows[i];
    }
  }
  return NULL;
}

static const mp__refrow_t *by_code(const mp__reftable_t *t, const char *v,
                                   size_t n, bool ci) {
  for (size_t i = 0; t && i < t->nrows; i++) {
    const char *cd = t->rows[i].code;
    if (!cd)
      continue;
    if (ci ? eq_ci(v, n, cd) : eq_cs(v, n, cd))
      return &t->rows[i];
  }
  return NULL;
}

static int id_or(mp_buf_t *out, const mp__refrow_t *r, const char *dflt) {
  return puts_(out, r ? r->id : dflt);
}

/* Number of code points in s[0..n). */
static size_t cp_count(const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += ((unsigned char)s[i] & 0xC0) != 0x80;
  return k;
}

/* Byte offset of code point number cp. */
static size_t cp_offset(const char *s, size_t n, size_t cp) {
  size_t i = 0;
  while (i < n && cp) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
      i++;
    cp--;
  }
  return i;
}

/* Remove every occurrence of pat from s into out (StringUtils.remove). */
static int remove_all(const char *s, size_t n, const char *pat, size_t pn,
                      mp_buf_t *out) {
  if (!pn)
    return put(out, s, n);
  size_t i = 0;
  while (i < n) {
    if (n - i >= pn && memcmp(s + i, pat, pn) == 0) {
      i += pn;
      continue;
    }
    if (mp_buf_putc(out, s[i]))
      return MP_ENOMEM;
    i++;
  }
  return 0;
}

/* ---- text functions ---- */

/* char_select {from, to}: characters [from, to) of the value. A value
 * shorter than `to` is an error, and FOLIO's runner then keeps the value
 * unchanged (as for every function that fails). */
static int f_char_select(const mp__fnctx_t *c, const mp__fncall_t *call,
                         const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  size_t len = cp_count(v, n);
  if ((size_t)call->to > len)
    return MP_EMAPPING;
  size_t a = cp_offset(v, n, (size_t)call->from);
  size_t b = cp_offset(v, n, (size_t)call->to);
  return put(out, v + a, b - a);
}

/* remove_ending_punc: drop ONE final character among ; : , / + = and space. */
static int f_remove_ending_punc(const mp__fnctx_t *c, const mp__fncall_t *call,
                                const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  if (n && strchr(";:,/+= ", v[n - 1]))
    n--;
  return put(out, v, n);
}

static int f_trim(const mp__fnctx_t *c, const mp__fncall_t *call,
                  const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  jtrim(&v, &n);
  return put(out, v, n);
}

/* trim_period: drop one final period. */
static int f_trim_period(const mp__fnctx_t *c, const mp__fncall_t *call,
                         const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  if (ends(v, n, '.'))
    n--;
  return put(out, v, n);
}

static bool is_jspace(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\x0B' ||
         ch == '\f' || ch == '\r';
}

/* The value ends with whitespace, one character, then `tail` (".": "J.";
 * ",.": "J.,." is not FOLIO's; its pattern is \s.,[.]). */
static bool ends_initial(const char *v, size_t n, const char *tail) {
  size_t t = strlen(tail);
  if (n < t + 2 || memcmp(v + n - t, tail, t) != 0)
    return false;
  size_t end = n - t; /* one code point before, then whitespace */
  size_t i = end;
  do
    i--;
  while (i > 0 && ((unsigned char)v[i] & 0xC0) == 0x80);
  if (v[i] == '\n' || v[i] == '\r')
    return false; /* '.' does not match a line terminator */
  return i > 0 && is_jspace(v[i - 1]);
}

/* trim_punctuation: trim; keep a final "X." initial or a final hyphen;
 * "X.,." becomes "X."; else drop one final period or comma. */
static int f_trim_punctuation(const mp__fnctx_t *c, const mp__fncall_t *call,
                              const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  jtrim(&v, &n);
  if (ends_initial(v, n, ".") || ends(v, n, '-'))
    return put(out, v, n);
  if (ends_initial(v, n, ",.")) {
    if (put(out, v, n - 2))
      return MP_ENOMEM;
    return mp_buf_putc(out, '.');
  }
  if (ends(v, n, '.') || ends(v, n, ','))
    n--;
  return put(out, v, n);
}

/* remove_substring {substring}: every occurrence removed. */
static int f_remove_substring(const mp__fnctx_t *c, const mp__fncall_t *call,
                              const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  const char *sub = pstr(call, "substring");
  if (!sub)
    return put(out, v, n);
  return remove_all(v, n, sub, strlen(sub), out);
}

/* Java Character.getNumericValue for an indicator byte. */
static int numeric(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'z')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'Z')
    return ch - 'A' + 10;
  return -1;
}

/* remove_prefix_by_indicator: N = ind2's numeric value; when 0 < N <
 * length, the first N characters are taken as the prefix and every
 * occurrence of it is removed ("The eighteenth century", ind2 4 ->
 * "eighteenth century"). */
static int f_remove_prefix_by_indicator(const mp__fnctx_t *c,
                                        const mp__fncall_t *call,
                                        const char *v, size_t n,
                                        mp_buf_t *out) {
  (void)call;
  int to = numeric(c->ind2);
  if (!c->data_field || to <= 0 || (size_t)to >= cp_count(v, n))
    return put(out, v, n);
  return remove_all(v, n, v, cp_offset(v, n, (size_t)to), out);
}

/* Upper case of the code point at v (title case for the common scripts:
 * ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic); 0 when unchanged. */
static unsigned upper_cp(unsigned cp) {
  if (cp >= 'a' && cp <= 'z')
    return cp - 32;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
    return cp - 32;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x131 && cp != 0x138 &&
      cp != 0x149 && cp != 0x17F) {
    bool odd_lower = (cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    if (odd_lower)
      return cp & 1 ? cp - 1 : 0;
    return (cp & 1) ? 0 : cp - 1; /* 0x139-0x148, 0x179-0x17E */
  }
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
    return cp - 32;
  if (cp >= 0x430 && cp <= 0x44F)
    return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F)
    return cp - 80;
  return 0;
}

/* capitalize: the first character in upper (title) case. */
static int f_capitalize(const mp__fnctx_t *c, const mp__fncall_t *call,
                        const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  if (!n)
    return 0;
  const unsigned char *p = (const unsigned char *)v;
  unsigned cp = p[0];
  size_t k = 1;
  if (cp >= 0xC0 && cp < 0xE0 && n >= 2)
    cp = ((cp & 0x1F) << 6) | (p[1] & 0x3F), k = 2;
  unsigned up = upper_cp(cp);
  if (!up)
    return put(out, v, n);
  char enc[2];
  size_t el = 1;
  if (up < 0x80) {
    enc[0] = (char)up;
  } else {
    enc[0] = (char)(0xC0 | (up >> 6));
    enc[1] = (char)(0x80 | (up & 0x3F));
    el = 2;
  }
  if (put(out, enc, el))
    return MP_ENOMEM;
  return put(out, v + k, n - k);
}

static bool code_in(json_t *arr, char code) {
  size_t i;
  json_t *x;
  json_array_foreach(arr, i, x) {
    const char *s = json_string_value(x);
    if (s && s[0] == code && !s[1])
      return true;
  }
  return false;
}

/* concat_subfields_by_name {subfieldsToConcat, subfieldsToStopConcat}:
 * find the subfield whose data equals the value (else the first), take the
 * subfields after it up to the next one with its own code or a stop code,
 * and append to the value " " + data of each, by code in the order of
 * subfieldsToConcat (020 $a $q $c -> "value qualifier price"). */
static int f_concat_subfields_by_name(const mp__fnctx_t *c,
                                      const mp__fncall_t *call, const char *v,
                                      size_t n, mp_buf_t *out) {
  if (put(out, v, n))
    return MP_ENOMEM;
  if (!c->nsf)
    return 0;
  size_t at = 0;
  for (size_t i = 0; i < c->nsf; i++)
    if (c->sf[i].len == n && memcmp(c->sf[i].data, v, n) == 0) {
      at = i;
      break;
    }
  json_t *stop = json_object_get(call->param, "subfieldsToStopConcat");
  size_t lim = c->nsf;
  for (size_t i = at + 1; i < c->nsf; i++)
    if (c->sf[i].code == c->sf[at].code || code_in(stop, c->sf[i].code)) {
      lim = i;
      break;
    }
  json_t *want = json_object_get(call->param, "subfieldsToConcat");
  size_t k;
  json_t *x;
  json_array_foreach(want, k, x) {
    const char *s = json_string_value(x);
    if (!s || !s[0])
      continue;
    for (size_t i = at; i < lim; i++)
      if (c->sf[i].code == s[0] &&
          (mp_buf_putc(out, ' ') || put(out, c->sf[i].data, c->sf[i].len)))
        return MP_ENOMEM;
  }
  return 0;
}

/* set_heading_type_by_name {name}: the parameter itself. */
static int f_heading_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                          const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  return puts_(out, pstr(call, "name"));
}

/* set_note_staff_only_via_indicator: "true" when ind1 is '0'. */
static int f_staff_only(const mp__fnctx_t *c, const mp__fncall_t *call,
                        const char *v, size_t n, mp_buf_t *out) {
  (void)call, (void)v, (void)n;
  return puts_(out, c->ind1 == '0' ? "true" : "false");
}

/* set_deleted: "true" when the leader's byte 05 (record status) is 'd'. */
static int f_deleted(const mp__fnctx_t *c, const mp__fncall_t *call,
                     const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)call;
  return puts_(out, n > 5 && v[5] == 'd' ? "true" : "false");
}

/* set_publisher_role: the role named by ind2 (0 Production, 1
 * Publication, 2 Distribution, 3 Manufacture), "" for others. */
static int f_publisher_role(const mp__fnctx_t *c, const mp__fncall_t *call,
                            const char *v, size_t n, mp_buf_t *out) {
  (void)call, (void)v, (void)n;
  static const char *const roles[] = {"Production", "Publication",
                                      "Distribution", "Manufacture"};
  int i = numeric(c->ind2);
  return puts_(out, i >= 0 && i < 4 ? roles[i] : "");
}

/* ---- lookups by a parameter name ---- */

/* Common shape: the row named by parameter "name" (trimmed row names when
 * trim), else `missing`; no table or no parameter: `absent`. */
static int named(const mp__fncall_t *call, bool trim, const char *absent,
                 const char *missing, mp_buf_t *out) {
  const char *nm = pstr(call, "name");
  if (!call->table || !nm)
    return puts_(out, absent);
  return id_or(out, by_name(call->table, nm, strlen(nm), trim), missing);
}

/* set_identifier_type_id_by_name {name}: trimmed names; placeholder. */
static int f_ident_by_name(const mp__fnctx_t *c, const mp__fncall_t *call,
                           const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  return named(call, true, MP__STUB_ID, MP__STUB_ID, out);
}

/* set_classification_type_id, set_contributor_name_type_id,
 * set_alternative_title_type_id, set_authority_note_type_id {name}:
 * placeholder when absent or unknown. */
static int f_named_stub(const mp__fnctx_t *c, const mp__fncall_t *call,
                        const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  return named(call, false, MP__STUB_ID, MP__STUB_ID, out);
}

/* set_subject_source_id, set_subject_type_id {name}: trimmed names; "" when
 * absent or unknown. */
static int f_named_empty(const mp__fnctx_t *c, const mp__fncall_t *call,
                         const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  return named(call, true, "", "", out);
}

/* set_note_type_id {name}: the named note type, else "General note", else
 * the placeholder. */
static int f_note_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                       const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  const char *nm = pstr(call, "name");
  if (!call->table || !nm)
    return puts_(out, MP__STUB_ID);
  const mp__refrow_t *r = by_name(call->table, nm, strlen(nm), false);
  if (!r)
    r = by_name(call->table, "General note", 12, false);
  return id_or(out, r, MP__STUB_ID);
}

/* set_holdings_note_type_id {name}: the ids of every row of that name,
 * joined (FOLIO joins the matches), "" when none; placeholder without
 * reference data. */
static int f_holdings_note_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                                const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  const char *nm = pstr(call, "name");
  if (!call->table || !nm)
    return puts_(out, MP__STUB_ID);
  for (size_t i = 0; i < call->table->nrows; i++) {
    const mp__refrow_t *r = &call->table->rows[i];
    if (r->name && eq_ci(nm, strlen(nm), r->name) && puts_(out, r->id))
      return MP_ENOMEM;
  }
  return 0;
}

/* set_authority_identifier_type_id_by_code {code}: the row with that code,
 * else the placeholder. */
static int f_auth_ident_by_code(const mp__fnctx_t *c, const mp__fncall_t *call,
                                const char *v, size_t n, mp_buf_t *out) {
  (void)c, (void)v, (void)n;
  const char *cd = pstr(call, "code");
  if (!call->table || !cd)
    return puts_(out, MP__STUB_ID);
  return id_or(out, by_code(call->table, cd, strlen(cd), true), MP__STUB_ID);
}

/* ---- lookups by the value or the field ---- */

/* set_identifier_type_id_by_value {names: [other, oclc], oclc_regex}: the
 * second name when the whole value matches the regex, else the first. */
static int f_ident_by_value(const mp__fnctx_t *c, const mp__fncall_t *call,
                            const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  json_t *names = json_object_get(call->param, "names");
  if (!call->table || !json_is_array(names))
    return puts_(out, MP__STUB_ID);
  const char *type = json_string_value(json_array_get(names, 0));
  if (call->re) {
    char *z = strndup(v, n);
    if (!z)
      return MP_ENOMEM;
    if (regexec(call->re, z, 0, NULL, 0) == 0)
      type = json_string_value(json_array_get(names, 1));
    free(z);
  }
  if (!type)
    return puts_(out, MP__STUB_ID);
  return id_or(out, by_name(call->table, type, strlen(type), false),
               MP__STUB_ID);
}

/* The last "~"-separated piece (Java split: trailing empty pieces gone). */
static void last_piece(const char **v, size_t *n) {
  while (*n && (*v)[*n - 1] == '~')
    (*n)--;
  const char *t = memrchr(*v, '~', *n);
  if (t) {
    *n -= (size_t)(t + 1 - *v);
    *v = t + 1;
  }
}

static const mp__refrow_t *type_by(const mp__reftable_t *t, const char *v,
                                   size_t n) {
  for (size_t i = 0; i < t->nrows; i++) {
    const mp__refrow_t *r = &t->rows[i];
    if (!r->name || !r->code || !r->name[0] || !r->code[0])
      continue;
    if (eq_ci(v, n, r->name) || eq_ci(v, n, r->code))
      return r;
  }
  return NULL;
}

/* set_instance_type_id {unspecifiedInstanceTypeCode}: for a data field the
 * last "~" piece of the value ("text~txt" -> txt), for a control field the
 * unspecified code, matched with instance type names or codes; else the
 * unspecified code's type; else the placeholder. */
static int f_instance_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                           const char *v, size_t n, mp_buf_t *out) {
  if (!call->table)
    return puts_(out, MP__STUB_ID);
  const char *un = pstr(call, "unspecifiedInstanceTypeCode");
  const mp__refrow_t *r = NULL;
  if (c->data_field) {
    last_piece(&v, &n);
    r = type_by(call->table, v, n);
  } else if (un) {
    r = type_by(call->table, un, strlen(un));
  }
  if (!r && un)
    r = type_by(call->table, un, strlen(un));
  return id_or(out, r, MP__STUB_ID);
}

/* set_instance_format_id: the 338 value "term~code"; the format whose code
 * is the last piece (or the whole value), "" when none or no data. */
static int f_instance_format(const mp__fnctx_t *c, const mp__fncall_t *call,
                             const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  if (!call->table)
    return 0;
  const mp__refrow_t *r = by_code(call->table, v, n, true);
  if (!r) {
    last_piece(&v, &n);
    r = by_code(call->table, v, n, true);
  }
  return id_or(out, r, "");
}

/* set_contributor_type_id: the type whose code is the value, else "". */
static int f_contrib_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                          const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  return id_or(out, by_code(call->table, v, n, true), "");
}

/* set_contributor_type_text: the name of the type whose code is the value,
 * else the value. */
static int f_contrib_text(const mp__fnctx_t *c, const mp__fncall_t *call,
                          const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  const mp__refrow_t *r = by_code(call->table, v, n, true);
  return r && r->name ? puts_(out, r->name) : put(out, v, n);
}

/* FOLIO's comparison of a relator term with a type name: a name ending in
 * "." matches the term with its own final ".", or the term without a final
 * ";" or ","; else the term loses one final . , or ; */
static bool term_matches(const char *name, const char *t, size_t n) {
  jtrim(&t, &n);
  size_t nl = strlen(name);
  if (ends(name, nl, '.')) {
    if (ends(t, n, '.'))
      return eq_ci(t, n, name);
    if (ends(t, n, ';') || ends(t, n, ','))
      return eq_ci(t, n - 1, name);
    for (size_t i = 0; i + 1 < nl && i < n; i++)
      if (lower(name[i]) != lower(t[i]))
        return false;
    return nl - 1 == n;
  }
  if (ends(t, n, '.') || ends(t, n, ',') || ends(t, n, ';'))
    n--;
  return eq_ci(t, n, name);
}

/* set_contributor_type_id_by_code_or_name {contributorCodeSubfield,
 * contributorNameSubfield}: the first $4 whose data is a type code
 * (exact), else the first $e whose term matches a type name; else "". */
static int f_contrib_by_code_or_name(const mp__fnctx_t *c,
                                     const mp__fncall_t *call, const char *v,
                                     size_t n, mp_buf_t *out) {
  (void)v, (void)n;
  const char *csf = pstr(call, "contributorCodeSubfield");
  const char *nsf = pstr(call, "contributorNameSubfield");
  const mp__reftable_t *t = call->table;
  if (!t || !t->nrows || !csf || !csf[0] || !nsf || !nsf[0])
    return 0;
  for (size_t i = 0; i < c->nsf; i++) {
    if (c->sf[i].code != csf[0])
      continue;
    const mp__refrow_t *r = by_code(t, c->sf[i].data, c->sf[i].len, false);
    if (r)
      return puts_(out, r->id);
  }
  for (size_t i = 0; i < c->nsf; i++) {
    if (c->sf[i].code != nsf[0])
      continue;
    for (size_t k = 0; k < t->nrows; k++)
      if (t->rows[k].name &&
          term_matches(t->rows[k].name, c->sf[i].data, c->sf[i].len))
        return puts_(out, t->rows[k].id);
  }
  return 0;
}

/* set_electronic_access_relations_id: the relationship named by ind2
 * (' ' No information provided, 0 Resource, 1 Version of resource, 2
 * Related resource, 8 No display constant generated), else placeholder. */
static int f_eaccess_rel(const mp__fnctx_t *c, const mp__fncall_t *call,
                         const char *v, size_t n, mp_buf_t *out) {
  (void)v, (void)n;
  if (!call->table || !c->data_field)
    return puts_(out, MP__STUB_ID);
  const char *nm = NULL;
  switch (c->ind2) {
  case ' ': nm = "No information provided"; break;
  case '0': nm = "Resource"; break;
  case '1': nm = "Version of resource"; break;
  case '2': nm = "Related resource"; break;
  case '8': nm = "No display constant generated"; break;
  }
  return id_or(out, nm ? by_name(call->table, nm, strlen(nm), false) : NULL,
               MP__STUB_ID);
}

/* set_subject_source_id_by_code: the subject source whose code is the
 * value ($2), else "". */
static int f_subject_source_by_code(const mp__fnctx_t *c,
                                    const mp__fncall_t *call, const char *v,
                                    size_t n, mp_buf_t *out) {
  (void)c;
  jtrim(&v, &n);
  return id_or(out, by_code(call->table, v, n, true), "");
}

/* set_issuance_mode_id: leader/07 -> mode of issuance (a c d m: single
 * unit; b s: serial; i: integrating resource; else unspecified); "" when
 * there are no modes. */
static int f_issuance_mode(const mp__fnctx_t *c, const mp__fncall_t *call,
                           const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  if (n < 8)
    return MP_EMAPPING;
  if (!call->table || !call->table->nrows)
    return 0;
  const char *nm = "unspecified";
  if (strchr("acdm", v[7]) && v[7])
    nm = "single unit";
  else if (v[7] && strchr("bs", v[7]))
    nm = "serial";
  else if (v[7] == 'i')
    nm = "integrating resource";
  const mp__refrow_t *r = by_name(call->table, nm, strlen(nm), false);
  if (!r)
    r = by_name(call->table, "unspecified", 11, false);
  return id_or(out, r, "");
}

/* set_date_type_id: 008/06 (type of date) -> the instance date type with
 * that code, "" when none. */
static int f_date_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                       const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  if (n < 7 || !call->table)
    return 0;
  return id_or(out, by_code(call->table, v + 6, 1, false), "");
}

/* set_holdings_type_id: leader/06 of a holdings record (u Unknown, v
 * Multi-part monograph, x Monograph, y Serial) -> holdings type, "" when
 * none. */
static int f_holdings_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                           const char *v, size_t n, mp_buf_t *out) {
  (void)c;
  if (n < 7)
    return MP_EMAPPING;
  if (!call->table || !call->table->nrows)
    return 0;
  const char *nm = NULL;
  switch (v[6]) {
  case 'u': nm = "Unknown"; break;
  case 'v': nm = "Multi-part monograph"; break;
  case 'x': nm = "Monograph"; break;
  case 'y': nm = "Serial"; break;
  }
  return id_or(out, nm ? by_name(call->table, nm, strlen(nm), false) : NULL,
               "");
}

/* set_call_number_type_id: 852 ind1 -> call number type (0 LC, 1 Dewey, 2
 * NLM, 3 SuDoc, 4 shelving control number, 5 title, 6 shelved separately,
 * 7 source in $2, 8 other scheme), "" when none. */
static int f_call_number_type(const mp__fnctx_t *c, const mp__fncall_t *call,
                              const char *v, size_t n, mp_buf_t *out) {
  (void)v, (void)n;
  static const char *const names[] = {
      "Library of Congress classification",
      "Dewey Decimal classification",
      "National Library of Medicine classification",
      "Superintendent of Documents classification",
      "Shelving control number",
      "Title",
      "Shelved separately",
      "Source specified in subfield $2",
      "Other scheme"};
  if (!call->table || !c->data_field)
    return 0;
  int i = c->ind1 >= '0' && c->ind1 <= '8' ? c->ind1 - '0' : -1;
  if (i < 0)
    return 0;
  return id_or(out, by_name(call->table, names[i], strlen(names[i]), false),
               "");
}

/* set_permanent_location_id: the location whose code is the value (exact),
 * else the placeholder. */
static int f_location(const mp__fnctx_t *c, const mp__fncall_t *call,
                      const char *v, size_t n, mp_buf_t *out) {
  if (!call->table || !c->data_field)
    return puts_(out, MP__STUB_ID);
  return id_or(out, by_code(call->table, v, n, false), MP__STUB_ID);
}

static const mp__fndef_t fns[] = {
    {"char_select", f_char_select, NULL, P_FROMTO},
    {"remove_ending_punc", f_remove_ending_punc, NULL, 0},
    {"trim", f_trim, NULL, 0},
    {"trim_period", f_trim_period, NULL, 0},
    {"trim_punctuation", f_trim_punctuation, NULL, 0},
    {"remove_substring", f_remove_substring, NULL, 0},
    {"remove_prefix_by_indicator", f_remove_prefix_by_indicator, NULL, 0},
    {"capitalize", f_capitalize, NULL, 0},
    {"concat_subfields_by_name", f_concat_subfields_by_name, NULL, P_CONCAT},
    {"set_publisher_role", f_publisher_role, NULL, 0},
    {"set_instance_format_id", f_instance_format, "instanceFormats", 0},
    {"set_classification_type_id", f_named_stub, "classificationTypes", P_NAME},
    {"set_contributor_type_id", f_contrib_type, "contributorTypes", 0},
    {"set_contributor_type_text", f_contrib_text, "contributorTypes", 0},
    {"set_contributor_name_type_id", f_named_stub, "contributorNameTypes",
     P_NAME},
    {"set_contributor_type_id_by_code_or_name", f_contrib_by_code_or_name,
     "contributorTypes", P_CODESF},
    {"set_instance_type_id", f_instance_type, "instanceTypes", 0},
    {"set_electronic_access_relations_id", f_eaccess_rel,
     "electronicAccessRelationships", 0},
    {"set_subject_source_id", f_named_empty, "subjectSources", P_NAME},
    {"set_subject_source_id_by_code", f_subject_source_by_code,
     "subjectSources", 0},
    {"set_subject_type_id", f_named_empty, "subjectTypes", P_NAME},
    {"set_identifier_type_id_by_name", f_ident_by_name, "identifierTypes",
     P_NAME},
    {"set_identifier_type_id_by_value", f_ident_by_value, "identifierTypes",
     P_NAMES},
    {"set_note_type_id", f_note_type, "instanceNoteTypes", P_NAME},
    {"set_heading_type_by_name", f_heading_type, NULL, P_NAME},
    {"set_alternative_title_type_id", f_named_stub, "alternativeTitleTypes",
     P_NAME},
    {"set_issuance_mode_id", f_issuance_mode, "issuanceModes", 0},
    {"set_note_staff_only_via_indicator", f_staff_only, NULL, 0},
    {"set_deleted", f_deleted, NULL, 0},
    {"set_date_type_id", f_date_type, "instanceDateTypes", 0},
    {"set_holdings_type_id", f_holdings_type, "holdingsTypes", 0},
    {"set_call_number_type_id", f_call_number_type, "callNumberTypes", 0},
    {"set_permanent_location_id", f_location, "locations", 0},
    {"set_holdings_note_type_id", f_holdings_note_type, "holdingsNoteTypes",
     P_NAME},
    {"set_authority_note_type_id", f_named_stub, "authorityNoteTypes", P_NAME},
    {"set_authority_identifier_type_id_by_code", f_auth_ident_by_code,
     "authorityIdentifierTypes", P_CODE},
};

#define NFNS (sizeof fns / sizeof fns[0])

const char *const mp__fn_names[] = {
    "char_select", "remove_ending_punc", "trim", "trim_period",
    "trim_punctuation", "remove_substring", "remove_prefix_by_indicator",
    "capitalize", "concat_subfields_by_name", "set_publisher_role",
    "set_instance_format_id", "set_classification_type_id",
    "set_contributor_type_id", "set_contributor_type_text",
    "set_contributor_name_type_id", "set_contributor_type_id_by_code_or_name",
    "set_instance_type_id", "set_electronic_access_relations_id",
    "set_subject_source_id", "set_subject_source_id_by_code",
    "set_subject_type_id", "set_identifier_type_id_by_name",
    "set_identifier_type_id_by_value", "set_note_type_id",
    "set_heading_type_by_name", "set_alternative_title_type_id",
    "set_issuance_mode_id", "set_note_staff_only_via_indicator", "set_deleted",
    "set_date_type_id", "set_holdings_type_id", "set_call_number_type_id",
    "set_permanent_location_id", "set_holdings_note_type_id",
    "set_authority_note_type_id", "set_authority_identifier_type_id_by_code",
    NULL};
_Static_assert(sizeof mp__fn_names / sizeof mp__fn_names[0] == NFNS + 1,
               "mp__fn_names lists every function");

static int bad(char *err, size_t errlen, const char *fn, const char *what) {
  snprintf(err, errlen, "function %s: %s", fn, what);
  return MP_ERULES;
}

static bool int_param(json_t *p, const char *key, int *out) {
  json_t *v = json_object_get(p, key);
  if (json_is_integer(v) && json_integer_value(v) >= 0 &&
      json_integer_value(v) < 100000) {
    *out = (int)json_integer_value(v);
    return true;
  }
  return false;
}

/* A Java regex used with String.matches (whole value), as POSIX ERE. */
static int compile_re(const char *fn, const char *src, mp__fncall_t *call,
                      char *err, size_t errlen) {
  char *full = malloc(strlen(src) + 5);
  if (!full)
    return MP_ENOMEM;
  sprintf(full, "^(%s)$", src);
  call->re = malloc(sizeof *call->re);
  int rc = call->re ? regcomp(call->re, full, REG_EXTENDED | REG_NOSUB) : -1;
  free(full);
  if (rc != 0) {
    free(call->re);
    call->re = NULL;
    return bad(err, errlen, fn, "\"oclc_regex\" is not a regular expression "
                                "this mapper can use");
  }
  return 0;
}

int mp__fn_compile(const char *name, size_t len, json_t *param,
                   const mp__refdata_t *rd, mp__fncall_t *call, char *err,
                   size_t errlen) {
  memset(call, 0, sizeof *call);
  while (len && (unsigned char)name[0] <= ' ')
    name++, len--;
  while (len && (unsigned char)name[len - 1] <= ' ')
    len--;
  char nm[80];
  snprintf(nm, sizeof nm, "%.*s", (int)(len < 79 ? len : 79), name);
  if (strcmp(nm, "custom") == 0)
    return bad(err, errlen, nm,
               "JavaScript (\"custom\") functions are not supported");
  const mp__fndef_t *d = NULL;
  for (size_t i = 0; i < NFNS; i++)
    if (strlen(fns[i].name) == len && memcmp(fns[i].name, name, len) == 0)
      d = &fns[i];
  if (!d) {
    snprintf(err, errlen, "unknown function \"%s\"", nm);
    return MP_ERULES;
  }
  if (param && !json_is_object(param))
    return bad(err, errlen, nm, "\"parameter\" must be an object");
  call->def = d;
  if ((d->needs & P_NAME) && !json_is_string(json_object_get(param, "name")))
    return bad(err, errlen, nm, "needs parameter \"name\"");
  if ((d->needs & P_CODE) && !json_is_string(json_object_get(param, "code")))
    return bad(err, errlen, nm, "needs parameter \"code\"");
  if ((d->needs & P_CONCAT) &&
      !json_is_array(json_object_get(param, "subfieldsToConcat")))
    return bad(err, errlen, nm, "needs parameter \"subfieldsToConcat\"");
  if ((d->needs & P_CODESF) &&
      !(json_is_string(json_object_get(param, "contributorCodeSubfield")) &&
        json_is_string(json_object_get(param, "contributorNameSubfield"))))
    return bad(err, errlen, nm,
               "needs parameters \"contributorCodeSubfield\" and "
               "\"contributorNameSubfield\"");
  if ((d->needs & P_NAMES) &&
      !json_is_array(json_object_get(param, "names")))
    return bad(err, errlen, nm, "needs parameter \"names\"");
  if (d->needs & P_FROMTO) {
    bool has_from = json_object_get(param, "from") != NULL;
    bool has_to = json_object_get(param, "to") != NULL;
    if (has_from || has_to) {
      if (!(int_param(param, "from", &call->from) &&
            int_param(param, "to", &call->to) && call->from <= call->to))
        return bad(err, errlen, nm, "\"from\" and \"to\" must be integers, "
                                    "from <= to");
    } else {
      call->from = 0, call->to = -1; /* FOLIO: the value unchanged */
    }
  }
  if (d->needs & P_NAMES) {
    const char *re = json_string_value(json_object_get(param, "oclc_regex"));
    if (re && compile_re(nm, re, call, err, errlen))
      return MP_ERULES;
  }
  call->param = json_incref(param);
  if (d->type)
    call->table = mp__refdata_get(rd, d->type);
  /* a result that depends on the parameter and reference data alone is
   * computed once, here */
  if (d->fn == f_named_stub || d->fn == f_named_empty ||
      d->fn == f_ident_by_name || d->fn == f_note_type ||
      d->fn == f_holdings_note_type || d->fn == f_auth_ident_by_code ||
      d->fn == f_heading_type) {
    mp_buf_t b;
    mp_buf_init(&b);
    mp__fnctx_t none = {0};
    int rc = d->fn(&none, call, "", 0, &b);
    call->konst = rc ? NULL : strndup(b.data ? b.data : "", b.len);
    call->konst_len = b.len;
    mp_buf_release(&b);
    if (!call->konst)
      return MP_ENOMEM;
  }
  return 0;
}

void mp__fn_release(mp__fncall_t *call) {
  json_decref(call->param);
  free(call->konst);
  if (call->re) {
    regfree(call->re);
    free(call->re);
  }
  memset(call, 0, sizeof *call);
}

int mp__fn_run(const mp__fnctx_t *c, const mp__fncall_t *call,
               const char *value, size_t len, mp_buf_t *out) {
  mp_buf_clear(out);
  if (call->konst)
    return put(out, call->konst, call->konst_len) ? MP_ENOMEM : 0;
  if (call->def->fn == f_char_select && call->to < 0)
    return put(out, value, len);
  int rc = call->def->fn(c, call, value, len, out);
  if (rc == 0 && !out->data && mp_buf_reserve(out, 1))
    return MP_ENOMEM;
  if (rc == 0)
    out->data[out->len] = '\0';
  return rc;
}
