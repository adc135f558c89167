/* spawn.c: run one child process for the benchmark and collect its stdout.
 *
 * The child gets its own process group, so a timeout (or an interrupt of
 * the benchmark) ends the child and everything it started (an import's
 * workers) at once; SIGINT and SIGTERM received while a child runs are
 * passed on to that group, and the call then returns MP_ECANCELED. The
 * caller's thread polls the stdout pipe with a one-second timeout, which
 * drives the tick callback. One child at a time (the signal hand-off uses
 * a static); main thread only.
 */
#include "harness.h"
#include "common.h"
#include "marcpipe/error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pgid;
static volatile sig_atomic_t interrupted;

static void forward(int sig) {
  interrupted = 1;
  if (child_pgid > 0)
    kill(-(pid_t)child_pgid, sig);
}

int mp_bench_spawn(char *const argv[], const char *log_path, double timeout_s,
                   mp_bench_tick_fn tick, void *arg, mp_buf_t *out,
                   int *status, double *wall_s) {
  *status = -1;
  *wall_s = 0;
  int pfd[2] = {-1, -1}, logfd = -1, ret = 0;
  if (pipe2(pfd, O_CLOEXEC))
    return -errno;
  if (log_path) {
    logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
      ret = -errno;
      goto out;
    }
  }
  struct sigaction sa = {.sa_handler = forward}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  interrupted = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  double t0 = mp_bench_now();
  pid_t pid = fork();
  if (pid < 0) {
    ret = -errno;
    goto restore;
  }
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 ||
        (logfd >= 0 && dup2(logfd, 2) < 0))
      _exit(127);
    execvp(argv[0], argv);
    _exit(127);
  }
  setpgid(pid, pid); /* also here: no window where the group is missing */
  child_pgid = pid;
  close(pfd[1]);
  pfd[1] = -1;

  bool open_pipe = true, killed = false;
  double last_tick = t0;
  while (open_pipe) {
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    int k = poll(&p, 1, 1000);
    if (k > 0) {
      char chunk[8192];
      ssize_t r = read(pfd[0], chunk, sizeof chunk);
      if (r > 0 && mp_buf_append(out, chunk, (size_t)r))
        ret = MP_ENOMEM; /* keep draining so the child is not blocked */
      else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        open_pipe = false;
    }
    double t = mp_bench_now();
    if (!killed && timeout_s > 0 && t - t0 > timeout_s) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    if (tick && t - last_tick >= 1.0) {
      tick(t - t0, arg);
      last_tick = t;
    }
  }
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  child_pgid = 0;
  *wall_s = mp_bench_now() - t0;
  *status = WIFEXITED(ws) && !killed ? WEXITSTATUS(ws) : -1;
  if (interrupted && !ret)
    ret = MP_ECANCELED;
restore:
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
out:
  if (pfd[0] >= 0)
    close(pfd[0]);
  if (pfd[1] >= 0)
    close(pfd[1]);
  if (logfd >= 0)
    close(logfd);
  return ret;
}
