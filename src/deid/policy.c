/* policy.c: loading a policy by name (the bundled data/policies, installed under
 * share/openmed/policies) or from a JSON file, strictly: unknown keys, classes, labels' actions and
 * bad values are errors naming the file and key. */
#include "deid/policy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/install_dir.h"

static const char *const action_names[OM_ACT_N] = {"method", "mask", "remove", "replace", "hash", "shift_dates",
                                                   "format_preserve", "keep", "age_over_89", "zip3"};

const char *om_action_name(om_action a) { return (unsigned)a < OM_ACT_N ? action_names[a] : "unknown"; }

int om_action_parse(const char *name) {
    for (int a = 0; a < OM_ACT_N; a++)
        if (!strcasecmp(name, action_names[a])) return a;
    return -1;
}

om_action om_policy_action(const openmed_policy *p, const char *label) {
    if (!p) return OM_ACT_METHOD;
    for (size_t i = 0; i < p->n_labels; i++)
        if (!strcasecmp(p->labels[i].label, label)) return p->labels[i].action;
    return p->classes[om_label_class(label)];
}

/* The bundled policy file of `name`: $OPENMED_POLICIES_DIR, the installed share directory, the
 * source tree. */
static int bundled_path(const char *name, char *out, size_t size) {
    char dirs[3][OPENMED_PATH_MAX];
    int n = 0;
    const char *env = getenv("OPENMED_POLICIES_DIR");
    if (env && *env) snprintf(dirs[n++], sizeof dirs[0], "%s", env);
    if (om_installed_data("policies", dirs[n], sizeof dirs[0])) n++;
    char src[OPENMED_PATH_MAX];
    if (om_source_root(src, sizeof src)) snprintf(dirs[n++], sizeof dirs[0], "%.*sdata/policies", (int)(sizeof dirs[0] - 20), src);
    for (int i = 0; i < n; i++) {
        int w = snprintf(out, size, "%s/%s.json", dirs[i], name);
        if (w > 0 && (size_t)w < size && om_file_exists(out)) return 1;
    }
    return 0;
}

static openmed_status action_of(const cJSON *v, const char *file, const char *key, om_action *out, openmed_error *err) {
    int a = cJSON_IsString(v) ? om_action_parse(v->valuestring) : -1;
    if (a < 0)
        return om_fail(err, OPENMED_ERR_CONFIG,
                       "policy %s: %s: expected one of method, mask, remove, replace, hash, shift_dates, "
                       "format_preserve, keep, age_over_89, zip3", file, key);
    *out = (om_action)a;
    return OPENMED_OK;
}

static openmed_status parse(const char *json, const char *file, openmed_policy *p, openmed_error *err) {
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_FORMAT, "policy %s: not a JSON object", file);
    }
    openmed_status st = OPENMED_OK;
    p->confidence_threshold = -1.0f;
    om_action def = OM_ACT_METHOD;
    const cJSON *classes = NULL, *labels = NULL;
    for (const cJSON *it = root->child; it && st == OPENMED_OK; it = it->next) {
        const char *k = it->string;
        if (!strcmp(k, "schema_version")) {
            if (!cJSON_IsNumber(it) || it->valuedouble != 1)
                st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: schema_version must be 1", file);
        } else if (!strcmp(k, "name") || !strcmp(k, "description")) {
            if (!cJSON_IsString(it)) st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: %s must be a string", file, k);
            else if (!strcmp(k, "name")) snprintf(p->name, sizeof p->name, "%s", it->valuestring);
            else snprintf(p->description, sizeof p->description, "%s", it->valuestring);
        } else if (!strcmp(k, "confidence_threshold")) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= 1))
                st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: confidence_threshold must be a number in [0, 1]", file);
            else p->confidence_threshold = (float)it->valuedouble;
        } else if (!strcmp(k, "safety_sweep") || !strcmp(k, "keep_year")) {
            if (!cJSON_IsBool(it)) st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: %s must be true or false", file, k);
            else if (!strcmp(k, "safety_sweep")) p->safety_sweep = cJSON_IsTrue(it);
            else p->keep_year = cJSON_IsTrue(it);
        } else if (!strcmp(k, "default_action")) {
            st = action_of(it, file, k, &def, err);
        } else if (!strcmp(k, "classes") || !strcmp(k, "labels")) {
            if (!cJSON_IsObject(it)) st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: %s must be an object", file, k);
            else if (!strcmp(k, "classes")) classes = it;
            else labels = it;
        } else {
            st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: unknown key '%.64s'", file, k);
        }
    }
    for (int c = 0; c < OM_PHI_N_CLASSES; c++) p->classes[c] = def;
    for (const cJSON *it = classes ? classes->child : NULL; it && st == OPENMED_OK; it = it->next) {
        int c = om_phi_class_parse(it->string);
        char key[96];
        snprintf(key, sizeof key, "classes.%.64s", it->string);
        if (c < 0) st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: %s: unknown class", file, key);
        else st = action_of(it, file, key, &p->classes[c], err);
    }
    for (const cJSON *it = labels ? labels->child : NULL; it && st == OPENMED_OK; it = it->next) {
        char key[96];
        snprintf(key, sizeof key, "labels.%.64s", it->string);
        if (p->n_labels == OM_POLICY_MAX_LABELS || strlen(it->string) >= sizeof p->labels[0].label || !*it->string) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: %s: empty, too long, or more than %d labels", file, key,
                         OM_POLICY_MAX_LABELS);
            break;
        }
        snprintf(p->labels[p->n_labels].label, sizeof p->labels[0].label, "%s", it->string);
        st = action_of(it, file, key, &p->labels[p->n_labels].action, err);
        p->n_labels++;
    }
    if (st == OPENMED_OK && !p->name[0]) st = om_fail(err, OPENMED_ERR_CONFIG, "policy %s: no name", file);
    cJSON_Delete(root);
    return st;
}

openmed_status openmed_policy_load(const char *name_or_path, openmed_policy **out, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "policy: out is NULL");
    *out = NULL;
    if (!name_or_path || !*name_or_path) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "policy: no name given");
    char path[OPENMED_PATH_MAX];
    int is_path = strchr(name_or_path, '/') || strstr(name_or_path, ".json");
    if (is_path) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        for (const char *c = name_or_path; *c; c++)
            if (!(*c == '_' || *c == '-' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
                return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "policy: '%.64s' is neither a policy name nor a .json file",
                               name_or_path);
        if (!bundled_path(name_or_path, path, sizeof path))
            return om_fail(err, OPENMED_ERR_NOT_FOUND,
                           "policy '%.64s' not found (bundled: hipaa_safe_harbor, strict; or give a .json file)",
                           name_or_path);
    }
    char *json = NULL;
    size_t len = 0;
    openmed_status st = om_read_file(path, 1 << 20, &json, &len, err);
    if (st != OPENMED_OK) return st;
    openmed_policy *p = calloc(1, sizeof *p);
    if (!p) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "policy: out of memory");
    else st = parse(json, path, p, err);
    free(json);
    if (st != OPENMED_OK) {
        free(p);
        return st;
    }
    *out = p;
    return OPENMED_OK;
}

void openmed_policy_free(openmed_policy *p) { free(p); }

const char *openmed_policy_name(const openmed_policy *p) { return p ? p->name : NULL; }
