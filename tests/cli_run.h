/* cli_run.h: runs the built `openmed` binary for CLI tests and keeps what it printed. */
#ifndef OM_TESTS_CLI_RUN_H
#define OM_TESTS_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char out_buf[1 << 20]; /* standard output, then standard error, of the last run() */
static size_t err_at;         /* where standard error starts in out_buf */

/* Run `openmed ARGS`: out_buf gets its standard output followed by its standard error (so a JSON
 * reply parses from the start while warnings still show); returns the exit code, -1 if it did not
 * exit. */
static int run(const char *args) {
    char errfile[] = "/tmp/openmed-test-stderr-XXXXXX";
    int fd = mkstemp(errfile);
    if (fd < 0) return -1;
    close(fd);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s/bin/openmed %s 2>%s", OM_BINARY_DIR, args, errfile);
    FILE *p = popen(cmd, "r");
    if (!p) {
        unlink(errfile);
        return -1;
    }
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, p);
    int rc = pclose(p);
    err_at = n;
    FILE *e = fopen(errfile, "rb");
    if (e) {
        n += fread(out_buf + n, 1, sizeof out_buf - 1 - n, e);
        fclose(e);
    }
    unlink(errfile);
    out_buf[n] = '\0';
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(data, f);
    fclose(f);
}

#endif
