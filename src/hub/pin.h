/* pin.h: OpenMed's manifest pin (spec §3.3): a registry model's reproducibility_hash is the
 * sha256 of {"released","repo_id","sha","siblings"} as the hub reports them, and a verified
 * download leaves an integrity sidecar <cache>/integrity/<sha256(repo)[:24]>/<hash>.json that
 * later loads (also offline) check file by file. */
#ifndef OM_HUB_PIN_H
#define OM_HUB_PIN_H

#include <stddef.h>

#include "hub/client.h"
#include "openmed.h"

/* "sha256:<hex>" of the hub's current metadata, exactly as OpenMed computes it. */
openmed_status om_pin_hash(const om_hub_repo_info *info, char out[72], openmed_error *err);

/* The sidecar path for a model pinned to `hash` ("sha256:<hex>"). */
void om_pin_sidecar_path(const char *cache_dir, const char *repo_id, const char *hash, char *out, size_t size);

/* One verified file of a snapshot. */
typedef struct om_pin_artifact {
    const char *path;
    char sha256[65];
    uint64_t size;
} om_pin_artifact;

openmed_status om_pin_write_sidecar(const char *sidecar, const char *repo_id, const char *hash, const char *root,
                                    const om_pin_artifact *artifacts, size_t n, openmed_error *err);

/* Check every file the sidecar lists; on success writes its artifact_root to root_out. */
openmed_status om_pin_verify_sidecar(const char *sidecar, const char *repo_id, const char *hash, char *root_out,
                                     size_t root_size, openmed_error *err);

#endif
