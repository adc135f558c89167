/* cmd_circ.h: the `marcpipe circ <subcommand>` family (cmd_circ*.c) and
 * the small option parsing its files share. Each subcommand follows the
 * commands.h contract (argv[0] = subcommand name; exit 0/1/2). */
#ifndef MP_CLI_CMD_CIRC_H
#define MP_CLI_CMD_CIRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int circ_produce(int argc, char **argv);
int circ_work(int argc, char **argv);
int circ_blocks(int argc, char **argv);
int circ_summary(int argc, char **argv);
int circ_audit(int argc, char **argv);
int circ_limits(int argc, char **argv);
int circ_gen(int argc, char **argv);

/* Options common to the circ subcommands. */
typedef struct circ_opts_s {
  const char *brokers;  /* -b; default $MARCPIPE_BROKERS */
  const char *db;       /* --db; default $MARCPIPE_DB, else "" (PG*) */
  const char *tenant;   /* --tenant */
  const char *env;      /* --env */
  const char *topic;    /* -t; default ENV.Default.TENANT.CIRCULATION */
  const char *props[64];/* -X */
  size_t nprops;
  char topic_buf[256];
} circ_opts_t;

void circ_opts_init(circ_opts_t *o);
/* argv[*i] is one of the common options: take it (and its value), step *i
 * past the value and return 1; 0 when it is not one; -1 (message printed)
 * when its value is missing or invalid. */
int circ_opts_take(const char *cmd, int argc, char **argv, int *i,
                   circ_opts_t *o);
/* After parsing: validate the tenant and derive the topic. 0 or 2. */
int circ_opts_finish(const char *cmd, circ_opts_t *o);
/* The value of option argv[*i] (stepping *i), or NULL with a message. */
const char *circ_value(const char *cmd, int argc, char **argv, int *i);
/* A count option value 0..max; -1 with a message when invalid. */
int circ_count(const char *cmd, const char *opt, const char *v, uint64_t max,
               uint64_t *out);

#endif
