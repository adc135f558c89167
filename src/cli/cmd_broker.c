/* cmd_broker.c: `marcpipe broker`: host the embedded Kafka-protocol broker
 * until SIGINT/SIGTERM, print its bootstrap servers, and serve the
 * fault-injection line protocol on stdin (broker.h).
 *
 * One libuv loop: two uv_signal handles and, when stdin is a pipe or a
 * terminal, a stream reader that runs each complete line through
 * mp_broker_control and prints the answer on stdout. A regular file on
 * stdin is read as a script at start. End of stdin does not stop the broker.
 */
#include "cli/commands.h"
#include "marcpipe/broker.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <getopt.h>
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

static void usage(FILE *out) {
  fprintf(out,
          "usage: marcpipe broker [options]\n\n"
          "Run the embedded Kafka-protocol broker (librdkafka's mock cluster)"
          " on loopback\nuntil SIGINT or SIGTERM. The first line on stdout is"
          " the bootstrap servers\n(ports are random on every start). Data is"
          " kept in memory only, and each\npartition keeps at most 5 MiB or"
          " 100,000 message sets: older data is dropped\nsilently, so"
          " producers must bound their backlog (marcpipe produce does).\n\n"
          "options:\n"
          "  --brokers N           brokers in the cluster (default 3)\n"
          "  --partitions N        partitions of each created topic "
          "(default 8)\n"
          "  --topic NAME[:P]      create topic NAME (P partitions); "
          "repeatable\n"
          "  --tenant T            create the tenant's topics: "
          "ENV.Default.T.%s\n"
          "                        (--partitions) plus ENV.Default.T.%s and\n"
          "                        ENV.Default.T.%s (1 partition each);\n"
          "                        default tenant %s when no --topic is "
          "given\n"
          "  --env E               environment prefix of topic names "
          "(default %s)\n"
          "  --bootstrap-file F    also write the bootstrap servers to F "
          "(atomically)\n"
          "  -h, --help            this help\n\n%s",
          MP_EVENT_RECORD, MP_EVENT_JOB_COMPLETED, MP_EVENT_ERROR,
          MP_DEFAULT_TENANT, MP_DEFAULT_ENV, MP_BROKER_CONTROL_HELP);
}

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
static int int_opt(const char *name, const char *arg, int max, int *out) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (end == arg || *end || v < 1 || v > max) {
    fprintf(stderr, "marcpipe broker: %s must be 1..%d\n", name, max);
    return -1;
  }
  *out = (int)v;
  return 0;
}

int cmd_broker(int argc, char **argv) {
  static const struct option longopts[] = {
      {"brokers", required_argument, NULL, 'n'},
      {"partitions", required_argument, NULL, 'p'},
      {"topic", required_argument, NULL, 't'},
      {"tenant", required_argument, NULL, 'T'},
      {"env", required_argument, NULL, 'e'},
      {"bootstrap-file", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  mp_broker_topic_t topics[MAX_TOPICS];
  char names[MAX_TOPICS][256];
  const char *tenants[MAX_TOPICS];
  size_t ntopics = 0, ntenants = 0;
  const char *env = MP_DEFAULT_ENV, *bsfile = NULL;
  int nbrokers = 3, partitions = 8, c, rc = 1;
  char err[512];
  uv_loop_t loop;
  host_t h;
  memset(&h, 0, sizeof h);

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'n':
      if (int_opt("--brokers", optarg, 32, &nbrokers) != 0)
        return 2;
      break;
    case 'p':
      if (int_opt("--partitions", optarg, 10000, &partitions) != 0)
        return 2;
      break;
    case 't': {
      if (ntopics == MAX_TOPICS) {
        fprintf(stderr, "marcpipe broker: too many topics\n");
        return 2;
      }
      snprintf(names[ntopics], sizeof names[ntopics], "%s", optarg);
      char *colon = strchr(names[ntopics], ':');
      topics[ntopics].partitions = 0;
      if (colon) {
        *colon = '\0';
        topics[ntopics].partitions = atoi(colon + 1);
        if (topics[ntopics].partitions < 1) {
          fprintf(stderr, "marcpipe broker: bad partition count in %s\n",
                  optarg);
          return 2;
        }
      }
      topics[ntopics].name = names[ntopics];
      ntopics++;
      break;
    }
    case 'T':
      if (!mp_tenant_valid(optarg)) {
        fprintf(stderr,
                "marcpipe broker: tenant %s must match [a-z][a-z0-9_]{0,30}\n",
                optarg);
        return 2;
      }
      if (ntenants < MAX_TOPICS)
        tenants[ntenants++] = optarg;
      break;
    case 'e':
      env = optarg;
      break;
    case 'f':
      bsfile = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "marcpipe broker: unexpected argument %s\n", argv[optind]);
    return 2;
  }
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

  mp_broker_opts_t opts = {.nbrokers = nbrokers,
                           .partitions = partitions,
                           .topics = topics,
                           .ntopics = ntopics};
  if (mp_broker_start(&opts, &h.broker, err, sizeof err) != 0) {
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
