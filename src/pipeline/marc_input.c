/* marc_input.c: the producer's MARC input: reader records -> message items
 * (pipeline.h).
 *
 * Each record the reader returns becomes one RECORD item: value = UTF-8
 * ISO 2709 (the reader converts MARC-8), or MARC-in-JSON when the record is
 * too large for ISO 2709; key = the primary match key computed over that
 * value, so the same record gives the same key whatever file format it came
 * in. Each rejected record becomes one REJECTED item with the reader's
 * positioned diagnostic and raw bytes. When the stream cannot go on
 * (malformed XML, ...) the error is one last REJECTED item; an I/O error or
 * the reader's error cap is returned instead and fails the run.
 * The reader's warnings (repairs) of each record go to an optional callback
 * (mp_producer_marc_input_on_warning), before the record's item.
 * Item pointers stay valid until the next call (they point into this
 * input's buffers). Loop thread (blocking file reads in chunks).
 */
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct marc_input_s {
  mp_marc_reader_t *r;
  mp_buf_t value;
  mp_match_keys_t keys;
  char reason[512];
  bool ended;
  mp_producer_warning_fn on_warning; /* may be NULL */
  void *warning_data;
} marc_input_t;

/* Hand the warnings of the record just read to the caller, if it asked. */
static void report_warnings(marc_input_t *m) {
  if (!m->on_warning)
    return;
  size_t n = 0;
  const mp_marc_diag_t *d = mp_marc_reader_diags(m->r, &n);
  for (size_t i = 0; i < n; i++)
    if (d[i].severity == MP_SEV_WARNING)
      m->on_warning(m->warning_data, &d[i]);
}

static void describe(marc_input_t *m, int rc) {
  size_t n = 0;
  const mp_marc_diag_t *d = mp_marc_reader_diags(m->r, &n);
  const mp_marc_diag_t *worst = NULL;
  for (size_t i = 0; i < n; i++)
    if (!worst || d[i].severity >= worst->severity)
      worst = &d[i];
  if (worst)
    mp_marc_diag_format(worst, mp_marc_reader_name(m->r), m->reason,
                        sizeof m->reason);
  else
    snprintf(m->reason, sizeof m->reason, "%s: %s", mp_marc_reader_name(m->r),
             mp_strerror(rc));
}

static uint64_t item_offset(marc_input_t *m) {
  size_t n = 0;
  const mp_marc_diag_t *d = mp_marc_reader_diags(m->r, &n);
  return n ? d[0].offset : 0;
}

static int marc_next(void *ctx, mp_producer_item_t *it) {
  marc_input_t *m = ctx;
  mp_record_t *rec = NULL;
  memset(it, 0, sizeof *it);
  if (m->ended)
    return MP_EOF;
  int rc = mp_marc_reader_next(m->r, &rec);
  report_warnings(m); /* also the end of input's (junk after the last) */
  if (rc == MP_EOF)
    return MP_EOF;
  if (rc != 0) {
    bool fatal = mp_marc_reader_fatal(m->r);
    /* Infrastructure, or the user's error cap: the run fails. */
    if (fatal && (rc > MP__ERR_END || rc == MP_EIO || rc == MP_ETOOMANY))
      return rc;
    m->ended = fatal;
    describe(m, rc);
    it->kind = MP_ITEM_REJECTED;
    it->error = rc;
    it->reason = m->reason;
    it->offset = item_offset(m);
    it->raw = mp_marc_reader_raw(m->r, &it->raw_len);
    return 0;
  }
  mp_buf_clear(&m->value);
  it->content_type = MP_CT_ISO2709;
  rc = mp_marc_write_iso2709(rec, &m->value);
  if (rc == MP_ETOOBIG) {
    mp_buf_clear(&m->value);
    it->content_type = MP_CT_JSON;
    rc = mp_marc_write_json(rec, &m->value);
  }
  if (rc != 0) {
    snprintf(m->reason, sizeof m->reason,
             "%s: record %llu at byte %llu: cannot write the record: %s",
             mp_marc_reader_name(m->r), (unsigned long long)rec->recno,
             (unsigned long long)rec->offset, mp_strerror(rc));
    it->kind = MP_ITEM_REJECTED;
    it->error = rc;
    it->reason = m->reason;
    it->offset = rec->offset;
    it->raw = mp_marc_reader_raw(m->r, &it->raw_len);
    return 0;
  }
  mp_match_keys(rec, m->value.data, m->value.len, &m->keys);
  it->kind = MP_ITEM_RECORD;
  it->offset = rec->offset;
  it->key = m->keys.primary;
  it->key_len = strlen(m->keys.primary);
  it->value = m->value.data;
  it->value_len = m->value.len;
  return 0;
}

void mp_producer_marc_input_on_warning(mp_producer_input_t *in,
                                       mp_producer_warning_fn fn,
                                       void *data) {
  marc_input_t *m = in->ctx;
  m->on_warning = fn;
  m->warning_data = data;
}

static uint64_t marc_bytes(void *ctx) {
  marc_input_t *m = ctx;
  mp_marc_reader_stats_t s;
  mp_marc_reader_stats(m->r, &s);
  return s.bytes;
}

static void marc_close(void *ctx) {
  marc_input_t *m = ctx;
  mp_marc_reader_close(m->r);
  mp_buf_release(&m->value);
  free(m);
}

int mp_producer_marc_input_open(const char *path,
                                const mp_marc_reader_opts_t *ropts,
                                mp_producer_input_t *in, char *errbuf,
                                size_t errlen) {
  int err = 0;
  marc_input_t *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  mp_buf_init(&m->value);
  m->r = mp_marc_reader_open(path, ropts, &err);
  if (!m->r) {
    snprintf(errbuf, errlen, "%s: %s", path, mp_strerror(err));
    mp_buf_release(&m->value);
    free(m);
    return err ? err : MP_EIO;
  }
  *in = (mp_producer_input_t){
      .ctx = m,
      .name = mp_marc_reader_name(m->r),
      .next = marc_next,
      .close = marc_close,
      .bytes = marc_bytes};
  return 0;
}
