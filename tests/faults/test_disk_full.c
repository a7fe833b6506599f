/* test_disk_full.c: a disk that fills up in the middle of a download (a real ENOSPC from the
 * kernel) fails the fetch with OPENMED_ERR_IO naming the file, leaves no partial file in the
 * cache, and the next fetch, with space again, brings the file whole.
 *
 * Two ways to a full disk, both unprivileged: the partial file planted as a symlink to /dev/full
 * (every write is ENOSPC; always available), and a 16 MiB tmpfs mounted in a private user and
 * mount namespace that the test fills up from the progress callback once the first bytes have
 * arrived (where the kernel allows unprivileged user namespaces; otherwise that half says so and
 * is skipped). The hub is tests/hub/hub_server.py on loopback. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "hub/digest.h"
#include "hub/hub_harness.h"
#include "openmed.h"

#define REPO "OpenMedTest/electra-cased"
#define FIXTURE OM_FIXTURES "/hf/models/electra-cased/model.safetensors"

static hub_server hub;
static char tmp_root[256];

static int count_in(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

static int files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static openmed_status fetch(const char *cache, openmed_progress_callback progress, void *user, char *dir,
                            openmed_error *err) {
    openmed_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", cache);
    return openmed_model_fetch(REPO, NULL, &cfg, progress, user, dir, OPENMED_PATH_MAX, err);
}

/* What every full-disk failure must look like, then the retry with space again. */
static void check_full_then_retry(const char *cache, openmed_status st, const openmed_error *err) {
    char blobs[600], dir[OPENMED_PATH_MAX], path[OPENMED_PATH_MAX + 64];
    snprintf(blobs, sizeof blobs, "%s/models--OpenMedTest--electra-cased/blobs", cache);
    CHECK_INT(st, OPENMED_ERR_IO);
    CHECK_MSG(strstr(err->message, "model.safetensors") && strstr(err->message, "disk full") &&
                  strstr(err->message, "No space left on device") && strstr(err->message, "partial file was removed"),
              "%s", err->message);
    CHECK_INT(count_in(blobs, ".incomplete"), 0); /* no half file */
    openmed_error e2;
    st = fetch(cache, NULL, NULL, dir, &e2);
    CHECK_MSG(st == OPENMED_OK, "%s", e2.message);
    CHECK_INT(count_in(blobs, ".incomplete"), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(files_equal(path, FIXTURE));
}

/* /dev/full behind the partial file's name: the blob's name is the file's sha256. */
static void test_dev_full(void) {
    char cache[300], blobs[600], incomplete[800];
    snprintf(cache, sizeof cache, "%s/devfull", tmp_root);
    snprintf(blobs, sizeof blobs, "%s/models--OpenMedTest--electra-cased/blobs", cache);
    om_file_digest dg;
    openmed_error err;
    CHECK_INT(om_digest_file(FIXTURE, &dg, &err), OPENMED_OK);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", blobs);
    CHECK_INT(system(cmd), 0);
    snprintf(incomplete, sizeof incomplete, "%s/%s.incomplete", blobs, dg.sha256);
    CHECK_INT(symlink("/dev/full", incomplete), 0);
    char dir[OPENMED_PATH_MAX];
    openmed_status st = fetch(cache, NULL, NULL, dir, &err);
    check_full_then_retry(cache, st, &err);
}

/* ---------------------------------------------------------------- a small tmpfs */

typedef struct filler {
    char path[400];
    int filled;
} filler;

/* Once model.safetensors has started arriving, take all the space that is left. */
static void fill_disk(const char *file, uint64_t done, uint64_t total, void *user) {
    filler *f = user;
    if (f->filled || strcmp(file, "model.safetensors") || done == 0 || done >= total) return;
    f->filled = 1;
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    static char block[1 << 16];
    while (write(fd, block, sizeof block) > 0) {
    }
    while (write(fd, block, 512) > 0) {
    }
    close(fd);
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* In a child: a user and mount namespace of its own, a 16 MiB tmpfs as the cache. Exit 77 when
 * the kernel refuses the namespace or the mount. */
static int tmpfs_child(void) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return 77;
    char map[64];
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    write_text("/proc/self/setgroups", "deny");
    if (write_text("/proc/self/uid_map", map) != 0) return 77;
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    if (write_text("/proc/self/gid_map", map) != 0) return 77;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 77;
    char cache[300];
    snprintf(cache, sizeof cache, "%s/tmpfs", tmp_root);
    mkdir(cache, 0755);
    if (mount("tmpfs", cache, "tmpfs", 0, "size=16m") != 0) return 77;
    filler f = {.filled = 0};
    snprintf(f.path, sizeof f.path, "%s/filler", cache);
    char dir[OPENMED_PATH_MAX];
    openmed_error err;
    openmed_status st = fetch(cache, fill_disk, &f, dir, &err);
    CHECK_MSG(f.filled, "the progress callback never ran for model.safetensors");
    unlink(f.path); /* space again */
    check_full_then_retry(cache, st, &err);
    return check_failures ? 1 : 0;
}

static void test_tmpfs(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(tmpfs_child());
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        printf("test_disk_full: no unprivileged user namespace here; the tmpfs half is skipped\n");
        return;
    }
    CHECK_INT(WEXITSTATUS(status), 0);
    printf("test_disk_full: a real tmpfs filled up mid-download\n");
}

int main(void) {
    if (hub_start(&hub) != 0) {
        fprintf(stderr, "test_disk_full: cannot start tests/hub/hub_server.py (python3)\n");
        return 1;
    }
    snprintf(tmp_root, sizeof tmp_root, "/tmp/om_disk_full_XXXXXX");
    if (!mkdtemp(tmp_root)) return 1;
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    unsetenv("HF_TOKEN");
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_EXTRA_MODELS");
    setenv("OPENMED_HUB_RETRIES", "0", 1);
    test_dev_full();
    test_tmpfs();
    hub_stop(&hub);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmp_root, hub.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp_root);
    return check_finish("test_disk_full");
}
