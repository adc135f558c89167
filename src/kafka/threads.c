/* threads.c: librdkafka's threads run with every signal blocked.
 *
 * A thread inherits the signal mask of the thread that creates it. The
 * mock cluster's thread (the embedded broker) treats an interrupted poll
 * as fatal ("Mock cluster failed to poll ...: Interrupted system call"),
 * and a process-directed signal (SIGCHLD of an exiting worker, SIGINT,
 * SIGTERM) may be delivered to any thread that does not block it. So every
 * call that creates librdkafka threads runs with all signals blocked, and
 * the caller's mask is restored after: signals then reach only the
 * process's own threads, where the command's libuv signal handles (one
 * place per command, src/cli/cmd_*.c) receive them. Any thread. */
#include "marcpipe/kafka.h"

#include <pthread.h>
#include <signal.h>

void mp_kafka_signals_block(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, saved);
}

void mp_kafka_signals_restore(const sigset_t *saved) {
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

rd_kafka_t *mp_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                         char *errstr, size_t errlen) {
  sigset_t saved;
  mp_kafka_signals_block(&saved);
  rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, errlen);
  mp_kafka_signals_restore(&saved);
  return rk;
}
