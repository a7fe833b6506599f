/* cli_util.c: the small helpers every command shares: error records, whole-file reads and the
 * bundled models' folders. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

openmed_status cli_open_input(const char *path, FILE **out, openmed_error *err) {
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever before any check */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cli_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cli_fail(err, OPENMED_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        const char *kind = S_ISDIR(st.st_mode)    ? "a folder"
                           : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "a special file";
        return cli_fail(err, OPENMED_ERR_IO, "%s: is %s, not a regular file (pipe text through standard input instead)",
                        path, kind);
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return cli_fail(err, OPENMED_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    *out = f;
    return OPENMED_OK;
}

openmed_status cli_read_file(const char *path, size_t max_bytes, char **data, size_t *size, openmed_error *err) {
    *data = NULL;
    if (size) *size = 0;
    FILE *f;
    openmed_status opened = cli_open_input(path, &f, err);
    if (opened != OPENMED_OK) return opened;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return cli_fail(err, OPENMED_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
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

openmed_status cli_read_stdin(size_t max_bytes, char **data, size_t *size, openmed_error *err) {
    *data = NULL;
    *size = 0;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading standard input");
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                free(buf);
                return cli_fail(err, OPENMED_ERR_FORMAT, "standard input: more than %zu bytes", max_bytes);
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading standard input");
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return cli_fail(err, OPENMED_ERR_IO, "standard input: read error");
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return OPENMED_OK;
}

const char *cli_bundled_model(const char *which, char *buf, size_t size) {
    openmed_error err;
    return openmed_bundled_model_path(which, buf, size, &err) == OPENMED_OK ? buf : NULL;
}

const char *cli_bundled_model_name(const char *folder, char *buf, size_t size) {
    size_t n = strlen(folder);
    while (n > 1 && folder[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && folder[start - 1] != '/') start--;
    snprintf(buf, size, "bundled/%.*s", (int)(n - start), folder + start);
    return buf;
}
