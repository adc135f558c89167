/* commands.h: the `marcpipe <command>` table's entry points.
 * Each command lives in its own src/cli/cmd_<name>.c and follows the same
 * contract: parse its own argv (argv[0] is the command name), print data on
 * stdout and diagnostics on stderr, return the process exit code:
 * 0 ok, 1 failure, 2 usage. */
#ifndef MP_CLI_COMMANDS_H
#define MP_CLI_COMMANDS_H

int cmd_dump(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_work(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_errors(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_circ(int argc, char **argv);

#endif
