/* alloc.h: the allocator settings of long-running processes (workers,
 * the import and the producer).
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
 * default thresholds, 23.5 and 24.4 (+4%) with fixed ones.
 *
 * Fixed is what bounds the growth; how high is a matter of CPU. At
 * 128 KiB every fetch response, produce batch and zstd context was a
 * fresh mmap: its pages faulted in on first touch and its unmap flushed
 * the TLBs of both cores (perf, 50k records, 2 workers: page faults ~10%
 * of all samples, the kernel ~30%). At 4 MiB (trim 8 MiB) those buffers are
 * reused from the heap: the pipeline's CPU per record fell by a fifth
 * (bench/README.md, "Allocator thresholds"). */
#ifndef MARCPIPE_ALLOC_H
#define MARCPIPE_ALLOC_H

/* Blocks of at least this size are always mmapped, and returned to the
 * system when freed: larger than librdkafka's fetch responses and produce
 * batches (1 MiB by default), COPY chunks and zstd contexts. */
#define MP_ALLOC_MMAP_THRESHOLD (4 * 1024 * 1024)
/* The heap is trimmed when this much is free at its top. */
#define MP_ALLOC_TRIM_THRESHOLD (8 * 1024 * 1024)

/* Two malloc arenas instead of one per thread, and the fixed thresholds
 * above. Call first thing in main, before any thread starts. A setting
 * given in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_) is left as it is. Returns the number of
 * settings applied (0 when the C library has no such settings, e.g. under
 * a sanitizer's allocator). */
int mp_alloc_bound_retention(void);

#endif
