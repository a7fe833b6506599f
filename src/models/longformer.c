/* longformer.c: the Longformer family (post-LN BERT layers with banded local attention, RoBERTa positions). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "models/arch.h"
#include "models/encoder_params.h"
#include "models/post_ln_layer.h"

typedef struct longformer_layer {
    int half_window; /* keys with |i - j| <= attention_window / 2 are visible */
    om_post_ln_layer base;
} longformer_layer;

typedef struct longformer_weights {
    int hidden, n_heads, head_dim, inter_size, n_layers, n_labels, pad_id, type_vocab_size;
    float eps;
    om_act act;
    om_weight word, pos, type; /* [V, D], [P, D], [types, D] */
    const float *emb_ln_g, *emb_ln_b;
    longformer_layer *layers;
    om_weight cls; /* [n_labels, D] */
    const float *cls_b;
    om_params params;
} longformer_weights;

static int longformer_matches(const char *model_type) { return strcmp(model_type, "longformer") == 0; }

/* attention_window: one even positive int for all layers, or one per layer. */
static openmed_status longformer_windows(longformer_weights *w, const om_model_config *cfg, openmed_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg->json, "attention_window");
    for (int l = 0; l < w->n_layers; l++) {
        const cJSON *e = v;
        if (cJSON_IsArray(v)) {
            if (cJSON_GetArraySize(v) != w->n_layers)
                return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"attention_window\" lists %d windows for %d layers",
                               cfg->path, cJSON_GetArraySize(v), w->n_layers);
            e = cJSON_GetArrayItem(v, l);
        }
        double win = (!e || cJSON_IsNull(e)) ? 512 : cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!(win > 0 && win <= 1 << 30) || win != floor(win) || (int)win % 2)
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: attention_window for layer %d must be a positive even integer",
                           cfg->path, l);
        w->layers[l].half_window = (int)win / 2;
    }
    return OPENMED_OK;
}

static void longformer_free(void *weights, om_backend *be) {
    longformer_weights *w = weights;
    if (!w) return;
    om_params_free(&w->params);
    free(w->layers);
    free(w);
}

static openmed_status longformer_load(const om_model_config *cfg, const om_safetensors *st, om_backend *be,
                                      void **weights, openmed_error *err) {
    longformer_weights *w = calloc(1, sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading Longformer: out of memory");
    om_params_init(&w->params, st, be);
    om_params *p = &w->params;
    const cJSON *j = cfg->json;
    const char *act;
    openmed_status s;
    w->hidden = cfg->hidden_size;
    w->n_heads = cfg->num_heads;
    w->n_layers = cfg->num_layers;
    w->inter_size = cfg->intermediate_size;
    w->n_labels = cfg->num_labels;
    if (w->hidden <= 0 || w->n_heads <= 0 || w->n_layers <= 0 || w->inter_size <= 0 || w->n_labels <= 0 ||
        w->hidden % w->n_heads) {
        s = om_fail(err, OPENMED_ERR_CONFIG, "%s: hidden_size, num_attention_heads, num_hidden_layers, "
                    "intermediate_size and labels must be positive, heads dividing hidden_size", cfg->path);
        goto fail;
    }
    w->head_dim = w->hidden / w->n_heads;
    if ((s = om_encoder_json_int(j, cfg->path, "pad_token_id", 1, &w->pad_id, err)) ||
        (s = om_encoder_json_int(j, cfg->path, "type_vocab_size", 2, &w->type_vocab_size, err)) ||
        (s = om_encoder_json_float(j, cfg->path, "layer_norm_eps", 1e-12f, &w->eps, err)) ||
        (s = om_encoder_json_string(j, cfg->path, "hidden_act", "gelu", &act, err)))
        goto fail;
    if (om_act_parse(act, &w->act)) {
        s = om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: hidden_act \"%s\" is not supported", cfg->path, act);
        goto fail;
    }
    w->layers = calloc((size_t)w->n_layers, sizeof *w->layers);
    if (!w->layers) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "loading Longformer: out of memory");
        goto fail;
    }
    if ((s = longformer_windows(w, cfg, err))) goto fail;
    const int D = w->hidden;
    if ((s = om_params_weight(p, &w->word, -1, D, err, "longformer.embeddings.word_embeddings.weight")) ||
        (s = om_params_weight(p, &w->pos, -1, D, err, "longformer.embeddings.position_embeddings.weight")) ||
        (w->type_vocab_size > 0 &&
         (s = om_params_weight(p, &w->type, -1, D, err, "longformer.embeddings.token_type_embeddings.weight"))) ||
        (s = om_params_vector(p, &w->emb_ln_g, D, err, "longformer.embeddings.LayerNorm.weight")) ||
        (s = om_params_vector(p, &w->emb_ln_b, D, err, "longformer.embeddings.LayerNorm.bias")))
        goto fail;
    static const char *const qkv_names[3] = {"query", "key", "value"};
    for (int l = 0; l < w->n_layers; l++)
        if ((s = om_post_ln_layer_load(p, &w->layers[l].base, "longformer.encoder.layer", l, qkv_names, D, D,
                                       w->inter_size, err)))
            goto fail;
    if ((s = om_params_weight(p, &w->cls, w->n_labels, D, err, "classifier.weight")) ||
        (s = om_params_vector(p, &w->cls_b, w->n_labels, err, "classifier.bias")))
        goto fail;
    *weights = w;
    return OPENMED_OK;
fail:
    longformer_free(w, be);
    return s;
}

/* The buffers of one forward pass: activations in backend memory, position and type ids on the host. */
typedef struct longformer_scratch {
    float *x, *q, *k, *v, *ctx, *h, *inter, *out;
    int32_t *positions, *types;
} longformer_scratch;

static void longformer_layout(const longformer_weights *w, int64_t T, om_ws_layout *lay, longformer_scratch *b) {
    const size_t t = (size_t)T, td = t * (size_t)w->hidden;
    b->x = om_ws_floats(lay, td);
    b->q = om_ws_floats(lay, td);
    b->k = om_ws_floats(lay, td);
    b->v = om_ws_floats(lay, td);
    b->ctx = om_ws_floats(lay, td);
    b->h = om_ws_floats(lay, td);
    b->inter = om_ws_floats(lay, t * (size_t)w->inter_size);
    b->out = om_ws_floats(lay, t * (size_t)w->n_labels);
    b->positions = om_ws_host(lay, t * sizeof(int32_t));
    b->types = om_ws_host(lay, t * sizeof(int32_t));
}

static om_ws_size longformer_workspace(const void *weights, const om_model_config *cfg, const om_batch *batch) {
    om_ws_layout lay;
    longformer_scratch b;
    om_ws_layout_begin(&lay, NULL);
    longformer_layout(weights, batch->n_tokens, &lay, &b);
    return om_ws_layout_size(&lay);
}

static openmed_status longformer_forward(const void *weights, const om_model_config *cfg, om_backend *be,
                                         const om_batch *batch, om_workspace *ws, float *logits, float *hidden,
                                         openmed_error *err) {
    const longformer_weights *w = weights;
    const int D = w->hidden, H = w->n_heads;
    const int64_t T = batch->n_tokens;
    const size_t td = (size_t)T * D;
    openmed_status s = OPENMED_OK;
    if (T <= 0 || batch->n_seqs <= 0) return OPENMED_OK;
    om_ws_layout lay;
    longformer_scratch b;
    om_ws_layout_begin(&lay, ws);
    longformer_layout(w, T, &lay, &b);
    if (!om_ws_layout_fits(&lay))
        return om_fail(err, OPENMED_ERR_INTERNAL, "Longformer forward: the workspace is smaller than this batch needs");
    float *x = b.x, *q = b.q, *k = b.k, *v = b.v, *ctx = b.ctx, *h = b.h, *inter = b.inter, *out = b.out;
    int32_t *positions = b.positions, *types = b.types;
    memset(types, 0, (size_t)T * sizeof *types);
    /* RoBERTa positions per sequence: padding tokens get pad_id, the others pad_id + 1, + 2, ... */
    for (int i = 0; i < batch->n_seqs; i++) {
        int32_t seen = 0;
        for (int t = batch->cu_seqlens[i]; t < batch->cu_seqlens[i + 1]; t++)
            positions[t] = batch->ids[t] == w->pad_id ? w->pad_id : w->pad_id + ++seen;
    }
    if ((s = be->embed(be, x, &w->word, batch->ids, T, 0, err)) ||
        (s = be->embed(be, x, &w->pos, positions, T, 1, err)) ||
        (w->type_vocab_size > 0 && (s = be->embed(be, x, &w->type, types, T, 1, err))) ||
        (s = be->layernorm(be, x, x, NULL, w->emb_ln_g, w->emb_ln_b, T, D, w->eps, err)))
        goto done;
    if (hidden && (s = be->download(be, hidden, x, td * sizeof(float), err))) goto done;

    for (int l = 0; l < w->n_layers; l++) {
        const longformer_layer *L = &w->layers[l];
        om_attention_args a = {
            .out = ctx, .q = q, .k = k, .v = v,
            .q_stride = D, .k_stride = D, .v_stride = D, .out_stride = D,
            .n_heads = H, .n_kv_heads = H, .head_dim = w->head_dim,
            .cu_seqlens = batch->cu_seqlens, .n_seqs = batch->n_seqs,
            .scale = 1.0f / sqrtf((float)w->head_dim),
            .window_left = L->half_window, .window_right = L->half_window,
        };
        if ((s = om_post_ln_qkv(be, &L->base, x, q, k, v, T, err)) || (s = be->attention(be, &a, err)) ||
            (s = om_post_ln_after_attention(be, &L->base.post, x, ctx, h, inter, T, D, w->act, w->eps, err)))
            goto done;
        if (hidden && (s = be->download(be, hidden + (size_t)(l + 1) * td, x, td * sizeof(float), err))) goto done;
    }
    if ((s = be->linear(be, out, 0, x, 0, &w->cls, w->cls_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->download(be, logits, out, (size_t)T * w->n_labels * sizeof(float), err)))
        goto done;
done:
    if (s) om_fail_prefix(err, s, "Longformer forward (%s)", cfg->path ? cfg->path : "model");
    return s;
}

const om_arch om_arch_longformer = {
    .name = "longformer",
    .matches = longformer_matches,
    .load = longformer_load,
    .workspace = longformer_workspace,
    .forward = longformer_forward,
    .free = longformer_free,
};
