/* cli.h: the command functions of the `openmed` tool, one file each (cmd_<name>.c), and the
 * small helpers they share. Each command takes argv after its own name and returns an exit code.
 * The tool is a client of the public API: it includes openmed.h and nothing from src/. */
#ifndef OM_CLI_H
#define OM_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "openmed.h"

typedef int (*om_cli_command)(int argc, char **argv);

int cmd_doctor(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_pii(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Print "openmed: <message>" for a failed call to stderr; returns 1 (the exit code). */
int cli_report(const openmed_error *err);

/* Set err (if not NULL) to status and a printf-style message; returns status. */
openmed_status cli_fail(openmed_error *err, openmed_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open an input file for reading; anything but a regular file (a FIFO, device, socket, folder)
 * fails at once with OPENMED_ERR_IO naming the path and its kind, without blocking on it.
 * Standard input is the caller's business and never comes through here. */
openmed_status cli_open_input(const char *path, FILE **out, openmed_error *err);

/* Read a whole file into a NUL-terminated malloc'd buffer (*size excludes the NUL); files over
 * max_bytes (0 = no cap) fail with OPENMED_ERR_FORMAT, errors name the file. Regular files
 * only (cli_open_input). */
openmed_status cli_read_file(const char *path, size_t max_bytes, char **data, size_t *size, openmed_error *err);

/* Read all of standard input into a NUL-terminated malloc'd buffer (*size excludes the NUL); more
 * than max_bytes fails with OPENMED_ERR_FORMAT, errors say "standard input". */
openmed_status cli_read_stdin(size_t max_bytes, char **data, size_t *size, openmed_error *err);

/* The folder of a bundled model ("disease", "pii") written to buf, or NULL when there is none
 * (openmed_bundled_model_path). */
const char *cli_bundled_model(const char *which, char *buf, size_t size);

/* What outputs call a bundled model: "bundled/<its folder's name>" ("bundled/pii"), as `openmed
 * serve` and the Python package name it; written to buf, which is returned. */
const char *cli_bundled_model_name(const char *folder, char *buf, size_t size);

#endif
