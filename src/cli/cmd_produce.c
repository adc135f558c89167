/* cmd_produce.c: `marcpipe produce`: create a job, stream a MARC file into
 * Kafka as one message per record, record the total once every delivery
 * report succeeded, print the job id.
 *
 * The producer runs on this command's libuv loop; its database operations
 * run on the thread pool over one blocking connection (producer.h). SIGINT
 * or SIGTERM cancels: queued messages are purged and the job fails with
 * "canceled". Exit 0 when the total is recorded, 1 on any failure, 2 on
 * usage errors.
 *
 * --resume JOB continues a job whose producer died (kill -9, crash): the
 * job row gives the file, format and topic; the journal gives the seqs
 * already processed (mp_job_journaled): those items are skipped and every
 * other one is produced again with its seq, whether or not the dead run
 * delivered it (the log holding it may be gone: `import` killed with its
 * embedded broker). A record delivered twice is consumed twice; the sink is
 * idempotent by (job, seq), so it is counted once. A job whose total is known has nothing left to produce (exit 0);
 * a FAILED job is refused: its failure was decided (canceled, a delivery
 * failed) and may have been acted on, so the file is imported again as a
 * new job instead.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"
#include "marcpipe/producer.h"
#include "marcpipe/profile.h"

#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_PROPS 64
#define MAX_SHOWN_REJECTS 20

typedef struct {
  mp_producer_t *p;
  uv_signal_t sigint, sigterm;
  int rc;
  char reason[512];
  bool done, quiet;
  int64_t shown;
} run_t;

static void usage(FILE *out) {
  int64_t rec, bytes;
  mp_producer_default_backlog(8, &rec, &bytes);
  fprintf(
      out,
      "usage: marcpipe produce -b BROKERS [options] FILE\n"
      "       marcpipe produce -b BROKERS [options] --resume JOB [FILE]\n\n"
      "Create an import job, send every MARC record of FILE to Kafka (one "
      "message per\nrecord, keyed by its match key, idempotent producer, "
      "zstd), and record the\njob's total once every message is delivered. "
      "Prints the job id on stdout\nas soon as the job exists. Rejected "
      "records are journaled as errors of the job;\na failed delivery fails "
      "the job.\n\n"
      "options:\n"
      "  -b, --brokers LIST       Kafka bootstrap servers (required)\n"
      "  -X, --property N=V       librdkafka property, repeatable; applied "
      "after the\n"
      "                           defaults (enable.idempotence=true, "
      "acks=all,\n"
      "                           compression.codec=zstd, linger.ms=25)\n"
      "  --db CONNINFO            PostgreSQL connection (default: libpq "
      "defaults and\n"
      "                           PG* environment)\n"
      "  --tenant T               tenant, [a-z][a-z0-9_]{0,30} (default "
      "%s)\n"
      "  --env E                  topic environment prefix (default %s); "
      "topic is\n"
      "                           E.%s.T.%s\n"
      "  --topic NAME             use this topic name instead\n"
      "  --from FMT               input format: iso2709, marcxml, json "
      "(default: detect)\n"
      "  --charset NAME           input character set when leader/09 lies "
      "(e.g. cp1251)\n"
      "  --partitions N           partitions of the topic, sizes the "
      "default backlog\n"
      "                           (default 8)\n"
      "  --max-backlog N          records produced but not yet processed by "
      "the\n"
      "                           workers before reading waits (default "
      "%d per\n"
      "                           partition: %" PRId64 " for 8; 0 = off)\n"
      "  --max-backlog-bytes B    same in message bytes, or a size like 16M\n"
      "                           (default %u MiB per partition: %" PRId64 " for 8;\n"
      "                           0 = off). The defaults keep the\n"
      "                           embedded broker (5 MiB per partition) "
      "from dropping\n"
      "                           data\n"
      "  --max-inflight N         messages without a delivery report "
      "(default %d)\n"
      "  --resume JOB             continue job JOB after its producer died: "
      "file,\n"
      "                           format and topic come from the job (FILE "
      "overrides\n"
      "                           the path; give --charset again); the "
      "records the\n"
      "                           job already processed are skipped, the rest "
      "are sent\n"
      "                           again with their numbers. Only when no other "
      "producer\n"
      "                           runs the job. A job with a known total has "
      "nothing to do\n"
      "                           (exit 0); a FAILED job is refused (exit 1)\n"
      "  -q, --quiet              no per-record rejection messages\n"
      "  -h, --help               this help\n",
      MP_DEFAULT_TENANT, MP_DEFAULT_ENV, MP_DEFAULT_NAMESPACE, MP_EVENT_RECORD,
      MP_PRODUCER_BACKLOG_PER_PARTITION, rec,
      MP_PRODUCER_BACKLOG_BYTES_PER_PARTITION >> 20, bytes,
      MP_PRODUCER_MAX_INFLIGHT);
  fprintf(out, "\nmatching (what happens to a record that matches an existing "
               "Instance;\nstored with the job, applied by the workers):\n%s",
          mp_profile_cli_help);
}

static void on_rejected(void *data, int64_t seq, uint64_t offset,
                        const char *reason) {
  run_t *r = data;
  if (r->quiet)
    return;
  if (r->shown++ < MAX_SHOWN_REJECTS)
    fprintf(stderr, "marcpipe produce: rejected (seq %" PRId64 "): %s\n", seq,
            reason);
  else if (r->shown == MAX_SHOWN_REJECTS + 1)
    fprintf(stderr, "marcpipe produce: more rejected records: see "
                    "'marcpipe errors'\n");
}

static void on_done(void *data, int rc, const char *reason) {
  run_t *r = data;
  r->rc = rc;
  r->done = true;
  snprintf(r->reason, sizeof r->reason, "%s", reason);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  run_t *r = s->data;
  if (!r->done)
    mp_producer_cancel(r->p);
}

/* --resume: load the job and check it can be resumed. 1 go on (file,
 * format and topic filled from the job unless given), 0 nothing to do
 * (exit 0), -1 refused or error (exit 1). */
static int resume_job(PGconn *conn, int64_t job, mp_job_summary_t *sum,
                      const char **file, mp_marc_reader_opts_t *ropts,
                      char *topic, const char *topic_opt) {
  char err[512];
  if (mp_job_get(conn, job, sum, err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe produce: %s\n", err);
    return -1;
  }
  if (strcmp(sum->status, "FAILED") == 0) {
    fprintf(stderr,
            "marcpipe produce: job %" PRId64 " FAILED (%s): a failed job "
            "cannot be resumed; import the file again as a new job\n",
            job, sum->failure_reason);
    return -1;
  }
  if (sum->total >= 0) {
    printf("%" PRId64 "\n", job);
    fprintf(stderr,
            "marcpipe produce: job %" PRId64 " is %s: all %" PRId64
            " records were produced; nothing to resume\n",
            job, sum->status, sum->total);
    return 0;
  }
  if (!*file)
    *file = sum->file_name;
  if (!**file) {
    fprintf(stderr, "marcpipe produce: job %" PRId64 " has no file name: "
                    "give FILE\n", job);
    return -1;
  }
  if (!ropts->format && sum->file_format[0]) {
    int f = mp_marc_format_parse(sum->file_format);
    if (f > 0)
      ropts->format = (mp_marc_format_t)f;
  }
  if (!topic_opt && sum->topic[0])
    snprintf(topic, 256, "%s", sum->topic);
  fprintf(stderr,
          "marcpipe produce: resuming job %" PRId64 " (%s) from %s after %" PRId64
          " records already produced\n",
          job, sum->status, *file, sum->produced);
  return 1;
}

int cmd_produce(int argc, char **argv) {
  static const struct option longopts[] = {
      {"brokers", required_argument, NULL, 'b'},
      {"property", required_argument, NULL, 'X'},
      {"db", required_argument, NULL, 'd'},
      {"tenant", required_argument, NULL, 'T'},
      {"env", required_argument, NULL, 'e'},
      {"topic", required_argument, NULL, 't'},
      {"from", required_argument, NULL, 'f'},
      {"charset", required_argument, NULL, 'c'},
      {"partitions", required_argument, NULL, 'P'},
      {"max-backlog", required_argument, NULL, 'm'},
      {"max-backlog-bytes", required_argument, NULL, 'B'},
      {"max-inflight", required_argument, NULL, 'i'},
      {"resume", required_argument, NULL, 'r'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *props[MAX_PROPS];
  size_t nprops = 0;
  const char *brokers = NULL, *conninfo = "", *tenant = MP_DEFAULT_TENANT;
  const char *env = MP_DEFAULT_ENV, *topic_opt = NULL;
  int64_t partitions = 8, backlog = -2, backlog_bytes = -2, inflight = 0;
  int64_t resume = 0;
  mp_profile_builder_t profile;
  mp_profile_builder_init(&profile);
  mp_marc_reader_opts_t ropts = {0};
  run_t r = {0};
  int c;

  optind = 0;
  opterr = 0; /* unknown options may be profile options: see default */
  while ((c = getopt_long(argc, argv, "b:X:qh", longopts, NULL)) != -1) {
    switch (c) {
    case 'b':
      brokers = optarg;
      break;
    case 'X':
      if (nprops == MAX_PROPS) {
        fprintf(stderr, "marcpipe produce: too many -X properties\n");
        return 2;
      }
      props[nprops++] = optarg;
      break;
    case 'd':
      conninfo = optarg;
      break;
    case 'T':
      tenant = optarg;
      break;
    case 'e':
      env = optarg;
      break;
    case 't':
      topic_opt = optarg;
      break;
    case 'f': {
      int f = mp_marc_format_parse(optarg);
      if (f < 0) {
        fprintf(stderr, "marcpipe produce: unknown format %s\n", optarg);
        return 2;
      }
      ropts.format = (mp_marc_format_t)f;
      break;
    }
    case 'c':
      ropts.charset = optarg;
      break;
    case 'P':
    case 'm':
    case 'B':
    case 'i': {
      uint64_t v;
      int bad = c == 'B' ? mp__cli_size(optarg, &v) || v > INT64_MAX
                         : mp__cli_count(optarg, c == 'P' ? 10000 : INT64_MAX, &v) ||
                               (c == 'P' && v < 1);
      if (bad) {
        fprintf(stderr, "marcpipe produce: invalid %s %s\n",
                c == 'B' ? "size" : "number", optarg);
        return 2;
      }
      if (c == 'P')
        partitions = (int64_t)v;
      else if (c == 'm')
        backlog = (int64_t)v;
      else if (c == 'B')
        backlog_bytes = (int64_t)v;
      else
        inflight = (int64_t)v;
      break;
    }
    case 'r':
      resume = mp_job_cli_id(optarg);
      if (resume <= 0) {
        fprintf(stderr, "marcpipe produce: invalid job id %s\n", optarg);
        return 2;
      }
      break;
    case 'q':
      r.quiet = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default: {
      /* --match, --on-match, --on-no-match, --profile (profile.c) */
      int i = optind - 1;
      int pr = i > 0 ? mp_profile_cli_opt(argc, argv, &i, &profile) : 0;
      if (pr > 0) {
        optind = i + 1;
        break;
      }
      if (pr < 0)
        fprintf(stderr, "marcpipe produce: %s\n", profile.err);
      else
        fprintf(stderr, "marcpipe produce: unknown option or missing value "
                        "'%s'\n", argv[optind - 1]);
      usage(stderr);
      return 2;
    }
    }
  }
  if (!brokers || optind > argc - (resume ? 0 : 1) || optind < argc - 1) {
    fprintf(stderr, "marcpipe produce: %s\n",
            !brokers ? "-b BROKERS is required" : "exactly one FILE expected");
    usage(stderr);
    return 2;
  }
  if (!mp_tenant_valid(tenant)) {
    fprintf(stderr,
            "marcpipe produce: tenant %s must match [a-z][a-z0-9_]{0,30}\n",
            tenant);
    return 2;
  }
  const char *file = optind < argc ? argv[optind] : NULL;
  char topic[256];
  if (topic_opt)
    snprintf(topic, sizeof topic, "%s", topic_opt);
  else if (mp_topic_name(topic, sizeof topic, env, MP_DEFAULT_NAMESPACE,
                         tenant, MP_EVENT_RECORD) != 0) {
    fprintf(stderr, "marcpipe produce: invalid --env %s\n", env);
    return 2;
  }
  int64_t drec, dbytes;
  mp_producer_default_backlog((int)partitions, &drec, &dbytes);
  /* -2 = not given: default; 0 = off (the producer's "<0") */
  backlog = backlog == -2 ? drec : backlog == 0 ? -1 : backlog;
  backlog_bytes = backlog_bytes == -2 ? dbytes
                  : backlog_bytes == 0 ? -1
                                       : backlog_bytes;

  char err[1024];
  char *profile_json = NULL;
  int rc = 1;
  int64_t job = 0;
  PGconn *conn = NULL;
  mp_producer_input_t in = {0};
  bool in_owned = false;
  uv_loop_t loop;
  bool loop_ok = false;
  mp_producer_pg_t pg = {0};
  mp_producer_job_ops_t ops;
  mp_job_summary_t sum = {0};
  uint8_t *done_seqs = NULL; /* resume: journaled seqs (mp_job_journaled) */
  int64_t ndone_seqs = 0, done_prefix = 0;

  if (mp_pg_connect(conninfo, tenant, &conn, err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe produce: %s\n", err);
    goto out;
  }
  if (resume) {
    job = resume;
    int rr = resume_job(conn, job, &sum, &file, &ropts, topic, topic_opt);
    if (rr <= 0) {
      rc = -rr;
      goto out;
    }
    if (mp_job_journaled(conn, job, &done_seqs, &ndone_seqs, &done_prefix,
                         err, sizeof err) != 0) {
      fprintf(stderr, "marcpipe produce: %s\n", err);
      goto out;
    }
    fprintf(stderr, "marcpipe produce: job %" PRId64 ": records 1..%" PRId64
                    " and others up to %" PRId64 " are processed and skipped; "
                    "every other record is sent (again)\n",
            job, done_prefix, ndone_seqs);
  }
  if (mp_producer_marc_input_open(file, &ropts, &in, err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe produce: %s\n", err);
    goto out;
  }
  in_owned = true;
  if (!resume) {
    mp_job_spec_t spec = {.file_name = file,
                          .file_format = ropts.format ? mp_marc_format_name(
                                                            ropts.format)
                                                      : NULL,
                          .topic = topic,
                          .profile = profile_json =
                              mp_profile_to_json(&profile.p)};
    if (mp_job_create(conn, &spec, &job, err, sizeof err) != 0) {
      fprintf(stderr, "marcpipe produce: %s\n", err);
      goto out;
    }
  }
  if (mp_job_set_status(conn, job, "PRODUCING", err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe produce: %s\n", err);
    goto out;
  }
  /* The id first, so scripts can follow the job while it is produced. */
  printf("%" PRId64 "\n", job);
  fflush(stdout);
  pg.conn = conn;
  pg.tenant = tenant;
  mp_producer_pg_ops(&pg, &ops);
  mp_producer_opts_t o = {.brokers = brokers,
                          .props = props,
                          .nprops = nprops,
                          .topic = topic,
                          .tenant = tenant,
                          .job_id = job,
                          .skip = done_prefix,
                          .done_seqs = done_seqs,
                          .ndone_seqs = ndone_seqs,
                          .max_inflight = inflight,
                          .max_backlog = backlog,
                          .max_backlog_bytes = backlog_bytes,
                          .ops = &ops,
                          .cb_data = &r,
                          .on_rejected = on_rejected,
                          .on_done = on_done};
  if (uv_loop_init(&loop) != 0)
    goto out;
  loop_ok = true;
  if (mp_producer_start(&loop, &o, &in, &r.p, err, sizeof err) != 0) {
    char e2[256];
    fprintf(stderr, "marcpipe produce: %s\n", err);
    mp_job_fail(conn, job, err, e2, sizeof e2);
    goto out;
  }
  in_owned = false;
  uv_signal_init(&loop, &r.sigint);
  uv_signal_init(&loop, &r.sigterm);
  r.sigint.data = r.sigterm.data = &r;
  uv_signal_start(&r.sigint, on_signal, SIGINT);
  uv_signal_start(&r.sigterm, on_signal, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);

  mp_producer_stats_t st;
  mp_producer_stats(r.p, &st);
  if (r.done && r.rc == 0) {
    char skipped[64] = "";
    if (resume)
      snprintf(skipped, sizeof skipped, " (%" PRId64 " skipped as processed)",
               st.skipped);
    fprintf(stderr,
            "marcpipe produce: job %" PRId64 ": %" PRId64 " records read%s, %" PRId64
            " delivered, %" PRId64 " rejected to %s; total recorded\n",
            job, st.read, skipped, st.delivered, st.rejected, topic);
    rc = 0;
  } else {
    fprintf(stderr,
            "marcpipe produce: job %" PRId64 " FAILED: %s (%" PRId64
            " read, %" PRId64 " delivered)\n",
            job, r.done ? r.reason : "producer stopped", st.read,
            st.delivered);
    if (pg.errmsg[0])
      fprintf(stderr, "marcpipe produce: database: %s\n", pg.errmsg);
  }
  mp_producer_destroy(r.p);
out:
  free(profile_json);
  free(done_seqs); /* after the producer: it reads them */
  if (loop_ok)
    uv_loop_close(&loop);
  if (in_owned && in.close)
    in.close(in.ctx);
  if (conn)
    PQfinish(conn);
  return rc;
}
