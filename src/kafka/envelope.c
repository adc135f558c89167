/* envelope.c: header decoding of record messages (see envelope.h). Runs
 * on the worker's loop thread as each message is polled. */
#include "kafka/envelope.h"

#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>

/* Last value of header `name`, NULL when absent. */
static const char *header(rd_kafka_headers_t *h, const char *name,
                          size_t *len) {
  const void *v = NULL;
  if (!h || rd_kafka_header_get_last(h, name, &v, len) != 0 || !v)
    return NULL;
  return v;
}

static bool header_is(const char *v, size_t len, const char *want) {
  return len == strlen(want) && memcmp(v, want, len) == 0;
}

/* A positive decimal of at most 18 digits. */
static int parse_pos(const char *v, size_t len, int64_t *out) {
  if (!v || len == 0 || len > 18)
    return -1;
  int64_t x = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    x = x * 10 + (v[i] - '0');
  }
  if (x <= 0)
    return -1;
  *out = x;
  return 0;
}

int mp__envelope_decode(const rd_kafka_message_t *m, mp_sink_rec_t *rec,
                        char *why, size_t whylen) {
  rd_kafka_headers_t *h = NULL;
  size_t len = 0;
  const char *v;
  memset(rec, 0, sizeof *rec);
  rd_kafka_message_headers(m, &h);
  if (!m->payload || m->len == 0) {
    snprintf(why, whylen, "empty message value");
    return MP_EFORMAT;
  }
  v = header(h, MP_HDR_JOB, &len);
  if (parse_pos(v, len, &rec->job_id)) {
    snprintf(why, whylen, "%s header %s", MP_HDR_JOB, v ? "invalid" : "missing");
    return MP_EFORMAT;
  }
  v = header(h, MP_HDR_SEQ, &len);
  if (parse_pos(v, len, &rec->seq)) {
    snprintf(why, whylen, "%s header %s", MP_HDR_SEQ, v ? "invalid" : "missing");
    return MP_EFORMAT;
  }
  rec->content_type = MP_CT_ISO2709;
  v = header(h, MP_HDR_CONTENT_TYPE, &len);
  if (v && header_is(v, len, MP_CT_NAME_JSON)) {
    rec->content_type = MP_CT_JSON;
  } else if (v && header_is(v, len, MP_CT_NAME_EVENT)) {
    rec->content_type = MP_CT_EVENT;
  } else if (v && !header_is(v, len, MP_CT_NAME_ISO2709)) {
    snprintf(why, whylen, "unknown %s '%.*s'", MP_HDR_CONTENT_TYPE,
             (int)(len > 64 ? 64 : len), v);
    return MP_EFORMAT;
  }
  v = header(h, MP_HDR_SCHEMA, &len);
  if (v && !header_is(v, len, MP_SCHEMA_VERSION)) {
    snprintf(why, whylen, "unsupported %s '%.*s'", MP_HDR_SCHEMA,
             (int)(len > 16 ? 16 : len), v);
    return MP_EFORMAT;
  }
  rec->topic = rd_kafka_topic_name(m->rkt);
  rec->partition = m->partition;
  rec->offset = m->offset;
  rec->key = m->key;
  rec->key_len = m->key_len;
  rec->value = m->payload;
  rec->value_len = m->len;
  return 0;
}
