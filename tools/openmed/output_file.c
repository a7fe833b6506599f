/* output_file.c: command outputs: standard output, or a temporary file renamed into place. */
#include "output_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_output_open(cli_output *o, const char *path) {
    memset(o, 0, sizeof *o);
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return 1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) { /* refused before any work, not at the rename */
        fprintf(stderr, "openmed: cannot write %s: it is a folder (give a file name)\n", path);
        return 0;
    }
    size_t n = strlen(path) + 16;
    int fd = -1;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (o->path && o->tmp) {
        snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
        fd = mkstemp(o->tmp);
    } else {
        errno = ENOMEM;
    }
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        fprintf(stderr, "openmed: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return 0;
    }
    return 1;
}

int cli_output_close(cli_output *o, int keep) {
    if (!o->f) return 1;
    int ok = 1;
    if (!o->path) {
        ok = !keep || (fflush(o->f) == 0 && !ferror(o->f));
        if (!ok) fprintf(stderr, "openmed: cannot write standard output: %s\n", strerror(errno ? errno : EIO));
    } else {
        int why = 0;
        if (keep && (fflush(o->f) != 0 || ferror(o->f) || (fsync(fileno(o->f)) != 0 && errno != EINVAL)))
            ok = 0, why = errno ? errno : EIO;
        if (fclose(o->f) != 0 && keep && ok) ok = 0, why = errno;
        if (keep && ok && rename(o->tmp, o->path) != 0) ok = 0, why = errno;
        if (!keep || !ok) unlink(o->tmp);
        if (keep && !ok) fprintf(stderr, "openmed: cannot write %s: %s\n", o->path, strerror(why));
    }
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
    return ok;
}

int cli_write_file_atomic(const char *path, const char *data, size_t n) {
    cli_output o;
    if (!cli_output_open(&o, path)) return 0;
    int ok = n == 0 || fwrite(data, 1, n, o.f) == n;
    if (!ok) fprintf(stderr, "openmed: cannot write %s: %s\n", path, strerror(errno));
    return cli_output_close(&o, ok) && ok;
}
