/* cli.h: the command functions of the `openmed` tool, one file each (cmd_<name>.c), and the
 * small helpers they share. Each command takes argv after its own name and returns an exit code. */
#ifndef OM_CLI_H
#define OM_CLI_H

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

#endif
