/* cache.c: paths, refs and snapshot links of the huggingface_hub cache layout. */
#include "hub/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "hub/digest.h"

openmed_status om_mkdirs(const char *path, openmed_error *err) {
    char tmp[OPENMED_PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s", path);
    if (n < 0 || (size_t)n >= sizeof tmp) return om_fail(err, OPENMED_ERR_IO, "path too long: %s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return om_fail(err, OPENMED_ERR_IO, "cannot create folder %s: %s", tmp, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    if (!om_dir_exists(path)) return om_fail(err, OPENMED_ERR_IO, "%s exists and is not a folder", path);
    return OPENMED_OK;
}

openmed_status om_cache_repo_dir(const char *root, const char *repo_id, char *out, size_t size, openmed_error *err) {
    const char *slash = strchr(repo_id, '/');
    int n = slash ? snprintf(out, size, "%s/models--%.*s--%s", root, (int)(slash - repo_id), repo_id, slash + 1)
                  : snprintf(out, size, "%s/models--%s", root, repo_id);
    if (n < 0 || (size_t)n >= size) return om_fail(err, OPENMED_ERR_IO, "cache path too long for %s", repo_id);
    return OPENMED_OK;
}

int om_cache_find_commit(const char *repo_dir, const char *revision, char commit[41]) {
    char path[OPENMED_PATH_MAX];
    if (strstr(revision, "..")) return -1;
    snprintf(path, sizeof path, "%s/refs/%s", repo_dir, revision);
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[64] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        buf[strcspn(buf, " \r\n")] = 0;
        if (om_is_hex(buf, 40)) {
            memcpy(commit, buf, 41);
            return 0;
        }
    }
    if (om_is_hex(revision, 40)) {
        snprintf(path, sizeof path, "%s/snapshots/%s", repo_dir, revision);
        if (om_dir_exists(path)) {
            memcpy(commit, revision, 41);
            return 0;
        }
    }
    return -1;
}

/* Write `data` to path via a temporary file and rename. */
static openmed_status write_atomic(const char *path, const char *data, openmed_error *err) {
    char tmp[OPENMED_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return om_fail(err, OPENMED_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    size_t len = strlen(data);
    ssize_t w = write(fd, data, len);
    int werr = errno;
    if (close(fd) != 0 && w == (ssize_t)len) w = -1, werr = errno;
    if (w != (ssize_t)len || rename(tmp, path) != 0) {
        if (w == (ssize_t)len) werr = errno;
        unlink(tmp);
        return om_fail(err, OPENMED_ERR_IO, "cannot write %s: %s", path,
                       werr == ENOSPC ? "disk full" : strerror(werr));
    }
    return OPENMED_OK;
}

openmed_status om_cache_write_ref(const char *repo_dir, const char *revision, const char *commit, openmed_error *err) {
    if (strstr(revision, "..") || revision[0] == '/')
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "invalid revision '%s'", revision);
    char path[OPENMED_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/refs/%s", repo_dir, revision);
    if (n < 0 || (size_t)n >= sizeof path) return om_fail(err, OPENMED_ERR_IO, "ref path too long");
    char *slash = strrchr(path, '/');
    *slash = 0;
    openmed_status st = om_mkdirs(path, err);
    *slash = '/';
    if (st) return st;
    return write_atomic(path, commit, err);
}

openmed_status om_cache_link(const char *repo_dir, const char *commit, const char *path, const char *blob,
                             openmed_error *err) {
    char link[OPENMED_PATH_MAX], target[OPENMED_PATH_MAX], tmp[OPENMED_PATH_MAX + 32];
    int n = snprintf(link, sizeof link, "%s/snapshots/%s/%s", repo_dir, commit, path);
    if (n < 0 || (size_t)n >= sizeof link) return om_fail(err, OPENMED_ERR_IO, "snapshot path too long for %s", path);
    char *slash = strrchr(link, '/');
    *slash = 0;
    openmed_status st = om_mkdirs(link, err);
    *slash = '/';
    if (st) return st;
    /* ../../blobs/<blob> from snapshots/<commit>/, one more ../ per folder inside the repo */
    size_t len = 0;
    target[0] = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/') len += (size_t)snprintf(target + len, sizeof target - len, "../");
    snprintf(target + len, sizeof target - len, "../../blobs/%s", blob);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", link, (long)getpid());
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
        int e = errno;
        unlink(tmp);
        return om_fail(err, OPENMED_ERR_IO, "cannot link %s: %s", link, strerror(e));
    }
    return OPENMED_OK;
}

int om_cache_snapshot_usable(const char *snapshot_dir) {
    char path[OPENMED_PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", snapshot_dir);
    if (!om_file_exists(path)) return 0;
    DIR *d = opendir(snapshot_dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 12 && !strcmp(e->d_name + n - 12, ".safetensors")) {
            snprintf(path, sizeof path, "%s/%s", snapshot_dir, e->d_name);
            found = om_file_exists(path); /* follows the link: a dangling one does not count */
        }
    }
    closedir(d);
    return found;
}
