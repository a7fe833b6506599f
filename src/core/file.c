/* file.c: whole-file reads and path helpers shared by the loaders. */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

openmed_status om_read_file(const char *path, size_t max_bytes, char **data, size_t *size,
                            openmed_error *err) {
    *data = NULL;
    if (size) *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return om_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO,
                           "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return om_fail(err, OPENMED_ERR_IO, "%s: not a regular file", path);
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
