/* bert.c: the BERT family (bert, distilbert, roberta, xlm-roberta, camembert, electra): post-LayerNorm
 * encoders with learned absolute positions and a token-classification head.
 *
 * Every numeric detail comes from config.json: sizes, hidden_act, layer_norm_eps (DistilBERT's is
 * fixed at 1e-12 in HF), positions (RoBERTa family: HF's create_position_ids_from_input_ids, i.e.
 * pad_token_id + 1 + running count of non-pad tokens, per packed sequence), token types (all 0),
 * ELECTRA's embeddings_project when embedding_size != hidden_size. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "models/arch.h"
#include "models/encoder_params.h"
#include "models/model.h"
#include "models/post_ln_layer.h"

typedef enum bert_kind { KIND_BERT, KIND_DISTILBERT, KIND_ROBERTA, KIND_ELECTRA } bert_kind;

typedef struct bert_layer {
    om_weight qkv; /* query, key, value fused into [3H, H] at load */
    const float *bqkv;
    om_post_ln_out post; /* attention output, LayerNorms and feed-forward */
} bert_layer;

typedef struct bert_weights {
    bert_kind kind;
    int emb_dim;      /* embedding width (ELECTRA's embedding_size, else hidden_size) */
    int pos_offset;   /* RoBERTa family: pad_token_id + 1; others 0 */
    int n_positions;
    float eps;
    om_act act;
    om_weight word, pos, type;
    int has_type;
    const float *emb_ln_g, *emb_ln_b;
    int has_proj;
    om_weight proj;
    const float *proj_b;
    bert_layer *layers;
    int n_layers;
    om_weight cls;
    const float *cls_b;
    om_params params; /* every weight and vector above, and the fused QKV host buffers */
} bert_weights;

static int bert_matches(const char *model_type) {
    return strcmp(model_type, "bert") == 0 || strcmp(model_type, "distilbert") == 0 ||
           strcmp(model_type, "roberta") == 0 || strcmp(model_type, "xlm-roberta") == 0 ||
           strcmp(model_type, "camembert") == 0 || strcmp(model_type, "electra") == 0;
}

typedef struct loader {
    om_params *p;
    bert_weights *w;
    const char *prefix;
} loader;

/* Query, key and value of one layer as one [3H, H] weight and [3H] bias (rows: q, then k, then v),
 * so each layer runs one GEMM for all three. Each source tensor is checked and named on error. */
static openmed_status load_qkv(loader *L, bert_layer *l, int64_t H, const char *const names[6], openmed_error *err) {
    float *w = NULL, *bias = malloc((size_t)(3 * H) * sizeof *bias);
    if (posix_memalign((void **)&w, 64, (size_t)(3 * H * H) * sizeof(float)) != 0) w = NULL;
    openmed_status s = OPENMED_OK;
    if (!w || !bias) s = om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory loading \"%s\"", names[0]);
    for (int i = 0; i < 3 && s == OPENMED_OK; i++) {
        float *part = NULL;
        if ((s = om_params_read_f32(L->p, &part, H, H, err, "%s", names[2 * i])) == OPENMED_OK)
            memcpy(w + i * H * H, part, (size_t)(H * H) * sizeof *part);
        free(part);
        part = NULL;
        if (s == OPENMED_OK && (s = om_params_read_vector_f32(L->p, &part, H, err, "%s", names[2 * i + 1])) == OPENMED_OK)
            memcpy(bias + i * H, part, (size_t)H * sizeof *part);
        free(part);
    }
    if (s != OPENMED_OK) {
        free(w);
        free(bias);
        return s;
    }
    /* both calls take ownership of the host buffer, also when they fail */
    if ((s = om_params_host_weight(L->p, &l->qkv, w, 3 * H, H, OM_WEIGHT_LAYER, err)) != OPENMED_OK) {
        free(bias);
        return om_fail_prefix(err, s, "tensor \"%s\"", names[0]);
    }
    if ((s = om_params_host_vector(L->p, &l->bqkv, bias, 3 * H, err)) != OPENMED_OK)
        return om_fail_prefix(err, s, "tensor \"%s\"", names[1]);
    return OPENMED_OK;
}

static void bert_free(void *weights, om_backend *be) {
    bert_weights *w = weights;
    if (!w) return;
    om_params_free(&w->params);
    free(w->layers);
    free(w);
}

static openmed_status require_size(const om_model_config *cfg, int value, const char *what, openmed_error *err) {
    if (value > 0) return OPENMED_OK;
    return om_fail(err, OPENMED_ERR_CONFIG, "%s: missing required field %s for model_type \"%s\"", cfg->path, what,
                   cfg->model_type);
}

/* load_qkv with names from a format taking (prefix, layer, projection, "weight" | "bias"). */
static openmed_status load_qkv_named(loader *L, bert_layer *l, int64_t H, const char *fmt, int layer,
                                     openmed_error *err) {
    int distil = L->w->kind == KIND_DISTILBERT;
    const char *proj[3] = {distil ? "q" : "query", distil ? "k" : "key", distil ? "v" : "value"};
    char buf[6][256];
    const char *names[6];
    for (int i = 0; i < 6; i++) {
        snprintf(buf[i], sizeof buf[i], fmt, L->prefix, layer, proj[i / 2], i % 2 ? "bias" : "weight");
        names[i] = buf[i];
    }
    return load_qkv(L, l, H, names, err);
}

/* Tensor names of one layer below "<prefix><root>.<i>." in the two checkpoint layouts. */
typedef struct bert_layer_names {
    const char *root, *qkv, *attn_out, *ln1, *inter, *out, *ln2; /* qkv: format taking (projection, weight|bias) */
} bert_layer_names;

static const bert_layer_names bert_names = {"encoder.layer", "attention.self.%s.%s", "attention.output.dense",
                                            "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                                            "output.LayerNorm"};
static const bert_layer_names distilbert_names = {"transformer.layer", "attention.%s_lin.%s", "attention.out_lin",
                                                  "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"};

static openmed_status load_layer(loader *L, const om_model_config *cfg, int i, bert_layer *l, openmed_error *err) {
    const bert_layer_names *n = L->w->kind == KIND_DISTILBERT ? &distilbert_names : &bert_names;
    const char *p = L->prefix;
    int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
    om_post_ln_out *o = &l->post;
    char qkv_fmt[128];
    snprintf(qkv_fmt, sizeof qkv_fmt, "%%s%s.%%d.%s", n->root, n->qkv);
    openmed_status s;
    if ((s = load_qkv_named(L, l, H, qkv_fmt, i, err)) ||
        (s = om_params_layer_weight(L->p, &o->attn_out, H, H, err, "%s%s.%d.%s.weight", p, n->root, i, n->attn_out)) ||
        (s = om_params_vector(L->p, &o->attn_out_b, H, err, "%s%s.%d.%s.bias", p, n->root, i, n->attn_out)) ||
        (s = om_params_vector(L->p, &o->ln1_g, H, err, "%s%s.%d.%s.weight", p, n->root, i, n->ln1)) ||
        (s = om_params_vector(L->p, &o->ln1_b, H, err, "%s%s.%d.%s.bias", p, n->root, i, n->ln1)) ||
        (s = om_params_layer_weight(L->p, &o->inter, I, H, err, "%s%s.%d.%s.weight", p, n->root, i, n->inter)) ||
        (s = om_params_vector(L->p, &o->inter_b, I, err, "%s%s.%d.%s.bias", p, n->root, i, n->inter)) ||
        (s = om_params_layer_weight(L->p, &o->out, H, I, err, "%s%s.%d.%s.weight", p, n->root, i, n->out)) ||
        (s = om_params_vector(L->p, &o->out_b, H, err, "%s%s.%d.%s.bias", p, n->root, i, n->out)) ||
        (s = om_params_vector(L->p, &o->ln2_g, H, err, "%s%s.%d.%s.weight", p, n->root, i, n->ln2)) ||
        (s = om_params_vector(L->p, &o->ln2_b, H, err, "%s%s.%d.%s.bias", p, n->root, i, n->ln2)))
        return s;
    return OPENMED_OK;
}

static openmed_status bert_load(const om_model_config *cfg, const om_safetensors *st, om_backend *be, void **out,
                                openmed_error *err) {
    *out = NULL;
    bert_weights *w = calloc(1, sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    om_params_init(&w->params, st, be);
    loader L = {&w->params, w, ""};
    const char *mt = cfg->model_type;
    w->kind = strcmp(mt, "distilbert") == 0 ? KIND_DISTILBERT
              : strcmp(mt, "electra") == 0  ? KIND_ELECTRA
              : (strcmp(mt, "roberta") == 0 || strcmp(mt, "xlm-roberta") == 0 || strcmp(mt, "camembert") == 0)
                  ? KIND_ROBERTA
                  : KIND_BERT;
    const char *family_prefix = w->kind == KIND_DISTILBERT ? "distilbert."
                                : w->kind == KIND_ELECTRA  ? "electra."
                                : w->kind == KIND_ROBERTA  ? "roberta."
                                                           : "bert.";
    openmed_status s = require_size(cfg, cfg->vocab_size, "\"vocab_size\"", err);
    if (s == OPENMED_OK) s = require_size(cfg, cfg->hidden_size, "\"hidden_size\" (\"dim\" for DistilBERT)", err);
    if (s == OPENMED_OK) s = require_size(cfg, cfg->num_layers, "\"num_hidden_layers\" (\"n_layers\")", err);
    if (s == OPENMED_OK) s = require_size(cfg, cfg->num_heads, "\"num_attention_heads\" (\"n_heads\")", err);
    if (s == OPENMED_OK) s = require_size(cfg, cfg->intermediate_size, "\"intermediate_size\" (\"hidden_dim\")", err);
    if (s == OPENMED_OK) s = require_size(cfg, cfg->max_position_embeddings, "\"max_position_embeddings\"", err);
    if (s != OPENMED_OK) {
        free(w);
        return s;
    }
    const struct cJSON *pet = cJSON_GetObjectItemCaseSensitive(cfg->json, "position_embedding_type");
    if (pet && !cJSON_IsNull(pet) && (!cJSON_IsString(pet) || strcmp(pet->valuestring, "absolute") != 0)) {
        free(w);
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "%s: position_embedding_type %s%s%s is not supported (only \"absolute\")", cfg->path,
                       cJSON_IsString(pet) ? "\"" : "", cJSON_IsString(pet) ? pet->valuestring : "(not a string)",
                       cJSON_IsString(pet) ? "\"" : "");
    }
    char probe[128];
    snprintf(probe, sizeof probe, "%sembeddings.word_embeddings.weight", family_prefix);
    L.prefix = om_safetensors_find(st, probe) ? family_prefix : ""; /* a bare base-model checkpoint */
    w->eps = w->kind == KIND_DISTILBERT ? 1e-12f : cfg->layer_norm_eps;
    w->act = cfg->hidden_act;
    w->n_positions = cfg->max_position_embeddings;
    w->emb_dim = cfg->hidden_size;
    if (w->kind == KIND_ROBERTA) {
        if (cfg->pad_token_id < 0)
            s = om_fail(err, OPENMED_ERR_CONFIG, "%s: pad_token_id is required for %s position ids", cfg->path, mt);
        w->pos_offset = cfg->pad_token_id + 1;
    }
    if (s == OPENMED_OK && w->kind == KIND_ELECTRA)
        s = om_config_int(cfg, "embedding_size", 0, 1, 1 << 24, cfg->hidden_size, &w->emb_dim, err);
    const char *p = L.prefix;
    int64_t E = w->emb_dim, H = cfg->hidden_size;
    if (s == OPENMED_OK) s = om_params_weight(&w->params, &w->word, cfg->vocab_size, E, err, "%sembeddings.word_embeddings.weight", p);
    if (s == OPENMED_OK)
        s = om_params_weight(&w->params, &w->pos, cfg->max_position_embeddings, E, err, "%sembeddings.position_embeddings.weight", p);
    if (s == OPENMED_OK && w->kind != KIND_DISTILBERT && cfg->type_vocab_size > 0) {
        w->has_type = 1;
        s = om_params_weight(&w->params, &w->type, cfg->type_vocab_size, E, err, "%sembeddings.token_type_embeddings.weight", p);
    }
    if (s == OPENMED_OK) s = om_params_vector(&w->params, &w->emb_ln_g, E, err, "%sembeddings.LayerNorm.weight", p);
    if (s == OPENMED_OK) s = om_params_vector(&w->params, &w->emb_ln_b, E, err, "%sembeddings.LayerNorm.bias", p);
    if (s == OPENMED_OK && w->kind == KIND_ELECTRA && E != H) {
        w->has_proj = 1;
        s = om_params_weight(&w->params, &w->proj, H, E, err, "%sembeddings_project.weight", p);
        if (s == OPENMED_OK) s = om_params_vector(&w->params, &w->proj_b, H, err, "%sembeddings_project.bias", p);
    }
    if (s == OPENMED_OK) {
        w->n_layers = cfg->num_layers;
        w->layers = calloc((size_t)cfg->num_layers, sizeof *w->layers);
        if (!w->layers) s = om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    }
    for (int i = 0; i < cfg->num_layers && s == OPENMED_OK; i++) s = load_layer(&L, cfg, i, &w->layers[i], err);
    if (s == OPENMED_OK) {
        const om_st_tensor *ct = om_safetensors_find(st, "classifier.weight");
        if (ct && ct->ndim == 2 && ct->shape[1] == H && ct->shape[0] != cfg->num_labels)
            s = om_fail(err, OPENMED_ERR_FORMAT,
                        "%s: tensor \"classifier.weight\" has %lld labels but config.json id2label/num_labels has %d",
                        ct->file, (long long)ct->shape[0], cfg->num_labels);
    }
    if (s == OPENMED_OK) s = om_params_weight(&w->params, &w->cls, cfg->num_labels, H, err, "classifier.weight");
    if (s == OPENMED_OK) s = om_params_vector(&w->params, &w->cls_b, cfg->num_labels, err, "classifier.bias");
    if (s != OPENMED_OK) {
        bert_free(w, be);
        return s;
    }
    *out = w;
    return OPENMED_OK;
}

/* Position ids per packed sequence; fails when a sequence runs past the position table. */
static openmed_status make_positions(const bert_weights *w, const om_batch *b, int32_t *pos, int pad_id,
                                     openmed_error *err) {
    for (int s = 0; s < b->n_seqs; s++) {
        int32_t count = 0;
        for (int32_t t = b->cu_seqlens[s]; t < b->cu_seqlens[s + 1]; t++) {
            int32_t p;
            if (w->kind == KIND_ROBERTA) { /* HF create_position_ids_from_input_ids */
                if (b->ids[t] == pad_id) p = pad_id;
                else p = ++count + pad_id;
            } else {
                p = t - b->cu_seqlens[s];
            }
            if (p >= w->n_positions)
                return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                               "sequence %d has %d tokens, more than the %d positions of the model", s,
                               (int)(b->cu_seqlens[s + 1] - b->cu_seqlens[s]), w->n_positions - w->pos_offset);
            pos[t] = p;
        }
    }
    return OPENMED_OK;
}

/* The buffers of one forward: activations in backend memory, position and token-type ids on the host. */
typedef struct bert_scratch {
    float *x, *qkv, *ctx, *tmp, *up, *emb, *out; /* [T, H], [T, 3H], [T, H], [T, H], [T, I], [T, E], [T, labels] */
    int32_t *pos, *zeros;                       /* host, [T] each */
} bert_scratch;

static void bert_layout(const bert_weights *w, const om_model_config *cfg, int64_t T, om_ws_layout *lay,
                        bert_scratch *b) {
    size_t t = (size_t)T, H = (size_t)cfg->hidden_size;
    b->x = om_ws_floats(lay, t * H);
    b->qkv = om_ws_floats(lay, t * 3 * H);
    b->ctx = om_ws_floats(lay, t * H);
    b->tmp = om_ws_floats(lay, t * H);
    b->up = om_ws_floats(lay, t * (size_t)cfg->intermediate_size);
    b->emb = w->has_proj ? om_ws_floats(lay, t * (size_t)w->emb_dim) : NULL;
    b->out = om_ws_floats(lay, t * (size_t)cfg->num_labels);
    b->pos = om_ws_host(lay, t * sizeof(int32_t));
    b->zeros = om_ws_host(lay, t * sizeof(int32_t));
}

static om_ws_size bert_workspace(const void *weights, const om_model_config *cfg, const om_batch *batch) {
    om_ws_layout lay;
    bert_scratch b;
    om_ws_layout_begin(&lay, NULL);
    bert_layout(weights, cfg, batch->n_tokens, &lay, &b);
    return om_ws_layout_size(&lay);
}

static openmed_status bert_forward(const void *weights, const om_model_config *cfg, om_backend *be,
                                   const om_batch *batch, om_workspace *ws, float *logits, float *hidden,
                                   openmed_error *err) {
    const bert_weights *w = weights;
    int64_t T = batch->n_tokens, H = cfg->hidden_size, E = w->emb_dim;
    int n_labels = cfg->num_labels, heads = cfg->num_heads, dh = (int)(H / heads);
    if (T == 0) return OPENMED_OK;
    om_ws_layout lay;
    bert_scratch b;
    om_ws_layout_begin(&lay, ws);
    bert_layout(w, cfg, T, &lay, &b);
    if (!om_ws_layout_fits(&lay))
        return om_fail(err, OPENMED_ERR_INTERNAL, "bert forward: the workspace is smaller than this batch needs");
    float *x = b.x, *qkv = b.qkv, *ctx = b.ctx, *tmp = b.tmp, *up = b.up, *emb = b.emb, *out = b.out;
    memset(b.zeros, 0, (size_t)T * sizeof(int32_t));
    openmed_status s = make_positions(w, batch, b.pos, cfg->pad_token_id, err);
    if (s != OPENMED_OK) return s;
    size_t layer_bytes = (size_t)T * (size_t)H * sizeof(float);

    float *e = w->has_proj ? emb : x;
    s = be->embed(be, e, &w->word, batch->ids, T, 0, err);
    if (s == OPENMED_OK) s = be->embed(be, e, &w->pos, b.pos, T, 1, err);
    if (s == OPENMED_OK && w->has_type) s = be->embed(be, e, &w->type, b.zeros, T, 1, err);
    if (s == OPENMED_OK) s = be->layernorm(be, e, e, NULL, w->emb_ln_g, w->emb_ln_b, T, E, w->eps, err);
    if (s == OPENMED_OK && w->has_proj) s = be->linear(be, x, 0, emb, 0, &w->proj, w->proj_b, T, OM_ACT_NONE, 0, err);
    if (s == OPENMED_OK && hidden) s = be->download(be, hidden, x, layer_bytes, err);

    om_attention_args a;
    memset(&a, 0, sizeof a);
    a.q = qkv;
    a.k = qkv + H;
    a.v = qkv + 2 * H;
    a.out = ctx;
    a.q_stride = a.k_stride = a.v_stride = 3 * H;
    a.out_stride = H;
    a.n_heads = a.n_kv_heads = heads;
    a.head_dim = dh;
    a.cu_seqlens = batch->cu_seqlens;
    a.n_seqs = batch->n_seqs;
    a.scale = 1.0f / sqrtf((float)dh);
    a.window_left = a.window_right = -1;
    for (int l = 0; l < w->n_layers && s == OPENMED_OK; l++) {
        const bert_layer *L = &w->layers[l];
        s = be->linear(be, qkv, 0, x, 0, &L->qkv, L->bqkv, T, OM_ACT_NONE, 0, err);
        if (s == OPENMED_OK) s = be->attention(be, &a, err);
        if (s == OPENMED_OK) s = om_post_ln_after_attention(be, &L->post, x, ctx, tmp, up, T, (int)H, w->act, w->eps, err);
        if (s == OPENMED_OK && hidden)
            s = be->download(be, hidden + (size_t)(l + 1) * (size_t)T * (size_t)H, x, layer_bytes, err);
    }
    if (s == OPENMED_OK) s = be->linear(be, out, 0, x, 0, &w->cls, w->cls_b, T, OM_ACT_NONE, 0, err);
    if (s == OPENMED_OK) s = be->download(be, logits, out, (size_t)T * (size_t)n_labels * sizeof(float), err);
    return s;
}

const om_arch om_arch_bert = {
    .name = "bert",
    .matches = bert_matches,
    .load = bert_load,
    .workspace = bert_workspace,
    .forward = bert_forward,
    .free = bert_free,
};
