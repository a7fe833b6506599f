/* model.c: config.json parsing, loading a model folder (weights, tokenizer, backend) and the
 * public openmed_model_* API. */
#include "models/model.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/num.h"
#include "core/log.h"
#include "hub/hub.h"
#include "hub/privacy_routing.h"


/* ------------------------------------------------------------------ config.json */

/* architectures[0] -> model_type for configs without one. */
static const struct {
    const char *prefix;
    const char *model_type;
} arch_prefixes[] = {
    {"XLMRoberta", "xlm-roberta"}, {"Roberta", "roberta"},     {"Camembert", "camembert"},
    {"DistilBert", "distilbert"},  {"Electra", "electra"},     {"DebertaV2", "deberta-v2"},
    {"ModernBert", "modernbert"},  {"Longformer", "longformer"}, {"OpenAIPrivacyFilter", "openai_privacy_filter"},
    {"Bert", "bert"},
};

static void normalize_model_type(const char *in, char *out, size_t size) {
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++) out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
    for (char *c = out; *c; c++) /* "xlm_roberta" -> "xlm-roberta", "deberta_v2" -> "deberta-v2" */
        if (*c == '_' && (strncmp(out, "xlm", 3) == 0 || strncmp(out, "deberta", 7) == 0)) *c = '-';
}

/* Bracket depth outside strings, so hostile nesting fails before cJSON recurses. */
static int json_depth_ok(const char *s, size_t n) {
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > OM_CONFIG_MAX_DEPTH) return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

static int str_ptr_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key that appears twice in obj (cJSON keeps both), or NULL; *oom = 1 when the check could not
 * be made for lack of memory. Sorting keeps it n log n. */
static const char *duplicate_key(const cJSON *obj, int *oom) {
    *oom = 0;
    int n = obj ? cJSON_GetArraySize(obj) : 0;
    if (n < 2) return NULL;
    const char **names = malloc((size_t)n * sizeof *names);
    if (!names) {
        *oom = 1;
        return NULL;
    }
    int i = 0;
    for (const cJSON *c = obj->child; c && i < n; c = c->next) names[i++] = c->string ? c->string : "";
    qsort(names, (size_t)i, sizeof *names, str_ptr_cmp);
    const char *dup = NULL;
    for (int k = 1; k < i && !dup; k++)
        if (strcmp(names[k - 1], names[k]) == 0) dup = names[k];
    free(names);
    return dup;
}

openmed_status om_config_int(const om_model_config *cfg, const char *key, int required, long long min,
                             long long max, int fallback, int *out, openmed_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)cfg->json, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: missing required field \"%s\" for model_type \"%s\"",
                           cfg->path, key, cfg->model_type);
        *out = fallback;
        return OPENMED_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"%s\" must be an integer", cfg->path, key);
    if (v->valuedouble < (double)min || v->valuedouble > (double)max)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"%s\" = %.0f is outside [%lld, %lld]", cfg->path, key,
                       v->valuedouble, min, max);
    *out = (int)v->valuedouble;
    return OPENMED_OK;
}

openmed_status om_config_float(const om_model_config *cfg, const char *key, int required, double fallback,
                               float *out, openmed_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)cfg->json, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: missing required field \"%s\"", cfg->path, key);
        *out = (float)fallback;
        return OPENMED_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"%s\" must be a number", cfg->path, key);
    *out = (float)v->valuedouble;
    return OPENMED_OK;
}

/* The first present key of a family's synonyms (hidden_size / dim / d_model ...). */
static const char *first_key(const cJSON *json, const char *const *keys) {
    for (; *keys; keys++)
        if (cJSON_GetObjectItemCaseSensitive(json, *keys)) return *keys;
    return NULL;
}

static openmed_status parse_labels(om_model_config *cfg, openmed_error *err) {
    const cJSON *json = cfg->json;
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(json, "id2label");
    int num_labels = -1;
    openmed_status s = om_config_int(cfg, "num_labels", 0, 1, OM_MAX_LABELS, -1, &num_labels, err);
    if (s != OPENMED_OK) return s;
    int n;
    if (id2label && !cJSON_IsNull(id2label)) {
        if (!cJSON_IsObject(id2label))
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"id2label\" must be an object", cfg->path);
        int oom = 0;
        const char *dup = duplicate_key(id2label, &oom);
        if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory checking id2label", cfg->path);
        if (dup) return om_fail(err, OPENMED_ERR_CONFIG, "%s: id2label key \"%.32s\" appears twice", cfg->path, dup);
        n = cJSON_GetArraySize(id2label);
        if (n < 1 || n > OM_MAX_LABELS)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: id2label has %d entries (need 1..%d)", cfg->path, n,
                           OM_MAX_LABELS);
        if (num_labels >= 0 && num_labels != n)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: num_labels is %d but id2label has %d entries", cfg->path,
                           num_labels, n);
    } else {
        n = num_labels > 0 ? num_labels : 2; /* HF's default config: LABEL_0, LABEL_1 */
        id2label = NULL;
    }
    cfg->id2label = calloc((size_t)n, sizeof *cfg->id2label);
    if (!cfg->id2label) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", cfg->path);
    cfg->num_labels = n;
    if (!id2label) {
        for (int i = 0; i < n; i++) {
            char name[32];
            snprintf(name, sizeof name, "LABEL_%d", i);
            if (!(cfg->id2label[i] = strdup(name))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
        }
        return OPENMED_OK;
    }
    for (const cJSON *e = id2label->child; e; e = e->next) {
        long long id;
        if (!isdigit((unsigned char)e->string[0]) || !om_parse_int(e->string, 0, n - 1, &id))
            return om_fail(err, OPENMED_ERR_CONFIG,
                           "%s: id2label key \"%.32s\" is not an integer in [0, %d) (ids must be dense)", cfg->path,
                           e->string, n);
        if (!cJSON_IsString(e))
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: id2label[%lld] must be a string", cfg->path, id);
        if (cfg->id2label[id])
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: id2label id %lld appears twice", cfg->path, id);
        if (!(cfg->id2label[id] = strdup(e->valuestring)))
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", cfg->path);
    }
    return OPENMED_OK;
}

void om_model_config_free(om_model_config *cfg, cJSON *json) {
    if (cfg && cfg->id2label) {
        for (int i = 0; i < cfg->num_labels; i++) free(cfg->id2label[i]);
        free(cfg->id2label);
    }
    if (cfg) {
        free((char *)cfg->path);
        memset(cfg, 0, sizeof *cfg);
    }
    cJSON_Delete(json);
}

static openmed_status parse_common(om_model_config *cfg, openmed_error *err) {
    static const char *const hidden_keys[] = {"hidden_size", "dim", "d_model", NULL};
    static const char *const layer_keys[] = {"num_hidden_layers", "n_layers", NULL};
    static const char *const head_keys[] = {"num_attention_heads", "n_heads", NULL};
    static const char *const inter_keys[] = {"intermediate_size", "hidden_dim", NULL};
    static const char *const act_keys[] = {"hidden_act", "activation", NULL};
    const cJSON *json = cfg->json;
    const int big = 1 << 24;
    const char *k;
    openmed_status s = OPENMED_OK;
#define INT_FIELD(key, min, max, fb, dst) \
    if (s == OPENMED_OK && (key)) s = om_config_int(cfg, key, 0, min, max, fb, dst, err)
    INT_FIELD("vocab_size", 1, 1 << 28, 0, &cfg->vocab_size);
    k = first_key(json, hidden_keys);
    INT_FIELD(k, 1, big, 0, &cfg->hidden_size);
    k = first_key(json, layer_keys);
    INT_FIELD(k, 1, 1024, 0, &cfg->num_layers);
    k = first_key(json, head_keys);
    INT_FIELD(k, 1, 4096, 0, &cfg->num_heads);
    k = first_key(json, inter_keys);
    INT_FIELD(k, 1, big, 0, &cfg->intermediate_size);
    INT_FIELD("max_position_embeddings", 0, big, 0, &cfg->max_position_embeddings);
    INT_FIELD("type_vocab_size", 0, 1 << 16, 0, &cfg->type_vocab_size);
    INT_FIELD("pad_token_id", -1, 1 << 28, 0, &cfg->pad_token_id);
#undef INT_FIELD
    if (s != OPENMED_OK) return s;
    /* Families that state head_dim (privacy filter: hidden 640 = 14 heads x 64 does not hold) or
     * attention_head_size (DeBERTa) size their heads themselves. */
    int explicit_head_dim = cJSON_GetObjectItemCaseSensitive(json, "head_dim") != NULL ||
                            cJSON_GetObjectItemCaseSensitive(json, "attention_head_size") != NULL;
    if (!explicit_head_dim && cfg->hidden_size && cfg->num_heads && cfg->hidden_size % cfg->num_heads)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: hidden_size %d is not a multiple of num_attention_heads %d",
                       cfg->path, cfg->hidden_size, cfg->num_heads);
    s = om_config_float(cfg, "layer_norm_eps", 0, 1e-12, &cfg->layer_norm_eps, err);
    if (s != OPENMED_OK) return s;
    if (!(cfg->layer_norm_eps >= 0.0f))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: layer_norm_eps must not be negative", cfg->path);
    cfg->hidden_act = OM_ACT_GELU;
    k = first_key(json, act_keys);
    if (k) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, k);
        if (!cJSON_IsString(v))
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"%s\" must be a string", cfg->path, k);
        if (om_act_parse(v->valuestring, &cfg->hidden_act) != 0)
            return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: %s \"%.64s\" is not supported", cfg->path, k,
                           v->valuestring);
    }
    return parse_labels(cfg, err);
}

openmed_status om_model_config_parse(const char *path, om_model_config *cfg, cJSON **json_out, openmed_error *err) {
    memset(cfg, 0, sizeof *cfg);
    *json_out = NULL;
    char *text = NULL;
    size_t size = 0;
    openmed_status s = om_read_file(path, OM_CONFIG_MAX_BYTES, &text, &size, err);
    if (s != OPENMED_OK) return s;
    const char *body = text;
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) body += 3; /* a BOM is accepted */
    size_t body_len = size - (size_t)(body - text);
    if (strlen(body) != body_len || !json_depth_ok(body, body_len)) {
        free(text);
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: contains a NUL byte or nests deeper than %d levels", path,
                       OM_CONFIG_MAX_DEPTH);
    }
    int oom = 0;
    cJSON *json = om_json_parse(body, body_len, NULL, &oom);
    free(text);
    if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory parsing it", path);
    if (!json || !cJSON_IsObject(json)) {
        cJSON_Delete(json);
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: not a valid JSON object", path);
    }
    cfg->json = json;
    cfg->path = strdup(path);
    if (!cfg->path) {
        om_model_config_free(cfg, json);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    }
    const char *dup = duplicate_key(json, &oom);
    if (oom || dup) {
        s = oom ? om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory checking its keys", path)
                : om_fail(err, OPENMED_ERR_CONFIG, "%s: key \"%.64s\" appears twice", path, dup);
        om_model_config_free(cfg, json);
        return s;
    }
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(json, "architectures");
    if (archs && !cJSON_IsNull(archs)) {
        const cJSON *a0 = cJSON_IsArray(archs) ? cJSON_GetArrayItem(archs, 0) : NULL;
        if (!cJSON_IsString(a0)) {
            s = om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"architectures\" must be a list of strings", path);
            om_model_config_free(cfg, json);
            return s;
        }
        snprintf(cfg->architecture, sizeof cfg->architecture, "%s", a0->valuestring);
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(json, "model_type");
    if (mt && !cJSON_IsString(mt)) {
        s = om_fail(err, OPENMED_ERR_CONFIG, "%s: field \"model_type\" must be a string", path);
    } else if (mt && mt->valuestring[0]) {
        normalize_model_type(mt->valuestring, cfg->model_type, sizeof cfg->model_type);
    } else {
        for (size_t i = 0; i < sizeof arch_prefixes / sizeof arch_prefixes[0]; i++)
            if (strncmp(cfg->architecture, arch_prefixes[i].prefix, strlen(arch_prefixes[i].prefix)) == 0) {
                snprintf(cfg->model_type, sizeof cfg->model_type, "%s", arch_prefixes[i].model_type);
                break;
            }
        if (!cfg->model_type[0])
            s = om_fail(err, OPENMED_ERR_CONFIG,
                        "%s: no \"model_type\", and architectures[0] (\"%.64s\") names no known family", path,
                        cfg->architecture);
    }
    if (s == OPENMED_OK) s = parse_common(cfg, err);
    if (s != OPENMED_OK) {
        om_model_config_free(cfg, json);
        return s;
    }
    *json_out = json;
    return OPENMED_OK;
}

/* ------------------------------------------------------------------ loading */

static void model_free(openmed_model *m, int own_backend) {
    if (!m) return;
    if (m->weights && m->arch) m->arch->free(m->weights, m->be);
    if (m->tok) om_tokenizer_free(m->tok);
    om_safetensors_close(m->st);
    om_model_config_free(&m->cfg, m->config_json);
    if (own_backend) om_backend_destroy(m->be);
    free(m);
}

/* Which backend a model owns is remembered in its device name: a model loaded on a caller's
 * backend has device[0] == '\0' and the caller destroys the backend. */
openmed_status om_model_load_dir(const char *dir, om_backend *be, int own_backend, int load_tokenizer,
                                 openmed_model **out, openmed_error *err) {
    *out = NULL;
    openmed_model *m = calloc(1, sizeof *m);
    if (!m) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory loading %s", dir);
    m->be = be;
    snprintf(m->path, sizeof m->path, "%s", dir);
    if (own_backend) snprintf(m->device, sizeof m->device, "%s", be->name);
    char path[OPENMED_PATH_MAX];
    openmed_status s = om_path_join(path, sizeof path, dir, "config.json", err);
    if (s == OPENMED_OK && !om_file_exists(path))
        s = om_fail(err, OPENMED_ERR_NOT_FOUND, "%s: no config.json in the model folder", dir);
    if (s == OPENMED_OK) s = om_model_config_parse(path, &m->cfg, &m->config_json, err);
    if (s == OPENMED_OK) {
        m->arch = om_arch_find(m->cfg.model_type);
        if (!m->arch)
            s = om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: model_type \"%s\" (%s) is not supported by this build",
                        path, m->cfg.model_type, m->cfg.architecture[0] ? m->cfg.architecture : "no architectures");
    }
    if (s == OPENMED_OK) s = om_safetensors_open(dir, &m->st, err);
    if (s == OPENMED_OK) s = m->arch->load(&m->cfg, m->st, be, &m->weights, err);
    if (s == OPENMED_OK && load_tokenizer) s = om_tokenizer_load_dir(dir, &m->tok, err);
    if (s == OPENMED_OK) {
        int64_t max_len = m->tok ? om_tokenizer_model_max_length(m->tok) : OM_TOKENIZER_NO_MAX_LENGTH;
        /* Families with a learned absolute position table cannot read past it: cap the window
         * there (HF would fail instead). Rotary and relative families keep model_max_length. */
        const char *mt = m->cfg.model_type;
        int roberta_like = strcmp(mt, "roberta") == 0 || strcmp(mt, "xlm-roberta") == 0 ||
                           strcmp(mt, "camembert") == 0 || strcmp(mt, "longformer") == 0;
        int learned = roberta_like || strcmp(mt, "bert") == 0 || strcmp(mt, "distilbert") == 0 ||
                      strcmp(mt, "electra") == 0;
        int64_t positions = m->cfg.max_position_embeddings - (roberta_like ? m->cfg.pad_token_id + 1 : 0);
        if (learned && positions > 0 && max_len > positions) max_len = positions;
        if (max_len > INT32_MAX) max_len = INT32_MAX;
        m->max_length = (int)max_len;
    }
    if (s != OPENMED_OK) {
        model_free(m, 0);
        return s;
    }
    *out = m;
    return OPENMED_OK;
}

om_ws_size om_model_workspace_size(const openmed_model *m, const om_batch *batch) {
    om_ws_size none = {0, 0};
    if (!m || !batch || batch->n_tokens <= 0 || batch->n_seqs <= 0) return none;
    return m->arch->workspace(m->weights, &m->cfg, batch);
}

openmed_status om_model_forward(const openmed_model *m, om_workspace *ws, const om_batch *batch, float *logits,
                                float *hidden, openmed_error *err) {
    if (!m || !batch || !logits || batch->n_seqs < 0 || !batch->cu_seqlens || batch->cu_seqlens[0] != 0 ||
        batch->cu_seqlens[batch->n_seqs] != batch->n_tokens)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "model forward: inconsistent batch");
    for (int s = 0; s < batch->n_seqs; s++)
        if (batch->cu_seqlens[s + 1] < batch->cu_seqlens[s])
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "model forward: sequence %d has negative length", s);
    for (int64_t t = 0; t < batch->n_tokens; t++)
        if (batch->ids[t] < 0 || (m->cfg.vocab_size > 0 && batch->ids[t] >= m->cfg.vocab_size))
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "model forward: token id %d at position %lld is outside the vocabulary of %d (%s)",
                           (int)batch->ids[t], (long long)t, m->cfg.vocab_size, m->path);
    if (batch->n_tokens == 0 || batch->n_seqs == 0) return OPENMED_OK;
    om_workspace once;
    if (!ws) {
        om_workspace_init(&once);
        ws = &once;
    }
    om_ws_size need = m->arch->workspace(m->weights, &m->cfg, batch);
    openmed_status s = om_workspace_reserve(ws, m->be, &need, err);
    if (s == OPENMED_OK) s = m->arch->forward(m->weights, &m->cfg, m->be, batch, ws, logits, hidden, err);
    if (ws == &once) om_workspace_release(&once);
    return s;
}

/* ------------------------------------------------------------------ public API */

void openmed_model_options_init(openmed_model_options *options) {
    if (!options) return;
    memset(options, 0, sizeof *options);
    options->dtype = OPENMED_DTYPE_AUTO;
}

openmed_status openmed_model_load(const char *name_or_path, const openmed_model_options *options,
                                  openmed_model **out, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_model_load: out is NULL");
    *out = NULL;
    if (!name_or_path || !name_or_path[0])
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_model_load: empty model name or path");
    openmed_model_options defaults;
    if (!options) {
        openmed_model_options_init(&defaults);
        options = &defaults;
    }
    openmed_config local_cfg;
    const openmed_config *cfg = options->config;
    if (!cfg) {
        openmed_config_init(&local_cfg);
        cfg = &local_cfg;
    }
    openmed_device_choice choice;
    openmed_status s = openmed_device_resolve(options->device && options->device[0] ? options->device : NULL, cfg,
                                              &choice, err);
    if (s == OPENMED_OK) s = openmed_device_check(&choice, err);
    if (s != OPENMED_OK) return om_fail_prefix(err, s, "loading model %s", name_or_path);

    /* MLX-only privacy-filter artifacts run as their PyTorch checkpoints (warned once, §6.2). */
    char routed[OPENMED_PATH_MAX];
    int substituted = 0;
    if (om_privacy_filter_route(name_or_path)) {
        s = om_privacy_filter_resolve(name_or_path, routed, sizeof routed, &substituted, err);
        if (s != OPENMED_OK) return s;
        if (substituted) name_or_path = routed;
    }
    char dir[OPENMED_PATH_MAX];
    if (om_dir_exists(name_or_path)) {
        snprintf(dir, sizeof dir, "%s", name_or_path);
    } else {
        s = om_hub_resolve_model(name_or_path, cfg, dir, sizeof dir, err);
        if (s != OPENMED_OK) return s;
    }
    openmed_dtype dtype = options->dtype != OPENMED_DTYPE_AUTO ? options->dtype
                          : cfg->dtype != OPENMED_DTYPE_AUTO    ? cfg->dtype
                                                                : choice.dtype;
    int on_cpu = strcmp(choice.resolved, "cpu") == 0;
    if (dtype == OPENMED_DTYPE_INT8 && !on_cpu)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "loading model %s: dtype int8 runs on the cpu device only, not %s",
                       dir, choice.resolved);
    if (on_cpu && dtype == OPENMED_DTYPE_FLOAT16)
        OM_WARN("dtype float16 requested: the cpu backend computes in float32 (half-precision weights are "
                "converted once at load)");
    int threads = options->num_threads > 0 ? options->num_threads : cfg->num_threads;
    om_backend *be = NULL;
    s = om_backend_create(choice.resolved, threads, &be, err);
    if (s != OPENMED_OK) return om_fail_prefix(err, s, "loading model %s (device requested by %s)", dir,
                                               openmed_device_source_name(choice.source));
    if (dtype == OPENMED_DTYPE_INT8 || dtype == OPENMED_DTYPE_BFLOAT16 || (!on_cpu && dtype == OPENMED_DTYPE_FLOAT16)) {
        om_dtype compute = dtype == OPENMED_DTYPE_INT8 ? OM_I8 : dtype == OPENMED_DTYPE_FLOAT16 ? OM_F16 : OM_BF16;
        /* before weights are prepared, so they are stored for that precision */
        if (be->set_precision) s = be->set_precision(be, compute, err);
        else OM_WARN("dtype %s requested: the %s backend computes in float32", openmed_dtype_name(dtype), be->name);
        if (s == OPENMED_ERR_UNSUPPORTED && on_cpu && dtype == OPENMED_DTYPE_BFLOAT16) {
            OM_WARN("dtype bfloat16 requested: this CPU has no bf16 matmul (AVX-512 needed); computing in float32");
            s = OPENMED_OK;
        }
        if (s != OPENMED_OK) {
            om_backend_destroy(be);
            return om_fail_prefix(err, s, "loading model %s", dir);
        }
    }
    s = om_model_load_dir(dir, be, 1, 1, out, err);
    if (s != OPENMED_OK) {
        om_backend_destroy(be);
        return s;
    }
    snprintf((*out)->device, sizeof (*out)->device, "%s", choice.resolved);
    OM_INFO("loaded %s model (%d layers, %d labels) on %s", (*out)->cfg.model_type, (*out)->cfg.num_layers,
            (*out)->cfg.num_labels, choice.resolved);
    return OPENMED_OK;
}

void openmed_model_free(openmed_model *model) {
    if (!model) return;
    model_free(model, model->device[0] != '\0');
}

const char *openmed_model_type(const openmed_model *m) { return m ? m->cfg.model_type : NULL; }
const char *openmed_model_path(const openmed_model *m) { return m ? m->path : NULL; }
const char *openmed_model_device(const openmed_model *m) { return m ? m->device : NULL; }
int openmed_model_num_labels(const openmed_model *m) { return m ? m->cfg.num_labels : 0; }
const char *openmed_model_label(const openmed_model *m, int id) {
    return m && id >= 0 && id < m->cfg.num_labels ? m->cfg.id2label[id] : NULL;
}
int openmed_model_max_length(const openmed_model *m) { return m ? m->max_length : 0; }
const openmed_tokenizer *openmed_model_tokenizer(const openmed_model *m) { return m ? m->tok : NULL; }
