/* backend.h: the op layer every architecture is written against; CPU, CUDA and Metal implement it.
 *
 * Model code (src/models/) is written once against this vtable. All float buffers passed to ops
 * are backend memory (host memory for cpu, device memory for cuda) obtained from be->alloc;
 * all integer metadata (token ids, sequence boundaries, positions) is host memory, and the backend
 * copies what it needs. Activations are float32 row-major: a [M, N] buffer has row i at i*N.
 *
 * Sequences are packed without padding: a batch of n_seqs sequences is one [T, D] buffer with
 * T = cu_seqlens[n_seqs]; sequence s occupies rows cu_seqlens[s] .. cu_seqlens[s+1]-1.
 *
 * Each op returns OPENMED_OK or an error with a message naming the op and the device.
 * Owners: the vtable shape is shared; add a new op at the end of its group with a comment, and
 * implement it in every backend (cpu is the reference).
 */
#ifndef OM_BACKEND_H
#define OM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef enum om_act {
    OM_ACT_NONE = 0,
    OM_ACT_GELU,      /* exact: 0.5 x (1 + erf(x / sqrt 2)) ("gelu") */
    OM_ACT_GELU_TANH, /* tanh approximation ("gelu_new", "gelu_pytorch_tanh", "gelu_fast") */
    OM_ACT_RELU,
    OM_ACT_SILU,
    OM_ACT_QUICK_GELU /* x * sigmoid(1.702 x) */
} om_act;

/* Parse a Hugging Face activation name ("gelu", "gelu_new", "relu", "silu", "swish", ...).
 * Returns 0 and sets *out, or -1 for an unknown name. */
int om_act_parse(const char *name, om_act *out);

/* Storage dtypes of weights; OM_I8 is a compute dtype only (set_precision: int8 linear layers). */
typedef enum om_dtype { OM_F32 = 0, OM_F16 = 1, OM_BF16 = 2, OM_I8 = 3 } om_dtype;

size_t om_dtype_size(om_dtype dt);

/* Hints a model sets in om_weight.hints before prepare_weight. */
enum {
    /* Accumulate this weight's linear in double precision: the float32 result is within about an
     * ulp of exact and the same on every CPU (cpu). For models whose outputs amplify rounding
     * (the privacy filter's routing and sinks); costs ~2-3x a float GEMM. Other backends may ignore it. */
    OM_WEIGHT_PRECISE = 1u << 0,
    /* A linear map inside the encoder layers (attention projections, feed-forward): the cpu backend
     * stores it at the reduced compute precision of set_precision (int8, bf16). Embedding tables,
     * classifier heads and tables sliced by row never carry it, so they stay float32. */
    OM_WEIGHT_LAYER = 1u << 1,
};

/* A weight matrix [rows, cols] (PyTorch nn.Linear layout: rows = out features, cols = in features)
 * or an embedding table [rows = vocab, cols = dim]. `data` is backend memory after prepare_weight. */
typedef struct om_weight {
    const void *data;
    om_dtype dtype;
    int64_t rows, cols;
    void *backend_private; /* owned by the backend that prepared it (packed layouts, device copies) */
    unsigned hints;        /* OM_WEIGHT_* set by the model before prepare_weight */
} om_weight;

typedef struct om_backend om_backend;

/* Attention over packed sequences. q, k, v point at the first row of each; row t of head h starts
 * at q + t*q_stride + h*head_dim (likewise k, v with kv heads). Output row t, head h at
 * out + t*out_stride + h*head_dim. Grouped-query: query head h reads kv head h / (n_heads/n_kv_heads).
 * Key j is visible from query i (same sequence) iff window_left < 0 || i - j <= window_left, and
 * window_right < 0 || j - i <= window_right.
 * scores = scale * q.k (+ bias), softmax over visible keys (plus sink logit if sinks != NULL:
 * one extra logit per head that takes probability mass but contributes no value).
 * bias, when not NULL: additive scores, for sequence s a block [n_heads, L_s, L_s] (row = query),
 * blocks of consecutive sequences back to back (offset of block s = n_heads * sum_{r<s} L_r^2). */
typedef struct om_attention_args {
    float *out;
    const float *q, *k, *v;
    int64_t q_stride, k_stride, v_stride, out_stride; /* in floats */
    int n_heads, n_kv_heads, head_dim;
    const int32_t *cu_seqlens; /* host, n_seqs + 1 entries */
    int n_seqs;
    float scale;
    int window_left, window_right; /* -1 = unlimited */
    const float *sinks;            /* backend memory, [n_heads], or NULL */
    const float *bias;             /* backend memory, see above, or NULL */
    int precise; /* 1: scores, softmax and outputs accumulated in double, row by row, the same on every
                  * CPU (cpu; see OM_WEIGHT_PRECISE); other backends may ignore it */
} om_attention_args;

/* Rotary position embedding applied in place to n_heads heads of each row of x.
 * Pair (i, i + head_dim/2) for rotate-half (interleaved == 0), pair (2i, 2i+1) when interleaved.
 * angle = positions[t] * inv_freq[i]; cos and sin are multiplied by mscale (YaRN attention factor). */
typedef struct om_rope_args {
    float *x;
    int64_t n_rows, row_stride; /* floats between rows */
    int n_heads, head_dim;
    const int32_t *positions;   /* host, [n_rows] */
    const float *inv_freq;      /* host, [rotary_dim / 2] */
    int rotary_dim;             /* <= head_dim; the rest passes through */
    float mscale;
    int interleaved;
} om_rope_args;

/* Expert weights of a mixture-of-experts block (gpt-oss / privacy filter layout), for the
 * "mixture of experts" ops below. Expert matrices are stored [in, out] and used as x . W:
 * gate_up is [n_experts * d_model, 2 * d_ff] (expert e: rows e*d_model ..), down is
 * [n_experts * d_ff, d_model]; prepare them with keep_dtype = 1 so bf16 checkpoints stay bf16.
 * Biases are backend memory ([n_experts, 2 * d_ff] and [n_experts, d_model]) or NULL. */
typedef struct om_moe_experts {
    int n_experts;
    int64_t d_model, d_ff;
    om_weight gate_up;
    const float *gate_up_bias;
    om_weight down;
    const float *down_bias;
    float alpha, limit; /* clamped SwiGLU: 1.702 and 7 for gpt-oss / privacy filter */
} om_moe_experts;

struct om_backend {
    const char *name; /* "cpu", "cuda:0", ... */
    void *ctx;

    /* --- lifetime and memory */
    void (*destroy)(om_backend *be);
    void *(*alloc)(om_backend *be, size_t bytes); /* NULL on failure */
    void (*free)(om_backend *be, void *p);
    openmed_status (*upload)(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err);
    openmed_status (*download)(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err);
    openmed_status (*synchronize)(om_backend *be, openmed_error *err);

    /* Make a host weight usable by this backend: w->data is host memory (often the mmap) in
     * w->dtype on entry. The backend may keep it in place (cpu, f32), convert once (f16), or
     * upload (cuda). `keep_dtype`: keep bf16/f16 storage and convert on the fly in linear
     * (for huge expert weights). A backend that keeps the weight only in a form of its own (cpu:
     * packed for oneDNN's matmul) sets w->data to NULL: it never reads the host memory again, and
     * the caller may release it. */
    openmed_status (*prepare_weight)(om_backend *be, om_weight *w, int keep_dtype, openmed_error *err);
    void (*release_weight)(om_backend *be, om_weight *w);
    /* A host float32 vector (bias, LayerNorm gamma) as backend memory; cpu returns it as is. */
    const float *(*prepare_vector)(om_backend *be, const float *host, int64_t n, openmed_error *err);
    void (*release_vector)(om_backend *be, const float *p);

    /* --- ops */
    /* y[M, N] = act(x[M, K] . W^T + bias) (+ y if accumulate), N = w->rows, K = w->cols.
     * x_stride/y_stride: floats between rows (0 = dense K / N). */
    openmed_status (*linear)(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                             const om_weight *w, const float *bias, int64_t M, om_act act,
                             int accumulate, openmed_error *err);
    /* y = LayerNorm(x + residual) * gamma + beta over rows of D; residual and beta may be NULL;
     * y may alias x or residual. */
    openmed_status (*layernorm)(om_backend *be, float *y, const float *x, const float *residual,
                                const float *gamma, const float *beta, int64_t M, int64_t D, float eps,
                                openmed_error *err);
    /* y = x / sqrt(mean(x^2) + eps) * gamma over rows of D; y may alias x. */
    openmed_status (*rmsnorm)(om_backend *be, float *y, const float *x, const float *gamma, int64_t M,
                              int64_t D, float eps, openmed_error *err);
    /* y[t] = table[ids[t]] (+ y[t] if accumulate); ids are host memory, checked against rows. */
    openmed_status (*embed)(om_backend *be, float *y, const om_weight *table, const int32_t *ids, int64_t M,
                            int accumulate, openmed_error *err);
    /* y = a + b elementwise (n floats); y may alias either. */
    openmed_status (*add)(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err);
    /* y = x * s elementwise. */
    openmed_status (*scale)(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err);
    /* y = act(x) elementwise. */
    openmed_status (*activate)(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err);
    /* Gated linear unit: x is [M, 2F] = [input | gate]; y[M, F] = act(input) * gate. */
    openmed_status (*glu)(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act, openmed_error *err);
    openmed_status (*attention)(om_backend *be, const om_attention_args *a, openmed_error *err);
    openmed_status (*rope)(om_backend *be, const om_rope_args *a, openmed_error *err);

    /* --- architecture-specific ops: add below, one group per architecture, with a comment. */

    /* --- DeBERTa-v2/v3: disentangled attention (c2p and p2c relative-position terms) */
    /* Writes the additive attention bias of om_attention_args for the sequences of cu_seqlens
     * (host, n_seqs + 1 entries, cu_seqlens[0] == 0; rows of c2p/p2c are token rows of the batch):
     *   bias[s][h, i, j] = scale * c2p[t_i, h*n_rel + r] + scale * p2c[t_j, h*n_rel + r],
     *   r = rel_index[i - j + max_len - 1],
     * with t_i = cu_seqlens[s] + i the row of query i and t_j = cu_seqlens[s] + j the row of key j;
     * blocks [n_heads, L_s, L_s] of consecutive sequences back to back, as om_attention_args.bias.
     * c2p, p2c: backend memory [T, n_heads * n_rel] (c2p = Q_h . pos_key_h^T, p2c = K_h . pos_query_h^T
     * per head h); either may be NULL to leave that term out. rel_index: host, [2 * max_len - 1],
     * each entry in [0, n_rel) (the clamped, bucketed relative position i - j); max_len >= every L_s.
     * DeBERTa also relies on prepared weights keeping `data` row-major [rows, cols] in `dtype` (true of
     * cpu and cuda): a copy of a prepared om_weight with data advanced by r0 rows and rows = n is a
     * valid weight for linear (rows r0 .. r0 + n - 1), used to compute only the table columns a batch's
     * distances reach. */
    openmed_status (*deberta_rel_bias)(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                       const int32_t *rel_index, int max_len, const int32_t *cu_seqlens, int n_seqs,
                                       int n_heads, float scale, openmed_error *err);

    /* --- mixture of experts (privacy filter): top-k routing and routed expert MLPs */
    /* For each of M rows of router logits [M, n_experts]: the k largest logits in descending order
     * (ties to the lower expert id) -> expert_ids [M, k], and the softmax over those k logits ->
     * weights [M, k]. All three buffers are backend memory. */
    openmed_status (*moe_route)(om_backend *be, int32_t *expert_ids, float *weights, const float *logits, int64_t M,
                                int n_experts, int k, openmed_error *err);
    /* y[M, d_model] += sum_j weights[t, j] * expert_{e}(x[t]) with e = expert_ids[t, j], where
     *   h = x[t] . gate_up[e] + gate_up_bias[e]                 [2 * d_ff]
     *   g = min(h[:d_ff], limit), u = clamp(h[d_ff:], -limit, limit)
     *   expert_e(x) = (g * sigmoid(alpha * g) * (u + 1)) . down[e] + down_bias[e]
     * x: [M, d_model]; expert_ids, weights: [M, k] as moe_route writes them (backend memory).
     * y must not alias x; pass it zeroed, or the residual stream to add in place. */
    openmed_status (*moe_experts)(om_backend *be, float *y, const float *x, int64_t M, const int32_t *expert_ids,
                                  const float *weights, int k, const om_moe_experts *experts, openmed_error *err);

    /* --- precision: the compute dtype of linear layers. NULL on backends that compute in float32
     * only. OM_F32, the default: IEEE float32 everywhere. Call before prepare_weight.
     * cuda: OM_F16 / OM_BF16: float32 weights prepared afterwards are stored in that dtype, and linear
     * rounds its input to the weight's 16-bit dtype for tensor-core GEMMs with float32 accumulation
     * (norms, softmax, attention and the residual stream stay float32).
     * cpu: OM_I8 (dynamic quantization: int8 weights per output channel, activations u8 per token)
     * and OM_BF16 (bf16 weights and inputs, float32 accumulation), for OM_WEIGHT_LAYER weights only;
     * fails with OPENMED_ERR_UNSUPPORTED where oneDNN has no such matmul for the CPU (bf16 needs
     * AVX-512), and OM_F16 is refused the same way. */
    openmed_status (*set_precision)(om_backend *be, om_dtype compute, openmed_error *err);
};

/* Create the backend for a resolved device name ("cpu", "cuda", "cuda:1", "mps").
 * num_threads: cpu threads (0 = OpenMP's default: OMP_NUM_THREADS, else the available cores). Fails with OPENMED_ERR_DEVICE naming the device
 * and why it is unavailable. */
openmed_status om_backend_create(const char *device, int num_threads, om_backend **out, openmed_error *err);
void om_backend_destroy(om_backend *be);

#endif
