/* hub.h: the entry point the model loader uses for names that are not local folders
 * (defines: om_hub_resolve_model). */
#ifndef OM_HUB_HUB_H
#define OM_HUB_HUB_H

#include <stddef.h>

#include "openmed.h"

/* Resolve `name` (registry key, repo id, bare name or local path), download its runtime files
 * unless offline (cfg->local_only, OPENMED_OFFLINE, HF_HUB_OFFLINE), and write the local folder
 * to dir_out. Same as openmed_model_fetch(name, NULL, cfg, NULL, NULL, ...). */
openmed_status om_hub_resolve_model(const char *name, const openmed_config *cfg, char *dir_out, size_t dir_size,
                                    openmed_error *err);

#endif
