/* fuzz_quiet.h: silences libxml2's generic error printer for a fuzz target
 * (call fuzz_quiet_libxml once, from LLVMFuzzerInitialize). Messages that
 * libxml2 prints outside the reader's own error handler (an encoding
 * failure, for one) cost a write to stderr per such input, and the reader
 * reports those failures itself. */
#ifndef MP_FUZZ_QUIET_H
#define MP_FUZZ_QUIET_H

#include <libxml/xmlerror.h>

static inline void fuzz_quiet_print(void *ctx, const char *fmt, ...) {
  (void)ctx;
  (void)fmt;
}

static inline void fuzz_quiet_libxml(void) {
  xmlSetGenericErrorFunc(NULL, fuzz_quiet_print);
}

#endif
