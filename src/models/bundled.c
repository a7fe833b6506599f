/* bundled.c: finds the bundled default models (disease NER, PII) in the environment's models
 * directory, the installed share directory or the source tree, without any network. */
#include "models/bundled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "core/install_dir.h"

const char *om_bundled_model_folder(const char *which) {
    if (!which) return NULL;
    if (!strcmp(which, "disease")) return "disease-ner";
    if (!strcmp(which, "pii")) return "pii";
    return NULL;
}

/* Writes root/folder to buf when it holds config.json. */
static const char *try_dir(const char *root, const char *folder, char *buf, size_t size) {
    char config[8192];
    int n = snprintf(config, sizeof config, "%s/%s/config.json", root, folder);
    if (n < 0 || (size_t)n >= sizeof config || !om_file_exists(config)) return NULL;
    n = snprintf(buf, size, "%s/%s", root, folder);
    if (n < 0 || (size_t)n >= size) return NULL;
    return buf;
}

const char *om_bundled_model_dir(const char *which, char *buf, size_t size) {
    const char *folder = om_bundled_model_folder(which);
    if (!folder || !buf || size == 0) return NULL;
    const char *env = getenv("OPENMED_MODELS_DIR");
    if (env && env[0] && try_dir(env, folder, buf, size)) return buf;
    char share[4096];
    if (om_installed_data("models", share, sizeof share) && try_dir(share, folder, buf, size)) return buf;
    char src[4096];
    if (om_source_root(src, sizeof src)) {
        char models[4096 + 8];
        snprintf(models, sizeof models, "%smodels", src);
        if (try_dir(models, folder, buf, size)) return buf;
    }
    return NULL;
}

openmed_status openmed_bundled_model_path(const char *name, char *out, size_t out_size, openmed_error *err) {
    if (!om_bundled_model_folder(name))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "bundled model '%s': unknown (expected \"disease\" or \"pii\")",
                       name ? name : "(null)");
    if (!out || out_size == 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "bundled model '%s': no output buffer", name);
    if (!om_bundled_model_dir(name, out, out_size))
        return om_fail(err, OPENMED_ERR_NOT_FOUND,
                       "bundled model '%s' not found (looked in $OPENMED_MODELS_DIR, the installed share/openmed/models "
                       "and the source tree's models/)", name);
    return OPENMED_OK;
}
