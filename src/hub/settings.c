/* settings.c: resolve the hub client's endpoint, token, cache folders and offline mode. */
#include "hub/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_internal.h"
#include "core/error.h"

static const char *env_nonempty(const char *name) {
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* huggingface_hub's _is_true: "1", "ON", "YES", "TRUE" in any case. */
static int hf_flag(const char *name) {
    const char *v = getenv(name);
    if (!v) return 0;
    return !strcasecmp(v, "1") || !strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true");
}

static openmed_status put(char *out, size_t size, openmed_error *err, const char *what, const char *fmt,
                          const char *a, const char *b) {
    int n = snprintf(out, size, fmt, a, b ? b : "");
    if (n < 0 || (size_t)n >= size)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s is too long: %s%s", what, a, b ? b : "");
    return OPENMED_OK;
}

/* Expand a leading "~/" with $HOME. */
static openmed_status expand_home(char *out, size_t size, const char *path, const char *what, openmed_error *err) {
    if (path[0] == '~' && (path[1] == '/' || path[1] == 0)) {
        const char *home = env_nonempty("HOME");
        return put(out, size, err, what, "%s%s", home ? home : "", path + 1);
    }
    return put(out, size, err, what, "%s%s", path, NULL);
}

/* A whole number from the environment in [min, max]; unset or empty keeps *out. */
static openmed_status env_long(const char *name, long min, long max, long *out, openmed_error *err) {
    const char *v = env_nonempty(name);
    if (!v) return OPENMED_OK;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s=%.32s: expected a whole number from %ld to %ld", name, v, min,
                       max);
    *out = n;
    return OPENMED_OK;
}

openmed_status om_hub_settings_init(om_hub_settings *s, const openmed_config *cfg, openmed_error *err) {
    memset(s, 0, sizeof *s);
    openmed_status st;
    const char *endpoint = env_nonempty("HF_ENDPOINT");
    if ((st = put(s->endpoint, sizeof s->endpoint, err, "HF_ENDPOINT", "%s%s",
                  endpoint ? endpoint : "https://huggingface.co", NULL)))
        return st;
    size_t n = strlen(s->endpoint);
    while (n > 0 && s->endpoint[n - 1] == '/') s->endpoint[--n] = 0;
    if (strncasecmp(s->endpoint, "https://", 8) != 0 && strncasecmp(s->endpoint, "http://", 7) != 0)
        return om_fail(err, OPENMED_ERR_CONFIG, "HF_ENDPOINT=%s: the hub must be an http:// or https:// URL",
                       s->endpoint);

    const char *token = cfg && cfg->hf_token[0] ? cfg->hf_token : env_nonempty("HF_TOKEN");
    if (token && (st = put(s->token, sizeof s->token, err, "the Hugging Face token", "%s%s", token, NULL)))
        return st;

    const char *cache = cfg && cfg->cache_dir[0] ? cfg->cache_dir : "~/.cache/openmed";
    if ((st = expand_home(s->cache_dir, sizeof s->cache_dir, cache, "cache_dir", err))) return st;

    const char *hub_cache = env_nonempty("HF_HUB_CACHE");
    const char *hf_home = env_nonempty("HF_HOME");
    const char *xdg = env_nonempty("XDG_CACHE_HOME");
    if (hub_cache)
        st = expand_home(s->hf_cache_dir, sizeof s->hf_cache_dir, hub_cache, "HF_HUB_CACHE", err);
    else if (hf_home) {
        char tmp[OPENMED_PATH_MAX];
        if ((st = expand_home(tmp, sizeof tmp, hf_home, "HF_HOME", err))) return st;
        st = put(s->hf_cache_dir, sizeof s->hf_cache_dir, err, "HF_HOME", "%s/hub%s", tmp, NULL);
    } else if (xdg)
        st = put(s->hf_cache_dir, sizeof s->hf_cache_dir, err, "XDG_CACHE_HOME", "%s/huggingface/hub%s", xdg, NULL);
    else
        st = expand_home(s->hf_cache_dir, sizeof s->hf_cache_dir, "~/.cache/huggingface/hub", "HOME", err);
    if (st) return st;

    const char *org = cfg && cfg->default_org[0] ? cfg->default_org : "OpenMed";
    if ((st = put(s->default_org, sizeof s->default_org, err, "default_org", "%s%s", org, NULL))) return st;

    s->offline = (cfg && cfg->local_only) || om_env_flag("OPENMED_OFFLINE") || hf_flag("HF_HUB_OFFLINE");
    s->skip_verify = om_env_flag("OPENMED_SKIP_MODEL_VERIFY");

    long etag = 0, download = 0, retries = 5;
    if ((st = env_long("HF_HUB_ETAG_TIMEOUT", 0, 86400, &etag, err)) ||
        (st = env_long("HF_HUB_DOWNLOAD_TIMEOUT", 0, 86400, &download, err)) ||
        (st = env_long("OPENMED_HUB_RETRIES", 0, 100, &retries, err)))
        return st;
    s->etag_timeout = etag ? etag : 10;
    s->download_timeout = download ? download : 10;
    s->retries = (int)retries;
    return OPENMED_OK;
}
