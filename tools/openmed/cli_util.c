/* cli_util.c: the small helpers every command shares: error records, whole-file reads and the
 * bundled models' folders. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_report(const openmed_error *err) {
    fprintf(stderr, "openmed: %s\n", err->message);
    return 1;
}

openmed_status cli_fail(openmed_error *err, openmed_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

openmed_status cli_read_file(const char *path, size_t max_bytes, char **data, size_t *size, openmed_error *err) {
    *data = NULL;
    if (size) *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cli_fail(err, OPENMED_ERR_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    if (max_bytes && n > max_bytes) {
        fclose(f);
        return cli_fail(err, OPENMED_ERR_FORMAT, "%s: file is %zu bytes, larger than the %zu allowed", path, n,
                        max_bytes);
    }
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    if (n && fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return cli_fail(err, OPENMED_ERR_IO, "%s: short read", path);
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    if (size) *size = n;
    return OPENMED_OK;
}

const char *cli_bundled_model(const char *which, char *buf, size_t size) {
    openmed_error err;
    return openmed_bundled_model_path(which, buf, size, &err) == OPENMED_OK ? buf : NULL;
}
