/* worker_pg.c: the PostgreSQL batch sink (sink.h) behind the worker's sink
 * interface (pipeline.h). ctx is the mp_sink_config_t every connection is opened with;
 * it (and its mapping) must outlive the worker. Thread use as in sink.h:
 * each sink is used by one thread at a time. */
#include "marcpipe/sink.h"
#include "marcpipe/pipeline.h"

static int pg_open(void *ctx, int index, void **sink, char *err, size_t n) {
  (void)index;
  return mp_sink_open(ctx, (mp_sink_t **)sink, err, n);
}

static int pg_write(void *sink, const mp_sink_rec_t *recs, size_t n,
                    mp_sink_result_t *res) {
  return mp_sink_write_batch(sink, recs, n, res);
}

static int pg_load(void *sink, const char *topic, const int32_t *parts,
                   mp_sink_offset_t *offs, size_t n) {
  return mp_sink_load_offsets(sink, topic, parts, offs, n);
}

static int pg_reset(void *sink, const char *topic, int32_t partition,
                    int64_t next, const char *cluster_id) {
  return mp_sink_reset_offset(sink, topic, partition, next, cluster_id);
}

static void pg_close(void *sink) { mp_sink_close(sink); }

const mp_worker_sink_ops_t mp_worker_pg_sink_ops = {pg_open, pg_write, pg_load,
                                                    pg_reset, pg_close};
