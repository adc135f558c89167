/* cli_util.c: usage errors, option values (counts and sizes), reader
 * diagnostics, Kafka properties from the environment and the failure line,
 * handled the same way by every command (see cli_util.h).
 * Single-threaded, stderr only. */
#include "cli/cli_util.h"

#include "marcpipe/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mp__cli_bad_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "marcpipe %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see marcpipe %s --help)\n", cmd);
  return 2;
}

int mp__cli_fail(const char *cmd, int rc, const char *err) {
  if (!rc)
    return 0;
  fprintf(stderr, "marcpipe %s: %s\n", cmd,
          err && err[0] ? err : mp_strerror(rc));
  return 1;
}

void mp__cli_print_diags(const mp_marc_reader_t *rd) {
  size_t n;
  const mp_marc_diag_t *dg = mp_marc_reader_diags(rd, &n);
  char line[512];
  for (size_t i = 0; i < n; i++) {
    mp_marc_diag_format(&dg[i], mp_marc_reader_name(rd), line, sizeof line);
    fprintf(stderr, "%s\n", line);
  }
}

int mp__cli_env_props(const char *cmd, char **copy, const char **props,
                      size_t *n, size_t max) {
  const char *env = getenv(MP_CLI_KAFKA_PROPS_ENV);
  *copy = NULL;
  if (!env)
    return 0;
  if (!(*copy = strdup(env))) {
    fprintf(stderr, "marcpipe %s: out of memory\n", cmd);
    return -1;
  }
  for (char *line = *copy, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    if (!*line)
      continue;
    if (*n == max || !strchr(line, '=')) {
      fprintf(stderr, "marcpipe %s: $" MP_CLI_KAFKA_PROPS_ENV
                      " wants K=V lines (at most %zu properties with -X)\n",
              cmd, max);
      free(*copy);
      *copy = NULL;
      return -1;
    }
    props[(*n)++] = line;
  }
  return 0;
}

int mp__cli_count(const char *s, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || *s == '-' || v > max)
    return -1;
  *out = v;
  return 0;
}

int mp__cli_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *s == '-')
    return -1;
  unsigned shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  default: break;
  }
  if ((*end == 'i' || *end == 'I') && shift)
    end++;
  if ((*end == 'b' || *end == 'B') && shift)
    end++;
  if (*end || (shift && v > (UINT64_MAX >> shift)))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

int64_t mp__cli_job_id(const char *arg) {
  char *end = NULL;
  long long id = arg ? strtoll(arg, &end, 10) : 0;
  return (arg && *arg && !*end && id > 0) ? (int64_t)id : -1;
}

uint64_t mp__cli_file_size(const char *path) {
  struct stat sb;
  return path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size
                                                             : 0;
}

double mp__cli_input_share(uint64_t bytes_read, uint64_t file_size) {
  if (!file_size || !bytes_read)
    return -1;
  return bytes_read >= file_size ? 1.0 : (double)bytes_read / (double)file_size;
}

void mp__cli_producer_stats_json(char *buf, size_t n, int64_t job, int64_t read,
                                 double input_read, const char *more) {
  snprintf(buf, n, "{\"job\":%" PRId64 ",\"read\":%" PRId64 ",\"input_read\":%.6f%s%s}",
           job, read, input_read, more && *more ? "," : "", more ? more : "");
}
