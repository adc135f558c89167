/* import_workers.c: spawn, supervise and stop `marcpipe work` children
 * (see import_workers.h). A worker that exits while the set is not
 * stopping is a crash: it is logged and restarted (its partitions were
 * rebalanced to the others meanwhile, and everything it had not committed
 * is redelivered: at-least-once with idempotent writes). A worker that
 * exits 2 (usage error) is not restarted: the same options would fail
 * again. Loop thread only.
 */
#include "cli/import_workers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int spawn(mp_import_worker_t *w);

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char scratch[64 * 1024];
  (void)h;
  (void)suggested;
  buf->base = scratch;
  buf->len = sizeof scratch;
}

/* Keep only the tail of the child's stdout: its last line is the JSON
 * counters printed at exit. */
static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  mp_import_worker_t *w = s->data;
  if (n > 0) {
    w->last_output_ms = uv_now(w->set->loop);
    if (w->stdout_buf.len > 256 * 1024)
      mp_buf_clear(&w->stdout_buf);
    mp_buf_append(&w->stdout_buf, buf->base, (size_t)n);
    if (w->set->on_output)
      w->set->on_output(w->set, w->index);
  }
}

/* The stage timer runs exactly while the others are pending. */
static void end_stage(mp_import_workers_t *set) {
  if (set->rest_pending) {
    set->rest_pending = false;
    uv_close((uv_handle_t *)&set->stage, NULL);
  }
}

static void stage_over(uv_timer_t *t) {
  mp_import_workers_t *set = t->data;
  fprintf(stderr,
          "marcpipe import: worker 0 has not joined the group after %u "
          "ms: starting the others\n",
          set->stage_ms);
  mp_import_workers_start_rest(set);
}

static void all_exited_async(uv_idle_t *idle) {
  mp_import_workers_t *set = idle->data;
  uv_idle_stop(idle);
  uv_close((uv_handle_t *)idle, (uv_close_cb)free);
  if (set->on_all_exited)
    set->on_all_exited(set);
}

static void notify_all_exited(mp_import_workers_t *set) {
  if (set->grace_on) {
    set->grace_on = false;
    uv_close((uv_handle_t *)&set->grace, NULL);
  }
  if (set->watch_on) {
    set->watch_on = false;
    uv_close((uv_handle_t *)&set->watch, NULL);
  }
  uv_idle_t *idle = malloc(sizeof *idle);
  if (!idle) {
    if (set->on_all_exited)
      set->on_all_exited(set);
    return;
  }
  uv_idle_init(set->loop, idle);
  idle->data = set;
  uv_idle_start(idle, all_exited_async);
}

/* Both handles of an exited child are closed: only now may they be
 * initialised again (a restart re-uses them). */
static void handle_closed(uv_handle_t *h) {
  mp_import_worker_t *w = h->data;
  mp_import_workers_t *set = w->set;
  if (--w->closing > 0)
    return;
  if (set->stopping) {
    if (set->running == 0)
      notify_all_exited(set);
    return;
  }
  /* exit 2 is a usage error: the same command line would fail again */
  bool usage = !w->term_signal && w->exit_status == 2;
  if (usage)
    fprintf(stderr,
            "marcpipe import: worker %d refused its options (exit 2): not "
            "restarted\n",
            w->index);
  else if (w->restarts < set->max_restarts) {
    w->restarts++;
    fprintf(stderr,
            "marcpipe import: restarting worker %d (restart %d of %d)\n",
            w->index, w->restarts, set->max_restarts);
    if (spawn(w) == 0)
      return;
  }
  if (set->on_give_up)
    set->on_give_up(set, w->index);
}

static void exit_cb(uv_process_t *p, int64_t status, int sig) {
  mp_import_worker_t *w = p->data;
  mp_import_workers_t *set = w->set;
  w->running = false;
  w->exit_status = status;
  w->term_signal = sig;
  set->running--;
  if (!set->stopping) {
    set->crashes++;
    if (sig)
      fprintf(stderr,
              "marcpipe import: worker %d (pid %d) was killed by signal %d\n",
              w->index, p->pid, sig);
    else
      fprintf(stderr,
              "marcpipe import: worker %d (pid %d) exited with status %lld\n",
              w->index, p->pid, (long long)status);
  }
  w->closing = 2;
  mp_import_workers_start_rest(set); /* staged: no use waiting for it */
  uv_close((uv_handle_t *)&w->out, handle_closed);
  uv_close((uv_handle_t *)p, handle_closed);
}

static int spawn(mp_import_worker_t *w) {
  mp_import_workers_t *set = w->set;
  uv_pipe_init(set->loop, &w->out, 0);
  w->out.data = w;
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
       .data.stream = (uv_stream_t *)&w->out},
      {.flags = UV_INHERIT_FD, .data.fd = 2},
  };
  int argc = 0;
  while (set->argv[argc])
    argc++;
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) {
    uv_close((uv_handle_t *)&w->out, NULL);
    return UV_ENOMEM;
  }
  memcpy(args, set->argv, (size_t)argc * sizeof *args);
  if (set->members) {
    snprintf(w->member, sizeof w->member, "%d/%d", w->index, set->n);
    args[argc++] = (char *)"--member";
    args[argc++] = w->member;
  }
  uv_process_options_t o = {
      .exit_cb = exit_cb,
      .file = set->argv[0],
      .args = args,
      .stdio = stdio,
      .stdio_count = 3,
  };
  w->proc.data = w;
  mp_buf_clear(&w->stdout_buf);
  int rc = uv_spawn(set->loop, &w->proc, &o);
  free(args); /* uv_spawn copied what the child needs */
  if (rc) {
    fprintf(stderr, "marcpipe import: cannot start worker %d: %s\n", w->index,
            uv_strerror(rc));
    uv_close((uv_handle_t *)&w->out, NULL);
    uv_close((uv_handle_t *)&w->proc, NULL);
    return rc;
  }
  w->running = true;
  w->last_output_ms = uv_now(set->loop);
  set->running++;
  uv_read_start((uv_stream_t *)&w->out, alloc_cb, read_cb);
  return 0;
}

/* Every second: a running worker that said nothing for silence_ms is
 * killed (exit_cb then restarts it as a crash). Not while stopping: the
 * grace period handles that. */
static void watch_cb(uv_timer_t *t) {
  mp_import_workers_t *set = t->data;
  uint64_t now = uv_now(set->loop);
  for (int i = 0; i < set->n && !set->stopping; i++) {
    mp_import_worker_t *w = &set->w[i];
    if (!w->running || now - w->last_output_ms < set->silence_ms)
      continue;
    fprintf(stderr,
            "marcpipe import: worker %d (pid %d) said nothing for %u s "
            "(frozen or stuck): killing it\n",
            i, w->proc.pid, set->silence_ms / 1000);
    uv_process_kill(&w->proc, SIGKILL);
    w->last_output_ms = now; /* once: its exit follows */
    set->silenced++;
  }
}

int mp_import_workers_start(uv_loop_t *loop, mp_import_workers_t *set, int n,
                            char *const *argv) {
  int argc = 0;
  while (argv[argc])
    argc++;
  set->loop = loop;
  set->n = n;
  set->argv = calloc((size_t)argc + 1, sizeof *set->argv);
  if (!set->argv)
    return UV_ENOMEM;
  for (int i = 0; i < argc; i++)
    if (!(set->argv[i] = strdup(argv[i])))
      return UV_ENOMEM;
  for (int i = 0; i < n; i++) {
    set->w[i].index = i;
    set->w[i].set = set;
    mp_buf_init(&set->w[i].stdout_buf);
  }
  bool staged = set->stage_ms && n > 1;
  for (int i = 0; i < (staged ? 1 : n); i++) {
    int rc = spawn(&set->w[i]);
    if (rc) {
      mp_import_workers_stop(set);
      return rc;
    }
  }
  if (staged) {
    set->rest_pending = true;
    uv_timer_init(loop, &set->stage);
    set->stage.data = set;
    uv_timer_start(&set->stage, stage_over, set->stage_ms, 0);
  }
  if (set->silence_ms) {
    uv_timer_init(loop, &set->watch);
    set->watch.data = set;
    set->watch_on = true;
    uv_timer_start(&set->watch, watch_cb, 1000, 1000);
  }
  return 0;
}

int mp_import_workers_start_rest(mp_import_workers_t *set) {
  if (!set->rest_pending || set->stopping)
    return 0;
  end_stage(set);
  for (int i = 1; i < set->n; i++) {
    int rc = spawn(&set->w[i]);
    if (rc) {
      mp_import_workers_stop(set);
      return rc;
    }
  }
  return 0;
}

static void grace_over(uv_timer_t *t) {
  mp_import_workers_t *set = t->data;
  for (int i = 0; i < set->n; i++)
    if (set->w[i].running) {
      fprintf(stderr,
              "marcpipe import: worker %d (pid %d) still running %d s after "
              "SIGTERM: killing it\n",
              i, set->w[i].proc.pid, MP_IMPORT_STOP_GRACE_MS / 1000);
      uv_process_kill(&set->w[i].proc, SIGKILL);
      set->killed++;
    }
}

void mp_import_workers_stop(mp_import_workers_t *set) {
  if (set->stopping)
    return;
  set->stopping = true;
  end_stage(set); /* the others never start */
  int signalled = 0;
  for (int i = 0; i < set->n; i++)
    if (set->w[i].running) {
      uv_process_kill(&set->w[i].proc, SIGTERM);
      signalled++;
    }
  if (signalled == 0) {
    notify_all_exited(set);
    return;
  }
  uv_timer_init(set->loop, &set->grace);
  set->grace.data = set;
  set->grace_on = true;
  uv_timer_start(&set->grace, grace_over, MP_IMPORT_STOP_GRACE_MS, 0);
}

void mp_import_workers_release(mp_import_workers_t *set) {
  if (set->argv) {
    for (int i = 0; set->argv[i]; i++)
      free(set->argv[i]);
    free(set->argv);
    set->argv = NULL;
  }
  for (int i = 0; i < set->n; i++)
    mp_buf_release(&set->w[i].stdout_buf);
}
