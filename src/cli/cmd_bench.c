/* cmd_bench.c: `marcpipe bench`, the benchmark harness's command name.
 *
 * The harness is its own program, marcpipe-bench (bench/harness/), built
 * and installed beside this binary and not linked into it, as git runs
 * git-<command> programs: this command replaces the process with that
 * program, passing the arguments on unchanged, so `marcpipe bench ARGS`
 * and `marcpipe-bench ARGS` are the same run (options, --help, output and
 * exit status are the harness's). Without a marcpipe-bench beside this
 * binary it fails in one line saying where it looked.
 */
#include "cli/commands.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HARNESS "marcpipe-bench"

int cmd_bench(int argc, char **argv) {
  (void)argc;
  char self[PATH_MAX], path[PATH_MAX + sizeof HARNESS];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    fprintf(stderr, "marcpipe bench: /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  self[len] = '\0';
  snprintf(path, sizeof path, "%.*s/" HARNESS,
           (int)(strrchr(self, '/') - self), self);
  argv[0] = path;
  execv(path, argv);
  fprintf(stderr,
          "marcpipe bench: cannot run %s: %s (build it with `ninja -C BUILD "
          HARNESS "`, see bench/README.md)\n",
          path, strerror(errno));
  return 1;
}
