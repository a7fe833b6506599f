/* deberta.c: the DeBERTa-v2/v3 family (disentangled attention with c2p/p2c relative-position terms). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "models/arch.h"
#include "models/encoder_params.h"
#include "models/post_ln_layer.h"

typedef struct deberta_layer {
    om_post_ln_layer base;
    om_weight pos_key_proj, pos_query_proj; /* [A, D], only without share_att_key */
    const float *pos_key_proj_b, *pos_query_proj_b;
    om_weight *pos_key;   /* [n_heads] of [n_rel, head_dim]: key projection of the relative embeddings (c2p) */
    om_weight *pos_query; /* [n_heads] of [n_rel, head_dim]: query projection (p2c) */
} deberta_layer;

typedef struct deberta_weights {
    int hidden, embed_size, n_heads, head_dim, all_head, inter_size, n_layers, n_labels;
    int type_vocab_size, position_biased_input, has_proj;
    int relative, c2p, p2c;
    int att_span, n_rel;          /* n_rel = 2 * att_span rows of the relative embeddings are used */
    int bucket_size, max_relative; /* position_buckets (<= 0: no log buckets), max_relative_positions */
    float eps, scale;              /* scale = 1 / sqrt(head_dim * (1 + c2p + p2c)) */
    om_act act;
    om_weight word, pos, type, proj; /* [V, E], [P, E], [types, E], [D, E] */
    const float *emb_ln_g, *emb_ln_b;
    deberta_layer *layers;
    om_weight cls; /* [n_labels, D] */
    const float *cls_b;
    om_params params;
} deberta_weights;

static int deberta_matches(const char *model_type) {
    return strcmp(model_type, "deberta-v2") == 0;
}

/* HF make_log_bucket_position for one relative position, in float32 like the reference. */
static int deberta_log_bucket(int rel, int bucket_size, int max_position) {
    int mid = bucket_size / 2;
    int sign = (rel > 0) - (rel < 0);
    int abs_pos = (rel < mid && rel > -mid) ? mid - 1 : abs(rel);
    if (abs_pos <= mid) return rel;
    float ratio = (float)((double)(max_position - 1) / mid);
    float log_pos = ceilf(logf((float)abs_pos / (float)mid) / logf(ratio) * (float)(mid - 1)) + (float)mid;
    if (!(log_pos < (float)(1 << 24))) log_pos = (float)(1 << 24); /* the caller clamps to the table anyway */
    return (int)(log_pos * (float)sign);
}

/* rel_index[d + max_len - 1] = column of relative distance d = i - j in the c2p/p2c tables. */
static void deberta_rel_index(const deberta_weights *w, int max_len, int32_t *rel_index) {
    for (int d = -(max_len - 1); d <= max_len - 1; d++) {
        int r = d;
        if (w->bucket_size > 0 && w->max_relative > 0) r = deberta_log_bucket(d, w->bucket_size, w->max_relative);
        r += w->att_span;
        if (r < 0) r = 0;
        if (r > w->n_rel - 1) r = w->n_rel - 1;
        rel_index[d + max_len - 1] = r;
    }
}

static int has_att_type(const cJSON *json, const char *type) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, "pos_att_type");
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (cJSON_IsString(e) && strcmp(e->valuestring, type) == 0) return 1;
        return 0;
    }
    if (cJSON_IsString(v)) { /* older configs: "p2c|c2p" */
        const char *s = v->valuestring;
        size_t n = strlen(type);
        for (const char *p = strstr(s, type); p; p = strstr(p + 1, type))
            if ((p == s || p[-1] == '|' || p[-1] == ' ') && (p[n] == 0 || p[n] == '|' || p[n] == ' ')) return 1;
    }
    return 0;
}

static openmed_status deberta_config(deberta_weights *w, const om_model_config *cfg, openmed_error *err) {
    const cJSON *j = cfg->json;
    const char *path = cfg->path;
    openmed_status s;
    const char *act_name;
    int conv_kernel;
    w->hidden = cfg->hidden_size;
    w->n_heads = cfg->num_heads;
    w->n_layers = cfg->num_layers;
    w->inter_size = cfg->intermediate_size;
    w->n_labels = cfg->num_labels;
    if (w->hidden <= 0 || w->n_heads <= 0 || w->n_layers <= 0 || w->inter_size <= 0 || w->n_labels <= 0)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: hidden_size, num_attention_heads, num_hidden_layers, "
                       "intermediate_size and the labels must be positive", path);
    if ((s = om_encoder_json_int(j, path, "embedding_size", w->hidden, &w->embed_size, err)) ||
        (s = om_encoder_json_int(j, path, "attention_head_size", w->hidden / w->n_heads, &w->head_dim, err)) ||
        (s = om_encoder_json_int(j, path, "type_vocab_size", 0, &w->type_vocab_size, err)) ||
        (s = om_encoder_json_bool(j, path, "position_biased_input", 1, &w->position_biased_input, err)) ||
        (s = om_encoder_json_bool(j, path, "relative_attention", 0, &w->relative, err)) ||
        (s = om_encoder_json_int(j, path, "position_buckets", -1, &w->bucket_size, err)) ||
        (s = om_encoder_json_int(j, path, "max_relative_positions", -1, &w->max_relative, err)) ||
        (s = om_encoder_json_float(j, path, "layer_norm_eps", 1e-7f, &w->eps, err)) ||
        (s = om_encoder_json_string(j, path, "hidden_act", "gelu", &act_name, err)) ||
        (s = om_encoder_json_int(j, path, "conv_kernel_size", 0, &conv_kernel, err)))
        return s;
    if (w->embed_size <= 0 || w->head_dim <= 0)
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: embedding_size and attention_head_size must be positive", path);
    if (om_act_parse(act_name, &w->act))
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: hidden_act \"%s\" is not supported", path, act_name);
    if (conv_kernel > 0)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "%s: conv_kernel_size %d (the DeBERTa-v2 convolution layer) is not supported", path,
                       conv_kernel);
    w->all_head = w->n_heads * w->head_dim;
    w->has_proj = w->embed_size != w->hidden;
    w->c2p = has_att_type(j, "c2p");
    w->p2c = has_att_type(j, "p2c");
    w->scale = 1.0f / sqrtf((float)w->head_dim * (float)(1 + w->c2p + w->p2c));
    if (w->relative) {
        if (w->max_relative < 1) w->max_relative = cfg->max_position_embeddings;
        w->att_span = w->bucket_size > 0 ? w->bucket_size : w->max_relative;
        if (w->att_span <= 0 || w->att_span > (1 << 20))
            return om_fail(err, OPENMED_ERR_CONFIG, "%s: relative attention needs position_buckets or "
                           "max_relative_positions / max_position_embeddings in [1, 1048576]", path);
        /* log buckets divide by half the bucket count and by log((max_relative - 1) / half) */
        if (w->bucket_size > 0 && (w->bucket_size < 2 || w->max_relative - 1 <= w->bucket_size / 2))
            return om_fail(err, OPENMED_ERR_CONFIG,
                           "%s: position_buckets %d needs at least 2 buckets and max_relative_positions above %d",
                           path, w->bucket_size, w->bucket_size / 2 + 1);
        w->n_rel = 2 * w->att_span;
    }
    return OPENMED_OK;
}

/* Project the (normalized) relative embeddings [n_rel, D] through one layer's key/query projection and
 * keep per-head tables [n_rel, head_dim] as weights, so c2p/p2c are one linear per head at run time. */
static openmed_status deberta_pos_heads(deberta_weights *w, om_backend *be, const float *rel, const om_weight *proj,
                                        const float *bias, om_weight **out, openmed_error *err) {
    size_t n = (size_t)w->n_rel * w->all_head;
    float *dev = NULL, *host = malloc(n * sizeof *host);
    openmed_status s = OPENMED_OK;
    *out = calloc((size_t)w->n_heads, sizeof **out);
    if (!host || !*out) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "DeBERTa relative position tables: out of memory");
        goto done;
    }
    if ((s = om_encoder_buffer(be, &dev, n, "DeBERTa relative position tables", err)) ||
        (s = be->linear(be, dev, 0, rel, 0, proj, bias, w->n_rel, OM_ACT_NONE, 0, err)) ||
        (s = be->download(be, host, dev, n * sizeof *host, err)))
        goto done;
    for (int h = 0; h < w->n_heads; h++) {
        float *head = malloc((size_t)w->n_rel * w->head_dim * sizeof *head);
        if (!head) {
            s = om_fail(err, OPENMED_ERR_NO_MEMORY, "DeBERTa relative position tables: out of memory");
            goto done;
        }
        for (int r = 0; r < w->n_rel; r++)
            memcpy(head + (size_t)r * w->head_dim, host + (size_t)r * w->all_head + (size_t)h * w->head_dim,
                   (size_t)w->head_dim * sizeof *head);
        if ((s = om_params_host_weight(&w->params, &(*out)[h], head, w->n_rel, w->head_dim, 0, err))) goto done;
    }
done:
    if (dev) be->free(be, dev);
    free(host);
    return s;
}

/* The relative embeddings (LayerNorm'd when norm_rel_ebd says so) projected per layer and head. */
static openmed_status deberta_load_relative(deberta_weights *w, const om_model_config *cfg, om_backend *be,
                                            openmed_error *err) {
    om_params *p = &w->params;
    const int D = w->hidden, A = w->all_head;
    const char *norm_rel = "none";
    int share_key = 0;
    openmed_status s;
    if ((s = om_encoder_json_string(cfg->json, cfg->path, "norm_rel_ebd", "none", &norm_rel, err)) ||
        (s = om_encoder_json_bool(cfg->json, cfg->path, "share_att_key", 0, &share_key, err)))
        return s;
    const om_st_tensor *t = om_safetensors_find(p->st, "deberta.encoder.rel_embeddings.weight");
    if (!t) return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: missing tensor deberta.encoder.rel_embeddings.weight");
    if (t->ndim != 2 || t->shape[0] < w->n_rel || t->shape[1] != D)
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: deberta.encoder.rel_embeddings.weight must be [>= %d, %d]",
                       t->file, w->n_rel, D);
    float *host = NULL, *rel = NULL;
    if ((s = om_params_read_f32(p, &host, t->shape[0], D, err, "deberta.encoder.rel_embeddings.weight"))) return s;
    size_t n = (size_t)w->n_rel * D;
    if ((s = om_encoder_buffer(be, &rel, n, "DeBERTa relative embeddings", err)) ||
        (s = be->upload(be, rel, host, n * sizeof *host, err)))
        goto done;
    if (strstr(norm_rel, "layer_norm")) {
        const float *g, *b;
        if ((s = om_params_vector(p, &g, D, err, "deberta.encoder.LayerNorm.weight")) ||
            (s = om_params_vector(p, &b, D, err, "deberta.encoder.LayerNorm.bias")) ||
            (s = be->layernorm(be, rel, rel, NULL, g, b, w->n_rel, D, w->eps, err)))
            goto done;
    }
    for (int l = 0; l < w->n_layers; l++) {
        deberta_layer *L = &w->layers[l];
        const om_weight *kw = &L->base.k, *qw = &L->base.q;
        const float *kb = L->base.k_b, *qb = L->base.q_b;
        if (!share_key) {
            const char *pre = "deberta.encoder.layer";
            if (w->c2p &&
                ((s = om_params_weight(p, &L->pos_key_proj, A, D, err, "%s.%d.attention.self.pos_key_proj.weight", pre, l)) ||
                 (s = om_params_vector(p, &L->pos_key_proj_b, A, err, "%s.%d.attention.self.pos_key_proj.bias", pre, l))))
                goto done;
            if (w->p2c &&
                ((s = om_params_weight(p, &L->pos_query_proj, A, D, err, "%s.%d.attention.self.pos_query_proj.weight",
                                       pre, l)) ||
                 (s = om_params_vector(p, &L->pos_query_proj_b, A, err, "%s.%d.attention.self.pos_query_proj.bias", pre,
                                       l))))
                goto done;
            kw = &L->pos_key_proj;
            qw = &L->pos_query_proj;
            kb = L->pos_key_proj_b;
            qb = L->pos_query_proj_b;
        }
        if (w->c2p && (s = deberta_pos_heads(w, be, rel, kw, kb, &L->pos_key, err))) goto done;
        if (w->p2c && (s = deberta_pos_heads(w, be, rel, qw, qb, &L->pos_query, err))) goto done;
    }
done:
    if (rel) be->free(be, rel);
    free(host);
    return s;
}

static void deberta_free(void *weights, om_backend *be) {
    deberta_weights *w = weights;
    if (!w) return;
    om_params_free(&w->params);
    if (w->layers)
        for (int l = 0; l < w->n_layers; l++) {
            free(w->layers[l].pos_key);
            free(w->layers[l].pos_query);
        }
    free(w->layers);
    free(w);
}

static openmed_status deberta_load(const om_model_config *cfg, const om_safetensors *st, om_backend *be,
                                   void **weights, openmed_error *err) {
    deberta_weights *w = calloc(1, sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading DeBERTa: out of memory");
    om_params_init(&w->params, st, be);
    om_params *p = &w->params;
    openmed_status s = deberta_config(w, cfg, err);
    if (s) goto fail;
    const int D = w->hidden, E = w->embed_size;
    if ((s = om_params_weight(p, &w->word, -1, E, err, "deberta.embeddings.word_embeddings.weight"))) goto fail;
    if (w->position_biased_input &&
        (s = om_params_weight(p, &w->pos, -1, E, err, "deberta.embeddings.position_embeddings.weight")))
        goto fail;
    if (w->type_vocab_size > 0 &&
        (s = om_params_weight(p, &w->type, w->type_vocab_size, E, err, "deberta.embeddings.token_type_embeddings.weight")))
        goto fail;
    if (w->has_proj && (s = om_params_weight(p, &w->proj, D, E, err, "deberta.embeddings.embed_proj.weight")))
        goto fail;
    if ((s = om_params_vector(p, &w->emb_ln_g, D, err, "deberta.embeddings.LayerNorm.weight")) ||
        (s = om_params_vector(p, &w->emb_ln_b, D, err, "deberta.embeddings.LayerNorm.bias")))
        goto fail;
    w->layers = calloc((size_t)w->n_layers, sizeof *w->layers);
    if (!w->layers) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "loading DeBERTa: out of memory");
        goto fail;
    }
    static const char *const qkv_names[3] = {"query_proj", "key_proj", "value_proj"};
    for (int l = 0; l < w->n_layers; l++)
        if ((s = om_post_ln_layer_load(p, &w->layers[l].base, "deberta.encoder.layer", l, qkv_names, D, w->all_head,
                                       w->inter_size, err)))
            goto fail;
    if (w->relative && (w->c2p || w->p2c) && (s = deberta_load_relative(w, cfg, be, err))) goto fail;
    if ((s = om_params_weight(p, &w->cls, w->n_labels, D, err, "classifier.weight")) ||
        (s = om_params_vector(p, &w->cls_b, w->n_labels, err, "classifier.bias")))
        goto fail;
    if (w->relative && (w->c2p || w->p2c) && !be->deberta_rel_bias) {
        s = om_fail(err, OPENMED_ERR_UNSUPPORTED, "device %s has no DeBERTa relative attention op", be->name);
        goto fail;
    }
    *weights = w;
    return OPENMED_OK;
fail:
    deberta_free(w, be);
    return s;
}

/* The buffers of one forward pass (backend memory unless noted), laid out in the workspace. */
typedef struct deberta_run {
    float *x, *emb, *q, *k, *v, *ctx, *h, *inter, *c2p, *p2c, *bias, *logits;
    int32_t *positions, *types, *rel_index; /* host */
    int32_t *group_cu;                       /* host, rebased cu_seqlens of one attention group */
    size_t bias_cap;                         /* floats in bias */
    size_t group_rows;                       /* token rows in c2p / p2c */
    int max_len;                             /* the longest sequence of the batch */
} deberta_run;

static void deberta_layout(const deberta_weights *w, const om_batch *batch, om_ws_layout *lay, deberta_run *r) {
    const size_t T = (size_t)batch->n_tokens, D = (size_t)w->hidden, A = (size_t)w->all_head, H = (size_t)w->n_heads;
    int max_len = 0;
    for (int i = 0; i < batch->n_seqs; i++) {
        int len = batch->cu_seqlens[i + 1] - batch->cu_seqlens[i];
        if (len > max_len) max_len = len;
    }
    const int rel = w->relative && (w->c2p || w->p2c);
    memset(r, 0, sizeof *r);
    r->max_len = max_len;
    /* Attention groups: at least one longest sequence, up to 16 MB of bias and 1024 token rows. */
    r->bias_cap = H * (size_t)max_len * (size_t)max_len;
    if (r->bias_cap < ((size_t)4 << 20)) r->bias_cap = (size_t)4 << 20;
    r->group_rows = max_len > 1024 ? (size_t)max_len : 1024;
    if (r->group_rows > T) r->group_rows = T;
    if (r->bias_cap > H * r->group_rows * r->group_rows) r->bias_cap = H * r->group_rows * r->group_rows;
    r->x = om_ws_floats(lay, T * D);
    if (w->has_proj) r->emb = om_ws_floats(lay, T * (size_t)w->embed_size);
    r->q = om_ws_floats(lay, T * A);
    r->k = om_ws_floats(lay, T * A);
    r->v = om_ws_floats(lay, T * A);
    r->ctx = om_ws_floats(lay, T * A);
    r->h = om_ws_floats(lay, T * D);
    r->inter = om_ws_floats(lay, T * (size_t)w->inter_size);
    r->logits = om_ws_floats(lay, T * (size_t)w->n_labels);
    if (rel && w->c2p) r->c2p = om_ws_floats(lay, r->group_rows * H * (size_t)w->n_rel);
    if (rel && w->p2c) r->p2c = om_ws_floats(lay, r->group_rows * H * (size_t)w->n_rel);
    if (rel) r->bias = om_ws_floats(lay, r->bias_cap);
    r->positions = om_ws_host(lay, T * sizeof(int32_t));
    r->types = om_ws_host(lay, T * sizeof(int32_t));
    r->rel_index = om_ws_host(lay, (size_t)(2 * max_len) * sizeof(int32_t));
    r->group_cu = om_ws_host(lay, ((size_t)batch->n_seqs + 1) * sizeof(int32_t));
}

static om_ws_size deberta_workspace(const void *weights, const om_model_config *cfg, const om_batch *batch) {
    om_ws_layout lay;
    deberta_run r;
    om_ws_layout_begin(&lay, NULL);
    deberta_layout(weights, batch, &lay, &r);
    return om_ws_layout_size(&lay);
}

/* Rows lo..hi of a prepared weight, as a weight for linear (never prepared or released itself). */
static om_weight deberta_rows(const om_weight *w, int lo, int hi) {
    om_weight view = *w;
    view.data = (const char *)w->data + (size_t)lo * (size_t)w->cols * om_dtype_size(w->dtype);
    view.rows = hi - lo + 1;
    return view;
}

/* Attention of one layer, over groups of whole sequences small enough for the c2p/p2c and bias buffers. */
static openmed_status deberta_attention(const deberta_weights *w, const deberta_layer *L, om_backend *be,
                                        const om_batch *batch, deberta_run *r, int max_len, openmed_error *err) {
    const int H = w->n_heads, A = w->all_head, R = w->n_rel, dh = w->head_dim;
    const int rel = w->relative && (w->c2p || w->p2c);
    openmed_status s;
    for (int s0 = 0; s0 < batch->n_seqs;) {
        int s1 = s0;
        size_t need = 0;
        while (s1 < batch->n_seqs) {
            size_t len = (size_t)(batch->cu_seqlens[s1 + 1] - batch->cu_seqlens[s1]);
            size_t more = (size_t)H * len * len;
            size_t rows = (size_t)(batch->cu_seqlens[s1 + 1] - batch->cu_seqlens[s0]);
            if (rel && s1 > s0 && (need + more > r->bias_cap || rows > r->group_rows)) break;
            need += more;
            s1++;
        }
        const int32_t row0 = batch->cu_seqlens[s0];
        const int64_t rows = batch->cu_seqlens[s1] - row0;
        for (int i = s0; i <= s1; i++) r->group_cu[i - s0] = batch->cu_seqlens[i] - row0;
        const float *q = r->q + (size_t)row0 * A, *k = r->k + (size_t)row0 * A;
        if (rel) {
            /* Only the table columns [lo, hi] that this group's distances reach are computed (short windows
             * use a fraction of the 2 * att_span columns); the gather never reads the others. */
            int group_len = 0, lo = R, hi = -1;
            for (int i = s0; i < s1; i++)
                if (batch->cu_seqlens[i + 1] - batch->cu_seqlens[i] > group_len)
                    group_len = batch->cu_seqlens[i + 1] - batch->cu_seqlens[i];
            for (int d = -(group_len - 1); d <= group_len - 1; d++) {
                const int32_t col = r->rel_index[d + max_len - 1];
                if (col < lo) lo = col;
                if (col > hi) hi = col;
            }
            /* c2p[t, h, lo..hi] = Q_h[t] . pos_key_h[lo..hi]^T, p2c[t, h, lo..hi] = K_h[t] . pos_query_h[lo..hi]^T,
             * with row views of the prepared tables (see the DeBERTa group of backend.h), then the gather. */
            for (int h = 0; hi >= lo && h < H; h++) {
                if (w->c2p) {
                    om_weight view = deberta_rows(&L->pos_key[h], lo, hi);
                    if ((s = be->linear(be, r->c2p + (size_t)h * R + lo, (int64_t)H * R, q + (size_t)h * dh, A, &view,
                                        NULL, rows, OM_ACT_NONE, 0, err)))
                        return s;
                }
                if (w->p2c) {
                    om_weight view = deberta_rows(&L->pos_query[h], lo, hi);
                    if ((s = be->linear(be, r->p2c + (size_t)h * R + lo, (int64_t)H * R, k + (size_t)h * dh, A, &view,
                                        NULL, rows, OM_ACT_NONE, 0, err)))
                        return s;
                }
            }
            if ((s = be->deberta_rel_bias(be, r->bias, w->c2p ? r->c2p : NULL, w->p2c ? r->p2c : NULL, R,
                                          r->rel_index, max_len, r->group_cu, s1 - s0, H, w->scale, err)))
                return s;
        }
        om_attention_args a = {
            .out = r->ctx + (size_t)row0 * A,
            .q = q,
            .k = k,
            .v = r->v + (size_t)row0 * A,
            .q_stride = A,
            .k_stride = A,
            .v_stride = A,
            .out_stride = A,
            .n_heads = H,
            .n_kv_heads = H,
            .head_dim = dh,
            .cu_seqlens = r->group_cu,
            .n_seqs = s1 - s0,
            .scale = w->scale,
            .window_left = -1,
            .window_right = -1,
            .sinks = NULL,
            .bias = rel ? r->bias : NULL,
        };
        if ((s = be->attention(be, &a, err))) return s;
        s0 = s1;
    }
    return OPENMED_OK;
}

static openmed_status deberta_forward(const void *weights, const om_model_config *cfg, om_backend *be,
                                      const om_batch *batch, om_workspace *ws, float *logits, float *hidden,
                                      openmed_error *err) {
    const deberta_weights *w = weights;
    const int D = w->hidden;
    const int64_t T = batch->n_tokens;
    deberta_run r;
    openmed_status s = OPENMED_OK;
    if (T <= 0 || batch->n_seqs <= 0) return OPENMED_OK;
    for (int i = 0; i < batch->n_seqs; i++)
        if (batch->cu_seqlens[i + 1] < batch->cu_seqlens[i])
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "DeBERTa forward: cu_seqlens decrease");
    om_ws_layout lay;
    om_ws_layout_begin(&lay, ws);
    deberta_layout(w, batch, &lay, &r);
    if (!om_ws_layout_fits(&lay))
        return om_fail(err, OPENMED_ERR_INTERNAL, "DeBERTa forward: the workspace is smaller than this batch needs");
    const int max_len = r.max_len;
    size_t td = (size_t)T * D;
    memset(r.types, 0, (size_t)T * sizeof *r.types);
    for (int i = 0; i < batch->n_seqs; i++)
        for (int t = batch->cu_seqlens[i]; t < batch->cu_seqlens[i + 1]; t++) r.positions[t] = t - batch->cu_seqlens[i];
    if (w->relative && (w->c2p || w->p2c)) deberta_rel_index(w, max_len, r.rel_index);

    /* Embeddings: word (+ position) (+ token type 0) -> embed_proj -> LayerNorm. With packed
     * sequences there is no padding, so the mask multiplication after LayerNorm is the identity. */
    float *e = w->has_proj ? r.emb : r.x;
    if ((s = be->embed(be, e, &w->word, batch->ids, T, 0, err)) ||
        (w->position_biased_input && (s = be->embed(be, e, &w->pos, r.positions, T, 1, err))) ||
        (w->type_vocab_size > 0 && (s = be->embed(be, e, &w->type, r.types, T, 1, err))) ||
        (w->has_proj && (s = be->linear(be, r.x, 0, r.emb, 0, &w->proj, NULL, T, OM_ACT_NONE, 0, err))) ||
        (s = be->layernorm(be, r.x, r.x, NULL, w->emb_ln_g, w->emb_ln_b, T, D, w->eps, err)))
        goto done;
    if (hidden && (s = be->download(be, hidden, r.x, td * sizeof(float), err))) goto done;

    for (int l = 0; l < w->n_layers; l++) {
        const deberta_layer *L = &w->layers[l];
        if ((s = om_post_ln_qkv(be, &L->base, r.x, r.q, r.k, r.v, T, err)) ||
            (s = deberta_attention(w, L, be, batch, &r, max_len, err)) ||
            (s = om_post_ln_after_attention(be, &L->base.post, r.x, r.ctx, r.h, r.inter, T, D, w->act, w->eps, err)))
            goto done;
        if (hidden && (s = be->download(be, hidden + (size_t)(l + 1) * td, r.x, td * sizeof(float), err))) goto done;
    }
    if ((s = be->linear(be, r.logits, 0, r.x, 0, &w->cls, w->cls_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->download(be, logits, r.logits, (size_t)T * w->n_labels * sizeof(float), err)))
        goto done;
done:
    if (s) om_fail_prefix(err, s, "DeBERTa forward (%s)", cfg->path ? cfg->path : "model");
    return s;
}

const om_arch om_arch_deberta = {
    .name = "deberta",
    .matches = deberta_matches,
    .load = deberta_load,
    .workspace = deberta_workspace,
    .forward = deberta_forward,
    .free = deberta_free,
};
