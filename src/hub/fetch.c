/* fetch.c: make a model available locally: resolve its name, enforce the manifest pin, reuse
 * what the caches already hold, download the runtime files that are missing, and answer with the
 * snapshot folder; offline, find it in the caches or say how to fetch it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "hub/cache.h"
#include "hub/client.h"
#include "hub/hub.h"
#include "hub/pin.h"
#include "hub/registry.h"
#include "hub/resolve.h"

/* The files a model needs at run time (OpenMed's _RUNTIME_METADATA_FILES). */
static const char *const runtime_metadata[] = {
    "added_tokens.json",   "chat_template.json",    "config.json",           "generation_config.json",
    "merges.txt",          "preprocessor_config.json", "processor_config.json", "sentencepiece.bpe.model",
    "special_tokens_map.json", "spiece.model",      "spm.model",             "tokenizer.json",
    "tokenizer.model",     "tokenizer_config.json", "vocab.json",            "vocab.txt",
};

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int is_metadata(const char *path) {
    const char *name = base_name(path);
    for (size_t i = 0; i < sizeof runtime_metadata / sizeof runtime_metadata[0]; i++)
        if (!strcmp(name, runtime_metadata[i])) return 1;
    return !strncmp(name, "chat_template.", 14);
}

static int is_pickle(const char *path) {
    const char *name = base_name(path);
    return ends_with(name, ".bin") || ends_with(name, ".pt") || ends_with(name, ".pth") || ends_with(name, ".pkl") ||
           ends_with(name, ".ckpt");
}

/* Mark the files to fetch: metadata, *.safetensors and model.safetensors.index.json. Pickle
 * weights are never fetched: a repo that has nothing else is unsupported. */
static openmed_status select_runtime(const om_hub_repo_info *info, const char *repo, const char *revision,
                                     int *wanted, openmed_error *err) {
    int weights = 0, pickles = 0;
    for (size_t i = 0; i < info->n_files; i++) {
        const char *p = info->files[i].path;
        int st = ends_with(base_name(p), ".safetensors");
        weights += st;
        pickles += is_pickle(p);
        wanted[i] = is_metadata(p) || st || !strcmp(base_name(p), "model.safetensors.index.json");
    }
    if (weights) return OPENMED_OK;
    if (pickles)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "%s (revision %s) has only PyTorch pickle weights, which OpenMed-C never loads; convert the "
                       "model to safetensors",
                       repo, revision);
    return om_fail(err, OPENMED_ERR_NOT_FOUND, "%s (revision %s) has no safetensors weights", repo, revision);
}

/* A snapshot in `root` already holding every wanted file at its size. */
static int snapshot_complete(const char *root, const char *repo, const om_hub_repo_info *info, const int *wanted,
                             char *dir, size_t size) {
    char repo_dir[OPENMED_PATH_MAX];
    if (om_cache_repo_dir(root, repo, repo_dir, sizeof repo_dir, NULL)) return 0;
    snprintf(dir, size, "%s/snapshots/%s", repo_dir, info->sha);
    for (size_t i = 0; i < info->n_files; i++) {
        if (!wanted[i]) continue;
        char file[OPENMED_PATH_MAX * 2];
        struct stat st;
        snprintf(file, sizeof file, "%s/%s", dir, info->files[i].path);
        if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        if (info->files[i].size && (uint64_t)st.st_size != info->files[i].size) return 0;
    }
    return 1;
}

/* Offline: the snapshot `revision` names in our cache or the Hugging Face one. */
static openmed_status find_cached(const om_hub_settings *s, const char *name, const char *repo, const char *revision,
                                  char *dir_out, size_t dir_size, openmed_error *err) {
    const char *roots[2] = {s->cache_dir, s->hf_cache_dir};
    char searched[2][OPENMED_PATH_MAX];
    for (int r = 0; r < 2; r++) {
        searched[r][0] = 0;
        if (r == 1 && !strcmp(roots[0], roots[1])) continue;
        char repo_dir[OPENMED_PATH_MAX], commit[41];
        if (om_cache_repo_dir(roots[r], repo, repo_dir, sizeof repo_dir, err)) return OPENMED_ERR_IO;
        snprintf(searched[r], sizeof searched[r], "%s", repo_dir);
        if (om_cache_find_commit(repo_dir, revision, commit) != 0) continue;
        char dir[OPENMED_PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/snapshots/%s", repo_dir, commit);
        if (!om_cache_snapshot_usable(dir)) continue;
        if (strlen(dir) >= dir_size) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "snapshot path too long");
        snprintf(dir_out, dir_size, "%s", dir);
        OM_INFO("hub: %s at %s from the cache %s (offline)", repo, revision, dir);
        return OPENMED_OK;
    }
    return om_fail(err, OPENMED_ERR_NOT_FOUND,
                   "model '%s' (%s, revision %s) is not in the cache (searched %s%s%s) and offline mode is on "
                   "(local_only, OPENMED_OFFLINE or HF_HUB_OFFLINE); run `openmed models pull %s` while online",
                   name, repo, revision, searched[0], searched[1][0] ? " and " : "", searched[1], name);
}

/* Online: list the revision, reuse a complete snapshot or download what is missing. When
 * `pin` is set, check the hub's metadata against it and leave an integrity record. */
static openmed_status fetch_online(const om_hub_settings *s, const char *repo, const char *revision, const char *pin,
                                   openmed_progress_callback progress, void *user_data, char *dir_out,
                                   size_t dir_size, openmed_error *err) {
    om_hub_repo_info info;
    openmed_status st = om_hub_repo_info_get(s, repo, revision, &info, err);
    if (st) return st;
    int *wanted = calloc(info.n_files ? info.n_files : 1, sizeof *wanted);
    om_pin_artifact *records = calloc(info.n_files ? info.n_files : 1, sizeof *records);
    char repo_dir[OPENMED_PATH_MAX], dir[OPENMED_PATH_MAX + 64];
    size_t n_records = 0;
    if (!wanted || !records) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    if (pin) {
        char actual[72];
        if ((st = om_pin_hash(&info, actual, err))) goto done;
        if (strcmp(actual, pin) != 0) {
            st = om_fail(err, OPENMED_ERR_INTEGRITY,
                         "%s: registry metadata does not match the current repository revision (the hub moved on "
                         "to commit %s): manifest pin %s, hub %s; update the registry manifest, pass an explicit "
                         "--revision, or set OPENMED_SKIP_MODEL_VERIFY=1",
                         repo, info.sha, pin, actual);
            goto done;
        }
    }
    if ((st = select_runtime(&info, repo, revision, wanted, err))) goto done;
    if ((st = om_cache_repo_dir(s->cache_dir, repo, repo_dir, sizeof repo_dir, err))) goto done;
    const char *roots[2] = {s->cache_dir, s->hf_cache_dir};
    for (int r = 0; r < 2 && !pin; r++) {
        if (!snapshot_complete(roots[r], repo, &info, wanted, dir, sizeof dir)) continue;
        if (r == 0 && strcmp(revision, info.sha) != 0 && (st = om_cache_write_ref(repo_dir, revision, info.sha, err)))
            goto done;
        for (size_t i = 0; progress && i < info.n_files; i++)
            if (wanted[i]) progress(info.files[i].path, info.files[i].size, info.files[i].size, user_data);
        OM_INFO("hub: %s at %s already cached in %s", repo, revision, dir);
        goto answer;
    }
    for (size_t i = 0; i < info.n_files; i++) {
        if (!wanted[i]) continue;
        om_file_digest dg;
        if ((st = om_hub_download(s, repo, info.sha, &info.files[i], repo_dir, progress, user_data, &dg, err)))
            goto done;
        records[n_records].path = info.files[i].path;
        records[n_records].size = dg.size;
        memcpy(records[n_records].sha256, dg.sha256, sizeof dg.sha256);
        n_records++;
    }
    if (strcmp(revision, info.sha) != 0 && (st = om_cache_write_ref(repo_dir, revision, info.sha, err))) goto done;
    snprintf(dir, sizeof dir, "%s/snapshots/%s", repo_dir, info.sha);
    if (pin) {
        char sidecar[OPENMED_PATH_MAX + 256];
        om_pin_sidecar_path(s->cache_dir, repo, pin, sidecar, sizeof sidecar);
        if ((st = om_pin_write_sidecar(sidecar, repo, pin, dir, records, n_records, err))) goto done;
    }
answer:
    if (strlen(dir) >= dir_size) {
        st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "snapshot path too long: %s", dir);
        goto done;
    }
    snprintf(dir_out, dir_size, "%s", dir);
done:
    free(wanted);
    free(records);
    om_hub_repo_info_free(&info);
    return st;
}

static int pin_valid(const char *hash) { return hash && !strncmp(hash, "sha256:", 7) && om_is_hex(hash + 7, 64); }

openmed_status openmed_model_fetch(const char *name, const char *revision, const openmed_config *cfg,
                                   openmed_progress_callback progress, void *user_data, char *dir_out,
                                   size_t dir_size, openmed_error *err) {
    openmed_error local;
    if (!err) err = &local;
    if (!dir_out || !dir_size) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_model_fetch: no output");
    if (revision && (!revision[0] || strstr(revision, "..") || revision[0] == '/'))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "invalid revision '%s'", revision);
    om_hub_settings s;
    om_model_ref ref;
    openmed_status st = om_hub_settings_init(&s, cfg, err);
    if (!st) st = om_resolve_name(name, &s, &ref, err);
    if (st) return st;
    if (ref.is_local) {
        if (strlen(ref.target) >= dir_size) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "path too long");
        snprintf(dir_out, dir_size, "%s", ref.target);
        return OPENMED_OK;
    }
    const char *repo = ref.target;
    const char *pin = NULL;
    if (ref.registry && !revision && !s.skip_verify) {
        if (pin_valid(ref.registry->reproducibility_hash))
            pin = ref.registry->reproducibility_hash;
        else
            OM_WARN("MODEL INTEGRITY NOT VERIFIED for registry model %s: reproducibility_hash is absent or malformed",
                    repo);
    } else if (ref.registry && !revision) {
        OM_WARN("MODEL INTEGRITY VERIFICATION DISABLED for %s because OPENMED_SKIP_MODEL_VERIFY is set", repo);
    }
    if (pin) {
        char sidecar[OPENMED_PATH_MAX + 256];
        om_pin_sidecar_path(s.cache_dir, repo, pin, sidecar, sizeof sidecar);
        if (om_file_exists(sidecar)) {
            st = om_pin_verify_sidecar(sidecar, repo, pin, dir_out, dir_size, err);
            if (!st) OM_INFO("hub: %s verified against %s", repo, sidecar);
            if (!st || s.offline) return st;
            /* online, a damaged cache heals: every file is fetched or re-verified against the
             * hub's hashes and the pin, and the record is written anew */
            OM_WARN("hub: %s; fetching %s again", err->message, repo);
        }
        if (s.offline) {
            OM_WARN("MODEL INTEGRITY NOT VERIFIED for %s: no integrity record at %s (offline)", repo, sidecar);
            pin = NULL;
        }
    }
    const char *rev = revision ? revision : "main";
    if (s.offline) return find_cached(&s, name, repo, rev, dir_out, dir_size, err);
    return fetch_online(&s, repo, rev, pin, progress, user_data, dir_out, dir_size, err);
}

openmed_status om_hub_resolve_model(const char *name, const openmed_config *cfg, char *dir_out, size_t dir_size,
                                    openmed_error *err) {
    return openmed_model_fetch(name, NULL, cfg, NULL, NULL, dir_out, dir_size, err);
}
