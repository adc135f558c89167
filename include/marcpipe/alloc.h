/* alloc.h: the allocator settings of long-running processes (workers).
 *
 * A worker's memory must be bounded by its window, not by the length of
 * the job. With glibc's defaults it is not quite: each thread gets its own
 * malloc arena, and the mmap threshold rises every time a large block is
 * freed, so the big short-lived buffers (librdkafka's fetch responses,
 * COPY chunks, libpq's buffers) soon come from the heap, where freed space
 * is kept. Measured (bench/README.md): one arena per thread let peak RSS
 * grow +10% from 100k to 400k records (window 5,000), two arenas +2%;
 * with two arenas, 2 workers, a window of 2,000 records and a 20 ms sink,
 * peak RSS was 24.5 MiB for 10k records and 30.6 for 100k (+25%) with the
 * default thresholds, 23.5 and 24.4 (+4%) with fixed ones. */
#ifndef MARCPIPE_ALLOC_H
#define MARCPIPE_ALLOC_H

/* Blocks of at least this size are always mmapped, and returned to the
 * system when freed; the heap is trimmed when this much is free at its
 * top. glibc's initial default for both, made fixed. */
#define MP_ALLOC_MMAP_THRESHOLD (128 * 1024)

/* Two malloc arenas instead of one per thread, and the fixed thresholds
 * above. Call first thing in main, before any thread starts. A setting
 * given in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_) is left as it is. Returns the number of
 * settings applied (0 when the C library has no such settings, e.g. under
 * a sanitizer's allocator). */
int mp_alloc_bound_retention(void);

#endif
