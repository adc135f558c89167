/* alloc.h: the allocator settings of long-running processes (workers,
 * and the producer's: import, produce).
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
 * The producer's process (import, produce) is not bounded by a window but
 * by its backlog credit, and it churns large buffers: librdkafka's produce
 * batches and zstd contexts, and with the embedded broker its fetch
 * responses. At 128 KiB, or with the dynamic threshold, each was a fresh
 * mmap whose pages faulted in on first touch and whose unmap flushed the
 * TLBs of both cores (perf, 50k records, 2 workers: page faults ~10% of
 * all samples). mp_alloc_reuse_buffers fixes its thresholds above those
 * buffers, which are then reused from the heap: CPU per record of the
 * whole pipeline 0.925 of before with this in the import process alone
 * (A/B median, bench/README.md "Allocator thresholds").
 *
 * A worker's own churn is smaller: librdkafka 2.0.2 creates a zstd
 * decompression stream (its context and window, ~260 KiB) for every
 * fetched message set, and its output buffer (130-430 KiB, grown by
 * realloc because the frame does not carry its size) and the sink's COPY
 * chunks are of the same order. At 128 KiB each was mmapped and unmapped
 * again: page faults and TLB flushes were ~17% of a worker's samples.
 * mp_alloc_bound_retention fixes the worker's thresholds at 1 MiB / 2 MiB,
 * above those buffers: worker CPU for 1M records 41.6 s against 65.1 s at
 * 128 KiB, peak RSS 54 -> 55 MiB from 100k to 1M records (one worker). At
 * 4 MiB / 8 MiB the CPU was the same and the RSS grew 5-25% with the job. */
#ifndef MARCPIPE_ALLOC_H
#define MARCPIPE_ALLOC_H

/* Workers: blocks of at least MMAP are always mmapped, and returned to
 * the system when freed; smaller ones are reused from the heap, which is
 * trimmed when TRIM is free at its top. */
#define MP_ALLOC_MMAP_THRESHOLD (1024 * 1024)
#define MP_ALLOC_TRIM_THRESHOLD (2 * 1024 * 1024)
/* The producer's process: above librdkafka's produce batches and fetch
 * responses (1 MiB by default) and zstd's contexts. */
#define MP_ALLOC_PRODUCER_MMAP_THRESHOLD (4 * 1024 * 1024)
#define MP_ALLOC_PRODUCER_TRIM_THRESHOLD (8 * 1024 * 1024)

/* Two malloc arenas instead of one per thread, and the fixed thresholds
 * above. Call first thing in main, before any thread starts. A setting
 * given in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_) is left as it is. Returns the number of
 * settings applied (0 when the C library has no such settings, e.g. under
 * a sanitizer's allocator). */
int mp_alloc_bound_retention(void);
/* The same for the producer's process, at the PRODUCER thresholds. */
int mp_alloc_reuse_buffers(void);

#endif
