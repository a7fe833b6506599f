/* fuzz_util.h: what the libFuzzer targets share: a private scratch folder (on /dev/shm when it
 * exists), writing an input to a file there, and a hard failure that names the broken property
 * without printing the input (fuzz inputs may stand for clinical text). */
#ifndef OM_FUZZ_UTIL_H
#define OM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A folder private to this process, removed at exit. */
static char fuzz_dir_path[256];

static void fuzz_dir_remove(void) {
    if (!fuzz_dir_path[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}

static inline const char *fuzz_dir(void) {
    if (fuzz_dir_path[0]) return fuzz_dir_path;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/om_fuzz_XXXXXX", base);
    if (!mkdtemp(fuzz_dir_path)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_dir_remove);
    return fuzz_dir_path;
}

/* <fuzz_dir>/<name>, created if `mkdir_too` */
static inline void fuzz_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", fuzz_dir(), name);
}

static inline void fuzz_write(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A property the code under test promises is broken: say which, then crash so libFuzzer keeps
 * the input. The input itself is never printed. */
#define FUZZ_ASSERT(cond, ...)                                                  \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz property broken at %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* An error message must be a terminated, non-empty string. */
#define FUZZ_CHECK_ERROR(st, err)                                                               \
    FUZZ_ASSERT((st) == OPENMED_OK ||                                                           \
                    ((err).status == (st) && (err).message[0] &&                                \
                     memchr((err).message, 0, sizeof (err).message) != NULL),                   \
                "status %d without a proper error record", (int)(st))

#endif
