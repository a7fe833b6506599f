/* cli_run.h: runs the built `openmed` binary for CLI tests and keeps what it printed. */
#ifndef OM_TESTS_CLI_RUN_H
#define OM_TESTS_CLI_RUN_H

#include <stdio.h>
#include <sys/wait.h>

static char out_buf[1 << 20]; /* standard output and error of the last run() */

/* Run `openmed ARGS` (stderr folded into out_buf); returns the exit code, -1 if it did not exit. */
static int run(const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s/bin/openmed %s 2>&1", OM_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, p);
    out_buf[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(data, f);
    fclose(f);
}

#endif
