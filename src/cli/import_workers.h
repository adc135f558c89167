/* import_workers.h: the worker processes of `marcpipe import`.
 *
 * import runs N `marcpipe work` child processes (processes, not threads,
 * so a crash of one is a real crash that the pipeline must survive). This
 * module spawns them with uv_spawn, collects the JSON counters each prints
 * on stdout at exit (--stats-json), restarts a worker that dies before it
 * was asked to stop (up to a limit), and stops them all with SIGTERM
 * (graceful: drain, commit, leave the group); a worker still running
 * MP_IMPORT_STOP_GRACE_MS after SIGTERM is killed with SIGKILL (said on
 * stderr), so stopping always ends. Loop thread only.
 *
 * With `members` each worker i is started with --member i/N: it joins no
 * consumer group and reads a fixed share of the partitions, so no
 * rebalance delays the start, and nobody else reads that share while the
 * worker is down. Its restart brings the share back; a worker that stops
 * answering (it is frozen, or its loop is stuck) would stall its share
 * for good, so with `silence_ms` set a running worker that printed
 * nothing on stdout for that long (workers print a counters line a
 * second: --status-ms) is killed with SIGKILL, said on stderr, and
 * restarted like any crash.
 *
 * With `stage_ms` (consumer group, N > 1) only worker 0 is spawned at
 * first, the others when it has joined the group (the caller sees that
 * in its output and calls mp_import_workers_start_rest), when it exits,
 * or after stage_ms, whichever comes first. Started together, a second
 * member's JoinGroup can reach the coordinator while the first member's
 * SyncGroup is in flight: that SyncGroup is answered
 * REBALANCE_IN_PROGRESS and librdkafka 2.0.2 sends the leader's rejoin
 * ~1.9 s after its previous JoinGroup, so nobody reads for those 1.9 s
 * (measured in 3 of 15 imports with 2 workers; bench/README.md,
 * "Start-up"). Joining a group that has settled, the others wait for the
 * first member's next heartbeat instead while it reads.
 */
#ifndef MP_CLI_IMPORT_WORKERS_H
#define MP_CLI_IMPORT_WORKERS_H

#include "marcpipe/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define MP_IMPORT_MAX_WORKERS 64
#define MP_IMPORT_STOP_GRACE_MS 30000
/* import's silence limit with fixed shares: 15 workers' counters lines
 * missed (a worker's loop blocks for a few seconds at most while it takes
 * its partitions; see worker_assign.c) */
#define MP_IMPORT_SILENCE_S 15
/* staged start: the others are started anyway when worker 0 has not
 * joined within this (a group with other members waits for their
 * heartbeats, 3 s apart by default) */
#define MP_IMPORT_STAGE_S 3
#define MP_IMPORT_STAGE_MS (MP_IMPORT_STAGE_S * 1000)

typedef struct mp_import_worker_s {
  uv_process_t proc;
  uv_pipe_t out;          /* the child's stdout (its JSON counters) */
  mp_buf_t stdout_buf;
  int index;
  bool running;
  int64_t exit_status;
  int term_signal;
  int restarts;
  uint64_t last_output_ms; /* uv_now when its stdout last said anything */
  char member[24];        /* "i/N" with members */
  int closing;            /* handles of an exited child not closed yet */
  struct mp_import_workers_s *set;
} mp_import_worker_t;

typedef struct mp_import_workers_s {
  uv_loop_t *loop;
  char **argv;            /* `marcpipe work ...` argv, NULL-terminated */
  int n;
  int max_restarts;       /* per worker */
  bool members;           /* --member i/N for worker i (no group) */
  unsigned silence_ms;    /* 0 = off; else kill a worker silent this long */
  unsigned stage_ms;      /* 0 = all at once; else worker 0 first (above) */
  bool rest_pending;      /* staged: workers 1..n-1 not spawned yet */
  uv_timer_t stage;       /* active while rest_pending: spawns them after
                             stage_ms */
  uv_timer_t watch;       /* the silence check; active while silence_ms */
  bool watch_on;
  int silenced;           /* workers killed for their silence */
  bool stopping;          /* SIGTERM sent: exits are expected */
  int running;
  int crashes;            /* unexpected exits seen */
  int killed;             /* workers SIGKILLed after the grace period */
  uv_timer_t grace;       /* SIGTERM -> SIGKILL; active while stopping */
  bool grace_on;
  mp_import_worker_t w[MP_IMPORT_MAX_WORKERS];
  /* Called when a worker exits unexpectedly and will not be restarted
   * (restart limit reached, or it exited 2: a usage error); may be NULL. */
  void (*on_give_up)(struct mp_import_workers_s *set, int index);
  /* Called after a worker's stdout said something (its counters lines);
   * may be NULL. */
  void (*on_output)(struct mp_import_workers_s *set, int index);
  /* Called once when stopping and the last worker has exited. */
  void (*on_all_exited)(struct mp_import_workers_s *set);
  void *data;
} mp_import_workers_t;

/* Spawn n workers running argv (copied: the caller may free it), each
 * with --member i/n when set->members (worker 0 alone with stage_ms); set
 * max_restarts, members, silence_ms, stage_ms and the callbacks first.
 * 0 or a UV_E* error (workers already started are stopped). */
int mp_import_workers_start(uv_loop_t *loop, mp_import_workers_t *set, int n,
                            char *const *argv);
/* Staged start: spawn the workers not spawned yet (no-op if none are
 * pending or the set is stopping). 0 or a UV_E* error. */
int mp_import_workers_start_rest(mp_import_workers_t *set);
/* SIGTERM every running worker; on_all_exited runs when none is left (at
 * once, from the next loop turn, if none is running). */
void mp_import_workers_stop(mp_import_workers_t *set);
/* Free the argv copy and buffers; after on_all_exited. */
void mp_import_workers_release(mp_import_workers_t *set);

#endif
