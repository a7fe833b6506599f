/* privacy_routing.c: privacy-filter name predicates and the MLX-to-PyTorch fallback (see privacy_routing.h). */
#include "hub/privacy_routing.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "core/log.h"

#define NAME_MAX_LEN 1024

/* OpenMed's normalisation: strip, lower-case, "_" -> "-". 0 when the name does not fit. */
static int normalize(const char *name, char *out, size_t size) {
    if (!name) return 0;
    while (*name && isspace((unsigned char)*name)) name++;
    size_t n = strlen(name);
    while (n && isspace((unsigned char)name[n - 1])) n--;
    if (n + 1 > size) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        out[i] = c == '_' ? '-' : c;
    }
    out[n] = '\0';
    return 1;
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

int om_privacy_filter_name(const char *name) {
    char v[NAME_MAX_LEN];
    if (!normalize(name, v, sizeof v)) return 0;
    return strcmp(v, "openai-privacy-filter") == 0 || strcmp(v, "privacy-filter") == 0 ||
           starts_with(v, "openai/privacy-filter") || strcmp(v, "openmed/privacy-filter") == 0 ||
           starts_with(v, "openmed/privacy-filter-");
}

/* The parsed JSON file dir/name, or NULL when absent or unreadable. */
static cJSON *read_json(const char *dir, const char *name) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path || !om_file_exists(path)) return NULL;
    char *text = NULL;
    size_t len = 0;
    if (om_read_file(path, 4u << 20, &text, &len, NULL) != OPENMED_OK) return NULL;
    cJSON *json = cJSON_ParseWithLength(text, len);
    free(text);
    return json;
}

static int metadata_names_privacy_filter(const cJSON *json) {
    static const char *const keys[] = {"family", "_mlx_family", "_mlx_model_type", "model_type", "source_model_id",
                                       "_name_or_path"};
    if (!cJSON_IsObject(json)) return 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, keys[i]);
        if (cJSON_IsString(v) && om_privacy_filter_name(v->valuestring)) return 1;
    }
    return 0;
}

int om_privacy_filter_folder(const char *dir) {
    if (!dir || !om_dir_exists(dir)) return 0;
    static const char *const files[] = {"openmed-mlx.json", "config.json"};
    for (size_t i = 0; i < 2; i++) {
        cJSON *json = read_json(dir, files[i]);
        int yes = metadata_names_privacy_filter(json);
        cJSON_Delete(json);
        if (yes) return 1;
    }
    return 0;
}

int om_privacy_filter_route(const char *name_or_path) {
    return om_privacy_filter_name(name_or_path) || om_privacy_filter_folder(name_or_path);
}

static int contains_ci(const char *s, const char *needle) {
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == needle[i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

static int truthy(const cJSON *v) {
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v)) return 0;
    if (cJSON_IsNumber(v)) return v->valuedouble != 0.0;
    if (cJSON_IsString(v)) return v->valuestring[0] != '\0';
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) return cJSON_GetArraySize(v) > 0;
    return 1;
}

int om_privacy_filter_is_mlx(const char *name_or_path) {
    if (!name_or_path) return 0;
    char dir[4096];
    if (om_dir_exists(name_or_path)) {
        snprintf(dir, sizeof dir, "%s", name_or_path);
    } else if (om_file_exists(name_or_path)) {
        snprintf(dir, sizeof dir, "%s", name_or_path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        else snprintf(dir, sizeof dir, ".");
    } else {
        return contains_ci(name_or_path, "mlx");
    }
    char marker[4200];
    snprintf(marker, sizeof marker, "%s/openmed-mlx.json", dir);
    if (om_file_exists(marker)) return 1;
    cJSON *config = read_json(dir, "config.json");
    int yes = config && truthy(cJSON_GetObjectItemCaseSensitive(config, "_mlx_model_type")) &&
              truthy(cJSON_GetObjectItemCaseSensitive(config, "_mlx_weights_format"));
    cJSON_Delete(config);
    return yes;
}

/* Warn once per name (FNV-1a hashes of the names already warned about). */
static int first_warning(const char *name) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t seen[64];
    static size_t n_seen;
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ull;
    int first = 1;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i] == h) first = 0;
    if (first) seen[n_seen++ % 64] = h;
    pthread_mutex_unlock(&lock);
    return first;
}

openmed_status om_privacy_filter_resolve(const char *name_or_path, char *out, size_t out_size, int *substituted,
                                         openmed_error *err) {
    *substituted = 0;
    if (!name_or_path || !name_or_path[0])
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "privacy filter: empty model name");
    const char *target = name_or_path;
    if (om_privacy_filter_is_mlx(name_or_path)) {
        target = contains_ci(name_or_path, "multilingual") ? "OpenMed/privacy-filter-multilingual"
                 : contains_ci(name_or_path, "nemotron")   ? "OpenMed/privacy-filter-nemotron"
                                                           : "openai/privacy-filter";
        *substituted = 1;
        if (first_warning(name_or_path))
            om_log(OPENMED_LOG_WARN, "%s is an MLX-only artifact and cannot run on this host. Substituting %s.",
                   name_or_path, target);
    }
    if (strlen(target) + 1 > out_size)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "privacy filter: model name longer than %zu bytes",
                       out_size ? out_size - 1 : 0);
    memcpy(out, target, strlen(target) + 1);
    return OPENMED_OK;
}
