/* progress.h: a one-line progress report on standard error for runs over many documents:
 * "[#######.....] 120/400 documents  35.2/s  ETA 0:08", redrawn at most ten times a second; and the
 * line of a download (`models pull`), in bytes.
 * Only when standard error is a terminal and there is more than one document; silent when piped
 * or redirected, so logs and captured output never hold it. */
#ifndef OPENMED_CLI_PROGRESS_H
#define OPENMED_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_progress {
    int on;            /* drawing (a terminal, more than one item) */
    size_t total, done;
    const char *unit;  /* "documents" */
    double start, last_draw;
} cli_progress;

void cli_progress_start(cli_progress *p, size_t total, const char *unit);
void cli_progress_add(cli_progress *p, size_t n);
/* Erase the line (before a message on standard error); the next update draws it again. */
void cli_progress_hide(cli_progress *p);
/* Draw the final state and end the line. */
void cli_progress_end(cli_progress *p);

/* The line itself, for tests: done of total, elapsed seconds. */
void cli_progress_format(char *out, size_t size, size_t done, size_t total, const char *unit, double elapsed);

/* A download's line: "FILE [###...] 45.0%  12.3 MB / 40.0 MB  5.2 MB/s  ETA 0:05" (`in 0:07` when
 * done), the rate done bytes over elapsed seconds. */
void cli_progress_format_bytes(char *out, size_t size, const char *file, uint64_t done, uint64_t total, double elapsed);

/* "532.0 kB", "12.3 MB", "1.2 GB" (powers of 1000). */
void cli_format_bytes(uint64_t n, char *out, size_t size);

#endif
