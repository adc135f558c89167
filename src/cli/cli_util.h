/* cli_util.h: small pieces shared by the `marcpipe <command>` files
 * (the option layer itself is opt.h and cli_groups.h). */
#ifndef MP_CLI_UTIL_H
#define MP_CLI_UTIL_H

#include "marcpipe/marc.h"

#include <stdint.h>

/* Print "marcpipe CMD: <fmt with arg>" and a pointer to --help on stderr;
 * returns 2 (the usage exit status). */
int mp__cli_bad_usage(const char *cmd, const char *fmt, const char *arg);
/* A command's end after an operation that returned rc with err: 0 when
 * rc is 0; else "marcpipe CMD: err" (mp_strerror(rc) when err is empty)
 * on stderr, and 1. */
int mp__cli_fail(const char *cmd, int rc, const char *err);
/* Print the diagnostics of the reader's last record on stderr, one
 * "FILE: record N at byte OFF[, field TAG]: LEVEL: msg" line each. */
void mp__cli_print_diags(const mp_marc_reader_t *rd);

/* Option values shared by the commands. 0, or -1 when s is not one.
 * A count: unsigned decimal, at most max ("-1", "", "12x" are not).
 * A size: a count of bytes with an optional binary multiple, "123",
 * "64K", "64M", "1G" (also "64KiB", "64MB"). */
int mp__cli_count(const char *s, uint64_t max, uint64_t *out);
int mp__cli_size(const char *s, uint64_t *out);
/* A job id argument: > 0, or -1 when arg is not one. */
int64_t mp__cli_job_id(const char *arg);

/* $MARCPIPE_KAFKA_PROPS: Kafka properties kept out of the process list,
 * one K=V a line. Appends them to props[*n..max) pointing into *copy (a
 * malloc'd copy of the variable, NULL when unset; the caller frees it).
 * Returns -1 (printing "marcpipe CMD: ..." without any value: values may
 * be secrets) when a line has no '=' or there are too many. */
#define MP_CLI_KAFKA_PROPS_ENV "MARCPIPE_KAFKA_PROPS"
int mp__cli_env_props(const char *cmd, char **copy, const char **props,
                      size_t *n, size_t max);

/* A producer's progress through its input file, for its lease (`serve`,
 * `status`) and import's line: the size of PATH when it is a regular file,
 * else 0 (a pipe: unknown); the share (0..1] of those bytes read, -1 when
 * unknown; the lease's stats JSON of job JOB with READ records read
 * ("input_read" -1 when unknown) into buf. */
uint64_t mp__cli_file_size(const char *path);
double mp__cli_input_share(uint64_t bytes_read, uint64_t file_size);
void mp__cli_producer_stats_json(char *buf, size_t n, int64_t job, int64_t read,
                                 double input_read, const char *more);

#endif
