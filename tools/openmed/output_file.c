/* output_file.c: atomic whole-file writes (temporary file in the same folder, fsync, rename). */
#include "output_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_write_file_atomic(const char *path, const char *data, size_t n) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        fprintf(stderr, "openmed: cannot write %s: out of memory\n", path);
        return 0;
    }
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "openmed: cannot write %s: %s\n", path, strerror(errno));
        free(tmp);
        return 0;
    }
    int ok = 1;
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ok = 0;
        else done += (size_t)w;
    }
    int why = errno;
    if (ok && fsync(fd) != 0 && errno != EINVAL) ok = 0, why = errno;
    if (close(fd) != 0 && ok) ok = 0, why = errno;
    if (ok && rename(tmp, path) != 0) ok = 0, why = errno;
    if (!ok) {
        unlink(tmp);
        fprintf(stderr, "openmed: cannot write %s: %s\n", path, strerror(why));
    }
    free(tmp);
    return ok;
}
