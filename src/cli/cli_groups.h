/* cli_groups.h: the option groups several commands share, defined once
 * (opt.h explains the option layer).
 *
 * Every shared option stores into one mp_cli_t, so a command reads its
 * Kafka, database, window, backlog, input and matching settings from the
 * same fields whatever spelling the user chose. A group macro expands to
 * mp_opt_t entries; a command lists the groups it has, in the order its
 * --help shows them:
 *
 *   MP_CLI_KAFKA(c)    -b/--brokers LIST ($MARCPIPE_BROKERS), -X/--property
 *                      K=V ($MARCPIPE_KAFKA_PROPS: more, one K=V a line,
 *                      applied before the -X ones, kept out of the process
 *                      list)
 *   MP_CLI_TOPIC(c)    -t/--topic, --env (MP_CLI_ENV), --namespace
 *   MP_CLI_GROUP_ID(c) -G/--group
 *   MP_CLI_TENANT(c)   --tenant (topic part and database schema)
 *   MP_CLI_DB(c)       -d/--db CONNINFO ($MARCPIPE_DB, else PG*, else the
 *                      managed PostgreSQL), and MP_CLI_STATE_DIR(c):
 *                      --state-dir DIR ($MARCPIPE_STATE_DIR, pgmanaged.h)
 *   MP_CLI_WINDOW(c)   --window, --window-bytes, --batch, --sinks,
 *                      --sink-latency-ms (a worker's window and batches;
 *                      MP_CLI_WINDOW_BATCH(c) is the same without
 *                      --sink-latency-ms, for a sink that has no delay)
 *   MP_CLI_REPLICATION(c) --replication-factor of created topics
 *   MP_CLI_BACKLOG(c)  --partitions (MP_CLI_PARTITIONS), --max-backlog,
 *                      --max-backlog-bytes
 *                      (the producer's credit; 0 = off, in every command)
 *   MP_CLI_INPUT(c)    --from FMT, --charset NAME
 *   MP_CLI_MATCH(c)    --match, --on-match, --on-no-match, --profile
 *   MP_CLI_MAPPING(c)  --rules SPEC, --refdata PATH (FOLIO's rules, reference data)
 *
 * Counts and sizes not given stay -1 (MP_CLI_UNSET): the command applies
 * its default. mp_cli_parse() parses and then checks what one value
 * cannot (tenant, topic parts, properties); mp_cli_db() resolves the
 * database and says which one is used when it is not the obvious one;
 * mp_cli_check_input() refuses an input file that cannot be read, or that
 * is not what --from says, before any job exists; mp_cli_backlog() turns
 * the backlog group into the producer's credit.
 */
#ifndef MP_CLI_GROUPS_H
#define MP_CLI_GROUPS_H

#include "cli/opt.h"
#include "marcpipe/kafka.h"
#include "marcpipe/kafka_admin.h"
#include "marcpipe/marc.h"
#include "marcpipe/producer.h"
#include "marcpipe/profile.h"
#include "marcpipe/worker.h"

#define MP_CLI_MAX_PROPS 64
#define MP_CLI_UNSET (-1)

typedef struct mp_cli_s {
  const char *cmd;
  /* Kafka */
  const char *brokers; /* -b, else $MARCPIPE_BROKERS, else NULL */
  const char *topic, *group, *env, *ns, *tenant;
  const char *props[MP_CLI_MAX_PROPS]; /* $MARCPIPE_KAFKA_PROPS, then -X */
  size_t nprops;
  const char *xprops[MP_CLI_MAX_PROPS]; /* -X as given */
  size_t nx;
  char *envprops; /* owns the strings of $MARCPIPE_KAFKA_PROPS */
  /* PostgreSQL */
  const char *db;        /* --db, else $MARCPIPE_DB, else NULL */
  const char *state_dir; /* --state-dir, else $MARCPIPE_STATE_DIR, else NULL */
  /* window and batches of a worker */
  int64_t window, window_bytes, batch, sinks, sink_latency_ms;
  /* the producer's backlog */
  int64_t partitions, max_backlog, max_backlog_bytes;
  int64_t replication_factor; /* of created topics; unset: min(3, brokers) */
  /* input */
  const char *from;
  mp_marc_format_t format; /* from --from, MP_FMT_AUTO when not given */
  const char *charset;
  /* mapping */
  const char *rules, *refdata;
  /* matching profile */
  mp_profile_builder_t profile;
  /* operands, after mp_cli_parse: argv[1 .. 1 + nargs) */
  char **args;
  int nargs;
} mp_cli_t;

void mp_cli_init(mp_cli_t *c, const char *cmd);
/* Frees what mp_cli_parse() allocated ($MARCPIPE_KAFKA_PROPS). */
void mp_cli_release(mp_cli_t *c);

/* mp_opt_parse() over opts, then the checks above. Returns -1 to go on,
 * 0 after --help, 2 after a usage error (printed). */
int mp_cli_parse(mp_cli_t *c, mp_opt_t *opts, const mp_opt_usage_t *u,
                 int argc, char **argv);

/* The conninfo to use, into out: --db / $MARCPIPE_DB as given; "" when
 * the PG* environment names a server; else the managed PostgreSQL of the
 * state directory, started when `start` (import), else used only when it
 * runs (a stopped one is an error naming it, never a silent fallback to
 * another server). A managed database is named on stderr unless quiet.
 * 0, or 1 after printing the reason ("marcpipe CMD: ..."). */
int mp_cli_db(const mp_cli_t *c, bool start, bool quiet, char *out, size_t n);

/* The one operand of a command about a job (status, errors): its id into
 * *id. 0, or 2 after the usage error. */
int mp_cli_job_arg(const mp_cli_t *c, int64_t *id);

/* mp_cli_parse() of a command about one job (log, cancel, delete), then
 * its one operand, the job id, into *id. -1 to go on, else the exit code
 * (0 after --help, 2 after a usage error). */
int mp_cli_parse_job(mp_cli_t *c, mp_opt_t *opts, const mp_opt_usage_t *u,
                     int argc, char **argv, int64_t *id);

/* mp_cli_db() (never starting a server) and a connection to it with the
 * tenant's schema migrated (mp_pg_connect). 0, or 1 after printing the
 * reason. The caller PQfinish()es *conn. */
struct pg_conn;
int mp_cli_db_open(const mp_cli_t *c, bool quiet, struct pg_conn **conn);

/* Refuse what cannot be imported before a job exists: a missing file, a
 * directory, an unreadable file, or a file whose first bytes say another
 * format than --from ("this looks like ISO 2709"). "-" (stdin) passes.
 * 0, or 1 after printing one line naming the file. */
int mp_cli_check_input(const mp_cli_t *c, const char *path);

/* The producer's credit from MP_CLI_BACKLOG: *partitions (default 8),
 * *records and *bytes (default: mp_producer_default_backlog of the
 * partitions; a bound given as 0 is off, -1). */
void mp_cli_backlog(const mp_cli_t *c, int *partitions, int64_t *records,
                    int64_t *bytes);

/* Create the topics ts[0..n) when missing (kafka_admin.h), each with
 * c's --replication-factor (unset: min(3, brokers)), and say on stderr
 * which were created unless quiet. ts[0] is the records (or events) topic:
 * when it exists with another partition count, that count replaces
 * c->partitions (said when --partitions was given), so mp_cli_backlog()
 * afterwards follows the real topic. 0, or MP_EKAFKA/MP_ECONFIG with err
 * set (unreachable cluster, topic not created). */
int mp_cli_topics_ensure(mp_cli_t *c, mp_topic_spec_t *ts, size_t n,
                         bool quiet, char *err, size_t errlen);

/* Option handlers shared by the groups (also usable alone). */
int mp__cli_opt_prop(const mp_opt_t *o, const char *arg, char *err, size_t n);
int mp__cli_opt_from(const mp_opt_t *o, const char *arg, char *err, size_t n);
int mp__cli_opt_match(const mp_opt_t *o, const char *arg, char *err, size_t n);

#define MP_CLI_STR_(x) #x
#define MP_CLI_STR(x) MP_CLI_STR_(x)

#define MP_CLI_KAFKA(c)                                                        \
  MP_OPT_STRING('b', "brokers", &(c)->brokers, "LIST",                         \
                "Kafka bootstrap servers host:port,... (default\n"             \
                "$MARCPIPE_BROKERS)"),                                         \
  MP_OPT_FN('X', "property", "K=V", mp__cli_opt_prop, (c),                     \
            "librdkafka property, repeatable (SASL, TLS, tuning);\n"           \
            "$MARCPIPE_KAFKA_PROPS: more, one K=V a line, applied\n"           \
            "before the -X ones; secrets given there do not\n"                 \
            "show in the process list")

#define MP_CLI_TOPIC(c)                                                        \
  MP_OPT_STRING('t', "topic", &(c)->topic, "TOPIC",                            \
                "records topic (default ENV.NS.TENANT.marc-record)"),          \
  MP_CLI_ENV(c),                                                               \
  MP_OPT_STRING(0, "namespace", &(c)->ns, "NS",                                \
                "topic namespace (default " MP_DEFAULT_NAMESPACE ")")

#define MP_CLI_ENV(c)                                                          \
  MP_OPT_STRING(0, "env", &(c)->env, "ENV",                                    \
                "topic environment (default " MP_DEFAULT_ENV ")")

#define MP_CLI_GROUP_ID(c)                                                     \
  MP_OPT_STRING('G', "group", &(c)->group, "GROUP",                            \
                "consumer group, also the key of the offsets stored\n"         \
                "in PostgreSQL (default " MP_WORKER_DEFAULT_GROUP ")")

#define MP_CLI_TENANT(c)                                                       \
  MP_OPT_STRING(0, "tenant", &(c)->tenant, "TENANT",                           \
                "tenant: topic part and database schema\n"                     \
                "TENANT_marcpipe, [a-z][a-z0-9_]{0,30} (default "              \
                MP_DEFAULT_TENANT ")")

#define MP_CLI_DB(c)                                                           \
  MP_OPT_STRING('d', "db", &(c)->db, "CONNINFO",                               \
                "libpq connection string (default $MARCPIPE_DB, else\n"        \
                "the PG* environment, else the managed local\n"                \
                "PostgreSQL of --state-dir); $MARCPIPE_DB keeps a\n"           \
                "password out of the process list"),                           \
  MP_CLI_STATE_DIR(c)

#define MP_CLI_STATE_DIR(c)                                                    \
  MP_OPT_STRING(0, "state-dir", &(c)->state_dir, "DIR",                        \
                "the managed PostgreSQL's directory (default\n"                \
                "$MARCPIPE_STATE_DIR, else $XDG_STATE_HOME/marcpipe/pg,\n"     \
                "else ~/.local/state/marcpipe/pg; root without\n"              \
                "either: /var/lib/marcpipe/pg)")

#define MP_CLI_WINDOW(c) MP_CLI_WINDOW_BATCH(c), MP_CLI_SINK_LATENCY(c)

/* The window and batch options alone (a sink without --sink-latency-ms). */
#define MP_CLI_WINDOW_BATCH(c)                                                 \
  MP_OPT_COUNT(0, "window", &(c)->window, 0, UINT32_MAX, "N",                  \
               "records a worker holds at most; 0 = unbounded (and\n"          \
               "no byte bound unless --window-bytes is given)"),               \
  MP_OPT_SIZE(0, "window-bytes", &(c)->window_bytes, 0, INT64_MAX, "SIZE",     \
              "bytes a worker holds at most (K/M/G suffixes;\n"                \
              "0 = unbounded); held records are copies, so this\n"             \
              "is their memory"),                                              \
  MP_OPT_COUNT(0, "batch", &(c)->batch, 1, 1000000, "N",                       \
               "most records per batch, one PostgreSQL transaction\n"          \
               "(default 1000; at most half of --window)"),                    \
  MP_OPT_COUNT(0, "sinks", &(c)->sinks, 1, 64, "N",                            \
               "batches in flight per worker, one database\n"                  \
               "connection each (default 2)")

#define MP_CLI_SINK_LATENCY(c)                                                 \
  MP_OPT_COUNT(0, "sink-latency-ms", &(c)->sink_latency_ms, 0, 600000, "MS",   \
               "extra delay inside each batch transaction, for\n"              \
               "benchmarks (default 0)")

#define MP_CLI_PARTITIONS(c)                                                   \
  MP_OPT_COUNT(0, "partitions", &(c)->partitions, 1, 1000, "N",                \
               "partitions of the records topic when it is created\n"         \
               "(default 8); an existing topic keeps its own, and\n"           \
               "its count sizes the default backlog")

#define MP_CLI_REPLICATION(c)                                                  \
  MP_OPT_COUNT(0, "replication-factor", &(c)->replication_factor, 1, 32, "N", \
               "replication of the topics when they are created\n"            \
               "(default min(3, brokers); min.insync.replicas 2 at 3)")

#define MP_CLI_BACKLOG(c)                                                      \
  MP_CLI_PARTITIONS(c),                                                        \
  MP_OPT_COUNT(0, "max-backlog", &(c)->max_backlog, 0, INT64_MAX, "N",         \
               "records produced but not yet processed before\n"               \
               "reading waits (default " MP_CLI_STR(                           \
                   MP_PRODUCER_BACKLOG_PER_PARTITION) " per partition;\n"      \
               "0 = off)"),                                                    \
  MP_OPT_SIZE(0, "max-backlog-bytes", &(c)->max_backlog_bytes, 0, INT64_MAX,   \
              "SIZE",                                                          \
              "the same in message bytes, e.g. 16M (default 2M per\n"          \
              "partition; 0 = off). The defaults keep the embedded\n"          \
              "broker (5 MiB per partition) from dropping data")

#define MP_CLI_INPUT(c)                                                        \
  MP_OPT_FN(0, "from", "FMT", mp__cli_opt_from, (c),                           \
            "input format: iso2709, marcxml or json (default:\n"               \
            "detected from the first bytes)"),                                 \
  MP_OPT_STRING(0, "charset", &(c)->charset, "NAME",                           \
                "the input's character set when leader/09 is wrong\n"         \
                "(e.g. cp1251); default: by leader/09")

#define MP_CLI_MAPPING(c)                                                      \
  MP_OPT_STRING(0, "rules", &(c)->rules, "SPEC",                               \
                "FOLIO rules file for bib records, or a comma list\n"          \
                "of bib=FILE,holdings=FILE,authority=FILE (default:\n"         \
                "FOLIO's rules in schemas/mapping/)"),                         \
  MP_OPT_STRING(0, "refdata", &(c)->refdata, "PATH",                           \
                "reference data: a directory of FOLIO reference\n"            \
                "records or a file keyed by type (default:\n"                 \
                "schemas/mapping/reference-data/)")

#define MP_CLI_MATCH(c)                                                        \
  MP_OPT_FN(0, "match", "KEY", mp__cli_opt_match, (c),                         \
            "match step, repeatable, tried in order: 001\n"                   \
            "(003:001), 035 (OCLC number), isbn, issn, or none\n"             \
            "(default: 001 then 035)"),                      \
  MP_OPT_FN(0, "on-match", "ACTION", mp__cli_opt_match, (c),                   \
            "update (default), skip or create"),                               \
  MP_OPT_FN(0, "on-no-match", "ACTION", mp__cli_opt_match, (c),                \
            "create (default) or skip"),                                       \
  MP_OPT_FN(0, "profile", "NAME", mp__cli_opt_match, (c),                      \
            "a stored profile (schemas/profiles/NAME.json) or a\n"             \
            "file ending in .json; options after it change it")

#endif
