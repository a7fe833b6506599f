/* output_file.h: whole output files written to a temporary file beside them, flushed and renamed
 * into place, so a reader never sees a half-written file and a failure leaves the old one. */
#ifndef OM_CLI_OUTPUT_FILE_H
#define OM_CLI_OUTPUT_FILE_H

#include <stddef.h>

/* Write n bytes to `path` atomically; on failure prints "openmed: cannot write PATH: why" to stderr
 * and returns 0. */
int cli_write_file_atomic(const char *path, const char *data, size_t n);

#endif
