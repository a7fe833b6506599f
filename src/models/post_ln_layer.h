/* post_ln_layer.h: the post-LayerNorm BERT-style encoder layer (q/k/v, attention output dense +
 * residual LayerNorm, intermediate with activation, output dense + residual LayerNorm) shared by
 * BERT, DeBERTa and Longformer: its weights, their loader and the forward around the attention.
 *
 * Each family keeps its own attention (BERT's fused QKV, DeBERTa's relative bias, Longformer's
 * window) and calls om_post_ln_after_attention for the rest of the layer. */
#ifndef OM_MODELS_POST_LN_LAYER_H
#define OM_MODELS_POST_LN_LAYER_H

#include <stdint.h>

#include "backend/backend.h"
#include "models/encoder_params.h"
#include "openmed.h"

/* The half of the layer after attention. A = width of the attention output (heads * head_dim),
 * D = hidden size, I = intermediate size. */
typedef struct om_post_ln_out {
    om_weight attn_out, inter, out; /* [D, A], [I, D], [D, I] */
    const float *attn_out_b, *ln1_g, *ln1_b, *inter_b, *out_b, *ln2_g, *ln2_b;
} om_post_ln_out;

/* The whole layer with separate query/key/value projections. */
typedef struct om_post_ln_layer {
    om_weight q, k, v; /* [A, D] each */
    const float *q_b, *k_b, *v_b;
    om_post_ln_out post;
} om_post_ln_layer;

/* Load layer `l` through p from the tensors "<prefix>.<l>.attention.self.<qkv_names[i]>.{weight,bias}",
 * "<prefix>.<l>.attention.output.{dense,LayerNorm}.*", "<prefix>.<l>.intermediate.dense.*" and
 * "<prefix>.<l>.output.{dense,LayerNorm}.*" (prefix e.g. "deberta.encoder.layer"). */
openmed_status om_post_ln_layer_load(om_params *p, om_post_ln_layer *L, const char *prefix, int l,
                                     const char *const qkv_names[3], int D, int A, int I, openmed_error *err);

/* q, k, v [T, A] = x [T, D] through the layer's projections. */
openmed_status om_post_ln_qkv(om_backend *be, const om_post_ln_layer *L, const float *x, float *q, float *k, float *v,
                              int64_t T, openmed_error *err);

/* The rest of the layer once attention has written ctx [T, A]:
 *   h = LayerNorm(ctx W_attn_out + b + x);  x = LayerNorm(act(h W_inter + b) W_out + b + h).
 * x [T, D] is the layer's input and output; h [T, D] and inter [T, I] are scratch. */
openmed_status om_post_ln_after_attention(om_backend *be, const om_post_ln_out *P, float *x, const float *ctx,
                                          float *h, float *inter, int64_t T, int D, om_act act, float eps,
                                          openmed_error *err);

#endif
