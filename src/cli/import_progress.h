/* import_progress.h: progress display of `marcpipe import`.
 *
 * On a terminal: one line redrawn in place, never longer than the terminal
 * is wide (TIOCGWINSZ, else $COLUMNS, else 80; the bar shrinks, then goes,
 * then the line is cut), so it never wraps: elapsed time, done/total, the
 * current rate (records per second over the last RATE_WINDOW_S seconds, not
 * the average since the start), the ETA, errors,
 * and while nothing is committed yet a phase word saying what the job waits
 * for ("joining group", "waiting for first batch"). Otherwise (a log file,
 * a pipe): the same facts as a plain line once a minute (every_s), so logs
 * of long jobs show progress without control characters or noise. Until the
 * reader has reached the end of the input the total is unknown ("read+"):
 * the share done and the ETA ("~") are then estimated from the share of the
 * file's bytes read (records read / input_read records in all), and are
 * never 100%; for a pipe the share is of the records read so far. stderr
 * only; pure formatting, the caller decides when to update.
 */
#ifndef MP_CLI_IMPORT_PROGRESS_H
#define MP_CLI_IMPORT_PROGRESS_H

#include "marcpipe/job.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MP_PROGRESS_SAMPLES 64 /* ring of (time, processed) samples */
#define MP_PROGRESS_RATE_WINDOW_S 10.0

typedef struct mp_progress_s {
  FILE *out;
  bool tty;
  bool quiet;
  int columns;         /* 0: ask the terminal on every update */
  double every_s;      /* plain mode: seconds between lines (60) */
  double last_print;   /* time of the last plain line */
  bool drawn;          /* tty: a line is on screen */
  double t[MP_PROGRESS_SAMPLES];
  int64_t done[MP_PROGRESS_SAMPLES];
  int nsamples, head;  /* ring: head is the next slot */
} mp_progress_t;

typedef struct mp_progress_view_s {
  double elapsed_s;
  int64_t read;        /* records read from the file so far */
  double input_read;   /* share (0..1] of the file's bytes read; <= 0 unknown
                          (a pipe): the estimate of the total until known */
  int64_t total;       /* -1 while unknown */
  int64_t processed;   /* records accounted for by workers/producer */
  int64_t errors;
  mp_job_status_t status; /* job status */
  const char *phase;   /* what the job waits for, or NULL */
} mp_progress_view_t;

void mp_progress_init(mp_progress_t *p, FILE *out, bool quiet);
void mp_progress_update(mp_progress_t *p, const mp_progress_view_t *v);
/* Finish the tty line (newline) before other output. */
void mp_progress_end(mp_progress_t *p);

/* The line for width `cols` into buf (no "\r", no newline): what update
 * draws on a terminal. Also records the sample for the rate. Returns the
 * line's length, at most cols - 1. */
size_t mp_progress_format(mp_progress_t *p, const mp_progress_view_t *v,
                          int cols, char *buf, size_t n);

#endif
