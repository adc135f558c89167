/* cmd_import.c: `marcpipe import`, the main job: file -> Kafka -> workers
 * -> PostgreSQL, with progress and an exact summary.
 *
 * One process hosts, on one uv loop: the embedded broker (unless -b), the
 * producer (the SRM role, producer.h) and a progress timer that reads the
 * job's counters from PostgreSQL on the thread pool. The inventory role
 * runs in N `marcpipe work` child processes (import_workers.c), restarted
 * if they crash. Each FILE is one job, imported in turn by the same
 * workers. A job ends when PostgreSQL says so (COMPLETED,
 * COMPLETED_WITH_ERRORS or FAILED: the completion contract of job.h), never
 * by counting on this side.
 *
 * With the embedded broker every run starts from empty topics, so the
 * consumer group is made unique per run: offsets stored in PostgreSQL by
 * an earlier run's group can never make a new run skip records.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/import_progress.h"
#include "cli/import_workers.h"
#include "marcpipe/broker.h"
#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"
#include "marcpipe/pgmanaged.h"
#include "marcpipe/producer.h"
#include "marcpipe/profile.h"
#include "marcpipe/worker.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROPS 64
#define MAX_LAG 4096

typedef struct opts_s {
  int workers;
  int partitions;
  int db_connections; /* the job's budget, shared by the workers */
  const char *brokers;
  const char *props[MAX_PROPS];
  size_t nprops;
  const char *db;
  const char *state_dir;
  const char *tenant, *env, *ns, *group;
  const char *from, *charset;
  const char *rules, *reference; /* FOLIO rules / reference data */
  const char *window, *window_bytes, *batch, *sinks, *latency;
  bool push;
  int64_t max_backlog, max_backlog_bytes;
  bool json, quiet, verbose;
  mp_profile_builder_t profile;
} opts_t;

typedef struct job_run_s {
  const char *file;
  int64_t id;
  mp_job_summary_t sum;
  double start, producer_done_at, first_commit, last_commit;
  mp_producer_stats_t pstats;
  int producer_rc;
  char producer_reason[512];
  bool producer_done;
  bool final;
  double lag[MAX_LAG][2];
  int nlag;
} job_run_t;

typedef struct import_s {
  uv_loop_t *loop;
  opts_t *o;
  char conninfo[1024];
  char topic[256];
  char group[256];
  const char *brokers;
  mp_broker_t *broker;
  PGconn *ctl;   /* job creation and summary on the loop thread */
  PGconn *poll;  /* progress polls, thread pool only */
  PGconn *pconn; /* producer ops, thread pool only */
  mp_producer_pg_t ppg;
  mp_producer_job_ops_t ops;
  mp_producer_t *prod;
  mp_import_workers_t workers;
  bool workers_started;
  uv_timer_t tick;
  uv_work_t poll_work;
  bool polling;
  int poll_rc;
  mp_job_summary_t poll_sum;
  uv_signal_t sigint, sigterm;
  bool interrupted;
  mp_progress_t progress;
  job_run_t *job;
  double t0;
} import_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out) {
  fprintf(out,
"usage: marcpipe import [options] FILE...\n"
"\n"
"Import MARC files (ISO 2709, MARCXML or MARC-in-JSON; MARC-8 converted to\n"
"UTF-8) into PostgreSQL through Kafka. Each FILE becomes a job: the producer\n"
"streams one message per record (key = the record's match key) and N worker\n"
"processes pull them through bounded windows into PostgreSQL, one transaction\n"
"per batch, with idempotent writes. Progress is shown on stderr; a summary\n"
"(created, updated, duplicates, skipped, errors, elapsed, records/s) is\n"
"printed on stdout. Every input record is accounted for: imported, updated,\n"
"duplicate, skipped, or an error with its reason (`marcpipe errors JOB`).\n"
"\n"
"With no -b, an embedded Kafka-protocol broker runs inside this process.\n"
"With no --db and no PG* environment, a managed local PostgreSQL is started\n"
"(`marcpipe db`); it keeps running afterwards so jobs can be inspected.\n"
"\n"
"Pipeline:\n"
"  -w, --workers N         worker processes (default 2)\n"
"      --partitions N      partitions of the records topic (default 8;\n"
"                          embedded broker only)\n"
"      --window N          records a worker holds at most (default: its share\n"
"                          of --max-backlog, the backlog of the most\n"
"                          partitions one worker can get, ceil(partitions /\n"
"                          workers); at most 20000)\n"
"      --window-bytes SIZE bytes a worker holds at most (default: its share of\n"
"                          --max-backlog-bytes the same way; at most 64M)\n"
"      --batch N           records per database transaction (default 1000;\n"
"                          at most half of --window)\n"
"      --sinks N           batches in flight per worker, one database\n"
"                          connection each (default: ceil(--db-connections /\n"
"                          workers), at least 1, at most 2)\n"
"      --db-connections N  database connections of the whole job, shared by\n"
"                          the workers (default: the CPUs of this machine, at\n"
"                          least 2; with --db, better the database server's:\n"
"                          more only contend)\n"
"      --sink-latency-ms L extra delay inside each batch transaction\n"
"      --mode pull|push    push = workers with an unbounded window, the\n"
"                          push-style baseline for benchmarks (default pull)\n"
"      --max-backlog N     records produced but not yet processed, at most\n"
"                          (default %d per partition)\n"
"      --max-backlog-bytes B  the same in bytes, e.g. 16M (default %u per\n"
"                          partition)\n"
"\n"
"Matching (what happens to a record that matches an existing Instance):\n"
"%s"
"\n"
"Input:\n"
"      --from FMT          iso2709, marcxml or json (default: detected)\n"
"      --charset NAME      the input's character set when leader/09 is wrong\n"
"                          (e.g. cp1251); default: by leader/09\n"
"\n"
"Mapping (FOLIO's rule format, schemas/mapping/README.md):\n"
"      --rules SPEC        FOLIO rules file for bib records, or a comma list of\n"
"                          bib=FILE,holdings=FILE,authority=FILE (default:\n"
"                          FOLIO's rules in schemas/mapping/)\n"
"      --reference PATH    reference data: a directory of FOLIO reference\n"
"                          records or a file keyed by type (default:\n"
"                          schemas/mapping/reference-data/)\n"
"\n"
"Kafka:\n"
"  -b, --brokers LIST      a real Kafka cluster (topics must exist)\n"
"  -X, --property K=V      librdkafka property for producer and workers;\n"
"                          $MARCPIPE_KAFKA_PROPS: more, one K=V a line, before\n"
"                          the -X ones (keeps secrets out of the process list)\n"
"  -G, --group GROUP       consumer group (default %s; with the embedded\n"
"                          broker a per-run suffix is added)\n"
"      --env ENV           topic environment (default %s)\n"
"      --namespace NS      topic namespace (default %s)\n"
"      --tenant TENANT     tenant: topic part and database schema (default %s)\n"
"\n"
"PostgreSQL:\n"
"  -d, --db CONNINFO       libpq connection string (default: $MARCPIPE_DB, else\n"
"                          the PG* environment, else the managed local\n"
"                          PostgreSQL); workers get both through their\n"
"                          environment, never their command line\n"
"      --state-dir DIR     the managed PostgreSQL's directory\n"
"\n"
"Output:\n"
"      --json              print the summary as one JSON object (last line)\n"
"  -q, --quiet             no progress display\n"
"  -v, --verbose           workers log assignments, pauses and resumes\n"
"  -h, --help              this help\n"
"\n"
"Exit codes: 0 every record imported, 1 a job failed or records were\n"
"rejected (see `marcpipe errors JOB`), 2 usage.\n",
          MP_PRODUCER_BACKLOG_PER_PARTITION,
          (unsigned)MP_PRODUCER_BACKLOG_BYTES_PER_PARTITION,
          mp_profile_cli_help, MP_WORKER_DEFAULT_GROUP, MP_DEFAULT_ENV,
          MP_DEFAULT_NAMESPACE, MP_DEFAULT_TENANT);
}

/* ---- progress polling (thread pool) ---- */

static void poll_work(uv_work_t *w) {
  import_t *im = w->data;
  char err[512];
  im->poll_rc = mp_job_get(im->poll, im->job->id, &im->poll_sum, err,
                           sizeof err);
}

static bool status_final(const char *s) {
  return !strcmp(s, "COMPLETED") || !strcmp(s, "COMPLETED_WITH_ERRORS") ||
         !strcmp(s, "FAILED");
}

static void maybe_finish_job(import_t *im) {
  job_run_t *j = im->job;
  /* a job is over when the database says so and the producer is done */
  if (!j->final || !j->producer_done)
    return;
  uv_timer_stop(&im->tick);
  uv_stop(im->loop);
}

static void poll_done(uv_work_t *w, int status) {
  import_t *im = w->data;
  job_run_t *j = im->job;
  im->polling = false;
  if (status || im->poll_rc)
    return; /* transient: the next tick asks again */
  j->sum = im->poll_sum;
  double t = now_s() - j->start;
  if (j->first_commit < 0 && j->sum.processed > 0)
    j->first_commit = t;
  mp_producer_stats_t ps = j->pstats;
  if (im->prod)
    mp_producer_stats(im->prod, &ps);
  if (j->nlag < MAX_LAG) {
    j->lag[j->nlag][0] = t;
    j->lag[j->nlag][1] = (double)(ps.read - j->sum.processed);
    j->nlag++;
  }
  mp_progress_view_t v = {.elapsed_s = t,
                          .read = ps.read,
                          .total = j->sum.total,
                          .processed = j->sum.processed,
                          .errors = j->sum.errors,
                          .status = j->sum.status};
  mp_progress_update(&im->progress, &v);
  if (status_final(j->sum.status) && !j->final) {
    j->final = true;
    j->last_commit = t;
    if (!strcmp(j->sum.status, "FAILED") && im->prod && !j->producer_done)
      mp_producer_cancel(im->prod);
  }
  maybe_finish_job(im);
}

static void tick_cb(uv_timer_t *t) {
  import_t *im = t->data;
  if (im->polling)
    return;
  im->polling = true;
  im->poll_work.data = im;
  if (uv_queue_work(im->loop, &im->poll_work, poll_work, poll_done))
    im->polling = false;
}

/* ---- producer callbacks (loop thread) ---- */

static void on_producer_done(void *data, int rc, const char *reason) {
  import_t *im = data;
  job_run_t *j = im->job;
  j->producer_done = true;
  j->producer_rc = rc;
  j->producer_done_at = now_s() - j->start;
  snprintf(j->producer_reason, sizeof j->producer_reason, "%s",
           reason ? reason : "");
  mp_producer_stats(im->prod, &j->pstats);
  if (rc)
    fprintf(stderr, "import: %s: producing failed: %s\n", j->file,
            reason ? reason : mp_strerror(rc));
  maybe_finish_job(im);
}

static void on_give_up(mp_import_workers_t *set, int index) {
  import_t *im = set->data;
  char err[512];
  if (im->interrupted)
    return; /* the job is being stopped anyway */
  fprintf(stderr, "import: worker %d keeps failing; giving up\n", index);
  if (im->job && !im->job->final)
    mp_job_fail(im->ctl, im->job->id, "a worker process kept failing", err,
                sizeof err);
}

static void on_signal(uv_signal_t *s, int signum) {
  import_t *im = s->data;
  fprintf(stderr, "\nimport: interrupted (signal %d): stopping\n", signum);
  im->interrupted = true;
  /* A terminal's Ctrl-C (or `timeout`) signals the whole process group:
   * workers that stop now were asked to, not crashed; none is restarted. */
  im->workers.max_restarts = 0;
  if (im->prod && im->job && !im->job->producer_done)
    mp_producer_cancel(im->prod);
  else if (im->job && !im->job->final) {
    char err[512];
    mp_job_fail(im->ctl, im->job->id, "import interrupted", err, sizeof err);
  }
}

/* ---- set-up ---- */

static int resolve_db(import_t *im, char *err, size_t errlen) {
  const opts_t *o = im->o;
  bool managed;
  int rc = mp_pgmanaged_resolve(o->db ? o->db : getenv("MARCPIPE_DB"),
                                o->state_dir, im->conninfo,
                                sizeof im->conninfo, &managed, err, errlen);
  if (!rc && managed && !o->quiet)
    fprintf(stderr, "import: using the managed local PostgreSQL\n");
  return rc;
}

static int start_broker(import_t *im, char *err, size_t errlen) {
  const opts_t *o = im->o;
  if (o->brokers) {
    im->brokers = o->brokers;
    return 0;
  }
  char dlq[256], done[256];
  mp_topic_name(dlq, sizeof dlq, o->env, o->ns, o->tenant, MP_EVENT_ERROR);
  mp_topic_name(done, sizeof done, o->env, o->ns, o->tenant,
                MP_EVENT_JOB_COMPLETED);
  mp_broker_topic_t topics[] = {
      {im->topic, o->partitions}, {dlq, 1}, {done, 1}};
  mp_broker_opts_t bo = {.nbrokers = 3,
                         .partitions = o->partitions,
                         .topics = topics,
                         .ntopics = 3};
  int rc = mp_broker_start(&bo, &im->broker, err, errlen);
  if (rc)
    return rc;
  im->brokers = mp_broker_bootstraps(im->broker);
  return 0;
}

/* Build the `marcpipe work` command line. Returns a NULL-terminated argv
 * whose strings point into o / im / the static number buffers. */
static char **worker_argv(import_t *im, char *self) {
  const opts_t *o = im->o;
  static char *argv[64 + 2 * MAX_PROPS];
  int n = 0;
  argv[n++] = self;
  argv[n++] = "work";
  argv[n++] = "-b";
  argv[n++] = (char *)im->brokers;
  argv[n++] = "--tenant";
  argv[n++] = (char *)o->tenant;
  argv[n++] = "-t";
  argv[n++] = im->topic;
  argv[n++] = "-G";
  argv[n++] = im->group;
  argv[n++] = "--stats-json";
  if (o->verbose)
    argv[n++] = "-v";
  /* pull: unless given, each worker's window is its share of the job's
   * backlog (worker.h), so no worker holds more than its partitions can
   * carry, whatever the length of the job */
  static char share_rec[24], share_bytes[24];
  uint64_t wr, wb;
  mp_worker_share_window(o->max_backlog, o->max_backlog_bytes, o->partitions,
                         o->workers, &wr, &wb);
  snprintf(share_rec, sizeof share_rec, "%" PRIu64, wr);
  snprintf(share_bytes, sizeof share_bytes, "%" PRIu64, wb);
  const char *wrec = o->window ? o->window : share_rec;
  const char *wbytes = o->window_bytes ? o->window_bytes : share_bytes;
  if (o->push) { /* unbounded, unless bytes were asked for */
    wrec = "0";
    wbytes = o->window_bytes;
  }
  argv[n++] = "--window";
  argv[n++] = (char *)wrec;
  /* unless given, each worker's sinks are its share of the job's database
   * connections (worker.h) */
  static char share_sinks[16];
  snprintf(share_sinks, sizeof share_sinks, "%d",
           mp_worker_share_sinks(o->db_connections, o->workers));
  const char *pairs[][2] = {{"--window-bytes", wbytes},
                            {"--batch", o->batch},
                            {"--sinks", o->sinks ? o->sinks : share_sinks},
                            {"--sink-latency-ms", o->latency},
                            {"--rules", o->rules},
                            {"--refdata", o->reference}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
    if (pairs[i][1]) {
      argv[n++] = (char *)pairs[i][0];
      argv[n++] = (char *)pairs[i][1];
    }
  char dlq[256];
  static char dlqbuf[256];
  mp_topic_name(dlq, sizeof dlq, o->env, o->ns, o->tenant, MP_EVENT_ERROR);
  snprintf(dlqbuf, sizeof dlqbuf, "%s", dlq);
  argv[n++] = "--dlq-topic";
  argv[n++] = dlqbuf;
  argv[n] = NULL;
  return argv;
}

/* The conninfo and the Kafka properties reach the workers through their
 * environment ($MARCPIPE_DB, $MARCPIPE_KAFKA_PROPS: see `marcpipe work
 * --help`), never their command line: a password in either would show in
 * the process list of every user. The children inherit this process's
 * environment (readable by its owner only). $MARCPIPE_IMPORT_PID makes
 * them stop when this process dies. */
static int worker_env(import_t *im) {
  const opts_t *o = im->o;
  mp_buf_t b;
  mp_buf_init(&b);
  int rc = 0;
  if (!o->brokers)
    /* The embedded broker keeps a member that vanished during a join in
     * the group until its session times out, stalling the rebalance for
     * that long (45 s by default, measured); short sessions bound it.
     * Given first so that -X can override them. */
    rc = mp_buf_printf(&b, "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
  for (size_t i = 0; i < o->nprops && !rc; i++)
    rc = mp_buf_printf(&b, "%s\n", o->props[i]);
  char pid[24];
  snprintf(pid, sizeof pid, "%d", (int)uv_os_getpid());
  if (!rc && (setenv("MARCPIPE_KAFKA_PROPS", b.data ? b.data : "", 1) ||
              setenv("MARCPIPE_DB", im->conninfo, 1) ||
              setenv("MARCPIPE_IMPORT_PID", pid, 1)))
    rc = UV_ENOMEM;
  mp_buf_release(&b);
  return rc;
}

/* ---- one job ---- */

static int run_job(import_t *im, job_run_t *j, char *self) {
  const opts_t *o = im->o;
  char err[1024];
  mp_marc_reader_opts_t ropts = {0};
  if (o->from)
    ropts.format = mp_marc_format_parse(o->from);
  ropts.charset = o->charset;

  mp_producer_input_t in;
  int rc = mp_producer_marc_input_open(j->file, &ropts, &in, err, sizeof err);
  if (rc) {
    fprintf(stderr, "import: %s\n", err);
    return rc;
  }
  char *profile = mp_profile_to_json(&o->profile.p);
  mp_job_spec_t spec = {.file_name = j->file,
                        .file_format = o->from,
                        .topic = im->topic,
                        .profile = profile};
  rc = mp_job_create(im->ctl, &spec, &j->id, err, sizeof err);
  free(profile);
  if (rc == 0)
    rc = mp_job_set_status(im->ctl, j->id, "PRODUCING", err, sizeof err);
  if (rc) {
    fprintf(stderr, "import: cannot create the job: %s\n", err);
    in.close(in.ctx);
    return rc;
  }
  if (!o->quiet)
    fprintf(stderr, "import: job %lld: %s\n", (long long)j->id, j->file);
  if (!im->workers_started) {
    if (!o->group && !o->brokers)
      snprintf(im->group, sizeof im->group, "%s.run%lld",
               MP_WORKER_DEFAULT_GROUP, (long long)j->id);
    else
      snprintf(im->group, sizeof im->group, "%s",
               o->group ? o->group : MP_WORKER_DEFAULT_GROUP);
    im->workers.max_restarts = 5;
    im->workers.on_give_up = on_give_up;
    im->workers.data = im;
    rc = worker_env(im);
    if (!rc)
      rc = mp_import_workers_start(im->loop, &im->workers, o->workers,
                                   worker_argv(im, self));
    if (rc) {
      fprintf(stderr, "import: cannot start workers: %s\n", uv_strerror(rc));
      in.close(in.ctx);
      return rc;
    }
    im->workers_started = true;
  }

  im->job = j;
  j->start = now_s();
  j->first_commit = j->last_commit = -1;
  mp_producer_opts_t po = {.brokers = im->brokers,
                           .props = o->props,
                           .nprops = o->nprops,
                           .topic = im->topic,
                           .tenant = o->tenant,
                           .job_id = j->id,
                           .max_backlog = o->max_backlog,
                           .max_backlog_bytes = o->max_backlog_bytes,
                           .ops = &im->ops,
                           .cb_data = im,
                           .on_done = on_producer_done};
  rc = mp_producer_start(im->loop, &po, &in, &im->prod, err, sizeof err);
  if (rc) {
    fprintf(stderr, "import: %s\n", err);
    in.close(in.ctx);
    mp_job_fail(im->ctl, j->id, err, err, sizeof err);
    return rc;
  }
  uv_timer_start(&im->tick, tick_cb, 0, 250);
  uv_run(im->loop, UV_RUN_DEFAULT);
  mp_progress_end(&im->progress);
  mp_producer_destroy(im->prod);
  im->prod = NULL;
  /* the final counters, read after the flip */
  mp_job_get(im->ctl, j->id, &j->sum, err, sizeof err);
  if (j->sum.total == 0)
    fprintf(stderr, "import: %s: no records in the file\n", j->file);
  return 0;
}

/* ---- output ---- */

static json_t *worker_stats(const mp_import_worker_t *w) {
  const char *s = w->stdout_buf.data;
  if (!s || !*s)
    return NULL;
  const char *line = s + w->stdout_buf.len;
  while (line > s && (line[-1] == '\n'))
    line--;
  while (line > s && line[-1] != '\n')
    line--;
  return json_loads(line, 0, NULL);
}

static double rate_of(const job_run_t *j) {
  double el = j->last_commit > 0 ? j->last_commit : 0;
  return el > 0 ? (double)j->sum.processed / el : 0;
}

static void print_text(const job_run_t *j) {
  printf("job %lld %s: %s\n", (long long)j->id, j->sum.status, j->file);
  printf("  records %lld  created %lld  updated %lld  duplicates %lld  "
         "skipped %lld  errors %lld\n",
         (long long)(j->sum.total >= 0 ? j->sum.total : j->pstats.read),
         (long long)j->sum.created, (long long)j->sum.updated,
         (long long)j->sum.duplicates, (long long)j->sum.skipped,
         (long long)j->sum.errors);
  printf("  elapsed %.2f s  %.1f records/s\n", j->last_commit, rate_of(j));
  if (j->sum.failure_reason[0])
    printf("  failure: %s\n", j->sum.failure_reason);
  if (j->sum.errors > 0)
    printf("  see: marcpipe errors %lld\n", (long long)j->id);
}

static void print_json(import_t *im, const job_run_t *j) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct rusage rc;
  getrusage(RUSAGE_CHILDREN, &rc);
  json_t *o = json_object();
  json_object_set_new(o, "job", json_integer(j->id));
  json_object_set_new(o, "file", json_string(j->file));
  json_object_set_new(o, "status", json_string(j->sum.status));
  json_object_set_new(o, "records", json_integer(j->sum.total >= 0
                                                     ? j->sum.total
                                                     : j->pstats.read));
  json_object_set_new(o, "processed", json_integer(j->sum.processed));
  json_object_set_new(o, "created", json_integer(j->sum.created));
  json_object_set_new(o, "updated", json_integer(j->sum.updated));
  json_object_set_new(o, "duplicates", json_integer(j->sum.duplicates));
  json_object_set_new(o, "skipped", json_integer(j->sum.skipped));
  json_object_set_new(o, "errors", json_integer(j->sum.errors));
  json_object_set_new(o, "elapsed_s", json_real(j->last_commit));
  json_object_set_new(o, "records_per_s", json_real(rate_of(j)));
  json_t *p = json_object();
  double pel = j->producer_done_at > 0 ? j->producer_done_at : 0;
  json_object_set_new(p, "records_per_s",
                      json_real(pel > 0 ? (double)j->pstats.read / pel : 0));
  json_object_set_new(p, "elapsed_s", json_real(pel));
  json_object_set_new(p, "peak_rss_kb", json_integer(ru.ru_maxrss));
  json_object_set_new(p, "max_outstanding",
                      json_integer(j->pstats.max_outstanding));
  json_object_set_new(p, "credit_waits", json_integer(j->pstats.credit_waits));
  json_object_set_new(o, "producer", p);
  json_object_set_new(o, "first_commit_s", json_real(j->first_commit));
  json_object_set_new(o, "last_commit_s", json_real(j->last_commit));
  json_t *ws = json_array();
  for (int i = 0; i < im->workers.n; i++) {
    json_t *w = worker_stats(&im->workers.w[i]);
    json_array_append_new(ws, w ? w : json_object());
  }
  json_object_set_new(o, "workers", ws);
  json_object_set_new(o, "workers_cpu_s",
                      json_real((double)rc.ru_utime.tv_sec +
                                (double)rc.ru_utime.tv_usec / 1e6 +
                                (double)rc.ru_stime.tv_sec +
                                (double)rc.ru_stime.tv_usec / 1e6));
  json_object_set_new(o, "worker_restarts", json_integer(im->workers.crashes));
  json_t *lag = json_array();
  for (int i = 0; i < j->nlag; i++)
    json_array_append_new(lag, json_pack("[f,f]", j->lag[i][0], j->lag[i][1]));
  json_object_set_new(o, "lag", lag);
  char *s = json_dumps(o, JSON_COMPACT);
  printf("%s\n", s);
  free(s);
  json_decref(o);
}

static void all_exited(mp_import_workers_t *set) {
  import_t *im = set->data;
  uv_stop(im->loop);
}

/* ---- options ---- */

enum {
  O_PARTITIONS = 256, O_WINDOW, O_WINDOW_BYTES, O_BATCH, O_SINKS, O_DBCONN,
  O_LATENCY,
  O_MODE, O_BACKLOG, O_BACKLOG_BYTES, O_FROM, O_CHARSET, O_ENV, O_NS,
  O_TENANT, O_STATE, O_JSON, O_RULES, O_REFERENCE
};

static int parse_opts(int argc, char **argv, opts_t *o) {
  static const struct option lo[] = {
      {"workers", required_argument, NULL, 'w'},
      {"partitions", required_argument, NULL, O_PARTITIONS},
      {"window", required_argument, NULL, O_WINDOW},
      {"window-bytes", required_argument, NULL, O_WINDOW_BYTES},
      {"batch", required_argument, NULL, O_BATCH},
      {"sinks", required_argument, NULL, O_SINKS},
      {"db-connections", required_argument, NULL, O_DBCONN},
      {"sink-latency-ms", required_argument, NULL, O_LATENCY},
      {"mode", required_argument, NULL, O_MODE},
      {"max-backlog", required_argument, NULL, O_BACKLOG},
      {"max-backlog-bytes", required_argument, NULL, O_BACKLOG_BYTES},
      {"from", required_argument, NULL, O_FROM},
      {"charset", required_argument, NULL, O_CHARSET},
      {"rules", required_argument, NULL, O_RULES},
      {"reference", required_argument, NULL, O_REFERENCE},
      {"brokers", required_argument, NULL, 'b'},
      {"property", required_argument, NULL, 'X'},
      {"group", required_argument, NULL, 'G'},
      {"env", required_argument, NULL, O_ENV},
      {"namespace", required_argument, NULL, O_NS},
      {"tenant", required_argument, NULL, O_TENANT},
      {"db", required_argument, NULL, 'd'},
      {"state-dir", required_argument, NULL, O_STATE},
      {"json", no_argument, NULL, O_JSON},
      {"quiet", no_argument, NULL, 'q'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0, 0, 0, 0}};
  uint64_t v;
  int c;
  opterr = 0;
  optind = 1;
  while (1) {
    /* profile options (--match, --on-match, ...) belong to profile.c */
    if (optind < argc) {
      int i = optind;
      int pr = mp_profile_cli_opt(argc, argv, &i, &o->profile);
      if (pr < 0)
        return mp__cli_bad_usage("import", "%s", o->profile.err);
      if (pr > 0) {
        optind = i + 1;
        continue;
      }
    }
    int li = 0;
    if ((c = getopt_long(argc, argv, "w:b:X:G:d:qvh", lo, &li)) == -1)
      break;
    switch (c) {
    case 'w':
      if (mp__cli_count(optarg, MP_IMPORT_MAX_WORKERS, &v) || !v)
        return mp__cli_bad_usage("import", "%s", "--workers wants 1..64");
      o->workers = (int)v;
      break;
    case O_PARTITIONS:
      if (mp__cli_count(optarg, 1000, &v) || !v)
        return mp__cli_bad_usage("import", "%s", "--partitions wants 1..1000");
      o->partitions = (int)v;
      break;
    case O_DBCONN:
      if (mp__cli_count(optarg, 1000, &v) || !v)
        return mp__cli_bad_usage("import", "%s", "--db-connections wants 1..1000");
      o->db_connections = (int)v;
      break;
    /* passed on to the workers, which check the ranges; the form is
     * checked here, before a job exists */
    case O_WINDOW:
    case O_BATCH:
    case O_SINKS:
    case O_LATENCY:
      if (mp__cli_count(optarg, UINT32_MAX, &v))
        return mp__cli_bad_usage("import", "--%s wants a count", lo[li].name);
      *(c == O_WINDOW  ? &o->window
        : c == O_BATCH ? &o->batch
        : c == O_SINKS ? &o->sinks
                       : &o->latency) = optarg;
      break;
    case O_WINDOW_BYTES:
      if (mp__cli_size(optarg, &v))
        return mp__cli_bad_usage("import", "%s", "--window-bytes wants a size");
      o->window_bytes = optarg;
      break;
    case O_MODE:
      if (!strcmp(optarg, "push"))
        o->push = true;
      else if (strcmp(optarg, "pull"))
        return mp__cli_bad_usage("import", "%s", "--mode wants pull or push");
      break;
    case O_BACKLOG:
      if (mp__cli_count(optarg, INT64_MAX, &v) || !v)
        return mp__cli_bad_usage("import", "%s", "--max-backlog wants a positive count");
      o->max_backlog = (int64_t)v;
      break;
    case O_BACKLOG_BYTES:
      if (mp__cli_size(optarg, &v) || !v || v > INT64_MAX)
        return mp__cli_bad_usage("import", "%s", "--max-backlog-bytes wants a positive size");
      o->max_backlog_bytes = (int64_t)v;
      break;
    case O_FROM:
      if (mp_marc_format_parse(optarg) < 0)
        return mp__cli_bad_usage("import", "%s", "--from wants iso2709, marcxml or json");
      o->from = optarg;
      break;
    case O_CHARSET: o->charset = optarg; break;
    case O_RULES: o->rules = optarg; break;
    case O_REFERENCE: o->reference = optarg; break;
    case 'b': o->brokers = optarg; break;
    case 'X':
      if (o->nprops == MAX_PROPS || !strchr(optarg, '='))
        return mp__cli_bad_usage("import", "%s", "-X wants name=value (at most 64)");
      o->props[o->nprops++] = optarg;
      break;
    case 'G': o->group = optarg; break;
    case O_ENV: o->env = optarg; break;
    case O_NS: o->ns = optarg; break;
    case O_TENANT: o->tenant = optarg; break;
    case 'd': o->db = optarg; break;
    case O_STATE: o->state_dir = optarg; break;
    case O_JSON: o->json = true; break;
    case 'q': o->quiet = true; break;
    case 'v': o->verbose = true; break;
    case 'h': usage(stdout); return 0;
    default: {
      /* a profile option after a FILE (getopt permuted past it) */
      int i = optind - 1;
      int pr = i > 0 ? mp_profile_cli_opt(argc, argv, &i, &o->profile) : 0;
      if (pr < 0)
        return mp__cli_bad_usage("import", "%s", o->profile.err);
      if (pr > 0) {
        optind = i + 1;
        break;
      }
      char msg[128];
      snprintf(msg, sizeof msg, "unknown option '%s'", argv[optind - 1]);
      return mp__cli_bad_usage("import", "%s", msg);
    }
    }
  }
  if (optind >= argc)
    return mp__cli_bad_usage("import", "%s", "no FILE given");
  if (!mp_tenant_valid(o->tenant))
    return mp__cli_bad_usage("import", "%s", "--tenant wants [a-z][a-z0-9_]{0,30}");
  int64_t r, b; /* the backlog bounds the producer and sizes the windows */
  mp_producer_default_backlog(o->partitions, &r, &b);
  if (o->max_backlog == 0)
    o->max_backlog = r;
  if (o->max_backlog_bytes == 0)
    o->max_backlog_bytes = b;
  if (o->db_connections == 0) { /* the managed server's cores, at least 2 */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->db_connections = cpus > 2 ? (cpus > 1000 ? 1000 : (int)cpus) : 2;
  }
  return -1; /* go on */
}

static int open_conn(import_t *im, PGconn **c, char *err, size_t n) {
  return mp_job_db_open(im->conninfo, im->o->tenant, c, err, n);
}

int cmd_import(int argc, char **argv) {
  opts_t o = {.workers = 2, .partitions = 8, .tenant = MP_DEFAULT_TENANT,
              .env = MP_DEFAULT_ENV, .ns = MP_DEFAULT_NAMESPACE};
  mp_profile_builder_init(&o.profile);
  char *envprops = NULL;
  if (mp__cli_env_props("import", &envprops, o.props, &o.nprops, MAX_PROPS))
    return 2;
  int prc = parse_opts(argc, argv, &o);
  if (prc >= 0) {
    free(envprops);
    return prc;
  }
  int nfiles = argc - optind;
  char **files = argv + optind;
  if (o.rules || o.reference) { /* a bad rules file fails before any job */
    char merr[512];
    mp_mapping_t *mm = mp_mapping_load(o.rules, o.reference, merr, sizeof merr);
    if (!mm) {
      fprintf(stderr, "marcpipe import: %s\n", merr);
      free(envprops);
      return 1;
    }
    mp_mapping_free(mm);
  }

  import_t im;
  memset(&im, 0, sizeof im);
  im.o = &o;
  im.loop = uv_default_loop();
  mp_progress_init(&im.progress, stderr, o.quiet);
  char err[1024];
  int rc = 1;
  job_run_t *jobs = calloc((size_t)nfiles, sizeof *jobs);
  char self[4096];
  size_t selflen = sizeof self;
  if (!jobs || uv_exepath(self, &selflen)) {
    fprintf(stderr, "import: out of memory\n");
    free(jobs);
    free(envprops);
    return 1;
  }
  if (mp_topic_name(im.topic, sizeof im.topic, o.env, o.ns, o.tenant,
                    MP_EVENT_RECORD)) {
    fprintf(stderr, "import: invalid topic parts (--env, --namespace)\n");
    goto out;
  }
  if (resolve_db(&im, err, sizeof err)) {
    fprintf(stderr, "import: %s\n", err);
    goto out;
  }
  if (open_conn(&im, &im.ctl, err, sizeof err) ||
      open_conn(&im, &im.poll, err, sizeof err) ||
      open_conn(&im, &im.pconn, err, sizeof err)) {
    fprintf(stderr, "import: database: %s\n", err);
    goto out;
  }
  im.ppg.conn = (struct pg_conn *)im.pconn;
  im.ppg.tenant = im.o->tenant;
  mp_producer_pg_ops(&im.ppg, &im.ops);
  if (start_broker(&im, err, sizeof err)) {
    fprintf(stderr, "import: embedded broker: %s\n", err);
    goto out;
  }
  uv_timer_init(im.loop, &im.tick);
  im.tick.data = &im;
  uv_signal_init(im.loop, &im.sigint);
  uv_signal_init(im.loop, &im.sigterm);
  im.sigint.data = im.sigterm.data = &im;
  uv_signal_start(&im.sigint, on_signal, SIGINT);
  uv_signal_start(&im.sigterm, on_signal, SIGTERM);

  rc = 0;
  for (int i = 0; i < nfiles && !im.interrupted; i++) {
    jobs[i].file = files[i];
    if (run_job(&im, &jobs[i], self)) {
      rc = 1;
      continue;
    }
    if (strcmp(jobs[i].sum.status, "COMPLETED"))
      rc = 1;
  }
  if (im.workers_started) {
    im.workers.on_all_exited = all_exited;
    mp_import_workers_stop(&im.workers);
    uv_run(im.loop, UV_RUN_DEFAULT);
  }
  for (int i = 0; i < nfiles; i++) {
    if (!jobs[i].id)
      continue;
    if (o.json)
      print_json(&im, &jobs[i]);
    else
      print_text(&jobs[i]);
  }
  if (im.interrupted)
    rc = 1;

  uv_close((uv_handle_t *)&im.tick, NULL);
  uv_close((uv_handle_t *)&im.sigint, NULL);
  uv_close((uv_handle_t *)&im.sigterm, NULL);
  uv_run(im.loop, UV_RUN_DEFAULT);
out:
  mp_import_workers_release(&im.workers);
  if (im.broker)
    mp_broker_stop(im.broker);
  if (im.ctl)
    PQfinish(im.ctl);
  if (im.poll)
    PQfinish(im.poll);
  if (im.pconn)
    PQfinish(im.pconn);
  free(jobs);
  free(envprops);
  return rc;
}
