/* modernbert.c: the ModernBERT family (pre-norm, rotary, global and sliding-window layers, GeGLU, prediction head). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "models/arch.h"
#include "models/encoder_params.h"

typedef struct modernbert_layer {
    int sliding;                  /* 1: sliding_attention, 0: full_attention */
    const float *attn_norm_g, *attn_norm_b; /* NULL gamma: identity (layer 0) */
    om_weight wqkv, wo;           /* [3D, D], [D, D] */
    const float *wqkv_b, *wo_b;
    const float *mlp_norm_g, *mlp_norm_b;
    om_weight wi, wo_mlp;         /* [2I, D], [D, I] */
    const float *wi_b, *wo_mlp_b;
} modernbert_layer;

typedef struct modernbert_weights {
    int hidden, n_heads, head_dim, inter_size, n_layers, n_labels;
    int half_window;          /* sliding layers see |i - j| <= local_attention / 2 */
    float eps;
    om_act act, head_act;
    float *inv_freq[2];       /* host, [head_dim / 2]: [0] full_attention, [1] sliding_attention */
    om_weight tok;            /* [V, D] */
    const float *emb_norm_g, *emb_norm_b, *final_norm_g, *final_norm_b;
    modernbert_layer *layers;
    om_weight head_dense;     /* [D, D] */
    const float *head_dense_b, *head_norm_g, *head_norm_b;
    om_weight cls;            /* [n_labels, D] */
    const float *cls_b;
    om_params params;
} modernbert_weights;

static int modernbert_matches(const char *model_type) {
    return strcmp(model_type, "modernbert") == 0 || strcmp(model_type, "modern-bert") == 0;
}

/* Layer types from `layer_types`, or from `global_attn_every_n_layers` in older configs. */
static openmed_status modernbert_layer_types(modernbert_weights *w, const om_model_config *cfg, openmed_error *err) {
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(cfg->json, "layer_types");
    if (types && !cJSON_IsNull(types)) {
        if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) != w->n_layers)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"layer_types\" must list one type per layer (%d)",
                           cfg->path, w->n_layers);
        for (int l = 0; l < w->n_layers; l++) {
            const cJSON *t = cJSON_GetArrayItem(types, l);
            if (cJSON_IsString(t) && strcmp(t->valuestring, "full_attention") == 0)
                w->layers[l].sliding = 0;
            else if (cJSON_IsString(t) && strcmp(t->valuestring, "sliding_attention") == 0)
                w->layers[l].sliding = 1;
            else
                return om_fail(err, OPENMED_ERR_CONFIG,
                               "%s: layer_types[%d] must be \"full_attention\" or \"sliding_attention\"", cfg->path, l);
        }
        return OPENMED_OK;
    }
    int every;
    openmed_status s = om_encoder_json_int(cfg->json, cfg->path, "global_attn_every_n_layers", 3, &every, err);
    if (s) return s;
    if (every <= 0)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"global_attn_every_n_layers\" must be positive", cfg->path);
    for (int l = 0; l < w->n_layers; l++) w->layers[l].sliding = (l % every) != 0;
    return OPENMED_OK;
}

/* Rotary base per layer type: rope_parameters[type].rope_theta, else global_rope_theta /
 * local_rope_theta (older configs), else rope_theta, else ModernBERT's defaults. */
static openmed_status modernbert_rope(modernbert_weights *w, const om_model_config *cfg, openmed_error *err) {
    static const char *types[2] = {"full_attention", "sliding_attention"};
    static const char *legacy[2] = {"global_rope_theta", "local_rope_theta"};
    static const float defaults[2] = {160000.0f, 10000.0f};
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(cfg->json, "rope_parameters");
    float shared;
    openmed_status s = om_encoder_json_float(cfg->json, cfg->path, "rope_theta", 0.0f, &shared, err);
    if (s) return s;
    if (params && !cJSON_IsNull(params) && !cJSON_IsObject(params))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"rope_parameters\" must be an object", cfg->path);
    for (int i = 0; i < 2; i++) {
        float theta;
        if ((s = om_encoder_json_float(cfg->json, cfg->path, legacy[i], shared > 0 ? shared : defaults[i], &theta, err)))
            return s;
        const cJSON *p = cJSON_IsObject(params) ? cJSON_GetObjectItemCaseSensitive(params, types[i]) : NULL;
        if (p && !cJSON_IsNull(p)) {
            const char *type;
            if (!cJSON_IsObject(p))
                return om_fail(err, OPENMED_ERR_CONFIG, "%s: rope_parameters.%s must be an object", cfg->path, types[i]);
            if ((s = om_encoder_json_float(p, cfg->path, "rope_theta", theta, &theta, err)) ||
                (s = om_encoder_json_string(p, cfg->path, "rope_type", "default", &type, err)))
                return s;
            if (strcmp(type, "default") != 0)
                return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: rope_parameters.%s.rope_type \"%s\" is not supported",
                               cfg->path, types[i], type);
        }
        if (!(theta > 0))
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: the %s rope theta must be positive", cfg->path, types[i]);
        w->inv_freq[i] = malloc((size_t)(w->head_dim / 2) * sizeof(float));
        if (!w->inv_freq[i]) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading ModernBERT: out of memory");
        /* inv_freq = 1 / theta^(2i / head_dim), in float32 like the reference */
        for (int k = 0; k < w->head_dim / 2; k++)
            w->inv_freq[i][k] = 1.0f / powf(theta, (float)(2 * k) / (float)w->head_dim);
    }
    return OPENMED_OK;
}

static openmed_status modernbert_config(modernbert_weights *w, const om_model_config *cfg, openmed_error *err) {
    const cJSON *j = cfg->json;
    const char *path = cfg->path, *act, *head_act;
    int local_attention;
    openmed_status s;
    w->hidden = cfg->hidden_size;
    w->n_heads = cfg->num_heads;
    w->n_layers = cfg->num_layers;
    w->inter_size = cfg->intermediate_size;
    w->n_labels = cfg->num_labels;
    if (w->hidden <= 0 || w->n_heads <= 0 || w->n_layers <= 0 || w->inter_size <= 0 || w->n_labels <= 0 ||
        w->hidden % w->n_heads || (w->hidden / w->n_heads) % 2)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: hidden_size, num_attention_heads, num_hidden_layers, "
                       "intermediate_size and labels must be positive, with an even head size", path);
    w->head_dim = w->hidden / w->n_heads;
    if ((s = om_encoder_json_float(j, path, "norm_eps", 1e-5f, &w->eps, err)) ||
        (s = om_encoder_json_string(j, path, "hidden_activation", "gelu", &act, err)) ||
        (s = om_encoder_json_string(j, path, "classifier_activation", "gelu", &head_act, err)) ||
        (s = om_encoder_json_int(j, path, "local_attention", 128, &local_attention, err)))
        return s;
    if (om_act_parse(act, &w->act))
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: hidden_activation \"%s\" is not supported", path, act);
    if (om_act_parse(head_act, &w->head_act))
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: classifier_activation \"%s\" is not supported", path,
                       head_act);
    if (local_attention <= 0)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"local_attention\" must be positive", path);
    w->half_window = local_attention / 2;
    return OPENMED_OK;
}

static openmed_status modernbert_load_layer(modernbert_weights *w, int l, int attn_bias, int mlp_bias, int norm_bias,
                                            openmed_error *err) {
    om_params *p = &w->params;
    modernbert_layer *L = &w->layers[l];
    const int D = w->hidden, I = w->inter_size;
    openmed_status s;
    if (l > 0 && ((s = om_params_vector(p, &L->attn_norm_g, D, err, "model.layers.%d.attn_norm.weight", l)) ||
                  (norm_bias && (s = om_params_vector(p, &L->attn_norm_b, D, err, "model.layers.%d.attn_norm.bias", l)))))
        return s;
    if ((s = om_params_layer_weight(p, &L->wqkv, 3 * D, D, err, "model.layers.%d.attn.Wqkv.weight", l)) ||
        (attn_bias && (s = om_params_vector(p, &L->wqkv_b, 3 * D, err, "model.layers.%d.attn.Wqkv.bias", l))) ||
        (s = om_params_layer_weight(p, &L->wo, D, D, err, "model.layers.%d.attn.Wo.weight", l)) ||
        (attn_bias && (s = om_params_vector(p, &L->wo_b, D, err, "model.layers.%d.attn.Wo.bias", l))) ||
        (s = om_params_vector(p, &L->mlp_norm_g, D, err, "model.layers.%d.mlp_norm.weight", l)) ||
        (norm_bias && (s = om_params_vector(p, &L->mlp_norm_b, D, err, "model.layers.%d.mlp_norm.bias", l))) ||
        (s = om_params_layer_weight(p, &L->wi, 2 * I, D, err, "model.layers.%d.mlp.Wi.weight", l)) ||
        (mlp_bias && (s = om_params_vector(p, &L->wi_b, 2 * I, err, "model.layers.%d.mlp.Wi.bias", l))) ||
        (s = om_params_layer_weight(p, &L->wo_mlp, D, I, err, "model.layers.%d.mlp.Wo.weight", l)) ||
        (mlp_bias && (s = om_params_vector(p, &L->wo_mlp_b, D, err, "model.layers.%d.mlp.Wo.bias", l))))
        return s;
    return OPENMED_OK;
}

static void modernbert_free(void *weights, om_backend *be) {
    modernbert_weights *w = weights;
    if (!w) return;
    om_params_free(&w->params);
    free(w->inv_freq[0]);
    free(w->inv_freq[1]);
    free(w->layers);
    free(w);
}

static openmed_status modernbert_load(const om_model_config *cfg, const om_safetensors *st, om_backend *be,
                                      void **weights, openmed_error *err) {
    modernbert_weights *w = calloc(1, sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading ModernBERT: out of memory");
    om_params_init(&w->params, st, be);
    om_params *p = &w->params;
    int attn_bias, mlp_bias, norm_bias, cls_bias;
    openmed_status s;
    if ((s = modernbert_config(w, cfg, err)) ||
        (s = om_encoder_json_bool(cfg->json, cfg->path, "attention_bias", 0, &attn_bias, err)) ||
        (s = om_encoder_json_bool(cfg->json, cfg->path, "mlp_bias", 0, &mlp_bias, err)) ||
        (s = om_encoder_json_bool(cfg->json, cfg->path, "norm_bias", 0, &norm_bias, err)) ||
        (s = om_encoder_json_bool(cfg->json, cfg->path, "classifier_bias", 0, &cls_bias, err)))
        goto fail;
    w->layers = calloc((size_t)w->n_layers, sizeof *w->layers);
    if (!w->layers) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "loading ModernBERT: out of memory");
        goto fail;
    }
    if ((s = modernbert_layer_types(w, cfg, err)) || (s = modernbert_rope(w, cfg, err))) goto fail;
    const int D = w->hidden;
    if ((s = om_params_weight(p, &w->tok, -1, D, err, "model.embeddings.tok_embeddings.weight")) ||
        (s = om_params_vector(p, &w->emb_norm_g, D, err, "model.embeddings.norm.weight")) ||
        (norm_bias && (s = om_params_vector(p, &w->emb_norm_b, D, err, "model.embeddings.norm.bias"))))
        goto fail;
    for (int l = 0; l < w->n_layers; l++)
        if ((s = modernbert_load_layer(w, l, attn_bias, mlp_bias, norm_bias, err))) goto fail;
    if ((s = om_params_vector(p, &w->final_norm_g, D, err, "model.final_norm.weight")) ||
        (norm_bias && (s = om_params_vector(p, &w->final_norm_b, D, err, "model.final_norm.bias"))) ||
        (s = om_params_weight(p, &w->head_dense, D, D, err, "head.dense.weight")) ||
        (cls_bias && (s = om_params_vector(p, &w->head_dense_b, D, err, "head.dense.bias"))) ||
        (s = om_params_vector(p, &w->head_norm_g, D, err, "head.norm.weight")) ||
        (norm_bias && (s = om_params_vector(p, &w->head_norm_b, D, err, "head.norm.bias"))) ||
        (s = om_params_weight(p, &w->cls, w->n_labels, D, err, "classifier.weight")) ||
        (s = om_params_vector(p, &w->cls_b, w->n_labels, err, "classifier.bias")))
        goto fail;
    *weights = w;
    return OPENMED_OK;
fail:
    modernbert_free(w, be);
    return s;
}

/* The buffers of one forward pass: activations in backend memory, positions on the host. */
typedef struct modernbert_scratch {
    float *x, *h, *qkv, *ctx, *wi, *act, *out;
    int32_t *positions;
} modernbert_scratch;

static void modernbert_layout(const modernbert_weights *w, int64_t T, om_ws_layout *lay, modernbert_scratch *b) {
    const size_t t = (size_t)T, D = (size_t)w->hidden, I = (size_t)w->inter_size;
    b->x = om_ws_floats(lay, t * D);
    b->h = om_ws_floats(lay, t * D);
    b->qkv = om_ws_floats(lay, t * 3 * D);
    b->ctx = om_ws_floats(lay, t * D);
    b->wi = om_ws_floats(lay, t * 2 * I);
    b->act = om_ws_floats(lay, t * I);
    b->out = om_ws_floats(lay, t * (size_t)w->n_labels);
    b->positions = om_ws_host(lay, t * sizeof(int32_t));
}

static om_ws_size modernbert_workspace(const void *weights, const om_model_config *cfg, const om_batch *batch) {
    om_ws_layout lay;
    modernbert_scratch b;
    om_ws_layout_begin(&lay, NULL);
    modernbert_layout(weights, batch->n_tokens, &lay, &b);
    return om_ws_layout_size(&lay);
}

static openmed_status modernbert_forward(const void *weights, const om_model_config *cfg, om_backend *be,
                                         const om_batch *batch, om_workspace *ws, float *logits, float *hidden,
                                         openmed_error *err) {
    const modernbert_weights *w = weights;
    const int D = w->hidden, H = w->n_heads, I = w->inter_size;
    const int64_t T = batch->n_tokens;
    const size_t td = (size_t)T * D;
    openmed_status s = OPENMED_OK;
    if (T <= 0 || batch->n_seqs <= 0) return OPENMED_OK;
    om_ws_layout lay;
    modernbert_scratch b;
    om_ws_layout_begin(&lay, ws);
    modernbert_layout(w, T, &lay, &b);
    if (!om_ws_layout_fits(&lay))
        return om_fail(err, OPENMED_ERR_INTERNAL, "ModernBERT forward: the workspace is smaller than this batch needs");
    float *x = b.x, *h = b.h, *qkv = b.qkv, *ctx = b.ctx, *wi = b.wi, *act = b.act, *out = b.out;
    int32_t *positions = b.positions;
    for (int i = 0; i < batch->n_seqs; i++)
        for (int t = batch->cu_seqlens[i]; t < batch->cu_seqlens[i + 1]; t++) positions[t] = t - batch->cu_seqlens[i];

    /* Embeddings: token -> LayerNorm (no position or token-type embeddings; positions are rotary). */
    if ((s = be->embed(be, x, &w->tok, batch->ids, T, 0, err)) ||
        (s = be->layernorm(be, x, x, NULL, w->emb_norm_g, w->emb_norm_b, T, D, w->eps, err)))
        goto done;
    if (hidden && (s = be->download(be, hidden, x, td * sizeof(float), err))) goto done;

    for (int l = 0; l < w->n_layers; l++) {
        const modernbert_layer *L = &w->layers[l];
        /* x += Wo . attention(rope(Wqkv . attn_norm(x))); attn_norm is the identity in layer 0 */
        const float *in = x;
        if (L->attn_norm_g) {
            if ((s = be->layernorm(be, h, x, NULL, L->attn_norm_g, L->attn_norm_b, T, D, w->eps, err))) goto done;
            in = h;
        }
        om_rope_args rope = {
            .x = qkv, .n_rows = T, .row_stride = 3 * D, .n_heads = 2 * H, /* the query heads, then the key heads */
            .head_dim = w->head_dim, .positions = positions, .inv_freq = w->inv_freq[L->sliding],
            .rotary_dim = w->head_dim, .mscale = 1.0f, .interleaved = 0,
        };
        om_attention_args a = {
            .out = ctx, .q = qkv, .k = qkv + D, .v = qkv + 2 * D,
            .q_stride = 3 * D, .k_stride = 3 * D, .v_stride = 3 * D, .out_stride = D,
            .n_heads = H, .n_kv_heads = H, .head_dim = w->head_dim,
            .cu_seqlens = batch->cu_seqlens, .n_seqs = batch->n_seqs,
            .scale = 1.0f / sqrtf((float)w->head_dim),
            .window_left = L->sliding ? w->half_window : -1, .window_right = L->sliding ? w->half_window : -1,
        };
        if ((s = be->linear(be, qkv, 0, in, 0, &L->wqkv, L->wqkv_b, T, OM_ACT_NONE, 0, err)) ||
            (s = be->rope(be, &rope, err)) || (s = be->attention(be, &a, err)) ||
            (s = be->linear(be, x, 0, ctx, 0, &L->wo, L->wo_b, T, OM_ACT_NONE, 1, err)))
            goto done;
        /* x += Wo_mlp . (act(input) * gate), [input | gate] = Wi . mlp_norm(x) */
        if ((s = be->layernorm(be, h, x, NULL, L->mlp_norm_g, L->mlp_norm_b, T, D, w->eps, err)) ||
            (s = be->linear(be, wi, 0, h, 0, &L->wi, L->wi_b, T, OM_ACT_NONE, 0, err)) ||
            (s = be->glu(be, act, wi, T, I, w->act, err)) ||
            (s = be->linear(be, x, 0, act, 0, &L->wo_mlp, L->wo_mlp_b, T, OM_ACT_NONE, 1, err)))
            goto done;
        if (l == w->n_layers - 1 &&
            (s = be->layernorm(be, x, x, NULL, w->final_norm_g, w->final_norm_b, T, D, w->eps, err)))
            goto done;
        /* hidden states as HF reports them: the last one is after final_norm */
        if (hidden && (s = be->download(be, hidden + (size_t)(l + 1) * td, x, td * sizeof(float), err))) goto done;
    }
    /* the head: LayerNorm(act(dense(final_norm(x)))), then the classifier. */
    if ((s = be->linear(be, h, 0, x, 0, &w->head_dense, w->head_dense_b, T, w->head_act, 0, err)) ||
        (s = be->layernorm(be, h, h, NULL, w->head_norm_g, w->head_norm_b, T, D, w->eps, err)) ||
        (s = be->linear(be, out, 0, h, 0, &w->cls, w->cls_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->download(be, logits, out, (size_t)T * w->n_labels * sizeof(float), err)))
        goto done;
done:
    if (s) om_fail_prefix(err, s, "ModernBERT forward (%s)", cfg->path ? cfg->path : "model");
    return s;
}

const om_arch om_arch_modernbert = {
    .name = "modernbert",
    .matches = modernbert_matches,
    .load = modernbert_load,
    .workspace = modernbert_workspace,
    .forward = modernbert_forward,
    .free = modernbert_free,
};
