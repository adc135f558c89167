/* pgmanaged.h: a managed local PostgreSQL for single-machine use.
 *
 * One cluster per state directory (default $MARCPIPE_STATE_DIR, else
 * $XDG_STATE_HOME/marcpipe/pg, else /var/lib/marcpipe/pg for root, whose
 * home the server user cannot enter, else ~/.local/state/marcpipe/pg). Layout: DIR/data (the cluster),
 * DIR/server.log, and the server's unix socket in DIR itself; no TCP
 * listener, trust authentication on the local socket only. Started by
 * initdb + pg_ctl from the highest /usr/lib/postgresql/N/bin; when run as
 * root, initdb and the server run as the `postgres` system user (runuser).
 * The cluster survives between runs. Blocking calls (they fork pg_ctl);
 * call them from the main thread before the loop runs.
 */
#ifndef MARCPIPE_PGMANAGED_H
#define MARCPIPE_PGMANAGED_H

#include <stdbool.h>
#include <stddef.h>

#define MP_PGMANAGED_PORT 5432

/* The default state directory into out: $MARCPIPE_STATE_DIR (the
 * directory itself), else $XDG_STATE_HOME/marcpipe/pg (for root too),
 * else /var/lib/marcpipe/pg for root, else ~/.local/state/marcpipe/pg.
 * 0 or MP_ECONFIG. */
int mp_pgmanaged_default_dir(char *out, size_t n);

/* Start the cluster (initdb on first use); a running one is left alone.
 * state_dir NULL = default. Writes the conninfo ("host=DIR port=5432
 * user=postgres dbname=postgres") into conninfo (may be NULL). 0 or
 * MP_ECONFIG / MP_EIO with errbuf set. *started (may be NULL) = this call
 * started the server. */
int mp_pgmanaged_start(const char *state_dir, char *conninfo, size_t n,
                       bool *started, char *errbuf, size_t errlen);
/* Start if needed and return the conninfo (for `import`). */
int mp_pgmanaged_ensure(const char *state_dir, char *conninfo, size_t n,
                        char *errbuf, size_t errlen);
/* Stop (fast shutdown); stopping a stopped cluster is 0. */
int mp_pgmanaged_stop(const char *state_dir, char *errbuf, size_t errlen);
/* Is it running? conninfo set either way (may be NULL). 0, or MP_ENOTFOUND
 * when the state directory holds no cluster. */
int mp_pgmanaged_status(const char *state_dir, bool *running, char *conninfo,
                        size_t n);

/* libpq's environment names a server: PGHOST, PGPORT, PGDATABASE or
 * PGSERVICE is set. */
bool mp_pgmanaged_env_names_server(void);

/* The conninfo commands use when none is given: "" (libpq's PG*
 * environment) when PGHOST, PGPORT, PGDATABASE or PGSERVICE is set; else
 * the managed cluster's when it is running; else "". */
void mp_pgmanaged_default_conninfo(char *out, size_t n);

/* The same for a command that starts the managed cluster when it has to
 * (import, bench): `given` (a conninfo the user named) as is; else "" when
 * the PG* environment names a server; else the managed cluster's, started
 * if it is not running (*managed = true). 0 or an error with errbuf. */
int mp_pgmanaged_resolve(const char *given, const char *state_dir,
                         char *conninfo, size_t n, bool *managed,
                         char *errbuf, size_t errlen);

#endif
