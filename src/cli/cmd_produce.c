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
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/job_input.h"
#include "marcpipe/alloc.h"
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/producer.h"
#include "marcpipe/profile.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_SHOWN_REJECTS 20

typedef struct {
  mp_producer_t *p;
  uv_signal_t sigint, sigterm;
  uv_timer_t stats;    /* the lease's stats, every lease interval */
  bool stats_on;
  mp_lease_t *lease;
  int64_t job;
  uint64_t file_size;  /* 0: unknown (not a regular file) */
  int rc;
  char reason[512];
  bool done, quiet;
  int64_t shown;
} run_t;

static const char produce_description[] =
"Create an import job, send every MARC record of FILE to Kafka (one message\n"
"per record, keyed by its match key, idempotent producer, zstd), and record\n"
"the job's total once every message is delivered. Prints the job id on\n"
"stdout as soon as the job exists. Rejected records are journaled as errors\n"
"of the job; a failed delivery fails the job. The matching options are\n"
"stored with the job and applied by the workers.\n";

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
  if (r->stats_on)
    uv_close((uv_handle_t *)&r->stats, NULL);
  r->stats_on = false;
}

/* What only the producer knows, for `serve` and `status`: records read and
 * the share of the file read (the estimate of the total until it is known). */
static void on_stats(uv_timer_t *t) {
  run_t *r = t->data;
  mp_producer_stats_t st;
  mp_producer_stats(r->p, &st);
  char buf[256];
  mp__cli_producer_stats_json(buf, sizeof buf, r->job, st.read,
                              mp__cli_input_share(st.input_bytes, r->file_size), NULL);
  mp_lease_set_stats(r->lease, buf);
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
  if (sum->status == MP_JOB_FAILED) {
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
            job, mp_job_status_name(sum->status), sum->total);
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
          job, mp_job_status_name(sum->status), *file, sum->produced);
  return 1;
}

int cmd_produce(int argc, char **argv) {
  mp_alloc_reuse_buffers(); /* big buffers reused, not remapped (alloc.h) */
  mp_cli_t c;
  int64_t inflight = 0;
  const char *resume_str = NULL;
  mp_marc_reader_opts_t ropts = {0};
  run_t r = {0};
  mp_cli_init(&c, "produce");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Kafka:"),
      MP_CLI_KAFKA(&c),
      MP_CLI_TOPIC(&c),
      MP_CLI_TENANT(&c),
      MP_OPT_GROUP("Backlog:"),
      MP_CLI_BACKLOG(&c),
      MP_CLI_REPLICATION(&c),
      MP_OPT_COUNT(0, "max-inflight", &inflight, 0, INT64_MAX, "N",
                   "messages without a delivery report (default "
                   MP_CLI_STR(MP_PRODUCER_MAX_INFLIGHT) ")"),
      MP_OPT_GROUP("Input:"),
      MP_CLI_INPUT(&c),
      MP_OPT_STRING(0, "resume", &resume_str, "JOB",
                    "continue job JOB after its producer died: file,\n"
                    "format and topic come from the job (FILE overrides\n"
                    "the path; give --charset again); the records the\n"
                    "job already processed are skipped, the rest are sent\n"
                    "again with their numbers. Only when no other producer\n"
                    "runs the job. A job with a known total has nothing to\n"
                    "do (exit 0); a FAILED job is refused (exit 1)"),
      MP_OPT_GROUP("Matching (what happens to a record that matches an "
                   "existing Instance):"),
      MP_CLI_MATCH(&c),
      MP_OPT_GROUP("PostgreSQL:"),
      MP_CLI_DB(&c),
      MP_OPT_GROUP("Output:"),
      MP_OPT_FLAG('q', "quiet", &r.quiet, "no per-record rejection messages"),
      MP_OPT_HELP(),
      MP_OPT_END()};
  mp_opt_find(opts, "property")->help =
      "librdkafka property, repeatable; applied after the\n"
      "defaults (enable.idempotence=true, acks=all,\n"
      "compression.codec=zstd, compression.level=1,\n"
      "linger.ms=25);\n"
      "$MARCPIPE_KAFKA_PROPS: more, one K=V a line, applied\n"
      "before the -X ones; secrets given there do not show\n"
      "in the process list";
  mp_opt_find(opts, "brokers")->help =
      "Kafka bootstrap servers (required; default\n"
      "$MARCPIPE_BROKERS); unreachable within\n"
      "$MARCPIPE_KAFKA_TIMEOUT seconds (default 10): an\n"
      "error, no job";
  const mp_opt_usage_t u = {
      "marcpipe produce -b BROKERS [options] FILE\n"
      "marcpipe produce -b BROKERS [options] --resume JOB [FILE]",
      produce_description,
      "Exit codes: 0 every record delivered, 1 failure, 2 usage.\n"};
  int prc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (prc >= 0) {
    mp_cli_release(&c);
    return prc;
  }
  int64_t resume = 0;
  if (resume_str && (resume = mp__cli_job_id(resume_str)) <= 0) {
    mp_cli_release(&c);
    return mp__cli_bad_usage("produce", "--resume wants a job id (got '%s')",
                             resume_str);
  }
  if (!c.brokers || c.nargs > 1 || (c.nargs == 0 && !resume)) {
    mp_cli_release(&c);
    return mp__cli_bad_usage("produce", "%s",
                             !c.brokers ? "-b BROKERS is required"
                                        : "exactly one FILE expected");
  }
  const char *brokers = c.brokers, *tenant = c.tenant;
  const char *topic_opt = c.topic;
  const char *file = c.nargs ? c.args[0] : NULL;
  ropts.format = c.format;
  ropts.charset = c.charset;
  if (file && mp_cli_check_input(&c, file)) {
    mp_cli_release(&c);
    return 1;
  }
  char topic[256];
  if (topic_opt)
    snprintf(topic, sizeof topic, "%s", topic_opt);
  else if (mp_topic_name(topic, sizeof topic, c.env, c.ns, tenant,
                         MP_EVENT_RECORD) != 0) {
    mp_cli_release(&c);
    return mp__cli_bad_usage("produce", "invalid topic parts --env %s",
                             c.env);
  }
  int partitions;
  int64_t backlog, backlog_bytes;
  mp_cli_backlog(&c, &partitions, &backlog, &backlog_bytes);

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
  mp_lease_t *lease = NULL;  /* liveness and cancel requests (job_input.h) */
  mp_cancel_input_t cin;
  uint8_t *done_seqs = NULL; /* resume: journaled seqs (mp_job_journaled) */
  int64_t ndone_seqs = 0, done_prefix = 0;

  char conninfo[1024];
  if (mp_cli_db(&c, false, false, conninfo, sizeof conninfo))
    goto out;
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
                              mp_profile_to_json(&c.profile.p)};
    if (mp_job_create(conn, &spec, &job, err, sizeof err) != 0) {
      fprintf(stderr, "marcpipe produce: %s\n", err);
      goto out;
    }
  }
  /* Reach the cluster within the Kafka timeout and create the topics when
   * missing; wrong brokers fail the new job with the reason (a resumed job
   * is left as it was, to be resumed again). An existing records topic is
   * used as it is; its partitions size the backlog. */
  {
    char dlq[256], done[256];
    mp_topic_spec_t ts[3] = {{.name = topic, .partitions = partitions}};
    size_t nt = 1;
    /* the workers' dead-letter topic and the completion topic of the
     * tenant (namespace Default, as `work` derives them) */
    if (!mp_topic_name(dlq, sizeof dlq, c.env, MP_DEFAULT_NAMESPACE, tenant,
                       MP_EVENT_ERROR) &&
        !mp_topic_name(done, sizeof done, c.env, MP_DEFAULT_NAMESPACE, tenant,
                       MP_EVENT_JOB_COMPLETED)) {
      ts[nt++] = (mp_topic_spec_t){.name = dlq, .partitions = 1};
      ts[nt++] = (mp_topic_spec_t){.name = done, .partitions = 1};
    }
    if (mp_cli_topics_ensure(&c, ts, nt, r.quiet, err, sizeof err)) {
      char e2[256];
      fprintf(stderr, "marcpipe produce: %s\n", err);
      if (!resume)
        mp_job_fail(conn, job, err, e2, sizeof e2);
      goto out;
    }
    mp_cli_backlog(&c, &partitions, &backlog, &backlog_bytes);
  }
  if (mp_job_set_status(conn, job, MP_JOB_PRODUCING, err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe produce: %s\n", err);
    goto out;
  }
  mp_lease_opts_t lo = {.conninfo = conninfo, .tenant = tenant,
                        .role = "producer", .job_id = job};
  if (mp_lease_start(&lo, &lease, err, sizeof err) != 0)
    fprintf(stderr, "marcpipe produce: no lease (job liveness not "
                    "published): %s\n", err);
  mp__cancel_input_wrap(&cin, &in, lease, &in);
  /* The id first, so scripts can follow the job while it is produced. */
  printf("%" PRId64 "\n", job);
  fflush(stdout);
  pg.conn = conn;
  pg.tenant = tenant;
  mp_producer_pg_ops(&pg, &ops);
  mp_producer_opts_t o = {.brokers = brokers,
                          .props = c.props,
                          .nprops = c.nprops,
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
  r.lease = lease;
  r.job = job;
  r.file_size = mp__cli_file_size(file);
  if (lease && uv_timer_init(&loop, &r.stats) == 0) {
    r.stats.data = &r;
    r.stats_on = true;
    uv_timer_start(&r.stats, on_stats, 0, mp_lease_interval_ms(lease));
  }
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
  mp_lease_stop(lease);
  free(profile_json);
  free(done_seqs); /* after the producer: it reads them */
  if (loop_ok)
    uv_loop_close(&loop);
  if (in_owned && in.close)
    in.close(in.ctx);
  if (conn)
    PQfinish(conn);
  mp_cli_release(&c);
  return rc;
}
