/* config.c: OpenMedConfig defaults, the environment overrides, and the dtype names. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_internal.h"
#include "core/error.h"
#include "core/num.h"

/* OpenMed's env_flag_enabled: false iff the stripped, lower-cased value is "", 0, false, no, off. */
int om_env_flag(const char *name) {
    const char *v = getenv(name);
    if (!v) return 0;
    char buf[32];
    om_trim_lower(v, buf, sizeof buf);
    return !(buf[0] == '\0' || !strcmp(buf, "0") || !strcmp(buf, "false") || !strcmp(buf, "no") ||
             !strcmp(buf, "off"));
}

void om_trim_lower(const char *in, char *out, size_t out_size) {
    while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r' || *in == '\f' || *in == '\v') in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\n' || in[n - 1] == '\r' ||
                     in[n - 1] == '\f' || in[n - 1] == '\v'))
        n--;
    if (n >= out_size) n = out_size - 1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
}

void om_copy_string(char *dst, size_t dst_size, const char *src) {
    size_t n = strlen(src);
    if (n >= dst_size) n = dst_size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void openmed_config_init(openmed_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    om_copy_string(cfg->backend, sizeof cfg->backend, "hf");
    const char *home = getenv("HOME");
    om_join_home(cfg->cache_dir, sizeof cfg->cache_dir, home, ".cache/openmed");
    om_copy_string(cfg->default_org, sizeof cfg->default_org, "OpenMed");
    cfg->dtype = OPENMED_DTYPE_AUTO;
    om_config_apply_env(cfg);
}

void om_join_home(char *out, size_t out_size, const char *home, const char *rest) {
    if (!home || !home[0]) home = "/";
    size_t hl = strlen(home);
    const char *sep = (hl > 0 && home[hl - 1] == '/') ? "" : "/";
    size_t need = hl + strlen(sep) + strlen(rest) + 1;
    if (need > out_size) {
        out[0] = '\0';
        return;
    }
    strcpy(out, home);
    strcat(out, sep);
    strcat(out, rest);
}

void om_config_apply_env(openmed_config *cfg) {
    const char *token = getenv("HF_TOKEN");
    if (!cfg->hf_token[0] && token) om_copy_string(cfg->hf_token, sizeof cfg->hf_token, token);
    cfg->local_only = cfg->local_only || om_env_flag("OPENMED_OFFLINE");
    const char *threads = getenv("OPENMED_NUM_THREADS");
    long long n;
    if (threads && om_parse_int(threads, 0, 4096, &n)) cfg->num_threads = (int)n;
}

static const char *const dtype_names[] = {"auto", "float32", "float16", "bfloat16", "int8"};

const char *openmed_dtype_name(openmed_dtype dtype) {
    if ((int)dtype < 0 || (size_t)dtype >= sizeof dtype_names / sizeof dtype_names[0]) return "unknown";
    return dtype_names[dtype];
}

openmed_status openmed_dtype_parse(const char *text, openmed_dtype *out, openmed_error *err) {
    char buf[32];
    om_trim_lower(text ? text : "", buf, sizeof buf);
    if (!buf[0]) {
        *out = OPENMED_DTYPE_AUTO;
        return OPENMED_OK;
    }
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++) {
        if (!strcmp(buf, dtype_names[i])) {
            *out = (openmed_dtype)i;
            return OPENMED_OK;
        }
    }
    /* torch spellings people paste from OpenMed code */
    if (!strcmp(buf, "fp32") || !strcmp(buf, "float")) *out = OPENMED_DTYPE_FLOAT32;
    else if (!strcmp(buf, "fp16") || !strcmp(buf, "half")) *out = OPENMED_DTYPE_FLOAT16;
    else if (!strcmp(buf, "bf16")) *out = OPENMED_DTYPE_BFLOAT16;
    else if (!strcmp(buf, "qint8") || !strcmp(buf, "i8")) *out = OPENMED_DTYPE_INT8;
    else
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "unknown dtype '%s' (expected auto, float32, float16, bfloat16 or int8)", text);
    return OPENMED_OK;
}
