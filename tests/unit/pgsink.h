/* pgsink.h: batch-sink helpers shared by the PostgreSQL sink tests
 * (header-only; include after pgtest.h). */
#ifndef MP_PGSINK_H
#define MP_PGSINK_H

#include "pgtest.h"

#include "marcpipe/mapping.h"
#include "marcpipe/sink.h"

/* A sink on the tenant (group "g1"); fails the test when it cannot open. */
static inline mp_sink_t *pgt_open_sink(const char *tenant, const mp_mapping_t *map,
                                       int latency_ms) {
  mp_sink_config_t cfg = {.conninfo = "", .tenant = tenant, .group = "g1",
                          .mapping = map, .sink_latency_ms = latency_ms};
  mp_sink_t *s = NULL;
  char err[512];
  if (mp_sink_open(&cfg, &s, err, sizeof err))
    fail_msg("sink open: %s", err);
  return s;
}

/* The common part of a sink test's fixture: a fresh tenant, a checking
 * connection, the default mapping and one sink. */
typedef struct {
  char tenant[40];
  PGconn *c;
  mp_mapping_t *map;
  mp_sink_t *sink;
} pgt_sinkfx_t;

static inline void pgt_sinkfx_open(pgt_sinkfx_t *x) {
  pgt_tenant(x->tenant, sizeof x->tenant);
  x->c = pgt_connect(x->tenant);
  char err[512];
  x->map = mp_mapping_load(NULL, NULL, err, sizeof err);
  if (!x->map)
    fail_msg("mapping: %s", err);
  x->sink = pgt_open_sink(x->tenant, x->map, 0);
}

static inline void pgt_sinkfx_close(pgt_sinkfx_t *x) {
  mp_sink_close(x->sink);
  mp_mapping_free(x->map);
  PQfinish(x->c);
}

/* Messages of the ISO 2709 records in data, cut by their leader lengths:
 * record i is seq i+1 of job, over nparts partitions (offset i / nparts),
 * empty key (the sink computes it). Returns the number of records. */
static inline size_t pgt_split(const char *data, size_t len, int64_t job, int nparts,
                               mp_sink_rec_t *recs, size_t max) {
  size_t n = 0;
  for (size_t off = 0; off + 5 <= len && n < max;) {
    size_t rl = (size_t)strtoul((char[6]){data[off], data[off + 1], data[off + 2],
                                          data[off + 3], data[off + 4], 0},
                                NULL, 10);
    assert_true(rl > 24 && off + rl <= len);
    recs[n] = (mp_sink_rec_t){.topic = "tp", .partition = (int32_t)(n % (size_t)nparts),
                              .offset = (int64_t)(n / (size_t)nparts), .job_id = job,
                              .seq = (int64_t)n + 1, .key = "", .key_len = 0,
                              .value = data + off, .value_len = rl,
                              .content_type = MP_CT_ISO2709};
    n++;
    off += rl;
  }
  return n;
}

/* One mp_sink_write_batch on a thread of its own (pthread_create with
 * pgt_write_thread and a pgt_write_arg_t): sinks racing each other. */
typedef struct {
  mp_sink_t *sink;
  const mp_sink_rec_t *recs;
  size_t n;
  int rc;
  mp_sink_result_t res;
} pgt_write_arg_t;

static inline void *pgt_write_thread(void *p) {
  pgt_write_arg_t *a = p;
  a->rc = mp_sink_write_batch(a->sink, a->recs, a->n, &a->res);
  return NULL;
}

#endif
