/* cmd_stubs.c: weak placeholders for commands whose cmd_<name>.c does not
 * exist yet. A real cmd_<name>.c overrides its placeholder at link time.
 * TEMPORARY: removed once every command is implemented. */
#include "cli/commands.h"

#include <stdio.h>

#define STUB(name)                                                             \
  __attribute__((weak)) int cmd_##name(int argc, char **argv) {                \
    (void)argc;                                                                \
    (void)argv;                                                                \
    fprintf(stderr, "marcpipe: '" #name "' is not available in this build\n"); \
    return 1;                                                                  \
  }

STUB(dump)
STUB(map)
STUB(import)
STUB(produce)
STUB(work)
STUB(broker)
STUB(db)
STUB(status)
STUB(jobs)
STUB(errors)
STUB(gen)
STUB(bench)
