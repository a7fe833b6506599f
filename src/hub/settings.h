/* settings.h: where the hub client talks to and stores things, from openmed_config and the
 * environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HOME, HF_HUB_OFFLINE, OPENMED_OFFLINE). */
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
} om_hub_settings;

/* Fill `s` from cfg (NULL = defaults) and the environment. Fails only when a path is too long. */
openmed_status om_hub_settings_init(om_hub_settings *s, const openmed_config *cfg, openmed_error *err);

#endif
