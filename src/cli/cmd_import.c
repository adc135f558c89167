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
 * an earlier run's group can never make a new run skip records. There the
 * workers also take fixed shares of the partitions by default (--assign
 * share, import_workers.h) instead of joining that group: the embedded
 * broker holds a group's first join for 3 s, a fifth of a 100k-record
 * import, and this process supervises every consumer anyway.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/import_progress.h"
#include "cli/import_workers.h"
#include "cli/job_input.h"
#include "marcpipe/alloc.h"
#include "marcpipe/joblog.h"
#include "marcpipe/lease.h"
#include "marcpipe/broker.h"
#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/job.h"
#include "marcpipe/job_warnings.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"
#include "marcpipe/pgmanaged.h"
#include "marcpipe/pipeline.h"
#include "marcpipe/producer.h"
#include "marcpipe/profile.h"
#include "marcpipe/text.h"
#include "marcpipe/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROPS MP_CLI_MAX_PROPS
#define MAX_LAG 4096

typedef struct opts_s {
  mp_cli_t c; /* the shared groups (cli_groups.h) */
  int workers;
  int partitions;
  int db_connections; /* the job's budget, shared by the workers */
  const char *brokers;
  const char *const *props;
  size_t nprops;
  const char *db;
  const char *state_dir;
  const char *tenant, *env, *ns, *group, *topic;
  const char *from, *charset;
  int64_t window, window_bytes, batch, sinks, latency; /* -1: not given */
  const char *rules, *refdata; /* FOLIO rules / reference data */
  bool push;
  bool share; /* --assign share: workers take fixed shares, no group */
  int64_t max_backlog, max_backlog_bytes; /* the producer's: <0 = off */
  int64_t startup_backlog; /* the producer's until the first commit; 0 = off */
  bool json, quiet, verbose;
  int64_t resume; /* --resume JOB */
  mp_profile_builder_t profile;
} opts_t;

typedef struct job_run_s {
  const char *file;
  uint64_t file_size; /* a regular file's size, else 0 (unknown) */
  int64_t id;
  mp_job_summary_t sum;
  double start, producer_done_at, first_commit, last_commit;
  mp_producer_stats_t pstats;
  int producer_rc;
  char producer_reason[512];
  bool producer_done;
  bool final;
  mp_job_self_matches_t self; /* records that replaced one of the same job */
  double lag[MAX_LAG][2];
  int nlag;
  mp_job_warnings_t warn; /* what the reader repaired */
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
  char poll_err[512];
  double db_down_since; /* first failed poll of a run of them; 0 = up */
  mp_job_summary_t poll_sum;
  uv_signal_t sigint, sigterm;
  bool interrupted;
  mp_progress_t progress;
  job_run_t *job;
  double t0;
  mp_lease_t *lease;       /* the producer's lease (job_input.h) */
  mp_cancel_input_t cin;   /* the input, ending early on a cancel */
  int (*pg_fail)(void *ctx, int64_t job, const char *reason);
  bool topics_ready, kafka_failed; /* -b: ensure_topics done / failed */
} import_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char import_description[] =
"Import MARC files (ISO 2709, MARCXML or MARC-in-JSON; MARC-8 converted to\n"
"UTF-8) into PostgreSQL through Kafka. Each FILE becomes a job: the producer\n"
"streams one message per record (key = the record's match key) and N worker\n"
"processes pull them through bounded windows into PostgreSQL, one transaction\n"
"per batch, with idempotent writes. Progress is shown on stderr; a summary\n"
"(created, updated, duplicates, skipped, errors, reader warnings by kind,\n"
"elapsed, records/s) is printed on stdout. Every input record is accounted\n"
"for: imported, updated, duplicate, skipped, or an error with its reason\n"
"(`marcpipe errors JOB`).\n"
"\n"
"With no -b, an embedded Kafka-protocol broker runs inside this process.\n"
"With no --db and no PG* environment, a managed local PostgreSQL is started\n"
"(`marcpipe db`); it keeps running afterwards so jobs can be inspected.\n"
"Every value is checked before a job exists: a usage error (exit 2) or a\n"
"FILE that cannot be read leaves no job behind.\n";

static const char import_footer[] =
"Exit codes: 0 every record imported, 1 a job failed or records were\n"
"rejected (see `marcpipe errors JOB`), 2 usage.\n";

/* ---- progress polling (thread pool) ---- */

/* The job's counters are read every POLL_MS, and every POLL_FIRST_MS until
 * the first commit is seen: first_commit_s is when this side saw it, and
 * at the usual pace the wait for the next poll alone added up to 0.25 s
 * (a light query: a few dozen more at most). */
#define POLL_MS 250
#define POLL_FIRST_MS 50

static json_t *worker_stats(const mp_import_worker_t *w);

/* Whether w's last counters line says it got its partitions (a rebalance,
 * or its share taken): workers print one at once on each assignment. */
static bool worker_joined(const mp_import_worker_t *w) {
  json_t *st = worker_stats(w);
  bool joined = st && json_integer_value(json_object_get(st, "rebalances")) > 0;
  json_decref(st);
  return joined;
}

/* What a job that has committed nothing yet waits for: the workers' last
 * counters line says whether they got their partitions (a rebalance, or
 * their share taken). */
static const char *phase_of(const import_t *im, const job_run_t *j) {
  if (j->sum.processed > 0)
    return NULL;
  if (!im->workers_started)
    return "starting workers";
  bool joined = false;
  for (int i = 0; i < im->workers.n && !joined; i++)
    joined = worker_joined(&im->workers.w[i]);
  return joined            ? "waiting for first batch"
         : im->o->share ? "taking partitions"
                        : "joining group";
}

static void poll_work(uv_work_t *w) {
  import_t *im = w->data;
  /* a restarted server: reconnect (the job's end is seen by this poll) */
  im->poll_rc = mp_pg_ready(im->poll, im->o->tenant, im->poll_err,
                            sizeof im->poll_err);
  if (!im->poll_rc)
    im->poll_rc = mp_job_get(im->poll, im->job->id, &im->poll_sum,
                             im->poll_err, sizeof im->poll_err);
}

static void maybe_finish_job(import_t *im) {
  job_run_t *j = im->job;
  /* a job is over when the database says so and the producer is done */
  if (!j->final || !j->producer_done)
    return;
  uv_timer_stop(&im->tick);
  uv_stop(im->loop);
}

/* How long the import waits for an unreachable database before it gives
 * the job up (README: "database unavailable"): 120 s, or
 * $MARCPIPE_DB_UNAVAILABLE_S seconds (tests use a few). */
#define DB_UNAVAILABLE_S 120.0
static double db_unavailable_s(void) {
  const char *v = getenv("MARCPIPE_DB_UNAVAILABLE_S");
  double s = v && *v ? strtod(v, NULL) : 0;
  return s > 0 ? s : DB_UNAVAILABLE_S;
}

static void db_unavailable(import_t *im) {
  job_run_t *j = im->job;
  double now = now_s();
  if (im->db_down_since == 0) {
    im->db_down_since = now;
    return;
  }
  double limit = db_unavailable_s();
  if (now - im->db_down_since < limit || j->final)
    return;
  fprintf(stderr,
          "marcpipe import: job %lld: database unavailable for %.0f s (%s); "
          "giving up: `marcpipe produce --resume %lld` continues it\n",
          (long long)j->id, limit, im->poll_err, (long long)j->id);
  j->sum.status = MP_JOB_FAILED;
  snprintf(j->sum.failure_reason, sizeof j->sum.failure_reason,
           "database unavailable: %.400s", im->poll_err);
  j->final = true;
  j->last_commit = now - j->start;
  /* the job stays as the database has it (PRODUCING or IN_PROGRESS), so
   * `produce --resume` or workers can finish it later: the producer's
   * last word is not retried against the unreachable database */
  im->ppg.give_up = 1;
  if (im->prod && !j->producer_done)
    mp_producer_cancel(im->prod);
  maybe_finish_job(im);
}

static void poll_done(uv_work_t *w, int status) {
  import_t *im = w->data;
  job_run_t *j = im->job;
  im->polling = false;
  if (status || im->poll_rc) { /* transient: the next tick asks again */
    db_unavailable(im);
    return;
  }
  im->db_down_since = 0;
  j->sum = im->poll_sum;
  double t = now_s() - j->start;
  if (j->first_commit < 0 && j->sum.processed > 0) {
    j->first_commit = t;
    uv_timer_set_repeat(&im->tick, POLL_MS); /* seen: the usual pace */
  }
  mp_producer_stats_t ps = j->pstats;
  if (im->prod)
    mp_producer_stats(im->prod, &ps);
  if (j->nlag < MAX_LAG) {
    j->lag[j->nlag][0] = t;
    j->lag[j->nlag][1] = (double)(ps.read - j->sum.processed);
    j->nlag++;
  }
  /* the share of the file read: the estimate of the total until it is known */
  double input_read = mp__cli_input_share(ps.input_bytes, j->file_size);
  mp_progress_view_t v = {.elapsed_s = t,
                          .read = ps.read,
                          .input_read = input_read,
                          .total = j->sum.total,
                          .processed = j->sum.processed,
                          .errors = j->sum.errors,
                          .status = j->sum.status,
                          .phase = phase_of(im, j)};
  mp_progress_update(&im->progress, &v);
  if (im->lease) { /* what only the producer knows, for `serve` (/metrics) */
    char more[160], st[320];
    snprintf(more, sizeof more,
             "\"processed\":%lld,\"credit_in_use\":%lld,\"credit_waits\":%lld",
             (long long)j->sum.processed,
             (long long)(ps.read > j->sum.processed ? ps.read - j->sum.processed : 0),
             (long long)ps.credit_waits);
    mp__cli_producer_stats_json(st, sizeof st, j->id, ps.read, input_read, more);
    mp_lease_set_stats(im->lease, st);
  }
  if (mp_job_status_final(j->sum.status) && !j->final) {
    j->final = true;
    j->last_commit = t;
    if (j->sum.status == MP_JOB_FAILED && im->prod && !j->producer_done)
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

static void on_warning(void *data, const mp_marc_diag_t *d) {
  mp_job_warnings_add(&((job_run_t *)data)->warn, d);
}

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
    mp_progress_end(&im->progress); /* the message on a line of its own */
  if (rc)
    fprintf(stderr, "marcpipe import: %s: producing failed: %s\n", j->file,
            reason ? reason : mp_strerror(rc));
  maybe_finish_job(im);
}

static void on_give_up(mp_import_workers_t *set, int index) {
  import_t *im = set->data;
  char err[512];
  if (im->interrupted)
    return; /* the job is being stopped anyway */
  bool usage = set->w[index].exit_status == 2 && !set->w[index].term_signal;
  mp_progress_end(&im->progress);
  if (!usage)
    fprintf(stderr, "marcpipe import: worker %d keeps failing; giving up\n",
            index);
  if (im->job && !im->job->final)
    mp_job_fail(im->ctl, im->job->id,
                usage ? "a worker refused its options (usage error)"
                      : "a worker process kept failing",
                err, sizeof err);
}

/* Staged start: once worker 0 has its partitions, the others join a
 * settled group. */
static void on_worker_output(mp_import_workers_t *set, int index) {
  if (set->rest_pending && index == 0 && worker_joined(&set->w[0]) &&
      mp_import_workers_start_rest(set))
    fprintf(stderr, "marcpipe import: cannot start the other workers\n");
}

static void on_signal(uv_signal_t *s, int signum) {
  import_t *im = s->data;
  if (im->interrupted && im->job && !im->job->final) {
    /* a second signal: stop waiting for the job's final state (the
     * database may be unreachable); the workers are still stopped */
    fprintf(stderr,
            "marcpipe import: signal %d again: not waiting for the job\n",
            signum);
    im->job->final = true;
    im->ppg.give_up = 1; /* the producer's last word: no more retries */
    maybe_finish_job(im);
    return;
  }
  mp_progress_end(&im->progress);
  fprintf(stderr, "marcpipe import: interrupted (signal %d): stopping\n",
          signum);
  im->interrupted = true;
  /* A terminal's Ctrl-C (or `timeout`) signals the whole process group:
   * workers that stop now were asked to, not crashed; none is restarted. */
  im->workers.max_restarts = 0;
  if (im->prod && im->job && !im->job->producer_done)
    mp_producer_cancel(im->prod);
  else if (im->job && !im->job->final) {
    char err[512];
    if (mp_pg_ready(im->ctl, im->o->tenant, err, sizeof err) ||
        mp_job_interrupt(im->ctl, im->job->id, "import interrupted", err,
                         sizeof err))
      fprintf(stderr, "marcpipe import: cannot record the interruption: %s\n",
              err);
  }
}

/* The producer's ops.fail: an interrupted run ends the job CANCELLED, not
 * FAILED, so `import --resume` can finish it (thread pool; `interrupted`
 * was set on the loop before the producer was cancelled). */
static int import_fail(void *ctx, int64_t job, const char *reason) {
  import_t *im = ((mp_producer_pg_t *)ctx)->data;
  if (!im->interrupted)
    return im->pg_fail(ctx, job, reason);
  mp_producer_pg_t *pg = ctx;
  return mp_job_interrupt((PGconn *)pg->conn, job, "import interrupted",
                          pg->errmsg, sizeof pg->errmsg);
}

/* The job of this run: a new one, or (--resume) the cancelled or stalled
 * job made resumable, *skip = its records already journaled. */
static int open_job(import_t *im, job_run_t *j, int64_t *skip, char *err,
                    size_t errlen) {
  const opts_t *o = im->o;
  *skip = 0;
  if (o->resume) {
    int rc = mp_job_resume_prepare(im->ctl, o->resume, skip, err, errlen);
    if (!rc)
      j->id = o->resume;
    return rc;
  }
  char *profile = mp_profile_to_json(&o->profile.p);
  mp_job_spec_t spec = {.file_name = j->file,
                        .file_format = o->from,
                        .topic = im->topic,
                        .profile = profile};
  int rc = mp_job_create(im->ctl, &spec, &j->id, err, errlen);
  free(profile);
  if (rc == 0)
    rc = mp_job_set_status(im->ctl, j->id, MP_JOB_PRODUCING, err, errlen);
  return rc;
}

/* Take (first job) or move the producer's lease to job j. */
static int lease_job(import_t *im, int64_t job, char *err, size_t errlen) {
  if (im->lease) {
    mp_lease_set_job(im->lease, job);
    return 0;
  }
  mp_lease_opts_t lo = {.conninfo = im->conninfo, .tenant = im->o->tenant,
                        .role = "producer", .job_id = job};
  return mp_lease_start(&lo, &im->lease, err, errlen);
}

/* ---- set-up ---- */

/* The database: named on stderr when it is the managed one (cli_groups.h). */
static int resolve_db(import_t *im) {
  return mp_cli_db(&im->o->c, true, im->o->quiet, im->conninfo,
                   sizeof im->conninfo);
}

/* A real cluster (-b): reach it within the Kafka timeout and create the
 * records, dead-letter and completion topics when missing. An existing
 * records topic is used as it is: its partition count replaces
 * --partitions and the defaults computed from it. */
static int ensure_topics(import_t *im, char *err, size_t errlen) {
  opts_t *o = im->o;
  char dlq[256], done[256];
  mp_topic_name(dlq, sizeof dlq, o->env, o->ns, o->tenant, MP_EVENT_ERROR);
  mp_topic_name(done, sizeof done, o->env, o->ns, o->tenant,
                MP_EVENT_JOB_COMPLETED);
  mp_topic_spec_t t[] = {{.name = im->topic, .partitions = o->partitions},
                         {.name = dlq, .partitions = 1},
                         {.name = done, .partitions = 1}};
  int rc = mp_cli_topics_ensure(&o->c, t, 3, o->quiet, err, errlen);
  if (!rc) /* the topic's own partitions: the defaults follow them */
    mp_cli_backlog(&o->c, &o->partitions, &o->max_backlog,
                   &o->max_backlog_bytes);
  return rc;
}

static int start_broker(import_t *im, char *err, size_t errlen) {
  const opts_t *o = im->o;
  if (o->brokers) {
    im->brokers = o->brokers; /* topics: ensure_topics, once a job exists */
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
  argv[n++] = "--status-ms"; /* a counters line a second: the phase */
  argv[n++] = "1000";
  if (o->verbose)
    argv[n++] = "-v";
  /* pull: unless given, each worker's window is its share of the job's
   * backlog (worker.h), so no worker holds more than its partitions can
   * carry, whatever the length of the job */
  static char nums[5][24];
  uint64_t wr, wb;
  mp_worker_share_window(o->max_backlog, o->max_backlog_bytes, o->partitions,
                         o->workers, &wr, &wb);
  int64_t wrec = o->window >= 0 ? o->window : (int64_t)wr;
  int64_t wbytes = o->window_bytes >= 0 ? o->window_bytes : (int64_t)wb;
  if (o->push) { /* unbounded, unless bytes were asked for */
    wrec = 0;
    wbytes = o->window_bytes;
  }
  /* unless given, each worker's sinks are its share of the job's database
   * connections (worker.h) */
  int64_t sinks = o->sinks >= 0 ? o->sinks
                                : mp_worker_share_sinks(o->db_connections,
                                                        o->workers);
  const struct {
    const char *name;
    int64_t v;
  } pairs[] = {{"--window", wrec},
               {"--window-bytes", wbytes},
               {"--batch", o->batch},
               {"--sinks", sinks},
               {"--sink-latency-ms", o->latency}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
    if (pairs[i].v >= 0) { /* the values were checked by the same table */
      snprintf(nums[i], sizeof nums[i], "%" PRId64, pairs[i].v);
      argv[n++] = (char *)pairs[i].name;
      argv[n++] = nums[i];
    }
  /* the mapping: loaded by each worker (and by --check-options first) */
  if (o->rules) {
    argv[n++] = "--rules";
    argv[n++] = (char *)o->rules;
  }
  if (o->refdata) {
    argv[n++] = "--refdata";
    argv[n++] = (char *)o->refdata;
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

/* Run the workers' command line once with --check-options, before any job
 * exists: what `marcpipe work` would refuse (a managed Kafka property,
 * rules that do not load, ...) is a usage error of this import, not a job
 * that fails. 0 ok, 2 refused (the worker said why on stderr), 1 could not
 * run. */
static int check_workers(import_t *im, char *self) {
  snprintf(im->group, sizeof im->group, "%s",
           im->o->group ? im->o->group : MP_WORKER_DEFAULT_GROUP);
  if (worker_env(im))
    return 1;
  char **argv = worker_argv(im, self);
  int n = 0;
  while (argv[n])
    n++;
  argv[n] = "--check-options";
  argv[n + 1] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execv(self, argv);
    _exit(127);
  }
  argv[n] = NULL;
  int st = 0;
  while (pid > 0 && waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return 1;
  if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) == 127)
    return 1;
  return WEXITSTATUS(st) == 0 ? 0 : WEXITSTATUS(st) == 2 ? 2 : 1;
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
  j->file_size = mp__cli_file_size(j->file);
  int rc = mp_producer_marc_input_open(j->file, &ropts, &in, err, sizeof err);
  if (rc) {
    fprintf(stderr, "marcpipe import: %s\n", err);
    return rc;
  }
  int64_t skip = 0;
  rc = open_job(im, j, &skip, err, sizeof err);
  if (!rc)
    rc = lease_job(im, j->id, err, sizeof err);
  if (rc) {
    fprintf(stderr, "marcpipe import: %s: %s\n",
            o->resume ? "cannot resume the job" : "cannot create the job", err);
    in.close(in.ctx);
    return rc;
  }
  mp_job_warnings_init(&j->warn, im->ctl, j->id);
  mp_producer_marc_input_on_warning(&in, on_warning, j);
  mp__cancel_input_wrap(&im->cin, &in, im->lease, &in);
  if (!o->quiet && o->resume)
    fprintf(stderr,
            "marcpipe import: resuming job %lld: %s after %lld records "
            "already journaled\n",
            (long long)j->id, j->file, (long long)skip);
  else if (!o->quiet)
    fprintf(stderr, "marcpipe import: job %lld: %s\n", (long long)j->id,
            j->file);
  /* -b: the cluster answers within the Kafka timeout and has the topics
   * before any worker or producer starts; if not, the job fails with the
   * reason and the files after it are not tried */
  if (o->brokers && !im->topics_ready) {
    if (ensure_topics(im, err, sizeof err)) {
      char e2[256];
      fprintf(stderr, "marcpipe import: %s\n", err);
      mp_job_fail(im->ctl, j->id, err, e2, sizeof e2);
      mp_job_get(im->ctl, j->id, &j->sum, e2, sizeof e2);
      im->kafka_failed = true;
      in.close(in.ctx);
      return MP_EKAFKA;
    }
    im->topics_ready = true;
  }
  if (!im->workers_started) {
    if (!o->group && !o->brokers && o->resume)
      /* a fresh broker: offsets stored by the earlier run's group are
       * those of a log that is gone */
      snprintf(im->group, sizeof im->group, "%s.run%lld.resume%lld",
               MP_WORKER_DEFAULT_GROUP, (long long)j->id, (long long)time(NULL));
    else if (!o->group && !o->brokers)
      snprintf(im->group, sizeof im->group, "%s.run%lld",
               MP_WORKER_DEFAULT_GROUP, (long long)j->id);
    else
      snprintf(im->group, sizeof im->group, "%s",
               o->group ? o->group : MP_WORKER_DEFAULT_GROUP);
    im->workers.max_restarts = 5;
    im->workers.members = o->share;
    im->workers.silence_ms = o->share ? MP_IMPORT_SILENCE_S * 1000 : 0;
    im->workers.on_give_up = on_give_up;
    /* a cluster's group: worker 0 joins first (import_workers.h); the
     * embedded broker's coordinator gathers the first joins for 3 s */
    im->workers.stage_ms = o->share || !o->brokers ? 0 : MP_IMPORT_STAGE_MS;
    im->workers.on_output = on_worker_output;
    im->workers.data = im;
    rc = worker_env(im);
    if (!rc)
      rc = mp_import_workers_start(im->loop, &im->workers, o->workers,
                                   worker_argv(im, self));
    if (rc) {
      fprintf(stderr, "marcpipe import: cannot start workers: %s\n",
              uv_strerror(rc));
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
                           .skip = skip,
                           .max_backlog = o->max_backlog,
                           .max_backlog_bytes = o->max_backlog_bytes,
                           .startup_backlog = o->startup_backlog,
                           .ops = &im->ops,
                           .cb_data = im,
                           .on_done = on_producer_done};
  rc = mp_producer_start(im->loop, &po, &in, &im->prod, err, sizeof err);
  if (rc) {
    fprintf(stderr, "marcpipe import: %s\n", err);
    in.close(in.ctx);
    mp_job_fail(im->ctl, j->id, err, err, sizeof err);
    return rc;
  }
  uv_timer_start(&im->tick, tick_cb, 0, POLL_FIRST_MS);
  uv_run(im->loop, UV_RUN_DEFAULT);
  mp_progress_end(&im->progress);
  mp_producer_destroy(im->prod);
  im->prod = NULL;
  if (mp_job_warnings_flush(&j->warn))
    fprintf(stderr, "marcpipe import: %s\n", j->warn.err);
  /* the final counters, read after the flip */
  mp_job_get(im->ctl, j->id, &j->sum, err, sizeof err);
  if (j->sum.total == 0)
    fprintf(stderr, "marcpipe import: %s: no records in the file\n", j->file);
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

/* The reader's warnings by kind, most frequent first. */
static void print_warnings(const job_run_t *j) {
  const mp_job_warnings_t *w = &j->warn;
  if (!w->total)
    return;
  size_t idx[MP_JOB_WARNINGS_KINDS];
  for (size_t i = 0; i < w->nkinds; i++)
    idx[i] = i;
  for (size_t i = 1; i < w->nkinds; i++) /* insertion sort: few kinds */
    for (size_t k = i; k > 0 && w->kinds[idx[k]].count >
                                    w->kinds[idx[k - 1]].count; k--) {
      size_t t = idx[k];
      idx[k] = idx[k - 1];
      idx[k - 1] = t;
    }
  printf("  reader warnings %llu (records repaired while read):",
         (unsigned long long)w->total);
  for (size_t i = 0; i < w->nkinds; i++)
    printf("%s %s %llu", i ? "," : "", mp_err_name(w->kinds[idx[i]].code),
           (unsigned long long)w->kinds[idx[i]].count);
  printf("\n  see: table job_warnings, job_id %lld\n", (long long)j->id);
}

static void print_text(const job_run_t *j) {
  char file[3 * 4096];
  printf("job %lld %s: %s\n", (long long)j->id, mp_job_status_name(j->sum.status),
         mp_text_shown(j->file, file, sizeof file));
  printf("  records %lld  created %lld  updated %lld  duplicates %lld  "
         "skipped %lld  errors %lld\n",
         (long long)(j->sum.total >= 0 ? j->sum.total : j->pstats.read),
         (long long)j->sum.created, (long long)j->sum.updated,
         (long long)j->sum.duplicates, (long long)j->sum.skipped,
         (long long)j->sum.errors);
  print_warnings(j);
  printf("  elapsed %.2f s  %.1f records/s\n", j->last_commit, rate_of(j));
  if (j->sum.failure_reason[0])
    printf("  failure: %s\n", j->sum.failure_reason);
  char self[400];
  mp_job_self_matches_line(&j->self, self, sizeof self);
  if (self[0])
    printf("  note: %s\n", self);
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
  json_object_set_new(o, "status", json_string(mp_job_status_name(j->sum.status)));
  json_object_set_new(o, "records", json_integer(j->sum.total >= 0
                                                     ? j->sum.total
                                                     : j->pstats.read));
  json_object_set_new(o, "processed", json_integer(j->sum.processed));
  json_object_set_new(o, "created", json_integer(j->sum.created));
  json_object_set_new(o, "updated", json_integer(j->sum.updated));
  json_object_set_new(o, "duplicates", json_integer(j->sum.duplicates));
  json_object_set_new(o, "skipped", json_integer(j->sum.skipped));
  json_object_set_new(o, "errors", json_integer(j->sum.errors));
  json_t *wk = json_object();
  for (size_t i = 0; i < j->warn.nkinds; i++)
    json_object_set_new(wk, mp_err_name(j->warn.kinds[i].code),
                        json_integer((json_int_t)j->warn.kinds[i].count));
  json_object_set_new(o, "reader_warnings",
                      json_integer((json_int_t)j->warn.total));
  json_object_set_new(o, "reader_warnings_by_kind", wk);
  json_object_set_new(o, "matched_same_job", json_integer(j->self.records));
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
  json_object_set_new(p, "restarts", json_integer(j->pstats.restarts));
  json_object_set_new(p, "resent", json_integer(j->pstats.resent));
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

static int parse_opts(int argc, char **argv, opts_t *o) {
  mp_cli_t *c = &o->c;
  int64_t workers = 2, dbconn = MP_CLI_UNSET, startup = MP_CLI_UNSET;
  const char *mode = "pull", *assign = NULL;
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Pipeline:"),
      MP_OPT_COUNT('w', "workers", &workers, 1, MP_IMPORT_MAX_WORKERS, "N",
                   "worker processes (default 2)"),
      MP_CLI_BACKLOG(c),
      MP_OPT_COUNT(0, "startup-backlog", &startup, 0, INT64_MAX, "N",
                   "records produced before the workers' first commit\n"
                   "(default " MP_CLI_STR(MP_PRODUCER_STARTUP_BACKLOG)
                   "; 0 = only --max-backlog): a large\n"
                   "input does not take the cores while they start;\n"
                   "then each record committed lets "
                   MP_CLI_STR(MP_PRODUCER_CREDIT_GROWTH) " more\n"
                   "through, up to --max-backlog"),
      MP_CLI_WINDOW(c),
      MP_OPT_COUNT(0, "db-connections", &dbconn, 1, 1000, "N",
                   "database connections of the whole job, shared by\n"
                   "the workers (default: the CPUs of this machine, at\n"
                   "least 2; with --db, better the database server's:\n"
                   "more only contend)"),
      MP_OPT_STRING(0, "mode", &mode, "pull|push",
                    "push = workers with an unbounded window, the\n"
                    "push-style baseline for benchmarks (default pull)"),
      MP_OPT_STRING(0, "assign", &assign, "share|group",
                    "how workers get partitions. share: worker i of N\n"
                    "reads the partitions p with p mod N = i, joining no\n"
                    "consumer group (no rebalance wait at start); a\n"
                    "worker that exits is restarted, one silent for\n"
                    MP_CLI_STR(MP_IMPORT_SILENCE_S) " s is killed and restarted. group: the\n"
                    "workers join -G and rebalances move partitions\n"
                    "between them; with -b the first worker joins\n"
                    "first, the others when it has its partitions (or\n"
                    "after " MP_CLI_STR(MP_IMPORT_STAGE_S) " s). Default: share on the embedded\n"
                    "broker, group with -b (other consumers may join)"),
      MP_OPT_GROUP("Matching (what happens to a record that matches an "
                   "existing Instance):"),
      MP_CLI_MATCH(c),
      MP_OPT_GROUP("Input:"),
      MP_CLI_INPUT(c),
      MP_OPT_GROUP("Mapping (FOLIO's rule format, schemas/mapping/README.md):"),
      MP_CLI_MAPPING(c),
      MP_OPT_GROUP("Kafka:"),
      MP_CLI_KAFKA(c),
      MP_CLI_REPLICATION(c),
      MP_CLI_GROUP_ID(c),
      MP_CLI_TOPIC(c),
      MP_CLI_TENANT(c),
      MP_OPT_GROUP("PostgreSQL:"),
      MP_CLI_DB(c),
      MP_OPT_GROUP("Jobs:"),
      MP_OPT_COUNT(0, "resume", &o->resume, 1, INT64_MAX, "JOB",
                   "finish job JOB, cancelled (`marcpipe cancel`, Ctrl-C)\n"
                   "or STALLED (its processes gone): the records already\n"
                   "in its log are not written again, the result equals\n"
                   "an uninterrupted run; FILE defaults to the job's own"),
      MP_OPT_GROUP("Output:"),
      MP_OPT_FLAG(0, "json", &o->json,
                  "print the summary as one JSON object (last line)"),
      MP_OPT_FLAG('q', "quiet", &o->quiet, "no progress display"),
      MP_OPT_FLAG('v', "verbose", &o->verbose,
                  "workers log assignments, pauses, resumes and stall\n"
                  "checks"),
      MP_OPT_HELP(),
      MP_OPT_END()};
  mp_opt_find(opts, "partitions")->help =
      "partitions of the records topic (default 8; with -b\n"
      "only when it is created: an existing topic keeps its\n"
      "own); sizes the default backlog";
  mp_opt_find(opts, "window")->help =
      "records a worker holds at most (default: its share\n"
      "of --max-backlog, the backlog of the most\n"
      "partitions one worker can get, ceil(partitions /\n"
      "workers); at most 20000); 0 = unbounded";
  mp_opt_find(opts, "window-bytes")->help =
      "bytes a worker holds at most (default: its share of\n"
      "--max-backlog-bytes the same way; at most 64M)";
  mp_opt_find(opts, "sinks")->help =
      "batches in flight per worker, one database\n"
      "connection each (default: ceil(--db-connections /\n"
      "workers), at least 1, at most 2)";
  mp_opt_find(opts, "brokers")->help =
      "a real Kafka cluster (default $MARCPIPE_BROKERS, else\n"
      "the embedded broker); missing topics are created\n"
      "(records, dead-letter, completion); an existing\n"
      "records topic is used with its own partitions.\n"
      "Unreachable within $MARCPIPE_KAFKA_TIMEOUT seconds\n"
      "(default 10): the job FAILED with the reason";
  mp_opt_find(opts, "group")->help =
      "consumer group (default " MP_WORKER_DEFAULT_GROUP "; with the\n"
      "embedded broker a per-run suffix is added)";
  mp_opt_find(opts, "db")->help =
      "libpq connection string (default: $MARCPIPE_DB, else\n"
      "the PG* environment, else the managed local\n"
      "PostgreSQL of --state-dir, started when needed);\n"
      "workers get it through their environment, never\n"
      "their command line";
  const mp_opt_usage_t u = {"marcpipe import [options] FILE...",
                            import_description, import_footer};
  int rc = mp_cli_parse(c, opts, &u, argc, argv);
  if (rc >= 0)
    return rc;
  if (!strcmp(mode, "push"))
    o->push = true;
  else if (strcmp(mode, "pull"))
    return mp__cli_bad_usage("import", "--mode wants pull or push (got '%s')",
                             mode);
  if (assign && strcmp(assign, "share") && strcmp(assign, "group"))
    return mp__cli_bad_usage("import",
                             "--assign wants share or group (got '%s')",
                             assign);
  o->share = assign ? !strcmp(assign, "share") : !c->brokers;
  if (c->nargs == 0 && !o->resume)
    return mp__cli_bad_usage("import", "%s", "no FILE given");
  if (o->resume && c->nargs > 1)
    return mp__cli_bad_usage("import", "%s", "--resume takes at most one FILE");
  o->workers = (int)workers;
  o->brokers = c->brokers;
  o->props = c->props;
  o->nprops = c->nprops;
  o->db = c->db;
  o->state_dir = c->state_dir;
  o->tenant = c->tenant;
  o->env = c->env;
  o->ns = c->ns;
  o->group = c->group;
  o->topic = c->topic;
  o->from = c->from;
  o->charset = c->charset;
  o->window = c->window;
  o->window_bytes = c->window_bytes;
  o->batch = c->batch;
  o->sinks = c->sinks;
  o->latency = c->sink_latency_ms;
  o->profile = c->profile;
  o->rules = c->rules;
  o->refdata = c->refdata;
  /* the backlog bounds the producer and sizes the windows; 0 = off, as in
   * produce */
  mp_cli_backlog(c, &o->partitions, &o->max_backlog, &o->max_backlog_bytes);
  o->startup_backlog = startup == MP_CLI_UNSET ? MP_PRODUCER_STARTUP_BACKLOG
                                               : startup;
  if (dbconn != MP_CLI_UNSET) {
    o->db_connections = (int)dbconn;
  } else { /* the managed server's cores, at least 2 */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->db_connections = cpus > 2 ? (cpus > 1000 ? 1000 : (int)cpus) : 2;
  }
  /* every FILE is checked before the first job exists */
  for (int i = 0; i < c->nargs; i++)
    if (mp_cli_check_input(c, c->args[i]))
      return 1;
  return -1; /* go on */
}

static int open_conn(import_t *im, PGconn **c, char *err, size_t n) {
  return mp_pg_connect(im->conninfo, im->o->tenant, c, err, n);
}

int cmd_import(int argc, char **argv) {
  /* producer and embedded broker: big buffers reused, not remapped (alloc.h) */
  mp_alloc_reuse_buffers();
  opts_t o = {.workers = 2};
  mp_cli_init(&o.c, "import");
  int prc = parse_opts(argc, argv, &o);
  if (prc >= 0) {
    mp_cli_release(&o.c);
    return prc;
  }
  int nfiles = o.c.nargs;
  char **files = o.c.args;
  char *resume_file[1] = {NULL};

  import_t im;
  memset(&im, 0, sizeof im);
  im.o = &o;
  im.loop = uv_default_loop();
  mp_progress_init(&im.progress, stderr, o.quiet);
  char err[1024];
  int rc = 1;
  job_run_t *jobs = calloc((size_t)(nfiles ? nfiles : 1), sizeof *jobs);
  char self[4096];
  size_t selflen = sizeof self;
  if (!jobs || uv_exepath(self, &selflen)) {
    fprintf(stderr, "marcpipe import: out of memory\n");
    free(jobs);
    mp_cli_release(&o.c);
    return 1;
  }
  if (o.topic)
    snprintf(im.topic, sizeof im.topic, "%s", o.topic);
  else if (mp_topic_name(im.topic, sizeof im.topic, o.env, o.ns, o.tenant,
                         MP_EVENT_RECORD)) {
    fprintf(stderr,
            "marcpipe import: invalid topic parts (--env, --namespace)\n");
    goto out;
  }
  if (resolve_db(&im))
    goto out;
  if (open_conn(&im, &im.ctl, err, sizeof err) ||
      open_conn(&im, &im.poll, err, sizeof err) ||
      open_conn(&im, &im.pconn, err, sizeof err)) {
    fprintf(stderr, "marcpipe import: database: %s\n", err);
    goto out;
  }
  im.ppg.conn = (struct pg_conn *)im.pconn;
  im.ppg.tenant = im.o->tenant;
  im.ppg.data = &im;
  mp_producer_pg_ops(&im.ppg, &im.ops);
  im.pg_fail = im.ops.fail;
  im.ops.fail = import_fail;
  if (o.resume && !nfiles) { /* the job's own file */
    mp_job_summary_t js;
    if (mp_job_get(im.ctl, o.resume, &js, err, sizeof err) ||
        !(resume_file[0] = strdup(js.file_name))) {
      fprintf(stderr, "marcpipe import: %s\n", err);
      goto out;
    }
    files = resume_file;
    nfiles = 1;
  }
  if (start_broker(&im, err, sizeof err)) {
    fprintf(stderr, "marcpipe import: embedded broker: %s\n", err);
    goto out;
  }
  if ((rc = check_workers(&im, self))) {
    if (rc == 1)
      fprintf(stderr, "marcpipe import: cannot run %s work --check-options\n",
              self);
    goto out;
  }
  rc = 1;
  uv_timer_init(im.loop, &im.tick);
  im.tick.data = &im;
  uv_signal_init(im.loop, &im.sigint);
  uv_signal_init(im.loop, &im.sigterm);
  im.sigint.data = im.sigterm.data = &im;
  uv_signal_start(&im.sigint, on_signal, SIGINT);
  uv_signal_start(&im.sigterm, on_signal, SIGTERM);

  rc = 0;
  for (int i = 0; i < nfiles && !im.interrupted && !im.kafka_failed; i++) {
    jobs[i].file = files[i];
    if (run_job(&im, &jobs[i], self)) {
      rc = 1;
      continue;
    }
    if (jobs[i].sum.status != MP_JOB_COMPLETED)
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
    /* the summary is the database's, read once the workers have written
     * their last batches (after an interrupt they finish the batches in
     * flight after the job's loop ended) */
    if (im.ctl && (mp_pg_ready(im.ctl, o.tenant, err, sizeof err) ||
                   mp_job_get(im.ctl, jobs[i].id, &jobs[i].sum, err, sizeof err)))
      fprintf(stderr,
              "marcpipe import: job %lld: cannot read the final counters: %s\n",
              (long long)jobs[i].id, err);
    else
      mp_job_self_matches(im.ctl, jobs[i].id, &jobs[i].self, err, sizeof err);
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
  mp_lease_stop(im.lease);
  free(resume_file[0]);
  free(jobs);
  mp_cli_release(&o.c);
  return rc;
}
