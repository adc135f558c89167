/* pgmanaged.c: the managed local PostgreSQL (see pgmanaged.h).
 * Runs initdb and pg_ctl as child processes (fork + execv, waitpid); as
 * root through `runuser -u postgres --`, after handing the state directory
 * to that user. Main thread only; blocking.
 * Security: the state directory holds the server's unix socket, which
 * trusts every local connection as the superuser, so only the service user
 * (postgres as root, else the caller) may enter it: a directory of another
 * owner, or a symbolic link, is refused; a wider mode is narrowed to 0700
 * (secure_dir). Files written in it are opened with O_NOFOLLOW, so a link
 * planted there is never followed (as root, initdb.log is opened before
 * runuser drops to postgres). */
#include "marcpipe/pgmanaged.h"

#include "marcpipe/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Highest /usr/lib/postgresql/N/bin holding pg_ctl. */
static int find_bindir(char *out, size_t n) {
  DIR *d = opendir("/usr/lib/postgresql");
  int best = -1;
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      char *end;
      long v = strtol(e->d_name, &end, 10);
      char probe[512];
      snprintf(probe, sizeof probe, "/usr/lib/postgresql/%s/bin/pg_ctl", e->d_name);
      if (*end == '\0' && v > best && access(probe, X_OK) == 0)
        best = (int)v;
    }
    closedir(d);
  }
  if (best < 0)
    return MP_ENOTFOUND;
  snprintf(out, n, "/usr/lib/postgresql/%d/bin", best);
  return 0;
}

int mp_pgmanaged_default_dir(char *out, size_t n) {
  const char *own = getenv("MARCPIPE_STATE_DIR");
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  int w;
  /* an explicit choice wins for root too: tests and users of one machine
   * never share a cluster by accident */
  if (own && *own)
    w = snprintf(out, n, "%s", own);
  else if (xdg && *xdg)
    w = snprintf(out, n, "%s/marcpipe/pg", xdg);
  else if (geteuid() == 0)
    w = snprintf(out, n, "/var/lib/marcpipe/pg");
  else if (home && *home)
    w = snprintf(out, n, "%s/.local/state/marcpipe/pg", home);
  else
    return MP_ECONFIG;
  return (w < 0 || (size_t)w >= n) ? MP_ECONFIG : 0;
}

static int mkdir_p(const char *path, mode_t mode) {
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0755) && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(tmp, mode) && errno != EEXIST)
    return -errno;
  return 0;
}

/* Run argv (as postgres when root), stdout+stderr to logpath (or
 * /dev/null). Returns the exit status, or -1 when it could not run. */
static int run(char *const argv[], const char *logpath) {
  const char *pre[] = {access("/usr/sbin/runuser", X_OK) ? "/sbin/runuser"
                                                          : "/usr/sbin/runuser",
                       "-u", "postgres", "--"};
  char *full[32];
  size_t k = 0;
  if (geteuid() == 0)
    for (size_t i = 0; i < 4; i++)
      full[k++] = (char *)pre[i];
  for (size_t i = 0; argv[i] && k < 31; i++)
    full[k++] = argv[i];
  full[k] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = logpath ? open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600)
                     : open("/dev/null", O_WRONLY);
    if (fd < 0 && logpath)
      _exit(126); /* never write through a planted link */
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0)
      dup2(nul, 0);
    execv(full[0], full);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
  char dir[512], data[600], bin[256], log[600], ctl[300], conninfo[700];
} paths_t;

static int resolve(const char *state_dir, paths_t *p, char *errbuf, size_t errlen) {
  memset(p, 0, sizeof *p);
  if (state_dir && *state_dir) {
    if (state_dir[0] != '/') {
      char cwd[256];
      if (!getcwd(cwd, sizeof cwd))
        return MP_ECONFIG;
      snprintf(p->dir, sizeof p->dir, "%s/%s", cwd, state_dir);
    } else {
      snprintf(p->dir, sizeof p->dir, "%s", state_dir);
    }
  } else if (mp_pgmanaged_default_dir(p->dir, sizeof p->dir)) {
    snprintf(errbuf, errlen, "no state directory: set XDG_STATE_HOME or HOME, or give --state-dir");
    return MP_ECONFIG;
  }
  size_t l = strlen(p->dir);
  while (l > 1 && p->dir[l - 1] == '/')
    p->dir[--l] = '\0';
  /* the socket path (DIR/.s.PGSQL.5432) must fit a sockaddr_un */
  if (l + 16 >= 107) {
    snprintf(errbuf, errlen, "%s: state directory path too long for a unix socket "
             "(at most 90 characters)", p->dir);
    return MP_ECONFIG;
  }
  snprintf(p->data, sizeof p->data, "%s/data", p->dir);
  snprintf(p->log, sizeof p->log, "%s/server.log", p->dir);
  snprintf(p->conninfo, sizeof p->conninfo, "host=%s port=%d user=postgres dbname=postgres",
           p->dir, MP_PGMANAGED_PORT);
  if (find_bindir(p->bin, sizeof p->bin)) {
    snprintf(errbuf, errlen, "PostgreSQL server binaries not found under "
             "/usr/lib/postgresql/*/bin (install the postgresql package)");
    return MP_ECONFIG;
  }
  snprintf(p->ctl, sizeof p->ctl, "%s/pg_ctl", p->bin);
  return 0;
}

static bool has_cluster(const paths_t *p) {
  char v[700];
  snprintf(v, sizeof v, "%s/PG_VERSION", p->data);
  return access(v, F_OK) == 0;
}

static bool is_running(const paths_t *p) {
  char *argv[] = {(char *)p->ctl, "status", "-D", (char *)p->data, NULL};
  return run(argv, NULL) == 0;
}

static void copy_out(char *dst, size_t n, const char *src) {
  if (dst && n)
    snprintf(dst, n, "%s", src);
}

/* The state directory is a real directory of the service user (uid; as
 * root a directory of root is handed over to it) with mode 0700 (a wider
 * one is narrowed); anything else is refused with the reason. */
static int secure_dir(const paths_t *p, uid_t uid, gid_t gid, const char *user,
                      char *errbuf, size_t errlen) {
  struct stat st;
  if (lstat(p->dir, &st)) {
    snprintf(errbuf, errlen, "%s: %s", p->dir, strerror(errno));
    return MP_EIO;
  }
  if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
    snprintf(errbuf, errlen, "%s: the state directory is %s: refusing to use it",
             p->dir, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
    return MP_ECONFIG;
  }
  if (st.st_uid != uid && !(geteuid() == 0 && st.st_uid == 0)) {
    snprintf(errbuf, errlen, "%s: the state directory belongs to uid %u, not to %s: "
             "refusing to use it (its owner could reach the database as its superuser)",
             p->dir, (unsigned)st.st_uid, user);
    return MP_ECONFIG;
  }
  if (st.st_uid != uid && chown(p->dir, uid, gid)) {
    snprintf(errbuf, errlen, "%s: cannot hand the state directory to %s: %s", p->dir,
             user, strerror(errno));
    return MP_EIO;
  }
  if ((st.st_mode & 07777) != 0700 && chmod(p->dir, 0700)) {
    snprintf(errbuf, errlen, "%s: cannot make the state directory private (0700): %s",
             p->dir, strerror(errno));
    return MP_EIO;
  }
  return 0;
}

/* Make the state dir and hand it to the postgres user when root. */
static int prepare_dir(const paths_t *p, char *errbuf, size_t errlen) {
  int rc = mkdir_p(p->dir, 0700);
  if (rc) {
    snprintf(errbuf, errlen, "%s: cannot create: %s", p->dir, strerror(-rc));
    return MP_EIO;
  }
  if (geteuid() != 0) {
    struct passwd *me = getpwuid(geteuid());
    return secure_dir(p, geteuid(), getegid(), me ? me->pw_name : "this user",
                      errbuf, errlen);
  }
  struct passwd *pw = getpwnam("postgres");
  if (!pw) {
    snprintf(errbuf, errlen, "running as root, but there is no 'postgres' system user to "
             "run PostgreSQL as (PostgreSQL refuses to run as root): install the "
             "postgresql package or run marcpipe as an ordinary user");
    return MP_ECONFIG;
  }
  if ((rc = secure_dir(p, pw->pw_uid, pw->pw_gid, "postgres", errbuf, errlen)))
    return rc;
  char *argv[] = {"/usr/bin/test", "-w", (char *)p->dir, NULL};
  if (run(argv, NULL) != 0) {
    snprintf(errbuf, errlen, "%s: the postgres user cannot reach this directory (a parent "
             "directory is private to root): choose another --state-dir", p->dir);
    return MP_ECONFIG;
  }
  return 0;
}

static const char server_conf[] =
    "\n# marcpipe managed cluster: unix socket only, bulk-load settings\n"
    "listen_addresses = ''\n"
    "port = %d\n"
    "unix_socket_directories = '%s'\n"
    "shared_buffers = 256MB\n"
    "max_wal_size = 4GB\n"
    "wal_level = minimal\n"
    "max_wal_senders = 0\n"
    "synchronous_commit = on\n"
    "max_connections = 100\n";

static int init_cluster(const paths_t *p, char *errbuf, size_t errlen) {
  char initdb[300];
  snprintf(initdb, sizeof initdb, "%s/initdb", p->bin);
  char *argv[] = {initdb, "-D", (char *)p->data, "-U", "postgres", "-E", "UTF8",
                  "--no-locale", "--auth-local=trust", "--auth-host=reject", NULL};
  char ilog[700];
  snprintf(ilog, sizeof ilog, "%s/initdb.log", p->dir);
  if (run(argv, ilog) != 0) {
    snprintf(errbuf, errlen, "initdb failed for %s (see %s)", p->data, ilog);
    return MP_EIO;
  }
  char conf[700];
  snprintf(conf, sizeof conf, "%s/postgresql.conf", p->data);
  int fd = open(conf, O_WRONLY | O_APPEND | O_NOFOLLOW);
  FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
  if (!f) {
    if (fd >= 0)
      close(fd);
    snprintf(errbuf, errlen, "%s: cannot append server settings", conf);
    return MP_EIO;
  }
  fprintf(f, server_conf, MP_PGMANAGED_PORT, p->dir);
  fclose(f);
  return 0;
}

int mp_pgmanaged_start(const char *state_dir, char *conninfo, size_t n,
                       bool *started, char *errbuf, size_t errlen) {
  paths_t p;
  if (started)
    *started = false;
  int rc = resolve(state_dir, &p, errbuf, errlen);
  if (rc)
    return rc;
  if ((rc = prepare_dir(&p, errbuf, errlen)))
    return rc;
  if (has_cluster(&p) && is_running(&p)) {
    copy_out(conninfo, n, p.conninfo);
    return 0;
  }
  if (!has_cluster(&p) && (rc = init_cluster(&p, errbuf, errlen)))
    return rc;
  char *argv[] = {(char *)p.ctl, "start", "-D", p.data, "-l", p.log, "-w", "-t", "60", NULL};
  if (run(argv, NULL) != 0) {
    snprintf(errbuf, errlen, "PostgreSQL did not start in %s (see %s)", p.data, p.log);
    return MP_EIO;
  }
  if (started)
    *started = true;
  copy_out(conninfo, n, p.conninfo);
  return 0;
}

int mp_pgmanaged_ensure(const char *state_dir, char *conninfo, size_t n,
                        char *errbuf, size_t errlen) {
  return mp_pgmanaged_start(state_dir, conninfo, n, NULL, errbuf, errlen);
}

int mp_pgmanaged_stop(const char *state_dir, char *errbuf, size_t errlen) {
  paths_t p;
  int rc = resolve(state_dir, &p, errbuf, errlen);
  if (rc)
    return rc;
  if (!has_cluster(&p) || !is_running(&p))
    return 0;
  char *argv[] = {(char *)p.ctl, "stop", "-D", p.data, "-m", "fast", "-w", "-t", "60", NULL};
  if (run(argv, NULL) != 0) {
    snprintf(errbuf, errlen, "PostgreSQL in %s did not stop (see %s)", p.data, p.log);
    return MP_EIO;
  }
  return 0;
}

int mp_pgmanaged_status(const char *state_dir, bool *running, char *conninfo,
                        size_t n) {
  paths_t p;
  char err[256];
  *running = false;
  int rc = resolve(state_dir, &p, err, sizeof err);
  if (rc)
    return rc;
  copy_out(conninfo, n, p.conninfo);
  if (!has_cluster(&p))
    return MP_ENOTFOUND;
  *running = is_running(&p);
  return 0;
}

bool mp_pgmanaged_env_names_server(void) {
  static const char *vars[] = {"PGHOST", "PGPORT", "PGDATABASE", "PGSERVICE"};
  for (size_t i = 0; i < 4; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v)
      return true;
  }
  return false;
}

int mp_pgmanaged_resolve(const char *given, const char *state_dir,
                         char *conninfo, size_t n, bool *managed,
                         char *errbuf, size_t errlen) {
  *managed = false;
  if (given || mp_pgmanaged_env_names_server()) {
    copy_out(conninfo, n, given ? given : "");
    return 0;
  }
  *managed = true;
  return mp_pgmanaged_ensure(state_dir, conninfo, n, errbuf, errlen);
}

void mp_pgmanaged_default_conninfo(char *out, size_t n) {
  copy_out(out, n, "");
  if (mp_pgmanaged_env_names_server())
    return;
  bool running = false;
  char ci[700];
  if (mp_pgmanaged_status(NULL, &running, ci, sizeof ci) == 0 && running)
    copy_out(out, n, ci);
}
