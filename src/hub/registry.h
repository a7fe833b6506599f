/* registry.h: OpenMed's model registry built from its manifest (models.jsonl): rows, the short
 * names OpenMed derives for them (keys, legacy and compatibility aliases) and lookups. */
#ifndef OM_HUB_REGISTRY_H
#define OM_HUB_REGISTRY_H

#include <stddef.h>

#include "openmed.h"

/* Load the registry once (thread-safe); later calls return the cached result. */
openmed_status om_registry_load(openmed_error *err);

/* Forget the loaded registry so the next call reloads it (tests that change the environment). */
void om_registry_reset(void);

size_t om_registry_count(void);
const openmed_model_info *om_registry_at(size_t index);

/* By registry key, then by exact repo id; NULL when neither. Requires a loaded registry. */
const openmed_model_info *om_registry_lookup(const char *name);

/* The number of keys (primary keys plus aliases): 3309 for OpenMed's manifest. */
size_t om_registry_key_count(void);

/* Key number `index` (0 <= index < om_registry_key_count(), in insertion order) and its model. */
const char *om_registry_key_at(size_t index, const openmed_model_info **model);

/* The manifest file the registry came from ("" before loading). */
const char *om_registry_source(void);

#endif
