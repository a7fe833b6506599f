/* progress.h: a one-line progress report on standard error for runs over many documents:
 * "[#######.....] 120/400 documents  35.2/s  ETA 0:08", redrawn at most ten times a second.
 * Only when standard error is a terminal and there is more than one document; silent when piped
 * or redirected, so logs and captured output never hold it. */
#ifndef OPENMED_CLI_PROGRESS_H
#define OPENMED_CLI_PROGRESS_H

#include <stddef.h>

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

#endif
