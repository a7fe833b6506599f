/* cpu_ops.c: the CPU backend's row-wise and elementwise ops (norms, embedding, activations, GLU, RoPE). */
#include <math.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"
#include "core/half.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* every version of a kernel rounds the same way */
#endif

#define ELEM_GRAIN 32768 /* elements per thread below which splitting costs more than it saves */

/* erf on [-4, 4] as a rational function of x^2 (odd numerator, even denominator), clamped
 * outside, where float erf is +-1 to within 2e-8. Absolute error below 5e-7 everywhere (tested
 * against double erf), and only multiply/add/divide, so the loop below vectorizes. */
static inline __attribute__((always_inline)) float erf_rational(float x) {
    x = x > 4.0f ? 4.0f : x;
    x = x < -4.0f ? -4.0f : x;
    float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return x * p / q;
}

static inline __attribute__((always_inline)) void gelu_block16(float *b) {
    for (int k = 0; k < 16; k++) b[k] = 0.5f * b[k] * (1.0f + erf_rational(b[k] * 0.70710678118654752f));
}

/* Exact-erf GELU in blocks of 16 (a fixed trip count the -O2 vectorizer accepts; no-trapping-math
 * lets it turn the clamps into min/max), compiled per instruction set (OM_CPU_VERSIONS). */
static inline OM_CPU_BODY(OM_CPU_OPT("no-trapping-math")) void gelu_erf_inplace_body(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) gelu_block16(x + i);
    for (; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erf_rational(x[i] * 0.70710678118654752f));
}
OM_CPU_VERSIONS_VOID(OM_CPU_OPT("no-trapping-math"), gelu_erf_inplace, (float *x, int64_t n), (x, n))

void om_cpu_act_inplace(float *x, int64_t n, om_act act) {
    switch (act) {
    case OM_ACT_NONE: return;
    case OM_ACT_GELU: gelu_erf_inplace(x, n); return;
    case OM_ACT_GELU_TANH:
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
        }
        return;
    case OM_ACT_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    case OM_ACT_SILU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
        return;
    case OM_ACT_QUICK_GELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
        return;
    }
}

typedef struct norm_job {
    float *y;
    const float *x, *residual, *gamma, *beta;
    int64_t D;
    float eps;
} norm_job;

/* LayerNorm rows through GCC vector extensions with fixed lane counts (AVX in the AVX2 and AVX-512
 * versions, SSE halves in the baseline one; no contraction into FMA), so every version rounds the same
 * way. Vectors stay inside the bodies (the baseline version cannot pass 32-byte vectors). */
typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));

/* The sums of a LayerNorm row in double: 16 partial sums in four independent 4-lane accumulators
 * (so the adds do not wait on one another), then a fixed order of reduction; the last D % 16
 * values one by one. y = x + res (or x) first: y may alias x or residual, each element read before
 * written. */
static inline __attribute__((always_inline)) v4f load4(const float *p) {
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* v = x + res (or x) at p..p+3, stored to y */
static inline __attribute__((always_inline)) v4f sum4(float *y, const float *x, const float *res, int64_t p) {
    v4f v = load4(x + p);
    if (res) v += load4(res + p);
    memcpy(y + p, &v, sizeof v);
    return v;
}

/* *q += (y[p..p+3] - mean)^2 in double (vectors by pointer: see OM_CPU_VERSIONS) */
static inline __attribute__((always_inline)) void add_dev4(v4d *q, const float *y, int64_t p, const v4d *mean) {
    v4d d = __builtin_convertvector(load4(y + p), v4d) - *mean;
    *q += d * d;
}

static inline OM_CPU_BODY(OM_CPU_OPT("fp-contract=off")) void layernorm_moments_body(float *y, const float *x, const float *res, int64_t D,
                                                      double *mean_out, double *var_out) {
    v4d s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    int64_t i = 0;
    for (; i + 16 <= D; i += 16) {
        s0 += __builtin_convertvector(sum4(y, x, res, i), v4d);
        s1 += __builtin_convertvector(sum4(y, x, res, i + 4), v4d);
        s2 += __builtin_convertvector(sum4(y, x, res, i + 8), v4d);
        s3 += __builtin_convertvector(sum4(y, x, res, i + 12), v4d);
    }
    int64_t body = i;
    double sum = 0.0;
    for (; i < D; i++) {
        float v = res ? x[i] + res[i] : x[i];
        y[i] = v;
        sum += v;
    }
    s0 = (s0 + s1) + (s2 + s3);
    sum += (s0[0] + s0[1]) + (s0[2] + s0[3]);
    double mean = sum / (double)D, var = 0.0;
    v4d vm = {mean, mean, mean, mean}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0};
    for (i = 0; i < body; i += 16) {
        add_dev4(&q0, y, i, &vm);
        add_dev4(&q1, y, i + 4, &vm);
        add_dev4(&q2, y, i + 8, &vm);
        add_dev4(&q3, y, i + 12, &vm);
    }
    for (; i < D; i++) {
        double d = y[i] - mean;
        var += d * d;
    }
    q0 = (q0 + q1) + (q2 + q3);
    *mean_out = mean;
    *var_out = var + ((q0[0] + q0[1]) + (q0[2] + q0[3]));
}
OM_CPU_VERSIONS_VOID(OM_CPU_OPT("fp-contract=off"), layernorm_moments,
                     (float *y, const float *x, const float *res, int64_t D, double *mean_out, double *var_out),
                     (y, x, res, D, mean_out, var_out))

/* y = (y - m) * inv * gamma (+ beta), eight lanes at a time (the same operations lane by lane). */
static inline OM_CPU_BODY(OM_CPU_OPT("fp-contract=off")) void layernorm_apply_body(float *y, int64_t D, float m, float inv, const float *gamma,
                                                    const float *beta) {
    int64_t i = 0;
    for (; i + 8 <= D; i += 8) {
        v8f v, g, b = {0};
        memcpy(&v, y + i, sizeof v);
        memcpy(&g, gamma + i, sizeof g);
        if (beta) memcpy(&b, beta + i, sizeof b);
        v = (v - m) * inv * g;
        if (beta) v += b;
        memcpy(y + i, &v, sizeof v);
    }
    for (; i < D; i++) y[i] = beta ? (y[i] - m) * inv * gamma[i] + beta[i] : (y[i] - m) * inv * gamma[i];
}
OM_CPU_VERSIONS_VOID(OM_CPU_OPT("fp-contract=off"), layernorm_apply,
                     (float *y, int64_t D, float m, float inv, const float *gamma, const float *beta),
                     (y, D, m, inv, gamma, beta))

static void layernorm_rows(void *p, int64_t begin, int64_t end) {
    const norm_job *j = p;
    for (int64_t r = begin; r < end; r++) {
        float *y = j->y + r * j->D;
        double mean, var;
        layernorm_moments(y, j->x + r * j->D, j->residual ? j->residual + r * j->D : NULL, j->D, &mean, &var);
        float inv = (float)(1.0 / sqrt(var / (double)j->D + (double)j->eps)), m = (float)mean;
        layernorm_apply(y, j->D, m, inv, j->gamma, j->beta);
    }
}

openmed_status om_cpu_layernorm(om_backend *be, float *y, const float *x, const float *residual, const float *gamma,
                                const float *beta, int64_t M, int64_t D, float eps, openmed_error *err) {
    if (M < 0 || D <= 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu layernorm: bad shape");
    norm_job job = {y, x, residual, gamma, beta, D, eps};
    om_cpu_parallel_for(om_cpu_threads(be), M, (ELEM_GRAIN + D - 1) / D, layernorm_rows, &job);
    return OPENMED_OK;
}

static void rmsnorm_rows(void *p, int64_t begin, int64_t end) {
    const norm_job *j = p;
    for (int64_t r = begin; r < end; r++) {
        float *y = j->y + r * j->D;
        const float *x = j->x + r * j->D;
        double ss = 0.0;
        for (int64_t i = 0; i < j->D; i++) ss += (double)x[i] * x[i];
        float inv = (float)(1.0 / sqrt(ss / (double)j->D + (double)j->eps));
        for (int64_t i = 0; i < j->D; i++) y[i] = x[i] * inv * j->gamma[i];
    }
}

openmed_status om_cpu_rmsnorm(om_backend *be, float *y, const float *x, const float *gamma, int64_t M, int64_t D,
                              float eps, openmed_error *err) {
    if (M < 0 || D <= 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu rmsnorm: bad shape");
    norm_job job = {y, x, NULL, gamma, NULL, D, eps};
    om_cpu_parallel_for(om_cpu_threads(be), M, (ELEM_GRAIN + D - 1) / D, rmsnorm_rows, &job);
    return OPENMED_OK;
}

openmed_status om_cpu_embed(om_backend *be, float *y, const om_weight *table, const int32_t *ids, int64_t M,
                            int accumulate, openmed_error *err) {
    int64_t D = table->cols;
    size_t esize = om_dtype_size(table->dtype);
    for (int64_t t = 0; t < M; t++) {
        if (ids[t] < 0 || ids[t] >= table->rows)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu embed: id %d at position %lld outside [0, %lld)",
                           (int)ids[t], (long long)t, (long long)table->rows);
        const unsigned char *row = (const unsigned char *)table->data + (size_t)ids[t] * (size_t)D * esize;
        float *out = y + t * D;
        if (table->dtype == OM_F32 && !accumulate) {
            memcpy(out, row, (size_t)D * sizeof(float));
        } else if (table->dtype == OM_F32) {
            const float *r = (const float *)(const void *)row;
            for (int64_t i = 0; i < D; i++) out[i] += r[i];
        } else {
            for (int64_t i = 0; i < D; i++) {
                uint16_t h;
                memcpy(&h, row + 2 * i, 2);
                float v = table->dtype == OM_F16 ? om_f16_to_f32(h) : om_bf16_to_f32(h);
                out[i] = accumulate ? out[i] + v : v;
            }
        }
    }
    return OPENMED_OK;
}

typedef struct elem_job {
    float *y;
    const float *a, *b;
    float s;
    om_act act;
    int64_t F;
} elem_job;

static void add_range(void *p, int64_t begin, int64_t end) {
    const elem_job *j = p;
    for (int64_t i = begin; i < end; i++) j->y[i] = j->a[i] + j->b[i];
}

openmed_status om_cpu_add(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err) {
    elem_job job = {y, a, b, 0, OM_ACT_NONE, 0};
    om_cpu_parallel_for(om_cpu_threads(be), n, ELEM_GRAIN, add_range, &job);
    return OPENMED_OK;
}

static void scale_range(void *p, int64_t begin, int64_t end) {
    const elem_job *j = p;
    for (int64_t i = begin; i < end; i++) j->y[i] = j->a[i] * j->s;
}

openmed_status om_cpu_scale(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err) {
    elem_job job = {y, x, NULL, s, OM_ACT_NONE, 0};
    om_cpu_parallel_for(om_cpu_threads(be), n, ELEM_GRAIN, scale_range, &job);
    return OPENMED_OK;
}

static void act_range(void *p, int64_t begin, int64_t end) {
    const elem_job *j = p;
    if (j->y != j->a) memmove(j->y + begin, j->a + begin, (size_t)(end - begin) * sizeof(float));
    om_cpu_act_inplace(j->y + begin, end - begin, j->act);
}

openmed_status om_cpu_activate(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err) {
    elem_job job = {y, x, NULL, 0, act, 0};
    om_cpu_parallel_for(om_cpu_threads(be), n, ELEM_GRAIN / 8, act_range, &job);
    return OPENMED_OK;
}

static void glu_rows(void *p, int64_t begin, int64_t end) {
    const elem_job *j = p;
    for (int64_t r = begin; r < end; r++) {
        const float *in = j->a + r * 2 * j->F, *gate = in + j->F;
        float *out = j->y + r * j->F;
        /* out may alias in (y == x): row r of out ends before row r of gate starts, and the input
         * half is read before being overwritten element by element. */
        for (int64_t i = 0; i < j->F; i++) {
            float v = in[i], g = gate[i];
            om_cpu_act_inplace(&v, 1, j->act);
            out[i] = v * g;
        }
    }
}

openmed_status om_cpu_glu(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act,
                          openmed_error *err) {
    if (M < 0 || F <= 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu glu: bad shape");
    elem_job job = {y, x, NULL, 0, act, F};
    om_cpu_parallel_for(om_cpu_threads(be), M, (ELEM_GRAIN / 8 + F - 1) / F, glu_rows, &job);
    return OPENMED_OK;
}

static void rope_rows(void *p, int64_t begin, int64_t end) {
    const om_rope_args *a = p;
    int half = a->rotary_dim / 2;
    for (int64_t t = begin; t < end; t++) {
        float *row = a->x + t * a->row_stride;
        float pos = (float)a->positions[t];
        for (int i = 0; i < half; i++) {
            float angle = pos * a->inv_freq[i];
            float c = cosf(angle) * a->mscale, s = sinf(angle) * a->mscale;
            for (int h = 0; h < a->n_heads; h++) {
                float *v = row + (int64_t)h * a->head_dim;
                int i0 = a->interleaved ? 2 * i : i, i1 = a->interleaved ? 2 * i + 1 : i + half;
                float x0 = v[i0], x1 = v[i1];
                v[i0] = x0 * c - x1 * s;
                v[i1] = x1 * c + x0 * s;
            }
        }
    }
}

openmed_status om_cpu_rope(om_backend *be, const om_rope_args *a, openmed_error *err) {
    if (a->rotary_dim < 0 || a->rotary_dim > a->head_dim || a->rotary_dim % 2)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu rope: rotary_dim %d invalid for head_dim %d",
                       a->rotary_dim, a->head_dim);
    om_cpu_parallel_for(om_cpu_threads(be), a->n_rows, 64, rope_rows, (void *)a);
    return OPENMED_OK;
}
