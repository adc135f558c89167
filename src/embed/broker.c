/* broker.c: hosts librdkafka's mock cluster in this process and runs the
 * fault-injection control commands.
 *
 * The host handle is a producer-type rd_kafka_t that never produces; the
 * mock cluster lives on its threads until mp_broker_stop. Topics must be
 * created here before clients use them (see broker.h for the mock's
 * limits). Control lines are parsed by a table of commands; each command
 * maps to one rd_kafka_mock_* call.
 */
#include "marcpipe/broker.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mp_broker_s {
  rd_kafka_t *host;
  rd_kafka_mock_cluster_t *mc;
  int nbrokers;
};

int mp_broker_nbrokers(const mp_broker_t *b) { return b->nbrokers; }

const char *mp_broker_bootstraps(const mp_broker_t *b) {
  return rd_kafka_mock_cluster_bootstraps(b->mc);
}

int mp_broker_topic_create(mp_broker_t *b, const char *topic,
                           int partitions) {
  if (!topic || !*topic || partitions <= 0)
    return MP_EUSAGE;
  int rf = b->nbrokers < 3 ? b->nbrokers : 3;
  return rd_kafka_mock_topic_create(b->mc, topic, partitions, rf) ? MP_EKAFKA
                                                                  : 0;
}

int mp_broker_start(const mp_broker_opts_t *opts, mp_broker_t **out,
                    char *errbuf, size_t errlen) {
  char err[256];
  int rc = 0;
  mp_broker_opts_t o = {0};
  if (opts)
    o = *opts;
  if (o.nbrokers <= 0)
    o.nbrokers = 3;
  if (o.partitions <= 0)
    o.partitions = 8;
  *out = NULL;
  mp_broker_t *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  b->nbrokers = o.nbrokers;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The host never talks to a cluster itself: silence its own warnings
   * (no bootstrap servers) but keep errors. */
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_conf_set(conf, "client.id", "marcpipe-broker", err, sizeof err);
  b->host = mp_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!b->host) {
    rd_kafka_conf_destroy(conf);
    snprintf(errbuf, errlen, "cannot start the broker host: %s", err);
    rc = MP_EKAFKA;
    goto out;
  }
  sigset_t saved; /* its thread must never take a signal (threads.c) */
  mp_kafka_signals_block(&saved);
  b->mc = rd_kafka_mock_cluster_new(b->host, o.nbrokers);
  mp_kafka_signals_restore(&saved);
  if (!b->mc) {
    snprintf(errbuf, errlen, "cannot start a mock cluster of %d brokers",
             o.nbrokers);
    rc = MP_EKAFKA;
    goto out;
  }
  for (size_t i = 0; i < o.ntopics; i++) {
    int p = o.topics[i].partitions > 0 ? o.topics[i].partitions : o.partitions;
    if (mp_broker_topic_create(b, o.topics[i].name, p) != 0) {
      snprintf(errbuf, errlen, "cannot create topic %s with %d partitions",
               o.topics[i].name ? o.topics[i].name : "", p);
      rc = MP_EKAFKA;
      goto out;
    }
  }
out:
  if (rc != 0)
    mp_broker_stop(b);
  else
    *out = b;
  return rc;
}

void mp_broker_stop(mp_broker_t *b) {
  if (!b)
    return;
  if (b->mc)
    rd_kafka_mock_cluster_destroy(b->mc);
  if (b->host)
    rd_kafka_destroy(b->host);
  free(b);
}

/* ---- control commands ---- */

static const struct {
  const char *name;
  int16_t key;
} apis[] = {
    {"Produce", 0},         {"Fetch", 1},          {"ListOffsets", 2},
    {"Metadata", 3},        {"OffsetCommit", 8},   {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},    {"Heartbeat", 12},
    {"LeaveGroup", 13},     {"SyncGroup", 14},     {"InitProducerId", 22},
    {"AddPartitionsToTxn", 24}, {"EndTxn", 26},
};

static int parse_int(const char *s, long lo, long hi, long *v) {
  char *end;
  if (!s)
    return -1;
  long x = strtol(s, &end, 10);
  if (end == s || *end || x < lo || x > hi)
    return -1;
  *v = x;
  return 0;
}

static int parse_api(const char *s, int16_t *key) {
  long v;
  for (size_t i = 0; s && i < sizeof apis / sizeof *apis; i++)
    if (strcasecmp(s, apis[i].name) == 0) {
      *key = apis[i].key;
      return 0;
    }
  if (parse_int(s, 0, 100, &v) != 0)
    return -1;
  *key = (int16_t)v;
  return 0;
}

static int parse_errcode(const char *s, rd_kafka_resp_err_t *code) {
  const struct rd_kafka_err_desc *d;
  size_t n;
  long v;
  if (!s)
    return -1;
  if (parse_int(s, -200, 1000, &v) == 0) {
    *code = (rd_kafka_resp_err_t)v;
    return 0;
  }
  if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
    s += 18;
  rd_kafka_get_err_descs(&d, &n);
  for (size_t i = 0; i < n; i++)
    if (d[i].name && strcasecmp(d[i].name, s) == 0) {
      *code = d[i].code;
      return 0;
    }
  return -1;
}

#define MAX_ARGS 6
typedef struct {
  const char *name;
  int nargs;
  const char *usage;
  int (*run)(mp_broker_t *b, char **av, char *reply, size_t n);
} command_t;

static int bad(char *reply, size_t n, const char *what) {
  snprintf(reply, n, "error: %s", what);
  return MP_EUSAGE;
}

static int kafka_result(rd_kafka_resp_err_t e, char *reply, size_t n) {
  if (e) {
    snprintf(reply, n, "error: %s", rd_kafka_err2str(e));
    return MP_EKAFKA;
  }
  snprintf(reply, n, "ok");
  return 0;
}

static int broker_id(mp_broker_t *b, const char *s, int32_t *id) {
  long v;
  if (parse_int(s, 1, b->nbrokers, &v) != 0)
    return -1;
  *id = (int32_t)v;
  return 0;
}

static int run_topic(mp_broker_t *b, char **av, char *reply, size_t n) {
  long p;
  if (parse_int(av[1], 1, 10000, &p) != 0)
    return bad(reply, n, "PARTITIONS must be 1..10000");
  if (mp_broker_topic_create(b, av[0], (int)p) != 0) {
    snprintf(reply, n, "error: cannot create topic %s", av[0]);
    return MP_EKAFKA;
  }
  snprintf(reply, n, "ok");
  return 0;
}

static int run_err(mp_broker_t *b, char **av, char *reply, size_t n) {
  int16_t key;
  long cnt;
  rd_kafka_resp_err_t code;
  if (parse_api(av[0], &key) != 0)
    return bad(reply, n, "unknown API (see --help)");
  if (parse_int(av[1], 1, 1000000, &cnt) != 0)
    return bad(reply, n, "COUNT must be 1..1000000");
  if (parse_errcode(av[2], &code) != 0)
    return bad(reply, n, "unknown error CODE");
  rd_kafka_resp_err_t *errs = malloc((size_t)cnt * sizeof *errs);
  if (!errs)
    return bad(reply, n, "out of memory");
  for (long i = 0; i < cnt; i++)
    errs[i] = code;
  rd_kafka_mock_push_request_errors_array(b->mc, key, (size_t)cnt, errs);
  free(errs);
  snprintf(reply, n, "ok");
  return 0;
}

static int run_clear(mp_broker_t *b, char **av, char *reply, size_t n) {
  int16_t key;
  if (parse_api(av[0], &key) != 0)
    return bad(reply, n, "unknown API (see --help)");
  rd_kafka_mock_clear_request_errors(b->mc, key);
  snprintf(reply, n, "ok");
  return 0;
}

static int run_down(mp_broker_t *b, char **av, char *reply, size_t n) {
  int32_t id;
  if (broker_id(b, av[0], &id) != 0)
    return bad(reply, n, "BROKER must be 1..number of brokers");
  return kafka_result(rd_kafka_mock_broker_set_down(b->mc, id), reply, n);
}

static int run_up(mp_broker_t *b, char **av, char *reply, size_t n) {
  int32_t id;
  if (broker_id(b, av[0], &id) != 0)
    return bad(reply, n, "BROKER must be 1..number of brokers");
  return kafka_result(rd_kafka_mock_broker_set_up(b->mc, id), reply, n);
}

static int run_leader(mp_broker_t *b, char **av, char *reply, size_t n) {
  long p;
  int32_t id;
  if (parse_int(av[1], 0, 100000, &p) != 0)
    return bad(reply, n, "PARTITION must be a number");
  if (broker_id(b, av[2], &id) != 0)
    return bad(reply, n, "BROKER must be 1..number of brokers");
  return kafka_result(
      rd_kafka_mock_partition_set_leader(b->mc, av[0], (int32_t)p, id), reply,
      n);
}

static int run_rtt(mp_broker_t *b, char **av, char *reply, size_t n) {
  int32_t id;
  long ms;
  if (broker_id(b, av[0], &id) != 0)
    return bad(reply, n, "BROKER must be 1..number of brokers");
  if (parse_int(av[1], 0, 600000, &ms) != 0)
    return bad(reply, n, "MS must be 0..600000");
  return kafka_result(rd_kafka_mock_broker_set_rtt(b->mc, id, (int)ms), reply,
                      n);
}

static int run_coordinator(mp_broker_t *b, char **av, char *reply, size_t n) {
  int32_t id;
  if (strcmp(av[0], "group") != 0 && strcmp(av[0], "txn") != 0)
    return bad(reply, n, "coordinator type must be group or txn");
  if (broker_id(b, av[2], &id) != 0)
    return bad(reply, n, "BROKER must be 1..number of brokers");
  return kafka_result(rd_kafka_mock_coordinator_set(b->mc, av[0], av[1], id),
                      reply, n);
}

static int run_bootstrap(mp_broker_t *b, char **av, char *reply, size_t n) {
  snprintf(reply, n, "%s", mp_broker_bootstraps(b));
  return 0;
}

static const command_t commands[] = {
    {"topic", 2, "topic NAME PARTITIONS", run_topic},
    {"err", 3, "err API COUNT CODE", run_err},
    {"clear", 1, "clear API", run_clear},
    {"down", 1, "down BROKER", run_down},
    {"up", 1, "up BROKER", run_up},
    {"leader", 3, "leader TOPIC PARTITION BROKER", run_leader},
    {"rtt", 2, "rtt BROKER MS", run_rtt},
    {"coordinator", 3, "coordinator group|txn KEY BROKER", run_coordinator},
    {"bootstrap", 0, "bootstrap", run_bootstrap},
};

int mp_broker_control(mp_broker_t *b, const char *line, char *reply,
                      size_t n) {
  char copy[512];
  char *av[MAX_ARGS + 1];
  int ac = 0;
  char *save = NULL;
  if (n)
    reply[0] = '\0';
  if (strlen(line) >= sizeof copy)
    return bad(reply, n, "line too long");
  strcpy(copy, line);
  for (char *t = strtok_r(copy, " \t\r\n", &save); t;
       t = strtok_r(NULL, " \t\r\n", &save)) {
    if (ac == MAX_ARGS + 1)
      return bad(reply, n, "too many arguments");
    av[ac++] = t;
  }
  if (ac == 0 || av[0][0] == '#')
    return 1;
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    if (strcmp(av[0], commands[i].name) != 0)
      continue;
    if (ac - 1 != commands[i].nargs) {
      snprintf(reply, n, "error: usage: %s", commands[i].usage);
      return MP_EUSAGE;
    }
    return commands[i].run(b, av + 1, reply, n);
  }
  snprintf(reply, n, "error: unknown command %.64s", av[0]);
  return MP_EUSAGE;
}
