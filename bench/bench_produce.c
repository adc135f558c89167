/* bench_produce.c: producer throughput (records/s) into the embedded broker
 * hosted in this process, from a MARC file read with the MARC reader.
 *
 *   bench_produce FILE [ROUNDS] [PARTITIONS] [COPIES] [-X prop=val]...
 *
 * The input is FILE concatenated COPIES times (default 25) into a temporary
 * file, so that start-up (metadata, producer id) does not dominate. Each
 * round streams it through mp_producer_run (idempotent, zstd, linger 25 ms)
 * into a fresh topic, with no database (no credit), and waits for every
 * delivery report. Prints one line per round and the total; a last line
 * times the reader alone on the same input, for comparison.
 * Nothing consumes: the broker's 5 MiB retention may drop old sets, which
 * does not affect what is measured here.
 */
#include "common.h"

#include "marcpipe/broker.h"
#include "marcpipe/error.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/producer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* FILE concatenated copies times into a new temporary file (path). */
static int make_input(const char *file, int copies, char *path) {
  size_t n = 0;
  char *data = mp_bench_slurp(file, &n);
  if (!data)
    return -1;
  int fd = mkstemp(path);
  if (fd < 0) {
    free(data);
    return -1;
  }
  FILE *out = fdopen(fd, "wb");
  for (int i = 0; out && i < copies; i++)
    fwrite(data, 1, n, out);
  free(data);
  return out && fclose(out) == 0 ? 0 : -1;
}

/* Records/s of the MARC input alone (reader, conversion, writer, keys). */
static void time_input(const char *path) {
  mp_producer_input_t in;
  mp_producer_item_t it;
  char err[256];
  int64_t n = 0;
  if (mp_producer_marc_input_open(path, NULL, &in, err, sizeof err) != 0)
    return;
  uint64_t t0 = uv_hrtime();
  while (in.next(in.ctx, &it) == 0)
    n++;
  double dt = (uv_hrtime() - t0) / 1e9;
  in.close(in.ctx);
  printf("input alone: %" PRId64 " items in %.3f s: %.0f records/s\n", n, dt,
         n / dt);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_produce FILE [ROUNDS] [PARTITIONS]\n");
    return 2;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  int parts = argc > 3 ? atoi(argv[3]) : 8;
  int copies = argc > 4 ? atoi(argv[4]) : 25;
  const char *props[16];
  size_t nprops = 0;
  for (int i = 5; i + 1 < argc && nprops < 16; i += 2)
    if (strcmp(argv[i], "-X") == 0)
      props[nprops++] = argv[i + 1];
  char err[512];
  char path[] = "/tmp/bench_produce.XXXXXX";
  if (make_input(argv[1], copies, path) != 0) {
    fprintf(stderr, "bench_produce: cannot build the input from %s\n",
            argv[1]);
    return 1;
  }
  mp_broker_t *b;
  if (mp_broker_start(&(mp_broker_opts_t){.partitions = parts}, &b, err,
                      sizeof err) != 0) {
    fprintf(stderr, "bench_produce: %s\n", err);
    return 1;
  }
  int64_t recs = 0;
  uint64_t bytes = 0, t_all = 0;
  for (int r = 0; r < rounds; r++) {
    char topic[64];
    snprintf(topic, sizeof topic, "bench.round%d", r);
    mp_broker_topic_create(b, topic, parts);
    mp_producer_input_t in;
    if (mp_producer_marc_input_open(path, NULL, &in, err, sizeof err)) {
      fprintf(stderr, "bench_produce: %s\n", err);
      return 1;
    }
    mp_producer_opts_t o = {.brokers = mp_broker_bootstraps(b),
                            .topic = topic,
                            .tenant = "bench",
                            .props = props,
                            .nprops = nprops,
                            .job_id = r + 1};
    mp_producer_stats_t st;
    uint64_t t0 = uv_hrtime();
    int rc = mp_producer_run(&o, &in, &st, err, sizeof err);
    uint64_t dt = uv_hrtime() - t0;
    if (rc != 0) {
      fprintf(stderr, "bench_produce: round %d: %s\n", r, err);
      return 1;
    }
    printf("round %d: %" PRId64 " records (%" PRId64 " rejected), %.1f MB, "
           "%.3f s, %.0f records/s\n",
           r, st.delivered, st.rejected, st.value_bytes / 1e6, dt / 1e9,
           st.delivered / (dt / 1e9));
    recs += st.delivered;
    bytes += st.value_bytes;
    t_all += dt;
  }
  printf("total: %" PRId64 " records, %.1f MB in %.3f s: %.0f records/s, "
         "%.1f MB/s\n",
         recs, bytes / 1e6, t_all / 1e9, recs / (t_all / 1e9),
         bytes / 1e6 / (t_all / 1e9));
  time_input(path);
  remove(path);
  mp_broker_stop(b);
  return 0;
}
