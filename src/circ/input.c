/* input.c: the producer input of a circulation events file (NDJSON, one
 * event per line; circ.h). Each valid line becomes a RECORD item whose
 * value is the line as read (without its newline) and whose key is the
 * event's userId; an invalid line becomes a REJECTED item naming the file,
 * line and byte offset, so every line is accounted for (sent, or journaled
 * as an error of the run). Blank lines are not events and are skipped.
 * Item pointers stay valid until the next call. Loop thread (blocking
 * stdio reads, one line at a time).
 */
#include "marcpipe/circ.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct circ_input_s {
  FILE *f;
  bool own;              /* not stdin */
  char *name;
  char *tenant;
  char *line;            /* getline buffer */
  size_t cap;
  uint64_t offset;       /* byte offset of the next line */
  uint64_t lineno;
  mp_circ_event_t ev;    /* the last item's event (owns key and type) */
  char reason[768];
} circ_input_t;

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  return true;
}

static int circ_next(void *ctx, mp_producer_item_t *it) {
  circ_input_t *in = ctx;
  memset(it, 0, sizeof *it);
  mp_circ_event_release(&in->ev);
  for (;;) {
    errno = 0;
    ssize_t n = getline(&in->line, &in->cap, in->f);
    if (n < 0)
      return ferror(in->f) ? MP_EIO : MP_EOF;
    uint64_t at = in->offset;
    in->offset += (uint64_t)n;
    in->lineno++;
    size_t len = (size_t)n;
    while (len && (in->line[len - 1] == '\n' || in->line[len - 1] == '\r'))
      len--;
    if (blank(in->line, len))
      continue;
    char why[512];
    int rc = mp_circ_event_parse(in->line, len, &in->ev, why, sizeof why);
    if (!rc && strcmp(in->ev.tenant, in->tenant)) {
      snprintf(why, sizeof why, "tenant '%s' is not the run's tenant '%s'",
               in->ev.tenant, in->tenant);
      mp_circ_event_release(&in->ev);
      rc = MP_EFORMAT;
    }
    it->offset = at;
    if (rc) {
      snprintf(in->reason, sizeof in->reason, "%s: line %" PRIu64
               " at byte %" PRIu64 ": %s", in->name, in->lineno, at, why);
      it->kind = MP_ITEM_REJECTED;
      it->error = rc;
      it->reason = in->reason;
      it->raw = in->line;
      it->raw_len = len;
      return 0;
    }
    it->kind = MP_ITEM_RECORD;
    it->key = in->ev.user_id;
    it->key_len = strlen(in->ev.user_id);
    it->value = in->line;
    it->value_len = len;
    it->content_type = MP_CT_EVENT;
    it->event_type = mp_circ_type_name(in->ev.type);
    return 0;
  }
}

static uint64_t circ_bytes(void *ctx) { return ((circ_input_t *)ctx)->offset; }

static void circ_close(void *ctx) {
  circ_input_t *in = ctx;
  mp_circ_event_release(&in->ev);
  if (in->own)
    fclose(in->f);
  free(in->line);
  free(in->name);
  free(in->tenant);
  free(in);
}

int mp_circ_input_open(const char *path, const char *tenant,
                       mp_producer_input_t *out, char *errbuf, size_t errlen) {
  circ_input_t *in = calloc(1, sizeof *in);
  if (!in) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  bool std = !strcmp(path, "-");
  in->f = std ? stdin : fopen(path, "rb");
  in->own = !std;
  in->name = strdup(std ? "stdin" : path);
  in->tenant = strdup(tenant);
  if (!in->f || !in->name || !in->tenant) {
    snprintf(errbuf, errlen, "%s: %s", path,
             in->f ? "out of memory" : strerror(errno));
    if (in->f && in->own)
      fclose(in->f);
    free(in->name);
    free(in->tenant);
    free(in);
    return MP_EIO;
  }
  memset(out, 0, sizeof *out);
  out->ctx = in;
  out->name = in->name;
  out->next = circ_next;
  out->close = circ_close;
  out->bytes = circ_bytes;
  return 0;
}
