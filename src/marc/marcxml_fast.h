/* marcxml_fast.h: the fast path of the MARCXML backend.
 *
 * A scanner for the XML that MARCXML files are made of (UTF-8, elements,
 * attributes, namespace declarations, the five predefined entities and
 * character references, comments and processing instructions outside
 * records). It reads the reader's chunked input directly, finds each record
 * element (local name `record`, MARC21 slim namespace or none) and feeds
 * its leader, fields and subfields to the same builder as the libxml2 path,
 * so records and diagnostics are the same. Anything else (a DOCTYPE,
 * another encoding, CDATA, comments or processing instructions inside a
 * record, text with element children in a leaf, attribute values with
 * entities or whitespace characters, an undeclared prefix, anything not
 * well-formed, a record larger than max_record_bytes) makes it answer
 * MP__XML_FALLBACK before touching the record: the caller then re-reads the
 * input with libxml2 from the start, skipping the records already returned,
 * and libxml2 decides (and words any error). Differences from the libxml2
 * path for records it accepts: the offset is the exact byte offset of
 * `<record`, line numbers are not capped at 65535, and the raw view is the
 * record element's own bytes from the input. One per reader, one thread.
 */
#ifndef MP_MARC_MARCXML_FAST_H
#define MP_MARC_MARCXML_FAST_H

#include "marc/build.h"
#include "marc/reader_impl.h"

#define MP__XML_FALLBACK 1

typedef struct mp_xml_fast_s mp_xml_fast_t;

/* Diagnostics of the builder go through `build` (set up by the caller);
 * *line is kept at the line of the element being converted, for them.
 * NULL on allocation failure. */
mp_xml_fast_t *mp__xml_fast_new(mp_marc_reader_t *r, mp_build_t *build,
                                long *line);
void mp__xml_fast_free(mp_xml_fast_t *f);
/* 0 a record is in r->rec, MP_EOF, MP_E* the record is rejected (the
 * builder's diagnostics say why), MP__XML_FALLBACK: nothing of the current
 * record was produced (no recno taken, no diagnostic), re-read with
 * libxml2. After a fallback the scanner must not be called again. */
int mp__xml_fast_next(mp_xml_fast_t *f);

/* Tests set this to read with libxml2 only, to compare both paths. */
extern bool mp__marcxml_no_fast;

#endif
