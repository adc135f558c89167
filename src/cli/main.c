/* main.c: `marcpipe <command> [args]`, dispatched through a commands[]
 * table (git-style). Each command owns its argv and its --help. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} command_t;

static const command_t commands[] = {
    {"import", cmd_import, "import MARC files end to end (the main job)"},
    {"produce", cmd_produce, "stream a MARC file into Kafka as a job (SRM role)"},
    {"work", cmd_work, "consume records into PostgreSQL (inventory role)"},
    {"broker", cmd_broker, "run the embedded Kafka-protocol broker"},
    {"db", cmd_db, "start, stop or show the managed local PostgreSQL"},
    {"status", cmd_status, "show a job's progress"},
    {"jobs", cmd_jobs, "list jobs"},
    {"errors", cmd_errors, "list or export a job's rejected records"},
    {"log", cmd_log, "a job's log: each record's outcome and why"},
    {"cancel", cmd_cancel, "cancel a running job"},
    {"delete", cmd_delete, "delete a finished job's log and records"},
    {"serve", cmd_serve, "web console and Prometheus metrics"},
    {"dump", cmd_dump, "read, check and convert MARC files"},
    {"map", cmd_map, "map MARC records to Instance JSON by rules"},
    {"gen", cmd_gen, "generate realistic MARC test files from real records"},
    {"bench", cmd_bench, "benchmark full imports over configurations"},
    {"circ", cmd_circ, "circulation events: produce, consumers, blocks, audit"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: marcpipe <command> [options] [args]\n\n"
               "marcpipe imports MARC files (ISO 2709, MARCXML, MARC-in-JSON) "
               "into PostgreSQL\nthrough Kafka with pull workers, bounded "
               "windows and idempotent writes.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'marcpipe <command> --help' explains a command.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("marcpipe %s\n", MP_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (!strcmp(cmd, commands[i].name))
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "marcpipe: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
