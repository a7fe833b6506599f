/* settings.h: where the hub client talks to and stores things, and how patiently, from
 * openmed_config and the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HOME,
 * HF_HUB_OFFLINE, OPENMED_OFFLINE, HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT,
 * OPENMED_HUB_RETRIES). */
#ifndef OM_HUB_SETTINGS_H
#define OM_HUB_SETTINGS_H

#include "openmed.h"

typedef struct om_hub_settings {
    char endpoint[512];                  /* $HF_ENDPOINT or https://huggingface.co, no trailing '/' */
    char token[256];                     /* cfg->hf_token, else $HF_TOKEN; "" = anonymous */
    char cache_dir[OPENMED_PATH_MAX];    /* downloads go here: cfg->cache_dir or ~/.cache/openmed */
    char hf_cache_dir[OPENMED_PATH_MAX]; /* an existing Hugging Face cache, reused read-only */
    char default_org[128];               /* prepended to bare model names */
    int offline;                         /* never touch the network */
    int skip_verify;                     /* OPENMED_SKIP_MODEL_VERIFY: no manifest pin */
    long etag_timeout;                   /* seconds, metadata requests: $HF_HUB_ETAG_TIMEOUT or 10 */
    long download_timeout;               /* seconds, file downloads: $HF_HUB_DOWNLOAD_TIMEOUT or 10 */
    int retries;                         /* attempts after the first that make no progress:
                                            $OPENMED_HUB_RETRIES or 5 (huggingface_hub's count) */
} om_hub_settings;

/* Fill `s` from cfg (NULL = defaults) and the environment. Fails when a path is too long, when
 * HF_ENDPOINT is not an http:// or https:// URL, or when a timeout or retry count is not a
 * whole number in range (OPENMED_ERR_CONFIG, naming the variable). Timeouts of 0 mean the
 * default, as in huggingface_hub. */
openmed_status om_hub_settings_init(om_hub_settings *s, const openmed_config *cfg, openmed_error *err);

#endif
