/* marcxml_fast.c: the fast path of the MARCXML backend (see marcxml_fast.h).
 *
 * Why it exists: MARCXML read through libxml2's xmlTextReader (a tree node
 * per element, text and attribute, made and freed again) is slower than
 * yaz-marcdump, and no reader built on it could beat yaz, which uses SAX.
 * This scanner handles what MARCXML files contain and leaves everything
 * else to libxml2: it reads MARCXML about 1.7x faster than `yaz-marcdump
 * -i marcxml -n` in CPU time (bench/parse_xml.sh, figures in
 * bench/README.md).
 *
 * Each call scans from the input position: text, comments and processing
 * instructions between records, start and end tags of wrapper elements
 * (names kept on a stack with their namespace bindings), until a record
 * start tag. The whole record element is then scanned in one contiguous
 * window (the input buffer is grown to hold it) into a flat list of element
 * nodes (local name, depth, line, attributes, text), checked, and only then
 * converted with the builder, so a fallback never leaves a half-made
 * record. Every scan either completes, asks for more input (NEED_MORE: the
 * window is refilled and the same construct scanned again from its start),
 * or gives up (MP__XML_FALLBACK). Views point into the input window, which
 * does not move while a record is converted; names and namespace URIs that
 * outlive a window are copied. Lines count '\n'; "\r\n" is read as '\n'
 * (dropped from text); a lone '\r' falls back (XML normalises it to '\n',
 * which libxml2 then reports).
 */
#include "marc/marcxml_fast.h"

#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SLIM "http://www.loc.gov/MARC21/slim"
#define NEED_MORE 2
#define GOT_RECORD 3
#define FB MP__XML_FALLBACK
#define MAX_DEPTH 256
#define MAX_NAME 64

typedef struct {
  const char *qname; /* as written */
  const char *name;  /* local part */
  size_t nlen;
  const char *val;
  size_t vlen;
} fattr_t;

/* An element of the record subtree (record itself = depth 0). */
typedef struct {
  const char *local;
  size_t llen;
  uint32_t depth;
  long line;          /* line of the start tag's end, as libxml2 counts */
  uint32_t a_first, a_count;
  const char *text;   /* direct text (NULL: none); in the window or, when
                         decoded, at t_off in the scratch buffer */
  size_t tlen, t_off;
  bool t_scratch;
  bool has_child;     /* has element children */
} fnode_t;

typedef struct {
  char *prefix; /* NULL: the default namespace */
  char *uri;    /* "" = no namespace */
  uint32_t depth;
} fbind_t;

typedef struct {
  char qname[MAX_NAME];
  size_t len;
  uint32_t node; /* node index inside a record */
} felem_t;

struct mp_xml_fast_s {
  mp_marc_reader_t *r;
  mp_build_t *build;
  long *linep;
  long line;    /* line at r->in.pos */
  int state;    /* 0 prolog not read, 1 in the document, 2 after the root */
  uint32_t depth;
  fbind_t *binds;
  uint32_t nbinds, cap_binds;
  fnode_t *nodes;
  uint32_t nnodes, cap_nodes;
  fattr_t *attrs;
  uint32_t nattrs, cap_attrs;
  mp_buf_t scratch; /* decoded text */
  /* open elements; entries at and above depth are unset (last member:
     left out of the zeroing at creation, 20 KB a reader) */
  felem_t stack[MAX_DEPTH];
};

/* The tag just parsed. */
typedef struct {
  const char *qname, *local, *prefix;
  size_t qlen, llen, plen;
  uint32_t a_first;
  bool empty, end;
} ftag_t;

/* ---- character checks ---- */

/* Byte classes for text: 0 plain, 1 newline, 2 needs a closer look
 * ('&', '<', ']', controls other than tab, non-ASCII). */
static const unsigned char text_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 1, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* A valid UTF-8 sequence that is an XML Char (no U+FFFE/U+FFFF): its
 * length, else 0. */
static size_t xml_char(const unsigned char *p, size_t n) {
  size_t len = mp_utf8_seq(p, n);
  if (len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
    return 0;
  return len;
}

static bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes of names: 1 may start a name ([A-Za-z_]), 2 may follow
 * ([0-9.-]), 3 is ':' (a prefix ends). Names are scanned with one lookup
 * per byte. */
static const unsigned char name_class[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['_'] = 1, ['0'] = 2,
    ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2,
    ['7'] = 2, ['8'] = 2, ['9'] = 2, ['.'] = 2, ['-'] = 2, [':'] = 3,
};

static bool name_start(unsigned char c) { return name_class[c] == 1; }

/* ---- growable arrays ---- */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap)
    return 0;
  uint32_t c = *cap ? *cap * 2 : 64;
  while (c < need)
    c *= 2;
  void *q = realloc(*p, (size_t)c * size);
  if (!q)
    return MP_ENOMEM;
  *p = q;
  *cap = c;
  return 0;
}

/* ---- namespaces ---- */

static void pop_binds(mp_xml_fast_t *f, uint32_t depth) {
  while (f->nbinds && f->binds[f->nbinds - 1].depth >= depth) {
    fbind_t *b = &f->binds[--f->nbinds];
    free(b->prefix);
    free(b->uri);
  }
}

static char *dup(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

static int push_bind(mp_xml_fast_t *f, const char *pfx, size_t plen,
                     const char *uri, size_t ulen, uint32_t depth) {
  if (grow((void **)&f->binds, &f->cap_binds, f->nbinds + 1, sizeof *f->binds))
    return MP_ENOMEM;
  fbind_t *b = &f->binds[f->nbinds];
  b->prefix = pfx ? dup(pfx, plen) : NULL;
  b->uri = dup(uri, ulen);
  b->depth = depth;
  if (!b->uri || (pfx && !b->prefix)) {
    free(b->prefix);
    free(b->uri);
    return MP_ENOMEM;
  }
  f->nbinds++;
  return 0;
}

/* The namespace URI of a prefix (NULL, 0: default); NULL if unbound. */
static const char *lookup(const mp_xml_fast_t *f, const char *pfx,
                          size_t plen) {
  for (uint32_t i = f->nbinds; i-- > 0;) {
    const fbind_t *b = &f->binds[i];
    if (!pfx ? !b->prefix
             : b->prefix && strlen(b->prefix) == plen &&
                   memcmp(b->prefix, pfx, plen) == 0)
      return b->uri;
  }
  return pfx ? NULL : "";
}

/* ---- tags ---- */

/* A qualified name at p[i]; *colon = offset of its ':' or 0. End or FB. */
static size_t scan_name(const unsigned char *p, size_t n, size_t i,
                        size_t *colon) {
  size_t s = i;
  *colon = 0;
  if (i >= n)
    return 0;
  if (!name_start(p[i]))
    return 0;
  for (i++; i < n && name_class[p[i]]; i++)
    if (name_class[p[i]] == 3) {
      if (i + 1 >= n)
        return n; /* the window ends inside the name */
      if (*colon || !name_start(p[i + 1]))
        return 0;
      *colon = i - s;
    }
  return i;
}

static size_t scan_ref(const unsigned char *p, size_t n, char out[4],
                       size_t *olen, bool *more);

#define MORE_OR_FB(i, n) ((i) >= (n) ? NEED_MORE : FB)

/* The element name after '<' (and the '/' of an end tag) from p[*ip]:
 * t's names and end flag set, *ip past the name. 0, NEED_MORE or FB. */
static int scan_tag_name(const unsigned char *p, size_t n, ftag_t *t,
                         size_t *ip) {
  size_t i = *ip, colon, e;
  if (i < n && p[i] == '/') {
    t->end = true;
    i++;
  }
  if (!(e = scan_name(p, n, i, &colon)))
    return MORE_OR_FB(i + 1, n);
  if (e >= n)
    return NEED_MORE;
  t->qname = (const char *)p + i;
  t->qlen = e - i;
  t->local = colon ? t->qname + colon + 1 : t->qname;
  t->llen = colon ? t->qlen - colon - 1 : t->qlen;
  t->prefix = colon ? t->qname : NULL;
  t->plen = colon;
  *ip = e;
  return 0;
}

/* White space inside a tag from p[*ip], newlines added to *nl; the window
 * must hold a byte after it. A lone '\r' falls back. 0, NEED_MORE or FB. */
static int skip_tag_space(const unsigned char *p, size_t n, size_t *ip,
                          long *nl) {
  size_t i = *ip;
  for (; i < n && is_space(p[i]); i++)
    if (p[i] == '\n')
      (*nl)++;
    else if (p[i] == '\r' && (i + 1 >= n || p[i + 1] != '\n'))
      return i + 1 >= n ? NEED_MORE : FB;
  *ip = i;
  return i >= n ? NEED_MORE : 0;
}

/* The quoted attribute value at p[*ip] (the quote): *val and *vlen its
 * bytes as written, *plain false when it holds a reference or a white
 * space character other than ' ' (XML would change it), *ip past the
 * closing quote, newlines added to *nl. 0, NEED_MORE or FB. */
static int scan_attr_value(const unsigned char *p, size_t n, size_t *ip,
                           long *nl, const char **val, size_t *vlen,
                           bool *plain) {
  size_t i = *ip;
  unsigned char q = p[i];
  if (q != '"' && q != '\'')
    return FB;
  size_t vs = ++i;
  *plain = true;
  while (i < n && p[i] != q) {
    unsigned char c = p[i];
    if (c == '\t' || c == '\n' || c == '&' ||
        (c == '\r' && i + 1 < n && p[i + 1] == '\n')) {
      *plain = false;
      *nl += c == '\n';
      if (c == '&') { /* checked, not decoded: keep_attr decides */
        char out[4];
        size_t olen, k;
        bool more;
        if (!(k = scan_ref(p + i, n - i, out, &olen, &more)))
          return more ? NEED_MORE : FB;
        i += k;
      } else
        i++;
      continue;
    }
    if (c < 0x20 || c == '<')
      return FB;
    if (c >= 0x80) {
      size_t k = xml_char(p + i, n - i);
      if (!k)
        return n - i < 4 ? NEED_MORE : FB;
      i += k;
    } else
      i++;
  }
  if (i >= n)
    return NEED_MORE;
  *val = (const char *)p + vs;
  *vlen = i - vs;
  *ip = i + 1;
  return 0;
}

/* Keep one parsed attribute of tag t: a namespace declaration is pushed
 * at `depth`, anything else appended to f->attrs (*prefixed set when its
 * prefix is not xml: checked once the tag's declarations are known).
 * Values XML would normalise or expand are refused where they are read.
 * 0, FB or MP_ENOMEM. */
static int keep_attr(mp_xml_fast_t *f, const ftag_t *t, uint32_t depth,
                     const char *name, size_t nlen, size_t colon,
                     const char *val, size_t vlen, bool plain,
                     bool *prefixed) {
  const char *local = colon ? name + colon + 1 : name;
  size_t llen = colon ? nlen - colon - 1 : nlen;
  if (!plain &&
      ((llen == 3 && !memcmp(local, "tag", 3)) ||
       (llen == 4 && (!memcmp(local, "ind1", 4) || !memcmp(local, "ind2", 4) ||
                      !memcmp(local, "code", 4))) ||
       (nlen >= 5 && !memcmp(name, "xmlns", 5))))
    return FB;
  if (nlen == 5 && memcmp(name, "xmlns", 5) == 0)
    return push_bind(f, NULL, 0, val, vlen, depth) ? MP_ENOMEM : 0;
  if (colon == 5 && memcmp(name, "xmlns", 5) == 0) {
    const char *pfx = name + 6;
    size_t plen = nlen - 6;
    if (!vlen || (plen == 3 && memcmp(pfx, "xml", 3) == 0) ||
        (plen == 5 && memcmp(pfx, "xmlns", 5) == 0))
      return FB;
    return push_bind(f, pfx, plen, val, vlen, depth) ? MP_ENOMEM : 0;
  }
  if (colon && !(colon == 3 && memcmp(name, "xml", 3) == 0))
    *prefixed = true;
  if (grow((void **)&f->attrs, &f->cap_attrs, f->nattrs + 1,
           sizeof *f->attrs))
    return MP_ENOMEM;
  for (uint32_t k = t->a_first; k < f->nattrs; k++)
    if (f->attrs[k].nlen == llen && !memcmp(f->attrs[k].name, local, llen))
      return FB; /* same local name twice: let libxml2 judge */
  f->attrs[f->nattrs++] = (fattr_t){name, local, llen, val, vlen};
  return 0;
}

/* One attribute, name = "value", at p[*ip], kept by keep_attr; *ip past
 * it, newlines added to *nl. 0, NEED_MORE, FB or MP_ENOMEM. */
static int scan_attr(mp_xml_fast_t *f, const unsigned char *p, size_t n,
                     uint32_t depth, const ftag_t *t, size_t *ip, long *nl,
                     bool *prefixed) {
  size_t i = *ip, colon, e;
  if (!(e = scan_name(p, n, i, &colon)))
    return MORE_OR_FB(i + 1, n);
  const char *name = (const char *)p + i;
  size_t nlen = e - i;
  for (i = e; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'); i++)
    *nl += p[i] == '\n';
  if (i + 1 >= n)
    return NEED_MORE;
  if (p[i] != '=')
    return FB;
  for (i++; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'); i++)
    *nl += p[i] == '\n';
  if (i >= n)
    return NEED_MORE;
  const char *val;
  size_t vlen;
  bool plain;
  int rc = scan_attr_value(p, n, &i, nl, &val, &vlen, &plain);
  if (rc)
    return rc;
  *ip = i;
  return keep_attr(f, t, depth, name, nlen, colon, val, vlen, plain,
                   prefixed);
}

/* The namespace checks of a complete tag: no prefix declared twice on it
 * (declarations from binds0 on), and every prefix of the element and (when
 * prefixed) of its attributes declared. 0 or FB: libxml2 judges the rest. */
static int check_tag_prefixes(const mp_xml_fast_t *f, const ftag_t *t,
                              uint32_t binds0, bool prefixed) {
  for (uint32_t a = binds0; a < f->nbinds; a++)
    for (uint32_t b = a + 1; b < f->nbinds; b++) {
      const char *x = f->binds[a].prefix, *y = f->binds[b].prefix;
      if ((!x && !y) || (x && y && strcmp(x, y) == 0))
        return FB;
    }
  if (t->prefix && (t->plen == 5 && !memcmp(t->prefix, "xmlns", 5)))
    return FB;
  if (t->prefix && !lookup(f, t->prefix, t->plen))
    return FB;
  for (uint32_t k = t->a_first; prefixed && k < f->nattrs; k++) {
    const fattr_t *a = &f->attrs[k];
    const char *qn = a->qname;
    size_t plen = (size_t)(a->name - qn);
    if (plen && !(plen == 4 && memcmp(qn, "xml", 3) == 0) &&
        !lookup(f, qn, plen - 1))
      return FB; /* an undeclared prefix */
  }
  return 0;
}

/* Parse the tag at p[0] == '<' (start, empty or end tag): its name, then
 * attributes each after white space, up to '>' or "/>", then the namespace
 * checks. On success *used is its length, *line advanced by its newlines,
 * attributes appended to f->attrs and namespace declarations pushed at
 * depth `depth`; on failure both are undone. 0, NEED_MORE, FB or
 * MP_ENOMEM. */
static int scan_tag(mp_xml_fast_t *f, const unsigned char *p, size_t n,
                    uint32_t depth, ftag_t *t, size_t *used, long *line) {
  size_t i = 1;
  long nl = 0;
  uint32_t binds0 = f->nbinds;
  bool prefixed = false;
  memset(t, 0, sizeof *t);
  t->a_first = f->nattrs;
  int rc = scan_tag_name(p, n, t, &i);
  if (rc)
    return rc; /* nothing pushed yet */
  for (;;) {
    size_t ws = i;
    if ((rc = skip_tag_space(p, n, &i, &nl)))
      goto fail;
    if (p[i] == '>') {
      i++;
      break;
    }
    if (p[i] == '/' && !t->end) {
      if (i + 1 >= n) {
        rc = NEED_MORE;
        goto fail;
      }
      if (p[i + 1] != '>') {
        rc = FB;
        goto fail;
      }
      t->empty = true;
      i += 2;
      break;
    }
    if (t->end || ws == i) {
      rc = FB; /* attributes need white space before them */
      goto fail;
    }
    if ((rc = scan_attr(f, p, n, depth, t, &i, &nl, &prefixed)))
      goto fail;
  }
  if ((rc = check_tag_prefixes(f, t, binds0, prefixed)))
    goto fail;
  *used = i;
  *line += nl;
  return 0;
fail:
  pop_binds(f, depth); /* only this tag's bindings are that deep */
  f->nattrs = t->a_first;
  return rc;
}

/* ---- text ---- */

/* Decode the reference at p[0] == '&' into out (UTF-8); its length, 0 for
 * FB, or NEED_MORE through *more. */
static size_t scan_ref(const unsigned char *p, size_t n, char out[4],
                       size_t *olen, bool *more) {
  const unsigned char *semi = memchr(p, ';', n < 12 ? n : 12);
  *more = false;
  if (!semi) {
    *more = n < 12;
    return 0;
  }
  size_t len = (size_t)(semi - p) + 1;
  static const struct {
    const char *name;
    char c;
  } pre[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
             {"&quot;", '"'}, {"&apos;", '\''}};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
    if (strlen(pre[i].name) == len && memcmp(p, pre[i].name, len) == 0) {
      out[0] = pre[i].c;
      *olen = 1;
      return len;
    }
  if (len < 4 || p[1] != '#')
    return 0;
  unsigned long v = 0;
  bool hex = p[2] == 'x';
  size_t i = hex ? 3 : 2;
  if (i >= len - 1)
    return 0;
  for (; i < len - 1; i++) {
    unsigned char c = p[i];
    int d = c >= '0' && c <= '9'             ? c - '0'
            : hex && c >= 'a' && c <= 'f'    ? c - 'a' + 10
            : hex && c >= 'A' && c <= 'F'    ? c - 'A' + 10
                                             : -1;
    if (d < 0)
      return 0;
    v = v * (hex ? 16 : 10) + (unsigned long)d;
  }
  if (!(v == 9 || v == 10 || v == 13 || (v >= 0x20 && v <= 0xD7FF) ||
        (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)))
    return 0;
  unsigned char *o = (unsigned char *)out;
  if (v < 0x80) {
    o[0] = (unsigned char)v;
    *olen = 1;
  } else if (v < 0x800) {
    o[0] = (unsigned char)(0xC0 | (v >> 6));
    o[1] = (unsigned char)(0x80 | (v & 0x3F));
    *olen = 2;
  } else if (v < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (v >> 12));
    o[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (v & 0x3F));
    *olen = 3;
  } else {
    o[0] = (unsigned char)(0xF0 | (v >> 18));
    o[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (v & 0x3F));
    *olen = 4;
  }
  return len;
}

/* Scan character data from p up to the next '<' (which must be in the
 * window). With `dec` (not NULL) references are decoded into it when there
 * are any (*decoded set). *used = length, *line advanced, *blank = only
 * white space. 0, NEED_MORE or FB. */
static int scan_text(const unsigned char *p, size_t n, mp_buf_t *dec,
                     bool *decoded, size_t *used, long *line, bool *blank) {
  size_t i = 0, run = 0;
  long nl = 0;
  bool ws = true;
  *decoded = false;
  for (;;) {
    if (ws) { /* blank so far: spaces and tabs, then is the rest plain? */
      while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
      if (i < n && !text_class[p[i]])
        ws = false;
    }
    while (i < n && !text_class[p[i]])
      i++;
    if (i >= n)
      return NEED_MORE;
    unsigned char c = p[i];
    if (c == '<')
      break;
    if (c == '\n') {
      nl++;
      i++;
      continue;
    }
    ws = ws && c == '\r';
    if (c == ']') {
      if (n - i < 3)
        return NEED_MORE;
      if (p[i + 1] == ']' && p[i + 2] == '>')
        return FB;
      i++;
    } else if (c >= 0x80) {
      size_t k = xml_char(p + i, n - i);
      if (!k)
        return n - i < 4 ? NEED_MORE : FB;
      i += k;
    } else if (c == '&') {
      char out[4];
      size_t olen;
      bool more;
      size_t k = scan_ref(p + i, n - i, out, &olen, &more);
      if (!k)
        return more ? NEED_MORE : FB;
      if (dec) {
        if (!*decoded)
          mp_buf_clear(dec);
        *decoded = true;
        if (mp_buf_append(dec, p + run, i - run) ||
            mp_buf_append(dec, out, olen))
          return MP_ENOMEM;
      }
      i += k;
      run = i;
    } else if (c == '\r') {
      if (i + 1 >= n)
        return NEED_MORE;
      if (p[i + 1] != '\n')
        return FB; /* a lone CR: XML makes it a LF */
      if (dec) { /* drop the CR */
        if (!*decoded)
          mp_buf_clear(dec);
        *decoded = true;
        if (mp_buf_append(dec, p + run, i - run))
          return MP_ENOMEM;
      }
      run = ++i;
    } else
      return FB; /* a control character */
  }
  if (dec && *decoded && mp_buf_append(dec, p + run, i - run))
    return MP_ENOMEM;
  *used = i;
  *line += nl;
  *blank = ws;
  return 0;
}

/* Skip a comment or processing instruction at p[0] == '<' outside records.
 * 0, NEED_MORE or FB. */
static int scan_misc(const unsigned char *p, size_t n, size_t *used,
                     long *line) {
  bool pi = n > 1 && p[1] == '?';
  if (n < 4)
    return NEED_MORE;
  if (!pi && memcmp(p, "<!--", 4) != 0)
    return FB; /* DOCTYPE, CDATA */
  const char *close = pi ? "?>" : "--";
  size_t start = pi ? 2 : 4, i = start;
  if (pi) {
    size_t colon, e = scan_name(p, n, 2, &colon);
    if (!e)
      return MORE_OR_FB(3, n);
    if (e - 2 == 3 && (p[2] | 0x20) == 'x' && (p[3] | 0x20) == 'm' &&
        (p[4] | 0x20) == 'l')
      return FB; /* a declaration not at the start */
    if (e >= n)
      return NEED_MORE;
    if (!is_space(p[e]) && p[e] != '?')
      return FB;
    i = e;
  }
  long nl = 0;
  for (;;) {
    if (i + 1 >= n)
      return NEED_MORE;
    if (p[i] == (unsigned char)close[0] && p[i + 1] == (unsigned char)close[1])
      break;
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t k = xml_char(p + i, n - i);
      if (!k)
        return n - i < 4 ? NEED_MORE : FB;
      i += k;
      continue;
    }
    if (c < 0x20 && c != '\t' && c != '\n' &&
        !(c == '\r' && p[i + 1] == '\n'))
      return FB;
    nl += c == '\n';
    i++;
  }
  if (!pi) {
    if (i + 2 >= n)
      return NEED_MORE;
    if (p[i + 2] != '>')
      return FB; /* "--" inside a comment */
    i++;
  }
  *used = i + 2;
  *line += nl;
  return 0;
}

/* The XML declaration, if any, after an optional UTF-8 BOM: accepted only
 * as version 1.0, UTF-8 (or no encoding) and standalone yes/no. */
static int scan_decl(const unsigned char *p, size_t n, bool eof,
                     size_t *used) {
  size_t i = 0;
  if (n < 64 && !eof)
    return NEED_MORE;
  if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
    i = 3;
  else if (n >= 2 && (p[0] == 0xFE || p[0] == 0xFF || p[0] == 0 || p[1] == 0))
    return FB; /* UTF-16 / UCS-4 */
  *used = i;
  if (n - i < 6 || memcmp(p + i, "<?xml", 5) != 0 || !is_space(p[i + 5]))
    return 0;
  const unsigned char *end = NULL;
  for (size_t k = i; k + 1 < n; k++)
    if (p[k] == '?' && p[k + 1] == '>') {
      end = p + k;
      break;
    }
  if (!end)
    return eof ? FB : NEED_MORE;
  static const struct {
    const char *text;
    int group; /* version, encoding, standalone: in this order */
  } ok[] = {{"version=\"1.0\"", 1},     {"version='1.0'", 1},
            {"encoding=\"UTF-8\"", 2},  {"encoding='UTF-8'", 2},
            {"encoding=\"utf-8\"", 2},  {"encoding='utf-8'", 2},
            {"standalone=\"yes\"", 3},  {"standalone='yes'", 3},
            {"standalone=\"no\"", 3},   {"standalone='no'", 3}};
  const unsigned char *q = p + i + 5;
  int seen = 0;
  while (q < end) {
    if (*q == ' ' || *q == '\t' || *q == '\n' ||
        (*q == '\r' && q[1] == '\n')) {
      q++;
      continue;
    }
    size_t k, m = 0;
    for (k = 0; k < sizeof ok / sizeof ok[0]; k++) {
      m = strlen(ok[k].text);
      if ((size_t)(end - q) >= m && memcmp(q, ok[k].text, m) == 0)
        break;
    }
    if (k == sizeof ok / sizeof ok[0] || ok[k].group <= seen ||
        (!seen && ok[k].group != 1))
      return FB;
    seen = ok[k].group;
    q += m;
    if (q < end && !is_space(*q))
      return FB;
  }
  if (!seen)
    return FB;
  *used = (size_t)(end - p) + 2;
  return 0;
}

/* ---- records ---- */

static fnode_t *add_node(mp_xml_fast_t *f) {
  if (grow((void **)&f->nodes, &f->cap_nodes, f->nnodes + 1, sizeof *f->nodes))
    return NULL;
  fnode_t *nd = &f->nodes[f->nnodes++];
  memset(nd, 0, sizeof *nd);
  return nd;
}

static int push_elem(mp_xml_fast_t *f, const ftag_t *t, uint32_t node) {
  if (f->depth >= MAX_DEPTH || t->qlen >= MAX_NAME)
    return FB;
  felem_t *e = &f->stack[f->depth++];
  memcpy(e->qname, t->qname, t->qlen);
  e->len = t->qlen;
  e->node = node;
  return 0;
}

/* An end tag must close the innermost open element. */
static int pop_elem(mp_xml_fast_t *f, const ftag_t *t) {
  if (!f->depth)
    return FB;
  felem_t *e = &f->stack[f->depth - 1];
  if (e->len != t->qlen || memcmp(e->qname, t->qname, t->qlen) != 0)
    return FB;
  pop_binds(f, f->depth);
  f->depth--;
  return 0;
}

static bool is(const fnode_t *nd, const char *name) {
  size_t n = strlen(name);
  return nd->llen == n && memcmp(nd->local, name, n) == 0;
}

/* Scan the record element at p (its start tag already parsed as t, `tl`
 * bytes, bindings pushed at depth f->depth + 1) to its end tag.
 * *used = the element's length. 0, NEED_MORE or FB. */
static int scan_record(mp_xml_fast_t *f, const unsigned char *p, size_t n,
                       const ftag_t *t, size_t tl, long *linep, size_t *used) {
  long line = *linep;
  uint32_t base = f->depth;
  f->nnodes = 0;
  mp_buf_clear(&f->scratch);
  fnode_t *nd = add_node(f);
  if (!nd)
    return MP_ENOMEM;
  *nd = (fnode_t){.local = t->local, .llen = t->llen, .line = line,
                  .a_first = t->a_first,
                  .a_count = f->nattrs - t->a_first};
  if (t->empty) {
    pop_binds(f, base + 1);
    *used = tl;
    *linep = line;
    return 0;
  }
  int rc = push_elem(f, t, 0);
  size_t i = tl;
  mp_buf_t dec;
  mp_buf_init(&dec);
  while (!rc && f->depth > base) {
    if (i >= n) {
      rc = NEED_MORE;
      break;
    }
    if (p[i] != '<') {
      size_t k;
      bool decoded, blank;
      rc = scan_text(p + i, n - i, &dec, &decoded, &k, &line, &blank);
      if (rc)
        break;
      fnode_t *cur = &f->nodes[f->stack[f->depth - 1].node];
      if (!cur->text && !cur->has_child) {
        cur->text = (const char *)p + i;
        cur->tlen = k;
        if (decoded) {
          cur->t_scratch = true;
          cur->t_off = f->scratch.len;
          cur->tlen = dec.len;
          rc = mp_buf_append(&f->scratch, dec.data, dec.len);
        }
      } else if (!blank || cur->text)
        cur->has_child = true; /* mixed content: not a leaf any more */
      i += k;
      continue;
    }
    if (i + 1 >= n) {
      rc = NEED_MORE;
      break;
    }
    if (p[i + 1] == '!' || p[i + 1] == '?') {
      rc = FB; /* comments, CDATA, PIs inside a record: libxml2 */
      break;
    }
    ftag_t c;
    size_t k;
    long l = line;
    rc = scan_tag(f, p + i, n - i, f->depth + 1, &c, &k, &l);
    if (rc)
      break;
    line = l;
    i += k;
    if (c.end) {
      rc = pop_elem(f, &c);
      continue;
    }
    uint32_t parent = f->stack[f->depth - 1].node;
    f->nodes[parent].has_child = true;
    if (!(nd = add_node(f))) {
      rc = MP_ENOMEM;
      break;
    }
    *nd = (fnode_t){.local = c.local, .llen = c.llen, .line = line,
                    .depth = f->depth - base, .a_first = c.a_first,
                    .a_count = f->nattrs - c.a_first};
    if (c.empty)
      pop_binds(f, f->depth + 1);
    else
      rc = push_elem(f, &c, f->nnodes - 1);
  }
  mp_buf_release(&dec);
  if (rc) {
    while (f->depth > base) {
      pop_binds(f, f->depth);
      f->depth--;
    }
    pop_binds(f, base + 1);
    return rc;
  }
  /* leaves read as text must hold text only (else xmlNodeGetContent) */
  bool in_df = false;
  for (uint32_t k = 1; k < f->nnodes; k++) {
    fnode_t *x = &f->nodes[k];
    if (x->depth == 1)
      in_df = is(x, "datafield");
    bool leaf = x->depth == 1 ? is(x, "leader") || is(x, "controlfield")
                              : x->depth == 2 && in_df && is(x, "subfield");
    if (leaf && x->has_child)
      return FB;
  }
  *used = i;
  *linep = line;
  return 0;
}

/* ---- conversion (same builder calls as the libxml2 path) ---- */

static const char *attr(const mp_xml_fast_t *f, const fnode_t *nd,
                        const char *name, size_t *len) {
  size_t n = strlen(name);
  for (uint32_t k = nd->a_first; k < nd->a_first + nd->a_count; k++)
    if (f->attrs[k].nlen == n && memcmp(f->attrs[k].name, name, n) == 0) {
      *len = f->attrs[k].vlen;
      return f->attrs[k].val;
    }
  *len = 0;
  return NULL;
}

static const char *text(const mp_xml_fast_t *f, const fnode_t *nd,
                        size_t *len) {
  *len = nd->tlen;
  if (!nd->text)
    return "";
  return nd->t_scratch ? f->scratch.data + nd->t_off : nd->text;
}

static void ignored(mp_xml_fast_t *f, const fnode_t *nd) {
  mp_marc_reader_t *r = f->r;
  const mp_record_t *rec = &r->rec;
  mp__reader_diag(r, MP_EFIELD, MP_SEV_WARNING, rec->offset,
                  rec->nfields ? rec->fields[rec->nfields - 1].tag : "",
                  "element <%.*s> ignored (line %ld)",
                  (int)(nd->llen < 40 ? nd->llen : 40), nd->local, nd->line);
}

static int convert(mp_xml_fast_t *f) {
  mp__build_begin(f->build, &f->r->rec);
  bool had_leader = false;
  int rc = 0;
  size_t l1, l2, l3, vl;
  for (uint32_t k = 1; k < f->nnodes && !rc; k++) {
    const fnode_t *x = &f->nodes[k];
    if (x->depth != 1)
      continue;
    *f->linep = x->line;
    if (is(x, "leader") && !had_leader) {
      had_leader = true;
      const char *v = text(f, x, &vl);
      rc = mp__build_leader(f->build, v, vl);
    } else if (is(x, "controlfield")) {
      const char *tag = attr(f, x, "tag", &l1), *v = text(f, x, &vl);
      rc = mp__build_control(f->build, tag, l1, v, vl);
    } else if (is(x, "datafield")) {
      const char *tag = attr(f, x, "tag", &l1), *i1 = attr(f, x, "ind1", &l2),
                 *i2 = attr(f, x, "ind2", &l3);
      rc = mp__build_datafield(f->build, tag, l1, i1, l2, i2, l3);
      for (uint32_t j = k + 1; j < f->nnodes && f->nodes[j].depth > 1 && !rc;
           j++) {
        const fnode_t *s = &f->nodes[j];
        if (s->depth != 2)
          continue;
        if (is(s, "subfield")) {
          *f->linep = s->line;
          const char *code = attr(f, s, "code", &l1), *v = text(f, s, &vl);
          rc = mp__build_subfield(f->build, code, l1, v, vl);
        } else
          ignored(f, s);
      }
      *f->linep = x->line;
      if (!rc)
        rc = mp__build_field_end(f->build);
    }
  }
  *f->linep = f->nodes[0].line;
  return rc ? rc : mp__build_end(f->build, had_leader);
}

/* ---- the scan loop ---- */

/* The record's start tag is the one element outside records it handles:
 * local name "record" in the MARC21 slim namespace or none. */
static bool is_record(const mp_xml_fast_t *f, const ftag_t *t) {
  if (t->llen != 6 || memcmp(t->local, "record", 6) != 0)
    return false;
  const char *ns = lookup(f, t->prefix, t->plen);
  return ns && (!*ns || strcmp(ns, SLIM) == 0);
}

/* One construct at the window start: 0 consumed (*used), GOT_RECORD a
 * record was scanned (*used, f->nodes), NEED_MORE, FB or MP_ENOMEM. */
static int step(mp_xml_fast_t *f, const unsigned char *p, size_t n, bool eof,
                size_t *used, long *line) {
  f->nattrs = 0;
  if (f->state == 0) {
    int rc = scan_decl(p, n, eof, used);
    if (!rc)
      f->state = 1;
    return rc;
  }
  if (!n)
    return NEED_MORE;
  if (p[0] != '<') {
    bool decoded, blank;
    int rc = scan_text(p, n, NULL, &decoded, used, line, &blank);
    if (rc == NEED_MORE && eof && f->state == 2) {
      /* trailing text up to the end: white space only */
      for (size_t i = 0; i < n; i++)
        if (!is_space(p[i]) || (p[i] == '\r' && (i + 1 >= n || p[i + 1] != '\n')))
          return FB;
        else
          *line += p[i] == '\n';
      *used = n;
      return 0;
    }
    return rc ? rc : !blank && f->depth == 0 ? FB : 0;
  }
  if (n < 2)
    return NEED_MORE;
  if (p[1] == '!' || p[1] == '?')
    return scan_misc(p, n, used, line);
  ftag_t t;
  size_t tl;
  long l = *line;
  int rc = scan_tag(f, p, n, f->depth + 1, &t, &tl, &l);
  if (rc)
    return rc;
  if (t.end) {
    rc = pop_elem(f, &t);
    if (!rc && !f->depth)
      f->state = 2;
  } else if (f->state == 2)
    rc = FB; /* a second root */
  else if (is_record(f, &t)) {
    rc = scan_record(f, p, n, &t, tl, &l, used);
    if (rc)
      return rc;
    if (!f->depth)
      f->state = 2;
    *line = l;
    return GOT_RECORD;
  } else if (t.empty) {
    pop_binds(f, f->depth + 1);
    if (!f->depth)
      f->state = 2;
  } else
    rc = push_elem(f, &t, 0);
  if (!rc) {
    *used = tl;
    *line = l;
  }
  return rc;
}

int mp__xml_fast_next(mp_xml_fast_t *f) {
  mp_marc_reader_t *r = f->r;
  mp_input_t *in = &r->in;
  size_t want = 64 * 1024;
  for (;;) {
    size_t avail = in->len - in->pos, used = 0;
    const unsigned char *p = (const unsigned char *)in->data + in->pos;
    long line = f->line;
    int rc = step(f, p, avail, in->eof, &used, &line);
    if (rc == 0 || rc == GOT_RECORD) {
      f->line = line;
      if (rc == 0) {
        in->pos += used;
        continue;
      }
      uint64_t at = in->base + in->pos;
      r->rec.recno = ++r->recno;
      r->rec.offset = at;
      in->pos += used;
      mp__reader_set_raw(r, (const char *)p, used);
      return convert(f);
    }
    if (rc != NEED_MORE)
      return rc;
    if (in->eof) /* step saw the end: a document cut short, or done */
      return !avail && f->state == 2 ? MP_EOF : FB;
    if (avail >= r->opts.max_record_bytes)
      return FB;
    if (want <= avail)
      want = avail * 2;
    /* a read error: libxml2's path reads again and reports it (fatal),
     * so the stream ends instead of failing the same read forever */
    if (mp__input_fill(in, want, r->opts.max_record_bytes) < 0)
      return FB;
  }
}

mp_xml_fast_t *mp__xml_fast_new(mp_marc_reader_t *r, mp_build_t *build,
                                long *line) {
  mp_xml_fast_t *f = malloc(sizeof *f);
  if (!f)
    return NULL;
  memset(f, 0, offsetof(mp_xml_fast_t, stack));
  f->r = r;
  f->build = build;
  f->linep = line;
  f->line = 1;
  mp_buf_init(&f->scratch);
  return f;
}

void mp__xml_fast_free(mp_xml_fast_t *f) {
  if (!f)
    return;
  pop_binds(f, 0);
  free(f->binds);
  free(f->nodes);
  free(f->attrs);
  mp_buf_release(&f->scratch);
  free(f);
}
