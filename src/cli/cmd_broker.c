/* cmd_broker.c: `marcpipe broker`: host the embedded Kafka-protocol broker
 * until SIGINT/SIGTERM, print its bootstrap servers, and serve the
 * fault-injection line protocol on stdin (broker.h).
 *
 * One libuv loop: two uv_signal handles and, when stdin is a pipe or a
 * terminal, a stream reader that runs each complete line through
 * mp_broker_control and prints the answer on stdout. A regular file on
 * stdin is read as a script at start. End of stdin does not stop the broker.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "marcpipe/broker.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"
#include "marcpipe/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_TOPICS 64

typedef struct {
  mp_broker_t *broker;
  uv_signal_t sigint, sigterm;
  uv_pipe_t in_pipe;
  uv_tty_t in_tty;
  uv_stream_t *in;
  char line[1024];
  size_t linelen;
  int overflow;
} host_t;

static void run_line(host_t *h, const char *line) {
  char reply[512];
  int rc = mp_broker_control(h->broker, line, reply, sizeof reply);
  if (rc == 1)
    return;
  printf("%s\n", reply);
  fflush(stdout);
}

static void on_alloc(uv_handle_t *hd, size_t sz, uv_buf_t *buf) {
  static char chunk[4096];
  buf->base = chunk;
  buf->len = sizeof chunk;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  host_t *h = s->data;
  if (nread < 0) { /* EOF or error: stop listening, keep serving */
    uv_read_stop(s);
    uv_close((uv_handle_t *)s, NULL);
    h->in = NULL;
    return;
  }
  for (ssize_t i = 0; i < nread; i++) {
    char c = buf->base[i];
    if (c == '\n') {
      h->line[h->linelen] = '\0';
      if (h->overflow)
        printf("error: line too long\n"), fflush(stdout);
      else
        run_line(h, h->line);
      h->linelen = 0;
      h->overflow = 0;
    } else if (h->linelen + 1 < sizeof h->line) {
      h->line[h->linelen++] = c;
    } else {
      h->overflow = 1;
    }
  }
}

static void on_signal(uv_signal_t *sig, int signum) {
  host_t *h = sig->data;
  uv_close((uv_handle_t *)&h->sigint, NULL);
  uv_close((uv_handle_t *)&h->sigterm, NULL);
  if (h->in) {
    uv_read_stop(h->in);
    uv_close((uv_handle_t *)h->in, NULL);
    h->in = NULL;
  }
}

static int open_stdin(uv_loop_t *loop, host_t *h) {
  uv_handle_type t = uv_guess_handle(0);
  if (t == UV_TTY) {
    if (uv_tty_init(loop, &h->in_tty, 0, 1) != 0)
      return -1;
    h->in = (uv_stream_t *)&h->in_tty;
  } else if (t == UV_NAMED_PIPE || t == UV_TCP) {
    if (uv_pipe_init(loop, &h->in_pipe, 0) != 0)
      return -1;
    if (uv_pipe_open(&h->in_pipe, 0) != 0) {
      uv_close((uv_handle_t *)&h->in_pipe, NULL);
      return -1;
    }
    h->in = (uv_stream_t *)&h->in_pipe;
  } else if (t == UV_FILE) {
    char line[1024];
    while (fgets(line, sizeof line, stdin))
      run_line(h, line);
    return 0;
  } else {
    return 0;
  }
  h->in->data = h;
  return uv_read_start(h->in, on_alloc, on_read);
}

static int write_bootstrap_file(const char *path, const char *bs) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)uv_os_getpid());
  FILE *f = fopen(tmp, "w");
  if (!f)
    return -1;
  int ok = fprintf(f, "%s\n", bs) > 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return -1;
  }
  return 0;
}

/* An integer option in 1..max; complains and returns -1 otherwise. */
typedef struct topics_s {
  mp_broker_topic_t topics[MAX_TOPICS];
  char names[MAX_TOPICS][256];
  const char *tenants[MAX_TOPICS];
  size_t ntopics, ntenants;
} topics_t;

static int opt_topic(const mp_opt_t *o, const char *arg, char *err,
                     size_t n) {
  topics_t *t = o->value;
  if (t->ntopics == MAX_TOPICS) {
    snprintf(err, n, "too many topics (at most %d)", MAX_TOPICS);
    return -1;
  }
  char *name = t->names[t->ntopics];
  snprintf(name, sizeof t->names[0], "%s", arg);
  char *colon = strchr(name, ':');
  uint64_t p = 0;
  if (colon) {
    *colon = '\0';
    if (mp__cli_count(colon + 1, 1000, &p) || !p) {
      snprintf(err, n, "--topic NAME:P wants P in 1..1000 (got '%s')", arg);
      return -1;
    }
  }
  t->topics[t->ntopics].partitions = (int)p;
  t->topics[t->ntopics].name = name;
  t->ntopics++;
  return 0;
}

static int opt_tenant(const mp_opt_t *o, const char *arg, char *err,
                      size_t n) {
  topics_t *t = o->value;
  if (!mp_tenant_valid(arg)) {
    snprintf(err, n, "--tenant wants [a-z][a-z0-9_]{0,30} (got '%s')", arg);
    return -1;
  }
  if (t->ntenants < MAX_TOPICS)
    t->tenants[t->ntenants++] = arg;
  return 0;
}

static const char broker_description[] =
    "Run the embedded Kafka-protocol broker (librdkafka's mock cluster) on\n"
    "loopback until SIGINT or SIGTERM. The first line on stdout is the "
    "bootstrap\nservers (ports are random on every start). Data is kept in "
    "memory only, and\neach partition keeps at most 5 MiB or 100,000 message "
    "sets: older data is\ndropped silently, so producers must bound their "
    "backlog (marcpipe produce does).\n";

int cmd_broker(int argc, char **argv) {
  topics_t tt;
  memset(&tt, 0, sizeof tt);
  mp_broker_topic_t *topics = tt.topics;
  char (*names)[256] = tt.names;
  const char **tenants = tt.tenants;
  mp_cli_t cl;
  mp_cli_init(&cl, "broker");
  const char *bsfile = NULL;
  int64_t nodes = 3;
  int rc = 1;
  char err[512];
  uv_loop_t loop;
  host_t h;
  memset(&h, 0, sizeof h);
  static char tenant_help[256];
  snprintf(tenant_help, sizeof tenant_help,
           "create the tenant's topics (repeatable):\n"
           "ENV.Default.T.%s\n"
           "(--partitions), ENV.Default.T.%s and\n"
           "ENV.Default.T.%s (1 partition each);\n"
           "default tenant %s when no --topic is given",
           MP_EVENT_RECORD, MP_EVENT_JOB_COMPLETED, MP_EVENT_ERROR,
           MP_DEFAULT_TENANT);
  mp_opt_t opts[] = {
      MP_OPT_GROUP("options:"),
      MP_OPT_COUNT(0, "nodes", &nodes, 1, 32, "N",
                   "brokers in the cluster (default 3)"),
      {.kind = MP_OPT_KIND_COUNT, .long_name = "brokers", .argh = "N",
       .value = &nodes, .min = 1, .max = 32,
       .deprecated = "use --nodes N (-b/--brokers is the bootstrap list of "
                     "every other command)"},
      MP_CLI_PARTITIONS(&cl),
      MP_OPT_FN(0, "topic", "NAME[:P]", opt_topic, &tt,
                "create topic NAME (P partitions); repeatable"),
      MP_OPT_FN(0, "tenant", "T", opt_tenant, &tt, tenant_help),
      MP_CLI_ENV(&cl),
      MP_OPT_STRING(0, "bootstrap-file", &bsfile, "F",
                    "also write the bootstrap servers to F (atomically)"),
      MP_OPT_HELP(),
      MP_OPT_TEXT(""),
      MP_OPT_TEXT(MP_BROKER_CONTROL_HELP),
      MP_OPT_END()};
  mp_opt_find(opts, "partitions")->help =
      "partitions of each created topic (default 8)";
  const mp_opt_usage_t u = {"marcpipe broker [options]", broker_description,
                            NULL};
  int prc = mp_cli_parse(&cl, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  if (cl.nargs)
    return mp__cli_bad_usage("broker", "unexpected argument '%s'", cl.args[0]);
  int nbrokers = (int)nodes;
  int partitions = cl.partitions != MP_CLI_UNSET ? (int)cl.partitions : 8;
  const char *env = cl.env;
  size_t ntopics = tt.ntopics, ntenants = tt.ntenants;
  if (ntenants == 0 && ntopics == 0)
    tenants[ntenants++] = MP_DEFAULT_TENANT;
  static const char *const events[] = {MP_EVENT_RECORD,
                                       MP_EVENT_JOB_COMPLETED, MP_EVENT_ERROR};
  for (size_t i = 0; i < ntenants; i++)
    for (size_t e = 0; e < 3; e++) {
      if (ntopics == MAX_TOPICS) {
        fprintf(stderr, "marcpipe broker: too many topics\n");
        return 2;
      }
      if (mp_topic_name(names[ntopics], sizeof names[ntopics], env,
                        MP_DEFAULT_NAMESPACE, tenants[i], events[e]) != 0) {
        fprintf(stderr, "marcpipe broker: invalid topic name part in %s\n",
                env);
        return 2;
      }
      topics[ntopics].name = names[ntopics];
      topics[ntopics].partitions = e == 0 ? 0 : 1;
      ntopics++;
    }

  mp_broker_opts_t bo = {.nbrokers = nbrokers,
                           .partitions = partitions,
                           .topics = topics,
                           .ntopics = ntopics};
  if (mp_broker_start(&bo, &h.broker, err, sizeof err) != 0) {
    fprintf(stderr, "marcpipe broker: %s\n", err);
    return 1;
  }
  const char *bs = mp_broker_bootstraps(h.broker);
  if (bsfile && write_bootstrap_file(bsfile, bs) != 0) {
    fprintf(stderr, "marcpipe broker: cannot write %s\n", bsfile);
    mp_broker_stop(h.broker);
    return 1;
  }
  printf("%s\n", bs);
  fflush(stdout);
  for (size_t i = 0; i < ntopics; i++)
    fprintf(stderr, "marcpipe broker: topic %s\n", topics[i].name);

  uv_loop_init(&loop);
  uv_signal_init(&loop, &h.sigint);
  uv_signal_init(&loop, &h.sigterm);
  h.sigint.data = h.sigterm.data = &h;
  uv_signal_start(&h.sigint, on_signal, SIGINT);
  uv_signal_start(&h.sigterm, on_signal, SIGTERM);
  if (open_stdin(&loop, &h) != 0)
    fprintf(stderr, "marcpipe broker: stdin is not readable, no control "
                    "channel\n");
  uv_run(&loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&loop) == 0 ? 0 : 1;
  mp_broker_stop(h.broker);
  if (bsfile)
    remove(bsfile);
  return rc;
}
