/* cmd_circ.h: the `marcpipe circ <subcommand>` family (cmd_circ*.c). Each
 * subcommand follows the commands.h contract (argv[0] = subcommand name;
 * exit 0/1/2) and parses with the shared option layer (cli_groups.h), its
 * name for messages being "circ SUB". */
#ifndef MP_CLI_CMD_CIRC_H
#define MP_CLI_CMD_CIRC_H

#include "cli/cli_groups.h"

#include <stddef.h>

int circ_produce(int argc, char **argv);
int circ_work(int argc, char **argv);
int circ_blocks(int argc, char **argv);
int circ_summary(int argc, char **argv);
int circ_audit(int argc, char **argv);
int circ_limits(int argc, char **argv);
int circ_gen(int argc, char **argv);

/* What circ produce and circ work need of the Kafka group after parsing:
 * brokers given (-b or $MARCPIPE_BROKERS), and the topic: -t, else
 * ENV.NS.TENANT.CIRCULATION written into buf (c->topic then points at
 * it). 0, or 2 after the usage error. */
int circ_kafka_args(mp_cli_t *c, char *buf, size_t n);

/* The -t help of the circ commands (their default topic). */
#define CIRC_TOPIC_HELP "events topic (default ENV.NS.TENANT.CIRCULATION)"

#endif
