/* admin.c: reach a Kafka cluster within a bounded time; create the topics
 * marcpipe needs, and delete them, with the Admin API (kafka_admin.h).
 *
 * Each call makes a short-lived client of its own (a producer handle, the
 * kind librdkafka's Admin API runs on) with only the shared -X properties
 * (props.c: security, sockets, client id), whose log lines are dropped: what
 * went wrong is said once, by the caller, naming the bootstrap servers. Its
 * error callback keeps librdkafka's first specific reason (connection
 * refused, name not resolved, SASL authentication failed) for that line.
 *
 * mp_kafka_topics_delete removes topics a benchmark made (DeleteTopics).
 *
 * Metadata is asked for all topics, never for one by name: a metadata
 * request that names a topic lets a cluster with auto.create.topics.enable
 * create it with the broker's defaults, which is exactly what the Admin API
 * path exists to avoid. A CreateTopics denied by the cluster's authorizer
 * (TOPIC_ or CLUSTER_AUTHORIZATION_FAILED) is one line naming the topic and
 * the CREATE right. Blocking; any thread; nothing shared between calls.
 */
#include "marcpipe/kafka_admin.h"

#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char reason[200];
  bool specific; /* reason is more than "N/N brokers are down" */
} admin_state_t;

typedef struct {
  rd_kafka_t *rk;
  admin_state_t st;
  int timeout_ms;
  const char *brokers;
} admin_t;

int mp_kafka_timeout_ms(void) {
  const char *s = getenv(MP_KAFKA_TIMEOUT_ENV);
  if (!s || !*s)
    return MP_KAFKA_DEFAULT_TIMEOUT_MS;
  char *end;
  double v = strtod(s, &end);
  if (*end || !(v >= 0.1 && v <= 3600))
    return MP_KAFKA_DEFAULT_TIMEOUT_MS;
  return (int)(v * 1000);
}

static void drop_log(const rd_kafka_t *rk, int level, const char *fac,
                     const char *buf) {}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
  admin_state_t *st = opaque;
  bool specific = err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
  if (st->specific && !specific)
    return;
  if (st->specific && specific)
    return; /* the first specific reason is the cause; later ones repeat it */
  snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
  /* "... Connection refused (after 0ms in state CONNECT)": the state is
   * librdkafka's, not the user's concern */
  char *after = strstr(st->reason, " (after ");
  if (after)
    *after = '\0';
  st->specific = specific;
}

static int admin_open(admin_t *a, const mp_kafka_admin_opts_t *o,
                      char *errbuf, size_t errlen) {
  memset(a, 0, sizeof *a);
  a->brokers = o->brokers;
  a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : mp_kafka_timeout_ms();
  if (!o->brokers || !*o->brokers) {
    snprintf(errbuf, errlen, "no Kafka bootstrap servers given");
    return MP_EUSAGE;
  }
  const char **all = calloc(o->nprops + 1, sizeof *all);
  if (!all) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  size_t n = 0;
  all[n++] = "client.id=marcpipe-admin";
  for (size_t i = 0; i < o->nprops; i++)
    all[n++] = o->props[i];
  rd_kafka_conf_t *conf =
      mp_kafka_conf_new_for(MP_KAFKA_ADMIN, o->brokers, all, n, errbuf, errlen);
  free(all);
  if (!conf)
    return MP_ECONFIG;
  rd_kafka_conf_set_log_cb(conf, drop_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_opaque(conf, &a->st);
  char e[256];
  a->rk = mp_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
  if (!a->rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(errbuf, errlen, "cannot create a Kafka client: %s", e);
    return MP_EKAFKA;
  }
  return 0;
}

static void admin_close(admin_t *a) {
  if (a->rk)
    rd_kafka_destroy(a->rk);
  a->rk = NULL;
}

static void unreachable(admin_t *a, rd_kafka_resp_err_t err, char *errbuf,
                        size_t errlen) {
  rd_kafka_poll(a->rk, 0); /* serve the error callback */
  const char *why = a->st.reason[0] ? a->st.reason : rd_kafka_err2str(err);
  snprintf(errbuf, errlen,
           "cannot reach Kafka at %s within %g s (%s): are the brokers "
           "reachable?",
           a->brokers, a->timeout_ms / 1000.0, why);
}

static int metadata(admin_t *a, int timeout_ms,
                    const struct rd_kafka_metadata **md, char *errbuf,
                    size_t errlen) {
  rd_kafka_resp_err_t err = rd_kafka_metadata(a->rk, 1, NULL, md, timeout_ms);
  if (err) {
    *md = NULL;
    unreachable(a, err, errbuf, errlen);
    return MP_EKAFKA;
  }
  return 0;
}

int mp_kafka_probe(const mp_kafka_admin_opts_t *o, int *nbrokers,
                   char *errbuf, size_t errlen) {
  admin_t a;
  int rc = admin_open(&a, o, errbuf, errlen);
  const struct rd_kafka_metadata *md = NULL;
  if (!rc)
    rc = metadata(&a, a.timeout_ms, &md, errbuf, errlen);
  if (!rc && nbrokers)
    *nbrokers = md->broker_cnt;
  if (md)
    rd_kafka_metadata_destroy(md);
  admin_close(&a);
  return rc;
}

static const struct rd_kafka_metadata_topic *
find_topic(const struct rd_kafka_metadata *md, const char *name) {
  for (int i = 0; i < md->topic_cnt; i++)
    if (!strcmp(md->topics[i].topic, name) && !md->topics[i].err)
      return &md->topics[i];
  return NULL;
}

/* Every partition of t has a leader: producers and consumers can use it. */
static bool topic_ready(const struct rd_kafka_metadata_topic *t) {
  if (!t || t->partition_cnt < 1)
    return false;
  for (int i = 0; i < t->partition_cnt; i++)
    if (t->partitions[i].leader < 0)
      return false;
  return true;
}

static bool not_authorized(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* A denied CreateTopics: one line naming the topic and the right. The
 * cluster answers the same for an existing topic the principal may not
 * DESCRIBE (it does not tell such a principal whether the topic exists). */
static void denied(const char *topic, char *errbuf, size_t errlen) {
  snprintf(errbuf, errlen,
           "cannot create topic '%s': not authorized (the principal needs "
           "CREATE on the topic or the cluster)", topic);
}

static const char *hint(rd_kafka_resp_err_t err) {
  switch (err) {
  case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    return ": lower --replication-factor";
  default:
    return "";
  }
}

/* One Admin API request: its options (both timeouts: the admin's), its
 * reply queue and, once polled, its result event. */
typedef struct {
  rd_kafka_AdminOptions_t *ao;
  rd_kafka_queue_t *q;
  rd_kafka_event_t *ev;
} admin_req_t;

/* -1 with e saying why; admin_req_end releases r either way. */
static int admin_request(admin_t *a, rd_kafka_admin_op_t op, admin_req_t *r,
                         char *e, size_t elen) {
  r->ao = rd_kafka_AdminOptions_new(a->rk, op);
  r->q = rd_kafka_queue_new(a->rk);
  r->ev = NULL;
  snprintf(e, elen, "out of memory");
  if (!r->ao || !r->q ||
      rd_kafka_AdminOptions_set_request_timeout(r->ao, a->timeout_ms, e, elen) ||
      rd_kafka_AdminOptions_set_operation_timeout(r->ao, a->timeout_ms, e, elen))
    return -1;
  return 0;
}

/* The result event of a sent request, NULL when none came in time. */
static rd_kafka_event_t *admin_wait(admin_t *a, admin_req_t *r) {
  return r->ev = rd_kafka_queue_poll(r->q, a->timeout_ms + 2000);
}

static void admin_req_end(admin_req_t *r) {
  if (r->ev)
    rd_kafka_event_destroy(r->ev);
  if (r->q)
    rd_kafka_queue_destroy(r->q);
  if (r->ao)
    rd_kafka_AdminOptions_destroy(r->ao);
}

static int create_missing(admin_t *a, mp_topic_spec_t *topics, size_t n,
                          int nbrokers, char *errbuf, size_t errlen) {
  rd_kafka_NewTopic_t **nt = calloc(n, sizeof *nt);
  admin_req_t req = {0};
  rd_kafka_event_t *ev = NULL;
  size_t cnt = 0;
  int rc = MP_EKAFKA;
  char e[512];
  if (!nt) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if (!topics[i].created)
      continue; /* marked "to create" by the caller */
    int rf = topics[i].replication_factor > 0 ? topics[i].replication_factor
             : nbrokers < 3                   ? nbrokers
                                              : 3;
    topics[i].replication_factor = rf;
    nt[cnt] = rd_kafka_NewTopic_new(topics[i].name, topics[i].partitions, rf,
                                    e, sizeof e);
    if (!nt[cnt]) {
      snprintf(errbuf, errlen, "cannot create topic %s: %s", topics[i].name, e);
      rc = MP_ECONFIG;
      goto out;
    }
    if (rf >= 3 &&
        rd_kafka_NewTopic_set_config(nt[cnt], "min.insync.replicas", "2")) {
      snprintf(errbuf, errlen, "cannot create topic %s: out of memory",
               topics[i].name);
      goto out;
    }
    cnt++;
  }
  if (!cnt) {
    rc = 0;
    goto out;
  }
  if (admin_request(a, RD_KAFKA_ADMIN_OP_CREATETOPICS, &req, e, sizeof e)) {
    snprintf(errbuf, errlen, "cannot create topics: %s", e);
    goto out;
  }
  rd_kafka_CreateTopics(a->rk, nt, cnt, req.ao, req.q);
  ev = admin_wait(a, &req);
  if (!ev || rd_kafka_event_error(ev)) {
    for (size_t i = 0; i < n; i++)
      if (topics[i].created) { /* name the first topic asked for */
        if (ev && not_authorized(rd_kafka_event_error(ev)))
          denied(topics[i].name, errbuf, errlen);
        else
          snprintf(errbuf, errlen, "cannot create topic %s: %s",
                   topics[i].name,
                   ev ? rd_kafka_event_error_string(ev) : "no answer in time");
        break;
      }
    goto out;
  }
  size_t nres;
  const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(ev), &nres);
  /* in the order asked for: the first failure named is the records
   * topic's when it has one */
  for (size_t j = 0; j < n; j++) {
    const rd_kafka_topic_result_t *r = NULL;
    for (size_t i = 0; i < nres && topics[j].created && !r; i++)
      if (!strcmp(rd_kafka_topic_result_name(res[i]), topics[j].name))
        r = res[i];
    rd_kafka_resp_err_t err = r ? rd_kafka_topic_result_error(r) : 0;
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      topics[j].created = false; /* another client won the race: use it */
      continue;
    }
    if (not_authorized(err)) {
      denied(topics[j].name, errbuf, errlen);
      goto out;
    }
    if (err) {
      const char *s = rd_kafka_topic_result_error_string(r);
      snprintf(errbuf, errlen, "cannot create topic %s: %s (%s)%s",
               topics[j].name, rd_kafka_err2name(err),
               s && *s ? s : rd_kafka_err2str(err), hint(err));
      goto out;
    }
  }
  rc = 0;
out:
  for (size_t i = 0; i < cnt; i++)
    rd_kafka_NewTopic_destroy(nt[i]);
  free(nt);
  admin_req_end(&req);
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mp_kafka_topics_ensure(const mp_kafka_admin_opts_t *o,
                           mp_topic_spec_t *topics, size_t n, char *errbuf,
                           size_t errlen) {
  admin_t a;
  const struct rd_kafka_metadata *md = NULL;
  int rc = admin_open(&a, o, errbuf, errlen);
  if (!rc)
    rc = metadata(&a, a.timeout_ms, &md, errbuf, errlen);
  if (rc)
    goto out;
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    if (topics[i].partitions < 1)
      topics[i].partitions = 1;
    topics[i].created = !find_topic(md, topics[i].name);
    any |= topics[i].created;
  }
  if (any) {
    rc = create_missing(&a, topics, n, md->broker_cnt, errbuf, errlen);
    if (rc)
      goto out;
  }
  /* Until every topic shows with a leader for each partition: a producer
   * that starts earlier may be told the topic is unknown. */
  double deadline = now_s() + a.timeout_ms / 1000.0;
  for (;;) {
    bool ready = true;
    for (size_t i = 0; i < n; i++) {
      const struct rd_kafka_metadata_topic *t = find_topic(md, topics[i].name);
      ready &= topic_ready(t);
      if (t) {
        topics[i].partitions_found = t->partition_cnt;
        topics[i].replication_found =
            t->partition_cnt ? t->partitions[0].replica_cnt : 0;
      }
    }
    if (ready)
      break;
    if (now_s() > deadline) {
      for (size_t i = 0; i < n; i++)
        if (!topic_ready(find_topic(md, topics[i].name))) {
          snprintf(errbuf, errlen,
                   "topic %s has no leader for every partition after %g s",
                   topics[i].name, a.timeout_ms / 1000.0);
          break;
        }
      rc = MP_EKAFKA;
      goto out;
    }
    rd_kafka_metadata_destroy(md);
    md = NULL;
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    rc = metadata(&a, a.timeout_ms, &md, errbuf, errlen);
    if (rc)
      goto out;
  }
out:
  if (md)
    rd_kafka_metadata_destroy(md);
  admin_close(&a);
  return rc;
}

int mp_kafka_topics_delete(const mp_kafka_admin_opts_t *o,
                           const char *const *names, size_t n, size_t *ndeleted,
                           char *errbuf, size_t errlen) {
  admin_t a;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_DeleteTopic_t **dt = calloc(n + 1, sizeof *dt);
  admin_req_t req = {0};
  rd_kafka_event_t *ev = NULL;
  size_t cnt = 0;
  char e[512];
  *ndeleted = 0;
  if (!dt) {
    snprintf(errbuf, errlen, "out of memory");
    return MP_ENOMEM;
  }
  int rc = admin_open(&a, o, errbuf, errlen);
  if (!rc)
    rc = metadata(&a, a.timeout_ms, &md, errbuf, errlen);
  if (rc)
    goto out;
  const char *first = NULL; /* named when the whole request fails */
  for (size_t i = 0; i < n; i++) /* only those that exist: never an error */
    if (find_topic(md, names[i]) && (dt[cnt] = rd_kafka_DeleteTopic_new(names[i]))) {
      first = first ? first : names[i];
      cnt++;
    }
  if (!cnt)
    goto out;
  rc = MP_EKAFKA;
  if (admin_request(&a, RD_KAFKA_ADMIN_OP_DELETETOPICS, &req, e, sizeof e)) {
    snprintf(errbuf, errlen, "cannot delete topics: %s", e);
    goto out;
  }
  rd_kafka_DeleteTopics(a.rk, dt, cnt, req.ao, req.q);
  ev = admin_wait(&a, &req);
  if (!ev || rd_kafka_event_error(ev)) {
    snprintf(errbuf, errlen, "cannot delete topic %s: %s", first,
             ev ? rd_kafka_event_error_string(ev) : "no answer in time");
    goto out;
  }
  size_t nres;
  const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(ev), &nres);
  rc = 0;
  for (size_t i = 0; i < nres; i++) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    if (!err) {
      (*ndeleted)++;
    } else if (err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && !rc) {
      snprintf(errbuf, errlen, "cannot delete topic %s: %s",
               rd_kafka_topic_result_name(res[i]), rd_kafka_err2str(err));
      rc = MP_EKAFKA;
    }
  }
out:
  for (size_t i = 0; i < cnt; i++)
    rd_kafka_DeleteTopic_destroy(dt[i]);
  free(dt);
  admin_req_end(&req);
  if (md)
    rd_kafka_metadata_destroy(md);
  admin_close(&a);
  return rc;
}
