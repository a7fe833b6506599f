/* client.h: the Hugging Face hub HTTP protocol over libcurl: the revision API (commit and file
 * list) and verified, resumable file downloads into the cache. */
#ifndef OM_HUB_CLIENT_H
#define OM_HUB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "hub/digest.h"
#include "hub/settings.h"
#include "openmed.h"

typedef struct om_hub_file {
    char *path;        /* "config.json", "onnx/model.safetensors" */
    uint64_t size;     /* 0 when the listing does not say */
    char sha256[65];   /* LFS files: the content sha256; else "" */
    char blob_id[41];  /* the git blob sha1; "" when the listing does not say */
} om_hub_file;

typedef struct om_hub_repo_info {
    char id[256];             /* the repo id the hub reports */
    char sha[41];             /* the commit the revision points to */
    char last_modified[64];   /* ISO timestamp, lastModified else createdAt, "" if neither */
    om_hub_file *files;
    size_t n_files;
} om_hub_repo_info;

/* GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true. */
openmed_status om_hub_repo_info_get(const om_hub_settings *s, const char *repo, const char *revision,
                                    om_hub_repo_info *out, openmed_error *err);
void om_hub_repo_info_free(om_hub_repo_info *info);

/* Fetch one file of `repo` at `commit` into `repo_dir` (the cache folder of the repo): the blob
 * is written to blobs/<etag>.incomplete (resuming a previous partial download with a Range
 * request), its size and sha256 (LFS) or git blob id checked against the hub's ETag and the
 * listing, then renamed to blobs/<etag> and linked from snapshots/<commit>/<path>. A file that
 * fails the check is deleted. `digest` receives the verified hashes. */
openmed_status om_hub_download(const om_hub_settings *s, const char *repo, const char *commit,
                               const om_hub_file *file, const char *repo_dir,
                               openmed_progress_callback progress, void *user_data,
                               om_file_digest *digest, openmed_error *err);

#endif
