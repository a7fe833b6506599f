/* resolve.c: turn what a user typed into a local path or a Hugging Face repo id, in OpenMed's
 * order (spec §3.2): existing path, registry key or repo id, default_org + bare name, org/name. */
#include "hub/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "hub/registry.h"
#include "hub/suggest.h"

static int part_valid(const char *p, size_t n) {
    if (n == 0 || n > 96) return 0;
    if (p[0] == '-' || p[0] == '.' || p[n - 1] == '-' || p[n - 1] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.';
        if (!ok) return 0;
        if (i + 1 < n && ((c == '.' && p[i + 1] == '.') || (c == '-' && p[i + 1] == '-'))) return 0;
    }
    return 1;
}

int om_repo_id_valid(const char *id) {
    const char *slash = strchr(id, '/');
    if (!slash || strchr(slash + 1, '/')) return 0;
    return part_valid(id, (size_t)(slash - id)) && part_valid(slash + 1, strlen(slash + 1));
}

openmed_status om_resolve_name(const char *name, const om_hub_settings *s, om_model_ref *ref, openmed_error *err) {
    memset(ref, 0, sizeof *ref);
    if (!name || !name[0]) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "model name is empty");

    char path[OPENMED_PATH_MAX];
    const char *home = getenv("HOME");
    int n = name[0] == '~' && (name[1] == '/' || !name[1])
                ? snprintf(path, sizeof path, "%s%s", home ? home : "", name + 1)
                : snprintf(path, sizeof path, "%s", name);
    struct stat st;
    if (n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0) {
        ref->is_local = 1;
        snprintf(ref->target, sizeof ref->target, "%s", path);
        return OPENMED_OK;
    }

    openmed_status status = om_registry_load(err);
    if (status) return status;
    const openmed_model_info *m = om_registry_lookup(name);
    if (m) {
        ref->registry = m;
        n = snprintf(ref->target, sizeof ref->target, "%s", m->repo_id);
    } else if (!strchr(name, '/')) {
        n = snprintf(ref->target, sizeof ref->target, "%s/%s", s->default_org, name);
        /* A bare name close to a registry name is a typo: say so offline instead of asking the hub
         * for default_org/name. */
        char did_you_mean[1024];
        if (n > 0 && (size_t)n < sizeof ref->target && !om_registry_lookup(ref->target) &&
            om_suggest_format(name, did_you_mean, sizeof did_you_mean) > 0)
            return om_fail(err, OPENMED_ERR_NOT_FOUND,
                           "model '%s' is not in the registry; did you mean %s? (`openmed models list` shows them all; "
                           "an exact repo id such as %s is fetched as given)",
                           name, did_you_mean, ref->target);
    } else {
        n = snprintf(ref->target, sizeof ref->target, "%s", name);
    }
    if (n < 0 || (size_t)n >= sizeof ref->target || !om_repo_id_valid(ref->target))
        return om_fail(err, OPENMED_ERR_NOT_FOUND,
                       "model '%s' is not an existing path, a registry name or a valid repo id (resolved to '%s')",
                       name, ref->target);
    if (!ref->registry) ref->registry = om_registry_lookup(ref->target);
    return OPENMED_OK;
}

openmed_status openmed_model_resolve_name(const char *name, const openmed_config *cfg, char *out, size_t out_size,
                                          openmed_error *err) {
    if (!out || !out_size) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_model_resolve_name: no output");
    om_hub_settings s;
    om_model_ref ref;
    openmed_status st = om_hub_settings_init(&s, cfg, err);
    if (!st) st = om_resolve_name(name, &s, &ref, err);
    if (st) return st;
    if (strlen(ref.target) >= out_size)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "resolved name of '%s' does not fit %zu bytes", name, out_size);
    snprintf(out, out_size, "%s", ref.target);
    return OPENMED_OK;
}
