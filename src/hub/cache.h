/* cache.h: huggingface_hub's cache layout, shared with Python tools:
 *   <root>/models--ORG--NAME/blobs/<etag>             file contents, named by sha256 or git sha1
 *   <root>/models--ORG--NAME/blobs/<etag>.incomplete  a download in progress (resumable)
 *   <root>/models--ORG--NAME/refs/<revision>          the commit a branch or tag points to
 *   <root>/models--ORG--NAME/snapshots/<commit>/<path> relative symlinks into blobs/ */
#ifndef OM_HUB_CACHE_H
#define OM_HUB_CACHE_H

#include <stddef.h>

#include "openmed.h"

/* <root>/models--ORG--NAME */
openmed_status om_cache_repo_dir(const char *root, const char *repo_id, char *out, size_t size, openmed_error *err);

/* The commit `revision` names in this repo folder: refs/<revision>, or revision itself when it is
 * a 40-hex commit with a snapshot. Returns 0 and fills commit (41 bytes) or -1 when unknown. */
int om_cache_find_commit(const char *repo_dir, const char *revision, char commit[41]);

/* Write refs/<revision> = commit atomically (revision may contain '/'). */
openmed_status om_cache_write_ref(const char *repo_dir, const char *revision, const char *commit, openmed_error *err);

/* Point snapshots/<commit>/<path> at blobs/<blob> with a relative symlink, atomically. */
openmed_status om_cache_link(const char *repo_dir, const char *commit, const char *path, const char *blob,
                             openmed_error *err);

/* A snapshot a model can load from: config.json and at least one *.safetensors file. */
int om_cache_snapshot_usable(const char *snapshot_dir);

/* mkdir -p */
openmed_status om_mkdirs(const char *path, openmed_error *err);

#endif
