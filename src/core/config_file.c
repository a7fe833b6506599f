/* config_file.c: OpenMed's flat `key = value` config file (config.toml), read strictly.
 *
 * Same format and location as OpenMed (behaviour spec §2.3), with its quirks fixed: a `#` inside
 * quotes is part of the value, and a malformed line, an unknown key or a bad value is an error
 * naming the file, the line and the key instead of being skipped. OpenMed's keys that this
 * backend does not use are accepted, validated, and recorded in cfg->unused_keys for `doctor`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_internal.h"
#include "core/error.h"
#include "core/file.h"
#include "core/num.h"

typedef enum value_kind {
    V_NULL,
    V_BOOL,
    V_INT,
    V_FLOAT,
    V_STRING /* quoted or bare */
} value_kind;

typedef struct value {
    value_kind kind;
    int boolean;
    long long integer;
    double number;
    char text[OPENMED_PATH_MAX];
} value;

typedef enum key_type {
    K_STRING,      /* any string (or null) */
    K_BOOL,
    K_INT_POSITIVE, /* > 0 (or null) */
    K_INT_NONNEG,   /* >= 0 (or null) */
    K_NUM_NONNEG,
    K_NUM_POSITIVE,
    K_UNIT_RANGE,   /* float in [0.5, 1.0] */
    K_ENUM          /* one of `choices` (case-insensitive, or null where allowed) */
} key_type;

typedef struct key_spec {
    const char *name;
    key_type type;
    const char *choices; /* for K_ENUM: "a|b|c" */
    int used;            /* 1: this backend reads it into openmed_config */
} key_spec;

/* The 38 OpenMedConfig keys (openmed/core/config.py) plus ours (dtype, num_threads, deid_secret_file). */
static const key_spec keys[] = {
    {"default_org", K_STRING, NULL, 1},
    {"cache_dir", K_STRING, NULL, 1},
    {"device", K_STRING, NULL, 1},
    {"hf_token", K_STRING, NULL, 1},
    {"log_level", K_ENUM, "debug|info|warning|warn|error|critical", 0},
    {"timeout", K_NUM_NONNEG, NULL, 0},
    {"use_medical_tokenizer", K_BOOL, NULL, 0},
    {"medical_tokenizer_exceptions", K_STRING, NULL, 0},
    {"chinese_segmentation_backend", K_ENUM, "jieba|pkuseg|hanlp", 0},
    {"chinese_user_dict_path", K_STRING, NULL, 0},
    {"chinese_pkuseg_domain", K_STRING, NULL, 0},
    {"clinical_protect_enabled", K_BOOL, NULL, 0},
    {"clinical_protect_terms", K_STRING, NULL, 0},
    {"clinical_protect_use_builtin", K_BOOL, NULL, 0},
    {"backend", K_ENUM, "hf|mlx|onnx|remote", 1},
    {"batch_size", K_INT_POSITIVE, NULL, 0},
    {"num_workers", K_INT_NONNEG, NULL, 0},
    {"lazy_model_loading", K_BOOL, NULL, 0},
    {"pii_model", K_STRING, NULL, 0},
    {"pii_model_revision", K_STRING, NULL, 0},
    {"onnx_variant", K_ENUM, "auto|int8|fp16|fp32", 0},
    {"onnx_intra_op_num_threads", K_INT_POSITIVE, NULL, 0},
    {"torch_attention_backend", K_STRING, NULL, 0},
    {"load_in_4bit", K_BOOL, NULL, 0},
    {"bnb_4bit_use_double_quant", K_BOOL, NULL, 0},
    {"local_only", K_BOOL, NULL, 1},
    {"cjk_width_convention", K_ENUM, "cjk|nfkc", 0},
    {"chinese_target_script", K_ENUM, "simplified|traditional", 0},
    {"transliteration_aware_name_matching", K_BOOL, NULL, 0},
    {"indic_name_similarity_threshold", K_UNIT_RANGE, NULL, 0},
    {"profile", K_STRING, NULL, 0},
    {"remote_inference_endpoint", K_STRING, NULL, 0},
    {"remote_inference_protocol", K_ENUM, "http|grpc", 0},
    {"remote_inference_model_name", K_STRING, NULL, 0},
    {"remote_inference_model_version", K_STRING, NULL, 0},
    {"remote_inference_tokenizer", K_STRING, NULL, 0},
    {"remote_inference_timeout_seconds", K_NUM_POSITIVE, NULL, 0},
    {"remote_inference_verify_tls", K_BOOL, NULL, 0},
    {"dtype", K_ENUM, "auto|float32|float16|bfloat16|fp32|fp16|bf16|half|float", 1},
    {"num_threads", K_INT_NONNEG, NULL, 1},
    {"deid_secret_file", K_STRING, NULL, 1},
};

static const key_spec *find_key(const char *name) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* Cut a comment: the first '#' outside single or double quotes ends the line. */
static void strip_comment(char *line) {
    char quote = 0;
    for (char *p = line; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '#') {
            *p = '\0';
            return;
        }
    }
}

static char *trim(char *s) {
    while (is_space(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) s[--n] = '\0';
    return s;
}

/* Parse a value the way OpenMed's _load_toml does: null, true/false, quoted string, int, float,
 * else the bare text. Returns 0, or -1 with a reason for an unterminated quote. */
static int parse_value(const char *raw, value *v, const char **reason) {
    memset(v, 0, sizeof *v);
    size_t n = strlen(raw);
    if (n >= sizeof v->text) {
        *reason = "value is too long";
        return -1;
    }
    if (raw[0] == '"' || raw[0] == '\'') {
        if (n < 2 || raw[n - 1] != raw[0]) {
            *reason = "unterminated quoted string";
            return -1;
        }
        v->kind = V_STRING;
        memcpy(v->text, raw + 1, n - 2);
        v->text[n - 2] = '\0';
        return 0;
    }
    memcpy(v->text, raw, n + 1);
    if (!strcasecmp(raw, "null")) {
        v->kind = V_NULL;
        return 0;
    }
    if (!strcasecmp(raw, "true") || !strcasecmp(raw, "false")) {
        v->kind = V_BOOL;
        v->boolean = !strcasecmp(raw, "true");
        return 0;
    }
    long long i;
    double d;
    if (om_parse_int(raw, LLONG_MIN, LLONG_MAX, &i)) {
        v->kind = V_INT;
        v->integer = i;
        v->number = (double)i;
        return 0;
    }
    if (om_parse_double(raw, &d)) {
        v->kind = V_FLOAT;
        v->number = d;
        return 0;
    }
    v->kind = V_STRING;
    return 0;
}

static int enum_has(const char *choices, const char *text) {
    char want[64];
    om_trim_lower(text, want, sizeof want);
    const char *p = choices;
    size_t wl = strlen(want);
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == wl && !strncmp(p, want, len)) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

/* Check a value against its key's type; returns NULL when valid, else what was expected. */
static const char *check_value(const key_spec *k, const value *v) {
    if (v->kind == V_NULL) return NULL; /* every OpenMed field accepts None */
    switch (k->type) {
    case K_STRING:
        return NULL; /* OpenMed keeps ints/bools for string fields too; we keep the text */
    case K_BOOL:
        return v->kind == V_BOOL ? NULL : "true or false";
    case K_INT_POSITIVE: /* counts, kept in an int */
        return v->kind == V_INT && v->integer > 0 && v->integer <= INT_MAX ? NULL : "an integer > 0 (at most 2147483647)";
    case K_INT_NONNEG:
        return v->kind == V_INT && v->integer >= 0 && v->integer <= INT_MAX ? NULL : "an integer >= 0 (at most 2147483647)";
    case K_NUM_NONNEG:
        return (v->kind == V_INT || v->kind == V_FLOAT) && v->number >= 0 ? NULL : "a number >= 0";
    case K_NUM_POSITIVE:
        return (v->kind == V_INT || v->kind == V_FLOAT) && v->number > 0 ? NULL : "a number > 0";
    case K_UNIT_RANGE:
        return (v->kind == V_INT || v->kind == V_FLOAT) && v->number >= 0.5 && v->number <= 1.0
                   ? NULL
                   : "a number in [0.5, 1.0]";
    case K_ENUM:
        return v->kind == V_STRING && enum_has(k->choices, v->text) ? NULL : k->choices;
    }
    return "a valid value";
}

static void note_unused(openmed_config *cfg, const char *name) {
    const char *p = cfg->unused_keys;
    size_t nl = strlen(name);
    while ((p = strstr(p, name)) != NULL) { /* already listed? */
        if ((p == cfg->unused_keys || p[-1] == ',') && (p[nl] == ',' || p[nl] == '\0')) return;
        p += nl;
    }
    size_t used = strlen(cfg->unused_keys);
    if (used + nl + 2 > sizeof cfg->unused_keys) return;
    if (used) cfg->unused_keys[used++] = ',';
    memcpy(cfg->unused_keys + used, name, nl + 1);
}

static void apply_value(openmed_config *cfg, const key_spec *k, const value *v) {
    const char *text = v->kind == V_NULL ? "" : v->text;
    if (!k->used) {
        note_unused(cfg, k->name);
    } else if (!strcmp(k->name, "default_org")) {
        om_copy_string(cfg->default_org, sizeof cfg->default_org, v->kind == V_NULL ? "OpenMed" : text);
    } else if (!strcmp(k->name, "cache_dir")) {
        if (v->kind == V_NULL) {
            om_join_home(cfg->cache_dir, sizeof cfg->cache_dir, getenv("HOME"), ".cache/openmed");
        } else if (text[0] == '~' && (text[1] == '/' || text[1] == '\0')) {
            om_join_home(cfg->cache_dir, sizeof cfg->cache_dir, getenv("HOME"), text[1] ? text + 2 : "");
        } else {
            om_copy_string(cfg->cache_dir, sizeof cfg->cache_dir, text);
        }
    } else if (!strcmp(k->name, "device")) {
        om_copy_string(cfg->device, sizeof cfg->device, text);
    } else if (!strcmp(k->name, "hf_token")) {
        const char *env_token = getenv("HF_TOKEN"); /* null: fall back to HF_TOKEN, as OpenMed */
        om_copy_string(cfg->hf_token, sizeof cfg->hf_token, v->kind == V_NULL && env_token ? env_token : text);
    } else if (!strcmp(k->name, "backend")) {
        char lower[16];
        om_trim_lower(v->kind == V_NULL ? "hf" : text, lower, sizeof lower);
        om_copy_string(cfg->backend, sizeof cfg->backend, lower);
    } else if (!strcmp(k->name, "local_only")) {
        cfg->local_only = v->kind == V_BOOL && v->boolean;
    } else if (!strcmp(k->name, "dtype")) {
        openmed_dtype_parse(text, &cfg->dtype, NULL); /* validated by check_value */
    } else if (!strcmp(k->name, "deid_secret_file")) {
        if (text[0] == '~' && (text[1] == '/' || text[1] == '\0'))
            om_join_home(cfg->deid_secret_file, sizeof cfg->deid_secret_file, getenv("HOME"), text[1] ? text + 2 : "");
        else
            om_copy_string(cfg->deid_secret_file, sizeof cfg->deid_secret_file, text);
    } else if (!strcmp(k->name, "num_threads")) {
        cfg->num_threads = v->kind == V_INT ? (int)v->integer : 0;
    }
}

openmed_status openmed_config_path(const char *path, char *out, size_t out_size, openmed_error *err) {
    const char *env = getenv("OPENMED_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    int n;
    if (path && path[0]) n = snprintf(out, out_size, "%s", path);
    else if (env && env[0]) n = snprintf(out, out_size, "%s", env);
    else if (xdg && xdg[0]) n = snprintf(out, out_size, "%s/openmed/config.toml", xdg);
    else {
        const char *home = getenv("HOME");
        n = snprintf(out, out_size, "%s/.config/openmed/config.toml", home && home[0] ? home : "");
    }
    if (n < 0 || (size_t)n >= out_size)
        return om_fail(err, OPENMED_ERR_CONFIG, "config file path is too long");
    return OPENMED_OK;
}

openmed_status openmed_config_load_file(openmed_config *cfg, const char *path, openmed_error *err) {
    char resolved[OPENMED_PATH_MAX];
    openmed_status st = openmed_config_path(path, resolved, sizeof resolved, err);
    if (st != OPENMED_OK) return st;
    int explicit_file = (path && path[0]) || (getenv("OPENMED_CONFIG") && getenv("OPENMED_CONFIG")[0]);
    if (!explicit_file && !om_file_exists(resolved)) return OPENMED_OK; /* no file: defaults */

    char *data = NULL;
    size_t size = 0;
    st = om_read_file(resolved, 1 << 20, &data, &size, err);
    if (st != OPENMED_OK) {
        if (st == OPENMED_ERR_NOT_FOUND)
            return om_fail(err, OPENMED_ERR_CONFIG, "config file %s (from %s) does not exist", resolved,
                           path && path[0] ? "--config-path" : "OPENMED_CONFIG");
        return om_fail_prefix(err, st, "config file");
    }
    if (memchr(data, '\0', size)) {
        free(data);
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: not a text file (contains NUL bytes)", resolved);
    }

    openmed_config next = *cfg; /* apply all-or-nothing: a bad file changes nothing */
    next.unused_keys[0] = '\0';
    int line_no = 0;
    char *save = NULL;
    st = OPENMED_OK;
    /* strtok_r would merge empty lines and lose numbering; walk lines by hand. */
    for (char *line = data; line && st == OPENMED_OK; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        line_no++;
        strip_comment(line);
        char *text = trim(line);
        if (!*text) continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "%s:%d: malformed line, expected 'key = value'", resolved,
                         line_no);
            break;
        }
        *eq = '\0';
        char *key = trim(text);
        char *raw = trim(eq + 1);
        if (!*key) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "%s:%d: malformed line, missing key before '='", resolved,
                         line_no);
            break;
        }
        const key_spec *k = find_key(key);
        if (!k) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "%s:%d: unknown key '%s' (not an OpenMedConfig field)",
                         resolved, line_no, key);
            break;
        }
        value v;
        const char *reason = NULL;
        if (parse_value(raw, &v, &reason) != 0) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "%s:%d: key '%s': %s", resolved, line_no, key, reason);
            break;
        }
        const char *expected = check_value(k, &v);
        if (expected) {
            st = om_fail(err, OPENMED_ERR_CONFIG, "%s:%d: key '%s': bad value '%s', expected %s", resolved,
                         line_no, key, v.text, expected);
            break;
        }
        apply_value(&next, k, &v);
    }
    free(data);
    if (st != OPENMED_OK) return st;
    next.local_only = next.local_only || om_env_flag("OPENMED_OFFLINE");
    om_copy_string(next.config_path, sizeof next.config_path, resolved);
    *cfg = next;
    return OPENMED_OK;
}
