/* import_progress.h: progress display of `marcpipe import`.
 *
 * On a terminal: one line redrawn in place (bar, done/total, records/s,
 * errors). Otherwise: a plain line every `every_s` seconds, so logs of
 * long jobs show progress without control characters. stderr only.
 */
#ifndef MP_CLI_IMPORT_PROGRESS_H
#define MP_CLI_IMPORT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mp_progress_s {
  FILE *out;
  bool tty;
  bool quiet;
  double every_s;      /* plain mode: seconds between lines */
  double last_print;   /* time of the last plain line */
  bool drawn;          /* tty: a line is on screen */
} mp_progress_t;

typedef struct mp_progress_view_s {
  double elapsed_s;
  int64_t read;        /* records read from the file so far */
  int64_t total;       /* -1 while unknown */
  int64_t processed;   /* records accounted for by workers/producer */
  int64_t errors;
  const char *status;  /* job status */
} mp_progress_view_t;

void mp_progress_init(mp_progress_t *p, FILE *out, bool quiet);
void mp_progress_update(mp_progress_t *p, const mp_progress_view_t *v);
/* Finish the tty line (newline) before other output. */
void mp_progress_end(mp_progress_t *p);

#endif
