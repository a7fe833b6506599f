/* fuzz_registry_manifest.c: the model registry built from a hostile manifest (JSONL rows as in
 * OpenMed's models.jsonl): it loads or fails cleanly; when it loads, every row's key and aliases
 * find that row again, and name resolution works on each of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hub/registry.h"
#include "openmed.h"

static char path[400];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_path(path, sizeof path, "models.jsonl");
    setenv("OPENMED_MODELS_MANIFEST", path, 1);
    unsetenv("OPENMED_EXTRA_MODELS");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write(path, data, size);
    om_registry_reset();
    openmed_error err;
    memset(&err, 0, sizeof err);
    openmed_status s = om_registry_load(&err);
    FUZZ_CHECK_ERROR(s, err);
    if (s) return 0;
    openmed_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.default_org, sizeof cfg.default_org, "OpenMed");
    for (size_t i = 0; i < om_registry_count(); i++) {
        const openmed_model_info *m = om_registry_at(i);
        FUZZ_ASSERT(m && m->key && m->repo_id && m->aliases, "row %zu incomplete", i);
        const openmed_model_info *found = om_registry_lookup(m->key);
        FUZZ_ASSERT(found == m, "row %zu not found by its key", i);
        char resolved[OPENMED_PATH_MAX];
        s = openmed_model_resolve_name(m->key, &cfg, resolved, sizeof resolved, &err);
        FUZZ_CHECK_ERROR(s, err);
        /* each alias finds this row */
        char *aliases = strdup(m->aliases);
        if (!aliases) continue;
        for (char *save = NULL, *a = strtok_r(aliases, ",", &save); a; a = strtok_r(NULL, ",", &save))
            FUZZ_ASSERT(om_registry_lookup(a) != NULL, "alias of row %zu finds nothing", i);
        free(aliases);
        openmed_model_info info;
        s = openmed_registry_find(m->repo_id, &info, &err);
        FUZZ_CHECK_ERROR(s, err);
    }
    return 0;
}
