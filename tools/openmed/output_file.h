/* output_file.h: where a command writes its result: standard output, or a file written under a
 * temporary name beside it (mode 0600), flushed, synced and renamed into place when whole, so a
 * reader never sees a half-written file and a failure leaves any old one as it was. */
#ifndef OM_CLI_OUTPUT_FILE_H
#define OM_CLI_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_output {
    FILE *f;    /* write here */
    char *path; /* the final path, NULL for standard output */
    char *tmp;  /* the temporary file meanwhile */
} cli_output;

/* Open the output for `path` (NULL or "-": standard output). On failure prints "openmed: cannot
 * write PATH: why" to stderr and returns 0. */
int cli_output_open(cli_output *o, const char *path);

/* Finish. With keep, a file is flushed, synced and renamed into place, standard output flushed;
 * returns 0 after "openmed: cannot write PATH: why" when that fails. Without keep, the temporary
 * file is removed (returns 1). Safe on an output that never opened. */
int cli_output_close(cli_output *o, int keep);

/* Write n bytes to `path` atomically (the two calls above); returns 0 after a message on failure. */
int cli_write_file_atomic(const char *path, const char *data, size_t n);

#endif
