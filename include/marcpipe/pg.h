/* pg.h: PostgreSQL connections to a tenant schema, migrations, errors.
 *
 * Every marcpipe connection works inside one tenant schema,
 * "<tenant>_marcpipe". mp_pg_connect() validates the tenant, connects
 * (blocking libpq), applies the SQL migrations of schemas/sql in order under
 * an advisory lock (several processes may start at once) and leaves the
 * session's search_path on the tenant schema, so every statement uses
 * unqualified names. A connection is used by one thread at a time.
 */
#ifndef MARCPIPE_PG_H
#define MARCPIPE_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define MP_PG_SCHEMA_SUFFIX "_marcpipe"
/* Seconds a session of marcpipe may sit idle inside a transaction before
 * the server ends it (idle_in_transaction_session_timeout, set by
 * mp_pg_connect and mp_pg_ready): a frozen worker's open batch then no
 * longer holds the locks the others wait for; its batch is rolled back and
 * written again, idempotently, by whoever has its partition. */
#define MP_PG_IDLE_TX_TIMEOUT_S 10

/* Tenant names become PostgreSQL schema names, "<tenant>_marcpipe":
 * [a-z][a-z0-9_]{0,30} (unquoted identifiers, within NAMEDATALEN with the
 * suffix). Pure; any thread. */
bool mp_tenant_valid(const char *tenant);

/* "<tenant>_marcpipe" into buf; MP_ECONFIG if the tenant is invalid or the
 * buffer too small. */
int mp_pg_schema_name(const char *tenant, char *buf, size_t n);

/* Directory holding the numbered NNN_name.sql migrations into buf:
 * $MARCPIPE_SCHEMAS/sql when set, else MP_SCHEMAS_DIR/sql. Returns buf. */
const char *mp_pg_sql_dir(char *buf, size_t n);

/* Connect, set the session up (MP_PG_IDLE_TX_TIMEOUT_S), migrate, set
 * search_path. conninfo "" or NULL = libpq defaults
 * (PG* environment). Returns 0; MP_ECONFIG (bad tenant); MP_ETRANSIENT
 * (server unreachable); MP_EPG (migration or other database error). The
 * message in errbuf never contains a password. */
int mp_pg_connect(const char *conninfo, const char *tenant, PGconn **out,
                  char *errbuf, size_t errlen);

/* Make a connection usable again after the server restarted: when it is
 * broken, PQreset it (the PGconn stays the caller's) and, with a tenant,
 * set its session up again (search_path via mp_pg_migrate). 0 when
 * usable; MP_ETRANSIENT (still unreachable) or as mp_pg_migrate, with
 * errbuf set. Blocking: call it where the connection is used. */
int mp_pg_ready(PGconn *c, const char *tenant, char *errbuf, size_t errlen);

/* Apply pending migrations of sql_dir (NULL = mp_pg_sql_dir) to the
 * tenant schema, in one transaction, and set the session's search_path.
 * Safe to call concurrently from several connections. *applied (may be
 * NULL) = number of migrations applied now. 0, MP_ECONFIG, MP_EPG,
 * MP_ETRANSIENT. */
int mp_pg_migrate(PGconn *c, const char *tenant, const char *sql_dir,
                  int *applied, char *errbuf, size_t errlen);

/* Classify a failed command: MP_ETRANSIENT when the connection is gone or
 * the server says the condition may pass (SQLSTATE classes 08, 53, 57,
 * 40001 serialization failure, 40P01 deadlock), else MP_EPG. res may be
 * NULL (connection-level failure). */
int mp_pg_error_kind(PGconn *c, const PGresult *res);

/* Write "what: server message" (one line, no password) into errbuf and
 * return mp_pg_error_kind(). */
int mp_pg_fail(PGconn *c, const PGresult *res, const char *what,
               char *errbuf, size_t errlen);

/* Run a command without parameters expecting no rows. 0 or as mp_pg_fail. */
int mp_pg_exec(PGconn *c, const char *sql, char *errbuf, size_t errlen);

/* Copy conninfo into out with the value of password=... (keyword form) or
 * the password of a postgresql:// URI replaced by "***". */
void mp_pg_mask_conninfo(const char *conninfo, char *out, size_t n);

#endif
