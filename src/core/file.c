/* file.c: whole-file reads and path helpers shared by the loaders. */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static const char *file_kind(mode_t mode) {
    return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a FIFO (named pipe)" : S_ISCHR(mode) ? "a character device"
           : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

openmed_status om_open_regular(const char *path, FILE **out, openmed_error *err) {
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO with no writer (or some devices) must not hang before the check */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return om_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return om_fail(err, OPENMED_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return om_fail(err, OPENMED_ERR_IO, "%s: is %s, not a regular file", path, file_kind(st.st_mode));
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return om_fail(err, e == ENOMEM ? OPENMED_ERR_NO_MEMORY : OPENMED_ERR_IO, "%s: cannot open: %s", path,
                       strerror(e));
    }
    *out = f;
    return OPENMED_OK;
}

openmed_status om_read_file(const char *path, size_t max_bytes, char **data, size_t *size,
                            openmed_error *err) {
    *data = NULL;
    if (size) *size = 0;
    FILE *f;
    openmed_status s = om_open_regular(path, &f, err);
    if (s != OPENMED_OK) return s;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return om_fail(err, OPENMED_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    size_t n = (size_t)st.st_size;
    if (max_bytes && n > max_bytes) {
        fclose(f);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: file is %zu bytes, larger than the %zu allowed",
                       path, n, max_bytes);
    }
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    if (n && fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return om_fail(err, OPENMED_ERR_IO, "%s: short read", path);
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    if (size) *size = n;
    return OPENMED_OK;
}

openmed_status om_path_join(char *out, size_t out_size, const char *dir, const char *name,
                            openmed_error *err) {
    size_t dl = strlen(dir);
    int slash = dl > 0 && dir[dl - 1] != '/';
    int n = snprintf(out, out_size, "%s%s%s", dir, slash ? "/" : "", name);
    if (n < 0 || (size_t)n >= out_size)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "path too long: %s/%s", dir, name);
    return OPENMED_OK;
}

int om_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int om_dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int om_source_root(char *out, size_t size) {
    const char *self = __FILE__, *tail = "src/core/file.c";
    size_t len = strlen(self), tlen = strlen(tail);
    if (len < tlen || strcmp(self + len - tlen, tail) || self[0] != '/') return 0;
    int n = snprintf(out, size, "%.*s", (int)(len - tlen), self);
    return n > 0 && (size_t)n < size;
}
