/* marcxml_reader.c: the MARCXML backend of the generic reader.
 *
 * Input that can be read again (a regular file or memory) goes first
 * through the fast scanner (marcxml_fast.c); when it meets anything it does
 * not handle, the input is rewound and libxml2 takes over from the start,
 * stepping over the records already returned. Other input (pipes, stdin)
 * goes to libxml2 directly. Records from the scanner have exact offsets and
 * their own input bytes as raw view (see marcxml_fast.h); the rest of this
 * note describes the libxml2 path.
 *
 * libxml2 path: streams with xmlTextReader: each element whose local name is
 * `record` (MARC21 slim namespace, or no namespace; any prefix) is expanded
 * on its own, converted, and skipped with xmlTextReaderNext, so memory
 * holds one record's subtree, never the document. Input comes through
 * xmlReaderForIO from the reader's chunked input (file, stdin or memory,
 * bytes already read for format detection included); a path with no open
 * input is opened by libxml2 itself (xmlReaderForFile).
 *
 * Text is copied into the record's arena by the builder (build.c), so no
 * view points into libxml2 memory. The raw view is the serialised record
 * element, made only when asked for (mp_marc_reader_raw): the expanded
 * subtree is kept until the next call, which then steps past it. Offsets are libxml2's byte count at the record's start tag
 * (best effort); messages also give the line. Malformed XML ends the
 * stream (fatal) with the parser's message and line, after every good
 * record before it was delivered. The text is UTF-8 whatever leader/09
 * says; the reader's charset step treats MARCXML as UTF-8. One reader per
 * thread.
 */
#include "marc/build.h"
#include "marc/marcxml_fast.h"
#include "marc/reader_impl.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARC_SLIM_NS "http://www.loc.gov/MARC21/slim"
#define XML_INPUT_CHUNK (1u << 20) /* input buffer limit for the IO feed */

typedef struct xml_state_s {
  mp_marc_reader_t *r;
  xmlTextReaderPtr xr;
  xmlBufferPtr dump;  /* serialised record (raw view) */
  mp_build_t build;
  long line;          /* line of the element being converted */
  xmlNodePtr node;    /* record element last returned (raw view) */
  bool over;          /* the reader is on a record element already
                         handled: the next call steps over its subtree */
  mp_xml_fast_t *fast; /* the fast scanner, until it falls back */
  uint64_t skip;      /* records the fast scanner returned: libxml2 steps
                         over that many before converting */
  char err[160];      /* the parser's first error of the highest level */
  int err_line, err_col, err_level;
  int io_err;         /* read error of the input (negative errno), or 0 */
  bool started;       /* the emptiness check of the input is done */
} xml_state_t;

/* ---- input ---- */

static int feed(void *ctx, char *dst, int len) {
  xml_state_t *st = ctx;
  mp_input_t *in = &st->r->in;
  if (in->pos >= in->len) {
    long n = mp__input_fill(in, 1, XML_INPUT_CHUNK);
    if (n < 0) {
      st->io_err = (int)n; /* reported instead of the parser's complaint */
      return -1;
    }
    if (n == 0)
      return 0;
  }
  size_t k = in->len - in->pos;
  if (k > (size_t)len)
    k = (size_t)len;
  memcpy(dst, in->data + in->pos, k);
  in->pos += k;
  return (int)k;
}

static void on_error(void *ctx, xmlErrorPtr e) {
  xml_state_t *st = ctx;
  if (!e || (int)e->level <= st->err_level || e->level < XML_ERR_ERROR)
    return;
  st->err_level = (int)e->level;
  snprintf(st->err, sizeof st->err, "%s", e->message ? e->message : "?");
  size_t n = strlen(st->err);
  while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == ' '))
    st->err[--n] = '\0';
  st->err_line = e->line;
  st->err_col = e->int2;
}

/* ---- diagnostics ---- */

static void on_diag(void *ctx, int code, mp_severity_t sev, const char *tag,
                    const char *msg) {
  xml_state_t *st = ctx;
  mp__reader_diag(st->r, code, sev, st->r->rec.offset, tag, "%s (line %ld)",
                  msg, st->line);
}

static uint64_t consumed(xml_state_t *st) {
  long n = xmlTextReaderByteConsumed(st->xr);
  return n > 0 ? (uint64_t)n : 0;
}

/* The stream cannot go on: report the parser's error as a rejected record. */
static int fatal(xml_state_t *st) {
  mp_marc_reader_t *r = st->r;
  r->fatal = true;
  r->rec.recno = ++r->recno;
  r->rec.offset = consumed(st);
  if (st->io_err)
    mp__reader_diag(r, st->io_err, MP_SEV_FATAL, r->rec.offset, "",
                    "read error: %s", mp_strerror(st->io_err));
  else if (st->err[0])
    mp__reader_diag(r, MP_EXML, MP_SEV_FATAL, r->rec.offset, "",
                    "malformed xml at line %d column %d: %s", st->err_line,
                    st->err_col, st->err);
  else
    mp__reader_diag(r, MP_EXML, MP_SEV_FATAL, r->rec.offset, "",
                    "malformed xml");
  mp__reader_set_raw(r, NULL, 0);
  return st->io_err ? st->io_err : MP_EXML;
}

/* ---- element helpers ---- */

/* Text of an attribute or element: one text child is used in place; more
 * (entities, CDATA, comments) are concatenated by libxml2 into *tmp, which
 * the caller frees with xmlFree. Returns NULL when absent. */
static const char *attr_text(xmlNodePtr node, const char *name, size_t *len,
                             xmlChar **tmp) {
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    if (strcmp((const char *)a->name, name) != 0)
      continue;
    xmlNodePtr c = a->children;
    const xmlChar *v;
    if (!c)
      v = (const xmlChar *)"";
    else if (c->type == XML_TEXT_NODE && !c->next)
      v = c->content;
    else
      v = *tmp = xmlNodeListGetString(node->doc, c, 1);
    if (!v)
      v = (const xmlChar *)"";
    *len = strlen((const char *)v);
    return (const char *)v;
  }
  return NULL;
}

static const char *elem_text(xmlNodePtr node, size_t *len, xmlChar **tmp) {
  xmlNodePtr c = node->children;
  const xmlChar *v;
  if (!c)
    v = (const xmlChar *)"";
  else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
           !c->next)
    v = c->content;
  else
    v = *tmp = xmlNodeGetContent(node);
  if (!v)
    v = (const xmlChar *)"";
  *len = strlen((const char *)v);
  return (const char *)v;
}

/* Local part of an element name. libxml2 already strips a declared prefix;
 * an undeclared one ("marc:record" with no xmlns:marc) stays in the name
 * and is dropped here, so such files still read. */
static const char *local(const xmlChar *name) {
  const char *p = strrchr((const char *)name, ':');
  return p ? p + 1 : (const char *)name;
}

static bool named(xmlNodePtr n, const char *name) {
  return n->type == XML_ELEMENT_NODE && strcmp(local(n->name), name) == 0;
}

/* ---- conversion of one <record> subtree ---- */

static void unresolved_entities(xml_state_t *st, xmlNodePtr n);

static int convert_leader(xml_state_t *st, xmlNodePtr n) {
  xmlChar *tmp = NULL;
  size_t len;
  const char *v = elem_text(n, &len, &tmp);
  int rc = mp__build_leader(&st->build, v, len);
  xmlFree(tmp);
  return rc;
}

static int convert_control(xml_state_t *st, xmlNodePtr n) {
  xmlChar *t1 = NULL, *t2 = NULL;
  size_t tlen = 0, len;
  const char *tag = attr_text(n, "tag", &tlen, &t1);
  const char *v = elem_text(n, &len, &t2);
  if (t2)
    unresolved_entities(st, n);
  int rc = mp__build_control(&st->build, tag, tlen, v, len);
  xmlFree(t1);
  xmlFree(t2);
  return rc;
}

/* An element that is not MARC data inside a field: a warning. */
static void ignored(xml_state_t *st, xmlNodePtr c) {
  mp_marc_reader_t *r = st->r;
  const mp_record_t *rec = &r->rec;
  mp__reader_diag(r, MP_EFIELD, MP_SEV_WARNING, rec->offset,
                  rec->nfields ? rec->fields[rec->nfields - 1].tag : "",
                  "element <%.40s> ignored (line %ld)", local(c->name),
                  xmlGetLineNo(c));
}

/* External entities are never loaded (no XML_PARSE_NOENT/DTDLOAD: no file
 * or network access from data), so a reference to one reads as nothing:
 * said with a warning instead of vanishing silently. */
static void unresolved_entities(xml_state_t *st, xmlNodePtr n) {
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type != XML_ENTITY_REF_NODE)
      continue;
    xmlEntityPtr e = xmlGetDocEntity(n->doc, c->name);
    if (e && e->etype == XML_INTERNAL_GENERAL_ENTITY)
      continue;
    mp_marc_reader_t *r = st->r;
    const mp_record_t *rec = &r->rec;
    mp__reader_diag(r, MP_EFIELD, MP_SEV_WARNING, rec->offset,
                    rec->nfields ? rec->fields[rec->nfields - 1].tag : "",
                    "%s entity &%.40s; not resolved (line %ld): its text is "
                    "left out",
                    e ? "external" : "undefined", (const char *)c->name,
                    xmlGetLineNo(c));
  }
}

static int convert_subfield(xml_state_t *st, xmlNodePtr n) {
  xmlChar *t1 = NULL, *t2 = NULL;
  size_t clen = 0, len;
  st->line = xmlGetLineNo(n);
  const char *code = attr_text(n, "code", &clen, &t1);
  const char *v = elem_text(n, &len, &t2);
  if (t2)
    unresolved_entities(st, n);
  int rc = mp__build_subfield(&st->build, code, clen, v, len);
  xmlFree(t1);
  xmlFree(t2);
  return rc;
}

static int convert_datafield(xml_state_t *st, xmlNodePtr n) {
  xmlChar *t[3] = {NULL, NULL, NULL};
  size_t tl = 0, l1 = 0, l2 = 0;
  const char *tag = attr_text(n, "tag", &tl, &t[0]);
  const char *i1 = attr_text(n, "ind1", &l1, &t[1]);
  const char *i2 = attr_text(n, "ind2", &l2, &t[2]);
  int rc = mp__build_datafield(&st->build, tag, tl, i1, l1, i2, l2);
  for (int i = 0; i < 3; i++)
    xmlFree(t[i]);
  for (xmlNodePtr c = n->children; c && !rc; c = c->next) {
    if (named(c, "subfield"))
      rc = convert_subfield(st, c);
    else if (c->type == XML_ELEMENT_NODE)
      ignored(st, c);
  }
  st->line = xmlGetLineNo(n);
  return rc ? rc : mp__build_field_end(&st->build);
}

static int convert_record(xml_state_t *st, xmlNodePtr rec) {
  mp__build_begin(&st->build, &st->r->rec);
  bool had_leader = false;
  int rc = 0;
  for (xmlNodePtr c = rec->children; c && !rc; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    st->line = xmlGetLineNo(c);
    if (named(c, "leader") && !had_leader) {
      had_leader = true;
      rc = convert_leader(st, c);
    } else if (named(c, "controlfield")) {
      rc = convert_control(st, c);
    } else if (named(c, "datafield")) {
      rc = convert_datafield(st, c);
    } /* other elements are not MARC data: ignored */
  }
  st->line = xmlGetLineNo(rec);
  return rc ? rc : mp__build_end(&st->build, had_leader);
}

static void xml_raw(mp_marc_reader_t *r) {
  xml_state_t *st = r->impl;
  xmlNodePtr node = st->node;
  xmlBufferEmpty(st->dump);
  mp_buf_clear(&r->rawbuf);
  if (node && xmlNodeDump(st->dump, node->doc, node, 0, 0) >= 0 &&
      mp_buf_append(&r->rawbuf, xmlBufferContent(st->dump),
                    (size_t)xmlBufferLength(st->dump)) == 0)
    mp__reader_set_raw(r, r->rawbuf.data, r->rawbuf.len);
  else
    mp__reader_set_raw(r, NULL, 0);
}

static bool is_record(xmlTextReaderPtr xr) {
  if (xmlTextReaderNodeType(xr) != XML_READER_TYPE_ELEMENT)
    return false;
  const xmlChar *name = xmlTextReaderConstLocalName(xr);
  const xmlChar *ns = xmlTextReaderConstNamespaceUri(xr);
  return name && strcmp(local(name), "record") == 0 &&
         (!ns || strcmp((const char *)ns, MARC_SLIM_NS) == 0);
}

/* Convert the record element the reader is on (the next call steps past
 * it). */
static int take_record(xml_state_t *st) {
  mp_marc_reader_t *r = st->r;
  uint64_t at = consumed(st);
  xmlNodePtr node = xmlTextReaderExpand(st->xr);
  if (!node)
    return fatal(st);
  r->rec.recno = ++r->recno;
  r->rec.offset = at;
  st->line = xmlGetLineNo(node);
  st->node = node;
  st->over = true;
  mp__reader_set_raw_lazy(r);
  return convert_record(st, node);
}

/* No URL is given to libxml2: it would only serve to resolve external
 * entities (never loaded here), and a name without a '/' costs a getcwd
 * call per reader. Messages name the input from r->name. */
static int open_libxml(xml_state_t *st) {
  mp_marc_reader_t *r = st->r;
  int opts = XML_PARSE_NONET | XML_PARSE_COMPACT;
  if (r->in.fd >= 0 || r->in.mem || !r->path)
    st->xr = xmlReaderForIO(feed, NULL, st, NULL, NULL, opts);
  else
    st->xr = xmlReaderForFile(r->path, NULL, opts);
  if (!st->xr)
    return MP_ENOMEM;
  xmlTextReaderSetStructuredErrorHandler(st->xr, on_error, st);
  return 0;
}

/* The fast scanner gave up: rewind the input and hand over to libxml2. */
static int fall_back(xml_state_t *st) {
  mp_marc_reader_t *r = st->r;
  mp__xml_fast_free(st->fast);
  st->fast = NULL;
  st->skip = r->recno;
  if (!r->in.mem) {
    if (lseek(r->in.fd, 0, SEEK_SET) != 0)
      return -errno;
    r->in.len = 0;
    r->in.eof = false;
  }
  r->in.pos = 0;
  r->in.base = 0;
  mp_record_clear(&r->rec);
  return open_libxml(st);
}

static bool only_space(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
      return false;
  return true;
}

static int xml_next(mp_marc_reader_t *r) {
  xml_state_t *st = r->impl;
  if (!st->started) {
    st->started = true;
    /* no bytes, or only white space: no records, as for the other formats
       (libxml2 calls an empty document malformed, or not, depending on how
       it is fed). Nothing has consumed input yet: libxml2's reader is
       created below, after this check, because creating it already reads
       the first bytes (then a short document looked empty here). */
    long n = mp__input_fill(&r->in, 4096, XML_INPUT_CHUNK);
    if (n >= 0 && r->in.eof && only_space(r->in.data + r->in.pos, (size_t)n))
      return MP_EOF;
    if (!st->fast && !st->xr && open_libxml(st) != 0) {
      r->fatal = true;
      r->rec.recno = ++r->recno;
      mp__reader_diag(r, MP_ENOMEM, MP_SEV_FATAL, 0, "",
                      "cannot start the xml parser");
      return MP_ENOMEM;
    }
  }
  if (st->fast) {
    int rc = mp__xml_fast_next(st->fast);
    if (rc != MP__XML_FALLBACK)
      return rc;
    if ((rc = fall_back(st)) != 0) {
      r->fatal = true;
      r->rec.recno = ++r->recno;
      mp__reader_diag(r, rc, MP_SEV_FATAL, 0, "", "cannot read again: %s",
                      mp_strerror(rc));
      return rc;
    }
  }
  for (;;) {
    int ret = st->over ? xmlTextReaderNext(st->xr) : xmlTextReaderRead(st->xr);
    st->over = false;
    st->node = NULL;
    if (ret < 0)
      return fatal(st);
    if (ret == 0)
      return MP_EOF;
    if (!is_record(st->xr))
      continue;
    if (!st->skip)
      return take_record(st);
    st->skip--;
    st->over = true;
  }
}

/* Input that can be read again from its start. */
static bool rereadable(const mp_marc_reader_t *r) {
  struct stat sb;
  if (r->in.mem)
    return true;
  return r->in.fd >= 0 && fstat(r->in.fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
         lseek(r->in.fd, 0, SEEK_CUR) == (off_t)(r->in.base + r->in.len);
}

bool mp__marcxml_no_fast;

static int xml_open(mp_marc_reader_t *r) {
  xmlInitParser();
  xml_state_t *st = calloc(1, sizeof *st);
  if (!st)
    return MP_ENOMEM;
  st->r = r;
  r->impl = st;
  mp__build_init(&st->build, r->opts.strict, on_diag, st);
  st->dump = xmlBufferCreate();
  if (!st->dump)
    return MP_ENOMEM;
  if (!mp__marcxml_no_fast && rereadable(r) && r->in.base == 0) {
    st->fast = mp__xml_fast_new(r, &st->build, &st->line);
    return st->fast ? 0 : MP_ENOMEM;
  }
  return 0; /* libxml2 starts on the first xml_next */
}

static void xml_close(mp_marc_reader_t *r) {
  xml_state_t *st = r->impl;
  if (!st)
    return;
  if (st->xr)
    xmlFreeTextReader(st->xr);
  mp__xml_fast_free(st->fast);
  if (st->dump)
    xmlBufferFree(st->dump);
  mp__build_release(&st->build);
  free(st);
  r->impl = NULL;
}

const mp_marc_backend_t mp__marcxml_backend = {
    .name = "marcxml", .open = xml_open, .next = xml_next, .close = xml_close,
    .raw = xml_raw};
