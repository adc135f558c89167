/* server.c: the HTTP side of the web console (serve.h): libmicrohttpd
 * daemon with an internal thread pool, a pool of database connections
 * (one per server thread, so a request never waits for a connection
 * another thread holds for long), routing of paths to handlers, the Host
 * and token checks. Paths are parsed here into validated integers and
 * fixed names; handlers never see raw path text. */
#include "serve_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- connection pool ---- */

/* Take a free connection slot (waits while all are busy); *c = its
 * connection, reconnected when broken, NULL when the database is down. */
static int pool_get(mp_serve_t *s, PGconn **c) {
  mp_serve_pool_t *p = &s->pool;
  pthread_mutex_lock(&p->mu);
  int i;
  for (;;) {
    for (i = 0; i < p->n && p->busy[i]; i++)
      ;
    if (i < p->n)
      break;
    pthread_cond_wait(&p->cv, &p->mu);
  }
  p->busy[i] = true;
  pthread_mutex_unlock(&p->mu);
  if (p->conns[i] && PQstatus(p->conns[i]) != CONNECTION_OK) {
    PQfinish(p->conns[i]);
    p->conns[i] = NULL;
  }
  char err[256];
  if (!p->conns[i] &&
      mp_pg_connect(s->conninfo, s->tenant, &p->conns[i], err, sizeof err))
    p->conns[i] = NULL;
  *c = p->conns[i];
  return i;
}

static void pool_put(mp_serve_t *s, int i) {
  mp_serve_pool_t *p = &s->pool;
  pthread_mutex_lock(&p->mu);
  p->busy[i] = false;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

/* ---- request helpers ---- */

const char *mp__req_arg(const mp_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->mc, MHD_GET_ARGUMENT_KIND, name);
}

int64_t mp__req_int(const mp_req_t *r, const char *name) {
  const char *v = mp__req_arg(r, name);
  if (!v || !*v)
    return 0;
  char *end;
  long long n = strtoll(v, &end, 10);
  return (*end || n <= 0 || strlen(v) > 18) ? -1 : (int64_t)n;
}

void mp__resp_error(mp_resp_t *p, int status, const char *msg) {
  p->status = status;
  p->content_type = "text/plain; charset=utf-8";
  mp_buf_clear(&p->body);
  mp_buf_printf(&p->body, "%d %s\n", status, msg);
}

/* "123" (all digits, > 0) -> 123; else -1. *rest = after the number. */
static int64_t path_id(const char *s, const char **rest) {
  int64_t v = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9' && p - s < 18)
    v = v * 10 + (*p++ - '0');
  *rest = p;
  return (p == s || v <= 0 || (*p && *p != '/')) ? -1 : v;
}

/* Host header naming this server (loopback names or the listen address). */
static bool host_ok(const mp_serve_t *s, const char *host) {
  if (!host)
    return false;
  char h[256];
  snprintf(h, sizeof h, "%s", host);
  char *colon = h[0] == '[' ? strstr(h, "]:") : strrchr(h, ':');
  if (colon)
    colon[h[0] == '[' ? 1 : 0] = 0;
  return !strcmp(h, "127.0.0.1") || !strcmp(h, "localhost") || !strcmp(h, "[::1]") ||
         !strcmp(h, s->host);
}

static void route(mp_req_t *r, mp_resp_t *p) {
  const char *path = r->path, *rest;
  bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
  bool post = !strcmp(r->method, "POST");
  if (!get && !post) {
    mp__resp_error(p, 405, "method not allowed");
    return;
  }
  if (get && (!strcmp(path, "/") || !strcmp(path, "/jobs")))
    return mp__page_jobs(r, p);
  if (get && !strcmp(path, "/metrics"))
    return mp__metrics(r, p);
  if (get && !strcmp(path, "/api/jobs"))
    return mp__api_jobs(r, p);
  if (get && !strncmp(path, "/api/jobs/", 10)) {
    int64_t id = path_id(path + 10, &rest);
    if (id < 0 || *rest)
      return mp__resp_error(p, id < 0 ? 400 : 404, id < 0 ? "bad job id" : "not found");
    return mp__api_job(r, id, p);
  }
  if (!strncmp(path, "/jobs/", 6)) {
    int64_t id = path_id(path + 6, &rest);
    if (id < 0)
      return mp__resp_error(p, 400, "bad job id");
    if (get && !*rest)
      return mp__page_job(r, id, p);
    if (get && !strcmp(rest, "/chart.svg"))
      return mp__page_chart(r, id, p);
    if (get && !strcmp(rest, "/errors.mrc"))
      return mp__export_errors(r, id, p);
    if (get && !strncmp(rest, "/records/", 9)) {
      const char *end;
      int64_t seq = path_id(rest + 9, &end);
      if (seq < 0 || *end)
        return mp__resp_error(p, 400, "bad record number");
      return mp__page_record(r, id, seq, p);
    }
    if (post && (!strcmp(rest, "/cancel") || !strcmp(rest, "/resume") ||
                 !strcmp(rest, "/delete")))
      return mp__control(r, id, rest + 1, p);
  }
  mp__resp_error(p, post ? 405 : 404, post ? "method not allowed" : "not found");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url,
                              const char *method, const char *version,
                              const char *upload, size_t *upload_size, void **state) {
  mp_serve_t *s = cls;
  static int first;
  if (!*state) { /* headers only so far: answer on the next call */
    *state = &first;
    return MHD_YES;
  }
  if (*upload_size) { /* a body is not used by any route: drop it */
    *upload_size = 0;
    return MHD_YES;
  }
  mp_resp_t p = {.status = 200, .content_type = "text/html; charset=utf-8"};
  mp_buf_init(&p.body);
  mp_req_t r = {.srv = s, .mc = mc, .method = method, .path = url};
  const char *host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Host");
  if (!host_ok(s, host)) {
    mp__resp_error(&p, 400, "bad Host header");
  } else if (strlen(url) > 512) {
    mp__resp_error(&p, 414, "URI too long");
  } else {
    int slot = pool_get(s, &r.db);
    if (!r.db)
      mp__resp_error(&p, 503, "database unavailable");
    else
      route(&r, &p);
    pool_put(s, slot);
  }
  if (!p.body.data)
    mp_buf_puts(&p.body, "");
  size_t len = p.body.len;
  char *data = p.body.data; /* handed to libmicrohttpd, which frees it */
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(data);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", p.content_type);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                          "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  if (p.disposition)
    MHD_add_response_header(resp, "Content-Disposition", p.disposition);
  enum MHD_Result ret = MHD_queue_response(mc, (unsigned)p.status, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* ---- lifecycle ---- */

static void free_server(mp_serve_t *s) {
  for (int i = 0; i < s->pool.n; i++)
    if (s->pool.conns[i])
      PQfinish(s->pool.conns[i]);
  free(s->pool.conns);
  free(s->pool.busy);
  pthread_mutex_destroy(&s->pool.mu);
  pthread_cond_destroy(&s->pool.cv);
  free(s->conninfo);
  free(s->tenant);
  free(s->token);
  free(s->self_exe);
  free(s->host);
  free(s);
}

int mp_serve_start(const mp_serve_opts_t *o, mp_serve_t **out, char *errbuf,
                   size_t errlen) {
  *out = NULL;
  if (o->allow_control && (!o->token || strlen(o->token) < 16)) {
    snprintf(errbuf, errlen, "control actions need a token of at least 16 characters");
    return MP_EUSAGE;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  const char *host = o->host ? o->host : "127.0.0.1";
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    snprintf(errbuf, errlen, "listen address %s: want an IPv4 address", host);
    return MP_EUSAGE;
  }
  mp_serve_t *s = calloc(1, sizeof *s);
  if (!s)
    return MP_ENOMEM;
  pthread_mutex_init(&s->pool.mu, NULL);
  pthread_cond_init(&s->pool.cv, NULL);
  int n = o->threads > 0 ? o->threads : 4;
  s->pool.n = n;
  s->pool.conns = calloc((size_t)n, sizeof *s->pool.conns);
  s->pool.busy = calloc((size_t)n, sizeof *s->pool.busy);
  s->conninfo = strdup(o->conninfo ? o->conninfo : "");
  s->tenant = strdup(o->tenant);
  s->token = o->token ? strdup(o->token) : NULL;
  s->self_exe = o->self_exe ? strdup(o->self_exe) : NULL;
  s->host = strdup(host);
  s->allow_control = o->allow_control;
  int rc = (!s->pool.conns || !s->pool.busy || !s->conninfo || !s->tenant || !s->host)
               ? MP_ENOMEM : 0;
  /* the first connection now: a bad conninfo is said at start */
  if (!rc)
    rc = mp_pg_connect(s->conninfo, s->tenant, &s->pool.conns[0], errbuf, errlen);
  if (!rc) {
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)n,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_END);
    if (!s->d) {
      snprintf(errbuf, errlen, "cannot listen on %s:%d", host, o->port);
      rc = MP_EIO;
    }
  }
  if (rc) {
    free_server(s);
    return rc;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : o->port;
  *out = s;
  return 0;
}

int mp_serve_port(const mp_serve_t *s) { return s->port; }

void mp_serve_stop(mp_serve_t *s) {
  if (!s)
    return;
  MHD_stop_daemon(s->d);
  free_server(s);
}
