/* cache_status.c: is a model already on this machine? A stat-only look into our cache and the
 * Hugging Face one (no network, no hashing), for `openmed models list/info`. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "hub/cache.h"
#include "hub/resolve.h"
#include "hub/settings.h"

/* Bytes of the regular files under dir, following symbolic links (snapshots link into blobs/). */
static uint64_t folder_bytes(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[OPENMED_PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || stat(path, &st) != 0) continue;
        if (S_ISREG(st.st_mode)) total += (uint64_t)st.st_size;
        else if (S_ISDIR(st.st_mode) && depth < 8) total += folder_bytes(path, depth + 1);
    }
    closedir(d);
    return total;
}

openmed_status openmed_model_cache_status(const char *name, const openmed_config *cfg, openmed_cache_status *out,
                                          openmed_error *err) {
    memset(out, 0, sizeof *out);
    om_hub_settings s;
    om_model_ref ref;
    openmed_status st = om_hub_settings_init(&s, cfg, err);
    if (!st) st = om_resolve_name(name, &s, &ref, err);
    if (st) return st;
    if (ref.is_local) {
        out->cached = 1;
        snprintf(out->path, sizeof out->path, "%s", ref.target);
        out->size_bytes = folder_bytes(ref.target, 0);
        return OPENMED_OK;
    }
    const char *roots[2] = {s.cache_dir, s.hf_cache_dir};
    for (int r = 0; r < 2; r++) {
        if (!roots[r][0] || (r == 1 && !strcmp(roots[0], roots[1]))) continue;
        char repo_dir[OPENMED_PATH_MAX], commit[41], dir[OPENMED_PATH_MAX + 64];
        if (om_cache_repo_dir(roots[r], ref.target, repo_dir, sizeof repo_dir, NULL) != OPENMED_OK) continue;
        if (om_cache_find_commit(repo_dir, "main", commit) != 0) continue;
        snprintf(dir, sizeof dir, "%s/snapshots/%s", repo_dir, commit);
        if (!om_cache_snapshot_usable(dir) || strlen(dir) >= sizeof out->path) continue;
        out->cached = 1;
        memcpy(out->path, dir, strlen(dir) + 1);
        out->size_bytes = folder_bytes(dir, 0);
        return OPENMED_OK;
    }
    return OPENMED_OK;
}
