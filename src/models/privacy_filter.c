/* privacy_filter.c: the OpenAI Privacy Filter family (model_type "openai_privacy_filter"): a
 * bidirectional gpt-oss-style sparse mixture-of-experts encoder for PII token classification.
 *
 * Per layer (pre-norm, residual; Hugging Face's OpenAIPrivacyFilterModel):
 *   t = RMSNorm(x); q, k, v = t Wq + bq, t Wk + bk, t Wv + bv   (separate or fused qkv_proj)
 *   q, k = interleaved-pair rotary (YaRN inv_freq and attention factor from rope_parameters)
 *   attention with grouped kv heads, keys |i - j| <= sliding_window, one learned sink logit per
 *     head, scores (q dh^-1/4).(k dh^-1/4) = q.k / sqrt(dh)
 *   x += o_proj(attention)
 *   t = RMSNorm(x); top-k experts by the router (softmax over the k chosen logits);
 *   x += sum_j w_j expert_j(t), expert = clamped SwiGLU (alpha 1.702, limit swiglu_limit)
 * then RMSNorm and the `score` classifier (bias when the checkpoint has one).
 * Expert, attention, router, embedding and classifier matrices stay in their stored dtype
 * (bf16 checkpoints are not expanded at load); vectors become float32; compute is float32.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/half.h"
#include "io/safetensors.h"
#include "models/arch.h"

typedef struct pf_layer {
    const float *attn_norm, *mlp_norm;
    int fused_qkv;        /* 1: one [q|k|v] projection (wq holds it), 0: wq, wk, wv */
    om_weight wq, wk, wv, wo;
    const float *bq, *bk, *bv, *bo;
    const float *sinks;   /* [n_heads] */
    om_weight router;     /* [n_experts, D] */
    const float *router_b;
    om_moe_experts experts;
} pf_layer;

typedef struct pf_weights {
    int D, n_layers, n_heads, n_kv, head_dim, n_experts, top_k, n_labels, window;
    float eps;
    float *inv_freq; /* host, [head_dim / 2] */
    float mscale;    /* YaRN attention factor */
    om_weight embed;
    pf_layer *layers;
    const float *final_norm;
    om_weight score;
    const float *score_b;
    om_backend *be;
    om_weight **prepared; /* every weight given to prepare_weight, for release */
    size_t n_prepared;
    const float **vectors; /* every prepared vector, for release */
    float **host;          /* float32 host copies behind the vectors */
    size_t n_vectors;
} pf_weights;

static int pf_matches(const char *model_type) {
    return strcmp(model_type, "openai_privacy_filter") == 0 || strcmp(model_type, "openai-privacy-filter") == 0 ||
           strcmp(model_type, "privacy_filter") == 0 || strcmp(model_type, "privacy-filter") == 0;
}

/* ---------------------------------------------------------------- config */

/* An integer config key (absent or null: def). */
static openmed_status cfg_int(const cJSON *obj, const char *path, const char *key, int def, int *out,
                              openmed_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return OPENMED_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be an integer", path, key);
    *out = (int)v->valuedouble;
    return OPENMED_OK;
}

static openmed_status cfg_num(const cJSON *obj, const char *path, const char *key, double def, double *out,
                              openmed_error *err) {
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return OPENMED_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be a number", path, key);
    *out = v->valuedouble;
    return OPENMED_OK;
}

/* Rotary frequencies as transformers computes them (float32 arithmetic, so the angles match):
 * default rope: 1 / base^(2i/dh); "yarn": blend of 1/(factor freq) and 1/freq over the ramp between
 * the beta_fast and beta_slow correction dims, attention factor 0.1 ln(factor) + 1. */
static openmed_status pf_rope(pf_weights *w, const om_model_config *cfg, openmed_error *err) {
    const cJSON *json = cfg->json, *rp = cJSON_GetObjectItemCaseSensitive(json, "rope_parameters");
    if (!rp || cJSON_IsNull(rp)) rp = cJSON_GetObjectItemCaseSensitive(json, "rope_scaling");
    if (rp && cJSON_IsNull(rp)) rp = NULL;
    if (rp && !cJSON_IsObject(rp)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"rope_parameters\" must be an object", cfg->path);
    double base, factor, beta_fast, beta_slow, orig, attn_factor, mscale, mscale_all;
    openmed_status s;
    if ((s = cfg_num(json, cfg->path, "rope_theta", 150000.0, &base, err))) return s;
    if ((s = cfg_num(rp, cfg->path, "rope_theta", base, &base, err))) return s;
    const char *type = "default";
    const cJSON *t = rp ? cJSON_GetObjectItemCaseSensitive(rp, "rope_type") : NULL;
    if (!t && rp) t = cJSON_GetObjectItemCaseSensitive(rp, "type");
    if (t && !cJSON_IsNull(t)) {
        if (!cJSON_IsString(t)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"rope_type\" must be a string", cfg->path);
        type = t->valuestring;
    } else if (!rp) {
        type = "yarn"; /* the family's default rope_parameters (transformers' OpenAIPrivacyFilterConfig) */
    }
    if (!(base > 1.0)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"rope_theta\" must be above 1", cfg->path);
    int half = w->head_dim / 2;
    w->inv_freq = malloc((size_t)half * sizeof(float));
    if (!w->inv_freq) return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy filter: out of memory");
    float *pos_freq = malloc((size_t)half * sizeof(float));
    if (!pos_freq) return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy filter: out of memory");
    for (int i = 0; i < half; i++) pos_freq[i] = powf((float)base, (float)(2 * i) / (float)w->head_dim);
    w->mscale = 1.0f;
    if (strcmp(type, "default") == 0) {
        for (int i = 0; i < half; i++) w->inv_freq[i] = 1.0f / pos_freq[i];
        free(pos_freq);
        return OPENMED_OK;
    }
    if (strcmp(type, "yarn") != 0) {
        free(pos_freq);
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: rope_type \"%s\" is not supported (privacy filter: yarn or default)",
                       cfg->path, type);
    }
    int max_pos = cfg->max_position_embeddings > 0 ? cfg->max_position_embeddings : 131072;
    if ((s = cfg_num(rp, cfg->path, "original_max_position_embeddings", 4096.0, &orig, err)) ||
        (s = cfg_num(rp, cfg->path, "factor", rp ? (double)max_pos / orig : 32.0, &factor, err)) ||
        (s = cfg_num(rp, cfg->path, "beta_fast", 32.0, &beta_fast, err)) ||
        (s = cfg_num(rp, cfg->path, "beta_slow", 1.0, &beta_slow, err)) ||
        (s = cfg_num(rp, cfg->path, "attention_factor", NAN, &attn_factor, err)) ||
        (s = cfg_num(rp, cfg->path, "mscale", 0.0, &mscale, err)) ||
        (s = cfg_num(rp, cfg->path, "mscale_all_dim", 0.0, &mscale_all, err))) {
        free(pos_freq);
        return s;
    }
    if (beta_fast == 0.0) beta_fast = 32.0; /* transformers: `or 32` / `or 1` */
    if (beta_slow == 0.0) beta_slow = 1.0;
    if (!(factor > 0.0) || !(orig > 0.0)) {
        free(pos_freq);
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: rope_parameters \"factor\" and \"original_max_position_embeddings\" must be positive",
                       cfg->path);
    }
    int truncate = 1;
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(rp, "truncate");
    if (tr && !cJSON_IsNull(tr)) {
        if (!cJSON_IsBool(tr)) {
            free(pos_freq);
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: rope_parameters \"truncate\" must be true or false", cfg->path);
        }
        truncate = cJSON_IsTrue(tr);
    }
#define GET_MSCALE(scale, m) ((scale) <= 1.0 ? 1.0 : 0.1 * (m) * log(scale) + 1.0)
    if (isnan(attn_factor))
        attn_factor = (mscale != 0.0 && mscale_all != 0.0) ? GET_MSCALE(factor, mscale) / GET_MSCALE(factor, mscale_all)
                                                           : GET_MSCALE(factor, 1.0);
#undef GET_MSCALE
    double dim = w->head_dim;
    double low = dim * log(orig / (beta_fast * 2.0 * M_PI)) / (2.0 * log(base));
    double high = dim * log(orig / (beta_slow * 2.0 * M_PI)) / (2.0 * log(base));
    if (truncate) low = floor(low), high = ceil(high);
    if (low < 0) low = 0;
    if (high > dim - 1) high = dim - 1;
    if (low == high) high += 0.001;
    for (int i = 0; i < half; i++) {
        float ramp = ((float)i - (float)low) / (float)(high - low);
        if (ramp < 0.0f) ramp = 0.0f;
        if (ramp > 1.0f) ramp = 1.0f;
        float extrap_factor = 1.0f - ramp;
        float extrap = 1.0f / pos_freq[i], interp = 1.0f / ((float)factor * pos_freq[i]);
        w->inv_freq[i] = interp * (1.0f - extrap_factor) + extrap * extrap_factor;
    }
    w->mscale = (float)attn_factor;
    free(pos_freq);
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- tensors */

/* The model amplifies rounding (HF: "very sensitive to accumulation orders"): float32 GEMMs put
 * logits ~1e-4 (relative) from exact, as far as HF's own float32 run is. The attention
 * projections, router and classifier (about a fifth of the work; the experts are most of it)
 * therefore accumulate in double, as does attention, which keeps us within ~3e-5 of exact on
 * every CPU. */
#define PRECISE OM_WEIGHT_PRECISE

static const om_st_tensor *pf_find(const om_safetensors *st, char *name, size_t size, const char *fmt, va_list ap) {
    vsnprintf(name, size, fmt, ap);
    return om_safetensors_find(st, name);
}

/* Check a tensor's rank and shape (dims < 0 match anything). */
static openmed_status pf_check(const om_st_tensor *t, const char *name, int ndim, const int64_t *dims,
                               openmed_error *err) {
    if (!t) return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: missing tensor %s", name);
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = dims[i] < 0 || t->shape[i] == dims[i];
    if (t->dtype == OM_ST_OTHER)
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s has dtype %s; expected F32, F16 or BF16", t->file, name,
                       t->dtype_name);
    if (!ok) {
        char want[96] = "", got[96] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? ", " : "", (long long)dims[i]);
        for (int i = 0; i < t->ndim && i < 4; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "", (long long)t->shape[i]);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s has shape [%s]; expected [%s]", t->file, name, got, want);
    }
    return OPENMED_OK;
}

static om_dtype pf_dtype(const om_st_tensor *t) {
    return t->dtype == OM_ST_BF16 ? OM_BF16 : t->dtype == OM_ST_F16 ? OM_F16 : OM_F32;
}

/* A matrix tensor viewed as [rows, cols] (a 3-D [E, in, out] expert stack as [E*in, out]),
 * prepared in its stored dtype. */
static openmed_status pf_weight(pf_weights *w, const om_safetensors *st, om_weight *out, unsigned hints, int ndim,
                                const int64_t *dims, openmed_error *err, const char *fmt, ...) {
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    const om_st_tensor *t = pf_find(st, name, sizeof name, fmt, ap);
    va_end(ap);
    openmed_status s = pf_check(t, name, ndim, dims, err);
    if (s) return s;
    memset(out, 0, sizeof *out);
    out->data = t->data;
    out->dtype = pf_dtype(t);
    out->rows = ndim == 3 ? t->shape[0] * t->shape[1] : t->shape[0];
    out->cols = t->shape[ndim - 1];
    out->hints = hints;
    if ((s = w->be->prepare_weight(w->be, out, 1, err))) return om_fail_prefix(err, s, "preparing tensor %s", name);
    w->prepared[w->n_prepared++] = out;
    return OPENMED_OK;
}

/* A vector (or a 2-D table read as one, dims[0] * dims[1] floats) as float32 backend memory;
 * *out = NULL when `optional` and the tensor is absent. */
static openmed_status pf_vector(pf_weights *w, const om_safetensors *st, const float **out, int ndim,
                                const int64_t *dims, int optional, openmed_error *err, const char *fmt, ...) {
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    const om_st_tensor *t = pf_find(st, name, sizeof name, fmt, ap);
    va_end(ap);
    *out = NULL;
    if (!t && optional) return OPENMED_OK;
    openmed_status s = pf_check(t, name, ndim, dims, err);
    if (s) return s;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= t->shape[i];
    float *host = malloc((size_t)n * sizeof(float));
    if (!host) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading tensor %s: out of memory", name);
    if (t->dtype == OM_ST_F32)
        memcpy(host, t->data, (size_t)n * sizeof(float));
    else
        om_half_run_to_f32(host, t->data, t->dtype == OM_ST_BF16, (size_t)n);
    const float *v = w->be->prepare_vector(w->be, host, n, err);
    if (!v) {
        free(host);
        return om_fail_prefix(err, err ? err->status : OPENMED_ERR_NO_MEMORY, "preparing tensor %s", name);
    }
    w->host[w->n_vectors] = host;
    w->vectors[w->n_vectors++] = v;
    *out = v;
    return OPENMED_OK;
}

static void pf_free(void *weights, om_backend *be) {
    pf_weights *w = weights;
    if (!w) return;
    for (size_t i = 0; i < w->n_prepared; i++) be->release_weight(be, w->prepared[i]);
    for (size_t i = 0; i < w->n_vectors; i++) {
        be->release_vector(be, w->vectors[i]);
        free(w->host[i]);
    }
    free(w->prepared);
    free(w->vectors);
    free(w->host);
    free(w->inv_freq);
    free(w->layers);
    free(w);
}

static openmed_status pf_load_layer(pf_weights *w, const om_safetensors *st, int l, openmed_error *err) {
    pf_layer *L = &w->layers[l];
    const int64_t D = w->D, qd = (int64_t)w->n_heads * w->head_dim, kvd = (int64_t)w->n_kv * w->head_dim;
    const int64_t E = w->n_experts;
    const char *p = "model.layers.%d.";
    char f[160];
    openmed_status s;
#define NAME(suffix) (snprintf(f, sizeof f, "%s%s", p, suffix), f)
    if ((s = pf_vector(w, st, &L->attn_norm, 1, (int64_t[]){D}, 0, err, NAME("input_layernorm.weight"), l)) ||
        (s = pf_vector(w, st, &L->mlp_norm, 1, (int64_t[]){D}, 0, err, NAME("post_attention_layernorm.weight"), l)))
        return s;
    char probe[160];
    snprintf(probe, sizeof probe, "model.layers.%d.self_attn.qkv_proj.weight", l);
    L->fused_qkv = om_safetensors_find(st, probe) != NULL;
    if (L->fused_qkv) {
        if ((s = pf_weight(w, st, &L->wq, PRECISE, 2, (int64_t[]){qd + 2 * kvd, D}, err, NAME("self_attn.qkv_proj.weight"), l)) ||
            (s = pf_vector(w, st, &L->bq, 1, (int64_t[]){qd + 2 * kvd}, 1, err, NAME("self_attn.qkv_proj.bias"), l)))
            return s;
    } else {
        if ((s = pf_weight(w, st, &L->wq, PRECISE, 2, (int64_t[]){qd, D}, err, NAME("self_attn.q_proj.weight"), l)) ||
            (s = pf_weight(w, st, &L->wk, PRECISE, 2, (int64_t[]){kvd, D}, err, NAME("self_attn.k_proj.weight"), l)) ||
            (s = pf_weight(w, st, &L->wv, PRECISE, 2, (int64_t[]){kvd, D}, err, NAME("self_attn.v_proj.weight"), l)) ||
            (s = pf_vector(w, st, &L->bq, 1, (int64_t[]){qd}, 1, err, NAME("self_attn.q_proj.bias"), l)) ||
            (s = pf_vector(w, st, &L->bk, 1, (int64_t[]){kvd}, 1, err, NAME("self_attn.k_proj.bias"), l)) ||
            (s = pf_vector(w, st, &L->bv, 1, (int64_t[]){kvd}, 1, err, NAME("self_attn.v_proj.bias"), l)))
            return s;
    }
    if ((s = pf_weight(w, st, &L->wo, PRECISE, 2, (int64_t[]){D, qd}, err, NAME("self_attn.o_proj.weight"), l)) ||
        (s = pf_vector(w, st, &L->bo, 1, (int64_t[]){D}, 1, err, NAME("self_attn.o_proj.bias"), l)) ||
        (s = pf_vector(w, st, &L->sinks, 1, (int64_t[]){w->n_heads}, 0, err, NAME("self_attn.sinks"), l)) ||
        (s = pf_weight(w, st, &L->router, PRECISE, 2, (int64_t[]){E, D}, err, NAME("mlp.router.weight"), l)) ||
        (s = pf_vector(w, st, &L->router_b, 1, (int64_t[]){E}, 1, err, NAME("mlp.router.bias"), l)))
        return s;
    om_moe_experts *ex = &L->experts;
    if ((s = pf_weight(w, st, &ex->gate_up, 0, 3, (int64_t[]){E, D, -1}, err, NAME("mlp.experts.gate_up_proj"), l)))
        return s;
    if (ex->gate_up.cols % 2)
        return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: tensor model.layers.%d.mlp.experts.gate_up_proj has an odd last dimension %lld",
                       l, (long long)ex->gate_up.cols);
    int64_t F = ex->gate_up.cols / 2;
    if ((s = pf_weight(w, st, &ex->down, 0, 3, (int64_t[]){E, F, D}, err, NAME("mlp.experts.down_proj"), l)) ||
        (s = pf_vector(w, st, &ex->gate_up_bias, 2, (int64_t[]){E, 2 * F}, 1, err, NAME("mlp.experts.gate_up_proj_bias"), l)) ||
        (s = pf_vector(w, st, &ex->down_bias, 2, (int64_t[]){E, D}, 1, err, NAME("mlp.experts.down_proj_bias"), l)))
        return s;
#undef NAME
    ex->n_experts = w->n_experts;
    ex->d_model = D;
    ex->d_ff = F;
    ex->alpha = 1.702f;
    return OPENMED_OK;
}

static openmed_status pf_load(const om_model_config *cfg, const om_safetensors *st, om_backend *be, void **weights,
                              openmed_error *err) {
    *weights = NULL;
    if (!be->moe_route || !be->moe_experts || !be->attention || !be->rope || !be->rmsnorm)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "privacy filter: the %s backend has no mixture-of-experts ops",
                       be->name);
    pf_weights *w = calloc(1, sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy filter: out of memory");
    w->be = be;
    const cJSON *json = cfg->json;
    openmed_status s;
    double eps, limit;
    int window;
    w->D = cfg->hidden_size;
    w->n_layers = cfg->num_layers;
    w->n_heads = cfg->num_heads;
    w->n_labels = cfg->num_labels;
    if ((s = cfg_int(json, cfg->path, "num_key_value_heads", w->n_heads, &w->n_kv, err)) ||
        (s = cfg_int(json, cfg->path, "head_dim", w->n_heads > 0 ? w->D / w->n_heads : 0, &w->head_dim, err)) ||
        (s = cfg_int(json, cfg->path, "num_local_experts", 128, &w->n_experts, err)) ||
        (s = cfg_int(json, cfg->path, "num_experts_per_tok", 4, &w->top_k, err)) ||
        (s = cfg_int(json, cfg->path, "sliding_window", 128, &window, err)) ||
        (s = cfg_num(json, cfg->path, "rms_norm_eps", 1e-5, &eps, err)) ||
        (s = cfg_num(json, cfg->path, "swiglu_limit", 7.0, &limit, err)))
        goto fail;
    w->eps = (float)eps;
    w->window = window;
    if (w->D <= 0 || w->n_layers <= 0 || w->n_heads <= 0 || w->n_kv <= 0 || w->n_heads % w->n_kv ||
        w->head_dim <= 0 || w->head_dim % 2 || w->n_experts <= 0 || w->top_k <= 0 || w->top_k > w->n_experts ||
        w->n_labels <= 0 || window < 0 || !(eps > 0.0) || !(limit > 0.0)) {
        s = om_fail(err, OPENMED_ERR_CONFIG,
                    "%s: inconsistent privacy-filter config (hidden_size %d, layers %d, heads %d/%d, head_dim %d, "
                    "experts %d top %d, labels %d, sliding_window %d, rms_norm_eps %g, swiglu_limit %g)",
                    cfg->path, w->D, w->n_layers, w->n_heads, w->n_kv, w->head_dim, w->n_experts, w->top_k,
                    w->n_labels, window, eps, limit);
        goto fail;
    }
    if ((s = pf_rope(w, cfg, err))) goto fail;
    size_t max_weights = 2 + (size_t)w->n_layers * 8, max_vectors = 2 + (size_t)w->n_layers * 12;
    w->prepared = calloc(max_weights, sizeof *w->prepared);
    w->vectors = calloc(max_vectors, sizeof *w->vectors);
    w->host = calloc(max_vectors, sizeof *w->host);
    w->layers = calloc((size_t)w->n_layers, sizeof *w->layers);
    if (!w->prepared || !w->vectors || !w->host || !w->layers) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy filter: out of memory");
        goto fail;
    }
    if ((s = pf_weight(w, st, &w->embed, 0, 2, (int64_t[]){-1, w->D}, err, "model.embed_tokens.weight"))) goto fail;
    for (int l = 0; l < w->n_layers; l++)
        if ((s = pf_load_layer(w, st, l, err))) goto fail;
    for (int l = 0; l < w->n_layers; l++) w->layers[l].experts.limit = (float)limit;
    if ((s = pf_vector(w, st, &w->final_norm, 1, (int64_t[]){w->D}, 0, err, "model.norm.weight")) ||
        (s = pf_weight(w, st, &w->score, PRECISE, 2, (int64_t[]){w->n_labels, w->D}, err, "score.weight")) ||
        (s = pf_vector(w, st, &w->score_b, 1, (int64_t[]){w->n_labels}, 1, err, "score.bias")))
        goto fail;
    *weights = w;
    return OPENMED_OK;
fail:
    pf_free(w, be);
    return s;
}

/* ---------------------------------------------------------------- forward */

/* The buffers of one forward pass: activations and routing in backend memory, positions on the host. */
typedef struct pf_scratch {
    float *x, *t, *qkv, *att, *router, *rw, *out;
    int32_t *ids;       /* backend memory: the experts each token is routed to, [T, top_k] */
    int32_t *positions; /* host */
} pf_scratch;

static void pf_layout(const pf_weights *w, int64_t T, om_ws_layout *lay, pf_scratch *b) {
    const size_t n = (size_t)T, D = (size_t)w->D, hd = (size_t)w->head_dim, k = (size_t)w->top_k;
    const size_t qd = (size_t)w->n_heads * hd, kvd = (size_t)w->n_kv * hd;
    b->x = om_ws_floats(lay, n * D);
    b->t = om_ws_floats(lay, n * D);
    b->qkv = om_ws_floats(lay, n * (qd + 2 * kvd));
    b->att = om_ws_floats(lay, n * qd);
    b->router = om_ws_floats(lay, n * (size_t)w->n_experts);
    b->rw = om_ws_floats(lay, n * k);
    b->ids = (int32_t *)om_ws_floats(lay, n * k); /* int32 and float share a size */
    b->out = om_ws_floats(lay, n * (size_t)w->n_labels);
    b->positions = om_ws_host(lay, n * sizeof(int32_t));
}

static om_ws_size pf_workspace(const void *weights, const om_model_config *cfg, const om_batch *batch) {
    om_ws_layout lay;
    pf_scratch b;
    om_ws_layout_begin(&lay, NULL);
    pf_layout(weights, batch->n_tokens, &lay, &b);
    return om_ws_layout_size(&lay);
}

static openmed_status pf_forward(const void *weights, const om_model_config *cfg, om_backend *be, const om_batch *batch,
                                 om_workspace *ws, float *logits, float *hidden, openmed_error *err) {
    const pf_weights *w = weights;
    const int64_t T = batch->n_tokens, D = w->D, hd = w->head_dim;
    const int64_t qd = (int64_t)w->n_heads * hd, kvd = (int64_t)w->n_kv * hd, qkvd = qd + 2 * kvd;
    const int k = w->top_k;
    if (T <= 0) return OPENMED_OK;
    openmed_status s = OPENMED_OK;
    om_ws_layout lay;
    pf_scratch b;
    om_ws_layout_begin(&lay, ws);
    pf_layout(w, T, &lay, &b);
    if (!om_ws_layout_fits(&lay))
        return om_fail(err, OPENMED_ERR_INTERNAL,
                       "privacy filter forward: the workspace is smaller than this batch needs");
    float *x = b.x, *t = b.t, *qkv = b.qkv, *att = b.att, *router = b.router, *rw = b.rw, *out = b.out;
    int32_t *ids = b.ids, *positions = b.positions;
    for (int q = 0; q < batch->n_seqs; q++)
        for (int32_t i = batch->cu_seqlens[q]; i < batch->cu_seqlens[q + 1]; i++) positions[i] = i - batch->cu_seqlens[q];

    const size_t td = (size_t)T * D;
    if ((s = be->embed(be, x, &w->embed, batch->ids, T, 0, err))) goto done;
    if (hidden && (s = be->download(be, hidden, x, td * sizeof(float), err))) goto done;
    for (int l = 0; l < w->n_layers; l++) {
        const pf_layer *L = &w->layers[l];
        /* attention block */
        if ((s = be->rmsnorm(be, t, x, L->attn_norm, T, D, w->eps, err))) goto done;
        if (L->fused_qkv) {
            if ((s = be->linear(be, qkv, qkvd, t, D, &L->wq, L->bq, T, OM_ACT_NONE, 0, err))) goto done;
        } else if ((s = be->linear(be, qkv, qkvd, t, D, &L->wq, L->bq, T, OM_ACT_NONE, 0, err)) ||
                   (s = be->linear(be, qkv + qd, qkvd, t, D, &L->wk, L->bk, T, OM_ACT_NONE, 0, err)) ||
                   (s = be->linear(be, qkv + qd + kvd, qkvd, t, D, &L->wv, L->bv, T, OM_ACT_NONE, 0, err))) {
            goto done;
        }
        om_rope_args rq = {qkv, T, qkvd, w->n_heads, (int)hd, positions, w->inv_freq, (int)hd, w->mscale, 1};
        om_rope_args rk = {qkv + qd, T, qkvd, w->n_kv, (int)hd, positions, w->inv_freq, (int)hd, w->mscale, 1};
        if ((s = be->rope(be, &rq, err)) || (s = be->rope(be, &rk, err))) goto done;
        om_attention_args a = {
            .out = att, .q = qkv, .k = qkv + qd, .v = qkv + qd + kvd,
            .q_stride = qkvd, .k_stride = qkvd, .v_stride = qkvd, .out_stride = qd,
            .n_heads = w->n_heads, .n_kv_heads = w->n_kv, .head_dim = (int)hd,
            .cu_seqlens = batch->cu_seqlens, .n_seqs = batch->n_seqs,
            .scale = (float)(1.0 / sqrt((double)hd)), /* (q dh^-1/4) . (k dh^-1/4) */
            .window_left = w->window, .window_right = w->window,
            .sinks = L->sinks, .bias = NULL, .precise = 1,
        };
        if ((s = be->attention(be, &a, err))) goto done;
        if ((s = be->linear(be, x, D, att, qd, &L->wo, L->bo, T, OM_ACT_NONE, 1, err))) goto done;
        /* mixture-of-experts block */
        if ((s = be->rmsnorm(be, t, x, L->mlp_norm, T, D, w->eps, err))) goto done;
        if ((s = be->linear(be, router, w->n_experts, t, D, &L->router, L->router_b, T, OM_ACT_NONE, 0, err)) ||
            (s = be->moe_route(be, ids, rw, router, T, w->n_experts, k, err)) ||
            (s = be->moe_experts(be, x, t, T, ids, rw, k, &L->experts, err)))
            goto done;
        if (hidden && l + 1 < w->n_layers &&
            (s = be->download(be, hidden + (size_t)(l + 1) * td, x, td * sizeof(float), err)))
            goto done;
    }
    if ((s = be->rmsnorm(be, t, x, w->final_norm, T, D, w->eps, err))) goto done;
    /* transformers reports the final norm's output as the last hidden state */
    if (hidden && (s = be->download(be, hidden + (size_t)w->n_layers * td, t, td * sizeof(float), err))) goto done;
    if ((s = be->linear(be, out, w->n_labels, t, D, &w->score, w->score_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->download(be, logits, out, (size_t)T * w->n_labels * sizeof(float), err)))
        goto done;
done:
    if (s) om_fail_prefix(err, s, "privacy filter forward (%s)", cfg->path ? cfg->path : "model");
    return s;
}

const om_arch om_arch_privacy_filter = {
    .name = "privacy_filter",
    .matches = pf_matches,
    .load = pf_load,
    .workspace = pf_workspace,
    .forward = pf_forward,
    .free = pf_free,
};
