/* post_ln_layer.c: load and run the post-LayerNorm BERT-style encoder layer shared by BERT, DeBERTa and Longformer. */
#include "models/post_ln_layer.h"

openmed_status om_post_ln_layer_load(om_params *p, om_post_ln_layer *L, const char *prefix, int l,
                                     const char *const qkv_names[3], int D, int A, int I, openmed_error *err) {
    const char *pre = prefix;
    om_post_ln_out *P = &L->post;
    openmed_status s;
    if ((s = om_params_layer_weight(p, &L->q, A, D, err, "%s.%d.attention.self.%s.weight", pre, l, qkv_names[0])) ||
        (s = om_params_vector(p, &L->q_b, A, err, "%s.%d.attention.self.%s.bias", pre, l, qkv_names[0])) ||
        (s = om_params_layer_weight(p, &L->k, A, D, err, "%s.%d.attention.self.%s.weight", pre, l, qkv_names[1])) ||
        (s = om_params_vector(p, &L->k_b, A, err, "%s.%d.attention.self.%s.bias", pre, l, qkv_names[1])) ||
        (s = om_params_layer_weight(p, &L->v, A, D, err, "%s.%d.attention.self.%s.weight", pre, l, qkv_names[2])) ||
        (s = om_params_vector(p, &L->v_b, A, err, "%s.%d.attention.self.%s.bias", pre, l, qkv_names[2])) ||
        (s = om_params_layer_weight(p, &P->attn_out, D, A, err, "%s.%d.attention.output.dense.weight", pre, l)) ||
        (s = om_params_vector(p, &P->attn_out_b, D, err, "%s.%d.attention.output.dense.bias", pre, l)) ||
        (s = om_params_vector(p, &P->ln1_g, D, err, "%s.%d.attention.output.LayerNorm.weight", pre, l)) ||
        (s = om_params_vector(p, &P->ln1_b, D, err, "%s.%d.attention.output.LayerNorm.bias", pre, l)) ||
        (s = om_params_layer_weight(p, &P->inter, I, D, err, "%s.%d.intermediate.dense.weight", pre, l)) ||
        (s = om_params_vector(p, &P->inter_b, I, err, "%s.%d.intermediate.dense.bias", pre, l)) ||
        (s = om_params_layer_weight(p, &P->out, D, I, err, "%s.%d.output.dense.weight", pre, l)) ||
        (s = om_params_vector(p, &P->out_b, D, err, "%s.%d.output.dense.bias", pre, l)) ||
        (s = om_params_vector(p, &P->ln2_g, D, err, "%s.%d.output.LayerNorm.weight", pre, l)) ||
        (s = om_params_vector(p, &P->ln2_b, D, err, "%s.%d.output.LayerNorm.bias", pre, l)))
        return s;
    return OPENMED_OK;
}

openmed_status om_post_ln_qkv(om_backend *be, const om_post_ln_layer *L, const float *x, float *q, float *k, float *v,
                              int64_t T, openmed_error *err) {
    openmed_status s;
    if ((s = be->linear(be, q, 0, x, 0, &L->q, L->q_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->linear(be, k, 0, x, 0, &L->k, L->k_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->linear(be, v, 0, x, 0, &L->v, L->v_b, T, OM_ACT_NONE, 0, err)))
        return s;
    return OPENMED_OK;
}

openmed_status om_post_ln_after_attention(om_backend *be, const om_post_ln_out *P, float *x, const float *ctx,
                                          float *h, float *inter, int64_t T, int D, om_act act, float eps,
                                          openmed_error *err) {
    openmed_status s;
    if ((s = be->linear(be, h, 0, ctx, 0, &P->attn_out, P->attn_out_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->layernorm(be, h, h, x, P->ln1_g, P->ln1_b, T, D, eps, err)) ||
        (s = be->linear(be, inter, 0, h, 0, &P->inter, P->inter_b, T, act, 0, err)) ||
        (s = be->linear(be, x, 0, inter, 0, &P->out, P->out_b, T, OM_ACT_NONE, 0, err)) ||
        (s = be->layernorm(be, x, x, h, P->ln2_g, P->ln2_b, T, D, eps, err)))
        return s;
    return OPENMED_OK;
}
