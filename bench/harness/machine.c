/* machine.c: a one-line description of the machine a benchmark ran on
 * (cores online, memory, kernel), for the record beside the figures.
 * Pure reads of sysconf/sysinfo/uname.
 */
#include "harness.h"

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

void mp_bench_machine(char *out, size_t n) {
  struct sysinfo si;
  struct utsname u;
  double gib = sysinfo(&si) == 0
                   ? (double)si.totalram * si.mem_unit / (1024.0 * 1024 * 1024)
                   : 0;
  if (uname(&u))
    u = (struct utsname){.sysname = "?", .release = "?", .machine = "?"};
  snprintf(out, n, "%ld cores, %.1f GiB memory, %s %s %s",
           sysconf(_SC_NPROCESSORS_ONLN), gib, u.sysname, u.release,
           u.machine);
}
