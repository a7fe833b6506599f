/* resolve.h: OpenMed's model name resolution (spec §3.2): local path, registry name or repo id. */
#ifndef OM_HUB_RESOLVE_H
#define OM_HUB_RESOLVE_H

#include "hub/settings.h"
#include "openmed.h"

typedef struct om_model_ref {
    int is_local;                        /* `target` is an existing local file or folder */
    char target[OPENMED_PATH_MAX];       /* the local path, or the repo id "org/name" */
    const openmed_model_info *registry;  /* the registry entry when the name was a key or repo id */
} om_model_ref;

/* 1. an existing path (with "~/" expanded) is used as is; 2. a registry key or exact repo id gives
 * the registry's repo id; 3. a name without '/' gets default_org + "/"; 4. else "org/name" as is.
 * Repo ids are checked so they can never escape the cache folder. */
openmed_status om_resolve_name(const char *name, const om_hub_settings *s, om_model_ref *ref, openmed_error *err);

/* Is `id` a well-formed Hugging Face repo id ("org/name", [A-Za-z0-9._-], no "..")? */
int om_repo_id_valid(const char *id);

#endif
