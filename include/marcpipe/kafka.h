/* kafka.h: shared Kafka plumbing: configuration, the libuv bridge, topic
 * names and the message contract (headers). See schemas/events/ for the
 * written, versioned contract.
 *
 * Bridge: librdkafka signals a queue's empty -> non-empty transition by
 * writing to a pipe (rd_kafka_queue_io_event_enable); a uv_poll on the
 * read end wakes the loop, which must then drain the queue completely. A
 * periodic uv_timer is a safety net (and serves rebalance callbacks).
 * Everything here runs on the loop thread.
 */
#ifndef MARCPIPE_KAFKA_H
#define MARCPIPE_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- configuration ---- */

/* A new conf with bootstrap servers and `-X name=value` properties applied
 * in order (later wins). NULL on error with errbuf naming the property.
 * Secrets are never copied into errbuf. */
rd_kafka_conf_t *mp_kafka_conf_new(const char *brokers,
                                   const char *const *props, size_t nprops,
                                   char *errbuf, size_t errlen);
/* True for properties whose values must never be printed (passwords, keys). */
bool mp_kafka_prop_is_secret(const char *name);

/* Which clients a property applies to (props.c): librdkafka's own scope of
 * NAME (or "NAME=value"); names librdkafka does not know are BOTH. */
enum {
  MP_KAFKA_PRODUCER = 1,
  MP_KAFKA_CONSUMER = 2,
  MP_KAFKA_BOTH = 3,
  MP_KAFKA_ADMIN = 4 /* a role only: takes the shared (BOTH) properties */
};
int mp_kafka_prop_scope(const char *name);
/* mp_kafka_conf_new for one kind of client (MP_KAFKA_PRODUCER,
 * MP_KAFKA_CONSUMER or MP_KAFKA_ADMIN): properties of another kind only are
 * left out, so one -X list serves every client without librdkafka's
 * warnings. */
rd_kafka_conf_t *mp_kafka_conf_new_for(int role, const char *brokers,
                                       const char *const *props,
                                       size_t nprops, char *errbuf,
                                       size_t errlen);

/* ---- threads (src/kafka/threads.c) ---- */

/* rd_kafka_new with every signal blocked while it creates its threads, so
 * no signal handler ever runs on a librdkafka thread (an interrupted poll
 * kills the embedded broker). Same contract as rd_kafka_new. */
rd_kafka_t *mp_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                         char *errstr, size_t errlen);
/* Block every signal in the calling thread (previous mask in *saved), for
 * other calls that create librdkafka threads (rd_kafka_mock_cluster_new);
 * mp_kafka_signals_restore puts the mask back. */
void mp_kafka_signals_block(sigset_t *saved);
void mp_kafka_signals_restore(const sigset_t *saved);

/* ---- topic names: env.namespace.tenant.EVENT (FOLIO style) ---- */

#define MP_EVENT_RECORD "DI_INCOMING_MARC_BIB_RECORD"
#define MP_EVENT_JOB_COMPLETED "DI_JOB_COMPLETED"
#define MP_EVENT_ERROR "DI_ERROR"            /* dead-letter topic */
#define MP_DEFAULT_ENV "marcpipe"
#define MP_DEFAULT_NAMESPACE "Default"
#define MP_DEFAULT_TENANT "diku"

/* Writes "env.ns.tenant.event"; MP_ECONFIG if a part is empty or has
 * characters Kafka does not allow in topic names. */
int mp_topic_name(char *buf, size_t n, const char *env, const char *ns,
                  const char *tenant, const char *event);

/* ---- message headers (schema version 1) ---- */

#define MP_HDR_EVENT "event-type"          /* MP_EVENT_* */
#define MP_HDR_JOB "job-id"                /* decimal */
#define MP_HDR_SEQ "seq"                   /* decimal, 1-based in the job */
#define MP_HDR_TENANT "tenant"
#define MP_HDR_CONTENT_TYPE "content-type" /* below */
#define MP_HDR_SCHEMA "schema-version"     /* "1" */
#define MP_CT_NAME_ISO2709 "application/marc"
#define MP_CT_NAME_JSON "application/marc+json"
#define MP_CT_NAME_EVENT "application/json"     /* MP_CT_EVENT */
#define MP_SCHEMA_VERSION "1"

/* ---- loop bridge ---- */

typedef struct mp_kafka_bridge_s mp_kafka_bridge_t;
typedef void (*mp_kafka_ready_cb)(mp_kafka_bridge_t *b);
struct mp_kafka_bridge_s {
  uv_poll_t poll;
  uv_timer_t timer;
  int fds[2];
  rd_kafka_queue_t *queue; /* not owned */
  mp_kafka_ready_cb on_ready;
  void *data;              /* user data */
  int closing;
  void (*close_cb)(mp_kafka_bridge_t *b);
};

/* Start watching queue: on_ready runs on the loop whenever the queue may
 * hold events (and every tick_ms as a safety net); it must drain the queue.
 * 0 or a UV_E* error. */
int mp_kafka_bridge_start(uv_loop_t *loop, mp_kafka_bridge_t *b,
                          rd_kafka_queue_t *queue, unsigned tick_ms,
                          mp_kafka_ready_cb on_ready);
/* Stop and close the handles; close_cb (may be NULL) runs when both are
 * closed, after which b may be freed. */
void mp_kafka_bridge_close(mp_kafka_bridge_t *b,
                           void (*close_cb)(mp_kafka_bridge_t *b));

#endif
