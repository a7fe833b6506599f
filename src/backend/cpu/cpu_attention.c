/* cpu_attention.c: softmax attention over packed sequences on the CPU, one (sequence, head) at a time.
 *
 * For each (sequence s of length L, query head h): S[L, L] = scale * Q_h K_h^T (one sgemm), plus the
 * additive bias, keys outside the window masked, softmax per row (with the optional sink logit),
 * then O_h = P V_h (one sgemm) written straight into the strided output. The sgemms run inside our
 * parallel region, where oneDNN stays on the calling thread. When both window sides are bounded
 * and the band is narrow, rows are computed directly over their band instead (memory O(L * band),
 * so a long document under sliding-window attention never needs an L x L matrix). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

/* --- softmax rows, sixteen lanes at a time (GCC vector extensions: one AVX-512 register in the
 * AVX-512 version, two AVX halves in the AVX2 one, four SSE quarters in the baseline one; no
 * contraction into FMA, so every version rounds the same way). Vectors go to the helpers by pointer:
 * the baseline version has no AVX to pass them in registers. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

/* lanes of a where mask is set, else b */
#define SELECT16(mask, a, b) ((v16f)(((v16i)(a) & (mask)) | ((v16i)(b) & ~(mask))))

/* *x = exp(*x) lane by lane for x <= 88 (Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2, a degree-5
 * polynomial for e^r, 2^n from the exponent bits); relative error about 2e-7. Below -87 the result is
 * exp(-87) ~ 2e-38 instead of a denormal or 0; a NaN stays NaN. */
static inline __attribute__((always_inline)) void exp16(v16f *xp) {
    v16f x = *xp;
    const v16f lo = x - x - 87.0f, magic = x - x + 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = SELECT16(x < lo, lo, x);
    v16f t = x * 1.44269504088896341f + magic;
    v16f n = t - magic;
    v16i ni = (v16i)t - (v16i)magic;
    v16f r = x - n * 0.693359375f - n * -2.12194440e-4f;
    v16f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    *xp = p * (v16f)((ni + 127) << 23);
}

/* the largest of x[0..n) (order does not matter to a maximum) */
static inline __attribute__((always_inline)) float row_max(const float *x, int64_t n) {
    float m = -INFINITY;
    int64_t j = 0;
    if (n >= 16) {
        v16f vm, v;
        memcpy(&vm, x, sizeof vm);
        for (j = 16; j + 16 <= n; j += 16) {
            memcpy(&v, x + j, sizeof v);
            vm = SELECT16(v > vm, v, vm);
        }
        for (int k = 0; k < 16; k++) m = vm[k] > m ? vm[k] : m;
    }
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

/* x[j] = exp(x[j] - m) over n values; returns their sum (16 partial sums, then in lane order). */
static inline __attribute__((always_inline)) float row_exp_sum(float *x, int64_t n, float m) {
    v16f vs = {0}, e;
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        memcpy(&e, x + j, sizeof e);
        e -= m;
        exp16(&e);
        memcpy(x + j, &e, sizeof e);
        vs += e;
    }
    float sum = 0.0f;
    if (j < n) { /* the tail through one padded block, its padding left out of the sum */
        for (int k = 0; k < 16; k++) e[k] = j + k < n ? x[j + k] - m : -100.0f;
        exp16(&e);
        for (int k = 0; j + k < n; k++) {
            x[j + k] = e[k];
            sum += e[k];
        }
    }
    for (int k = 0; k < 16; k++) sum += vs[k];
    return sum;
}

/* The scores S[L, L] of one (sequence, head) (with bias[L, L] added when not NULL) become
 * exp(score - row max) over each row's visible keys, 0 elsewhere; inv[i] = 1 / the row's sum (the
 * sink's exp included), by which the caller scales output row i (one multiply per output value
 * instead of one per score). */
static inline OM_CPU_BODY(OM_CPU_OPT("fp-contract=off")) void softmax_rows_body(float *S, int64_t L, const float *bias,
                                                                              int window_left, int window_right,
                                                                              const float *sink, float *inv) {
    for (int64_t i = 0; i < L; i++) {
        float *row = S + i * L;
        int64_t lo = window_left < 0 ? 0 : i - window_left;
        int64_t hi = window_right < 0 ? L - 1 : i + window_right;
        if (lo < 0) lo = 0;
        if (hi > L - 1) hi = L - 1;
        if (bias)
            for (int64_t j = lo; j <= hi; j++) row[j] += bias[i * L + j];
        float m = row_max(row + lo, hi - lo + 1);
        if (sink && *sink > m) m = *sink;
        memset(row, 0, (size_t)lo * sizeof(float));
        memset(row + hi + 1, 0, (size_t)(L - 1 - hi) * sizeof(float));
        float sum = row_exp_sum(row + lo, hi - lo + 1, m);
        if (sink) sum += expf(*sink - m);
        inv[i] = 1.0f / sum;
    }
}
OM_CPU_VERSIONS_VOID(OM_CPU_OPT("fp-contract=off"), softmax_rows,
                     (float *S, int64_t L, const float *bias, int window_left, int window_right, const float *sink,
                      float *inv),
                     (S, L, bias, window_left, window_right, sink, inv))

/* o[i * stride + e] *= inv[i] for rows i < L, e < dh */
static inline OM_CPU_BODY(OM_CPU_OPT("fp-contract=off")) void scale_rows_body(float *o, int64_t stride, int64_t L, int dh,
                                                                            const float *inv) {
    for (int64_t i = 0; i < L; i++) {
        float *r = o + i * stride, s = inv[i];
        int e = 0;
        for (; e + 16 <= dh; e += 16) {
            v16f v;
            memcpy(&v, r + e, sizeof v);
            v *= s;
            memcpy(r + e, &v, sizeof v);
        }
        for (; e < dh; e++) r[e] *= s;
    }
}
OM_CPU_VERSIONS_VOID(OM_CPU_OPT("fp-contract=off"), scale_rows,
                     (float *o, int64_t stride, int64_t L, int dh, const float *inv), (o, stride, L, dh, inv))

typedef struct attn_job {
    const om_attention_args *a;
    int64_t max_len;
    int failed; /* set (racy but monotonic) when a worker could not allocate or sgemm failed */
} attn_job;

/* S: scratch of L * L + L floats */
static int attend_one(const om_attention_args *a, int s, int h, float *S) {
    int64_t start = a->cu_seqlens[s], L = a->cu_seqlens[s + 1] - start;
    if (L <= 0) return 1;
    int group = a->n_heads / a->n_kv_heads, kvh = h / group;
    const float *q = a->q + start * a->q_stride + (int64_t)h * a->head_dim;
    const float *k = a->k + start * a->k_stride + (int64_t)kvh * a->head_dim;
    const float *v = a->v + start * a->v_stride + (int64_t)kvh * a->head_dim;
    float *o = a->out + start * a->out_stride + (int64_t)h * a->head_dim, *inv = S + L * L;
    if (om_cpu_sgemm('N', 'T', L, L, a->head_dim, a->scale, q, a->q_stride, k, a->k_stride, 0.0f, S, L) != dnnl_success)
        return 0;
    const float *bias = NULL;
    if (a->bias) {
        int64_t offset = 0;
        for (int r = 0; r < s; r++) {
            int64_t lr = a->cu_seqlens[r + 1] - a->cu_seqlens[r];
            offset += lr * lr;
        }
        bias = a->bias + (int64_t)a->n_heads * offset + (int64_t)h * L * L;
    }
    softmax_rows(S, L, bias, a->window_left, a->window_right, a->sinks ? a->sinks + h : NULL, inv);
    if (om_cpu_sgemm('N', 'N', L, a->head_dim, L, 1.0f, S, L, v, a->v_stride, 0.0f, o, a->out_stride) != dnnl_success)
        return 0;
    scale_rows(o, a->out_stride, L, a->head_dim, inv);
    return 1;
}

/* Dot product with 8 partial sums (kept in float like the sgemm path). */
static inline float dot(const float *a, const float *b, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    float sum = 0.0f;
    for (; i < n; i++) sum += a[i] * b[i];
    for (int k = 0; k < 8; k++) sum += acc[k];
    return sum;
}

/* Banded attention for one (sequence, head): each query row over its visible keys only.
 * P is scratch of band + 1 floats. */
static void attend_banded(const om_attention_args *a, int s, int h, float *P) {
    int64_t start = a->cu_seqlens[s], L = a->cu_seqlens[s + 1] - start;
    int group = a->n_heads / a->n_kv_heads, kvh = h / group, dh = a->head_dim;
    int64_t bias_offset = 0;
    if (a->bias) {
        for (int r = 0; r < s; r++) {
            int64_t lr = a->cu_seqlens[r + 1] - a->cu_seqlens[r];
            bias_offset += lr * lr;
        }
        bias_offset = (int64_t)a->n_heads * bias_offset + (int64_t)h * L * L;
    }
    for (int64_t i = 0; i < L; i++) {
        const float *q = a->q + (start + i) * a->q_stride + (int64_t)h * dh;
        float *o = a->out + (start + i) * a->out_stride + (int64_t)h * dh;
        int64_t lo = i - a->window_left, hi = i + a->window_right;
        if (lo < 0) lo = 0;
        if (hi > L - 1) hi = L - 1;
        float m = -INFINITY;
        for (int64_t j = lo; j <= hi; j++) {
            float sc = a->scale * dot(q, a->k + (start + j) * a->k_stride + (int64_t)kvh * dh, dh);
            if (a->bias) sc += a->bias[bias_offset + i * L + j];
            P[j - lo] = sc;
            if (sc > m) m = sc;
        }
        float sink = a->sinks ? a->sinks[h] : 0.0f;
        if (a->sinks && sink > m) m = sink;
        float sum = 0.0f;
        for (int64_t j = lo; j <= hi; j++) sum += P[j - lo] = expf(P[j - lo] - m);
        if (a->sinks) sum += expf(sink - m);
        float inv = 1.0f / sum;
        for (int e = 0; e < dh; e++) o[e] = 0.0f;
        for (int64_t j = lo; j <= hi; j++) {
            const float *v = a->v + (start + j) * a->v_stride + (int64_t)kvh * dh;
            float pj = P[j - lo] * inv;
            for (int e = 0; e < dh; e++) o[e] += pj * v[e];
        }
    }
}

/* Precise attention for one (sequence, head): row by row over the visible keys, scores, softmax and
 * output accumulated in double (the f64 kernels), so results do not depend on oneDNN's kernels.
 * P is scratch of `band` doubles plus head_dim doubles. */
static void attend_precise(const om_attention_args *a, int s, int h, double *P, om_cpu_dot_f64_fn dot,
                           om_cpu_axpy_f64_fn axpy) {
    int64_t start = a->cu_seqlens[s], L = a->cu_seqlens[s + 1] - start;
    int group = a->n_heads / a->n_kv_heads, kvh = h / group, dh = a->head_dim;
    int64_t bias_offset = 0;
    if (a->bias) {
        for (int r = 0; r < s; r++) {
            int64_t lr = a->cu_seqlens[r + 1] - a->cu_seqlens[r];
            bias_offset += lr * lr;
        }
        bias_offset = (int64_t)a->n_heads * bias_offset + (int64_t)h * L * L;
    }
    double *acc = P + (a->window_left >= 0 && a->window_right >= 0 && a->window_left + a->window_right + 1 < L
                           ? a->window_left + a->window_right + 1
                           : L);
    for (int64_t i = 0; i < L; i++) {
        const float *q = a->q + (start + i) * a->q_stride + (int64_t)h * dh;
        float *o = a->out + (start + i) * a->out_stride + (int64_t)h * dh;
        int64_t lo = a->window_left < 0 ? 0 : i - a->window_left, hi = a->window_right < 0 ? L - 1 : i + a->window_right;
        if (lo < 0) lo = 0;
        if (hi > L - 1) hi = L - 1;
        double m = -INFINITY;
        for (int64_t j = lo; j <= hi; j++) {
            double sc = (double)a->scale * dot(q, a->k + (start + j) * a->k_stride + (int64_t)kvh * dh, dh);
            if (a->bias) sc += a->bias[bias_offset + i * L + j];
            P[j - lo] = sc;
            if (sc > m) m = sc;
        }
        double sink = a->sinks ? a->sinks[h] : 0.0;
        if (a->sinks && sink > m) m = sink;
        double sum = a->sinks ? exp(sink - m) : 0.0;
        for (int64_t j = lo; j <= hi; j++) sum += P[j - lo] = exp(P[j - lo] - m);
        for (int e = 0; e < dh; e++) acc[e] = 0.0;
        for (int64_t j = lo; j <= hi; j++) axpy(acc, P[j - lo], a->v + (start + j) * a->v_stride + (int64_t)kvh * dh, dh);
        for (int e = 0; e < dh; e++) o[e] = (float)(acc[e] / sum);
    }
}

static int use_band(const om_attention_args *a, int64_t max_len) {
    return a->window_left >= 0 && a->window_right >= 0 &&
           (int64_t)a->window_left + a->window_right + 1 < max_len / 2;
}

static void attn_items(void *p, int64_t begin, int64_t end) {
    attn_job *job = p;
    const om_attention_args *a = job->a;
    if (a->precise) {
        om_cpu_dot_f64_fn dot;
        om_cpu_axpy_f64_fn axpy;
        om_cpu_f64_kernels(&dot, &axpy);
        int64_t band = job->max_len;
        if (a->window_left >= 0 && a->window_right >= 0 && (int64_t)a->window_left + a->window_right + 1 < band)
            band = (int64_t)a->window_left + a->window_right + 1;
        double *P = malloc((size_t)(band + a->head_dim) * sizeof(double));
        if (!P) {
            job->failed = 1;
            return;
        }
        for (int64_t item = begin; item < end; item++)
            attend_precise(a, (int)(item / a->n_heads), (int)(item % a->n_heads), P, dot, axpy);
        free(P);
        return;
    }
    int banded = use_band(a, job->max_len);
    size_t scratch = banded ? (size_t)a->window_left + (size_t)a->window_right + 2
                            : (size_t)job->max_len * (size_t)job->max_len + (size_t)job->max_len;
    float *S = malloc(scratch * sizeof(float));
    if (!S) {
        job->failed = 1;
        return;
    }
    for (int64_t item = begin; item < end; item++) {
        int s = (int)(item / a->n_heads), h = (int)(item % a->n_heads);
        if (banded) attend_banded(a, s, h, S);
        else if (!attend_one(a, s, h, S)) job->failed = 1;
    }
    free(S);
}

openmed_status om_cpu_attention(om_backend *be, const om_attention_args *a, openmed_error *err) {
    if (a->n_heads <= 0 || a->n_kv_heads <= 0 || a->head_dim <= 0 || a->n_heads % a->n_kv_heads || a->n_seqs < 0 ||
        a->cu_seqlens[0] != 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "cpu attention: bad arguments (heads %d, kv heads %d, head_dim %d, %d sequences)", a->n_heads,
                       a->n_kv_heads, a->head_dim, a->n_seqs);
    int64_t max_len = 0;
    for (int s = 0; s < a->n_seqs; s++) {
        int64_t L = a->cu_seqlens[s + 1] - a->cu_seqlens[s];
        if (L < 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu attention: cu_seqlens decreases at %d", s);
        if (L > max_len) max_len = L;
    }
    if (max_len == 0) return OPENMED_OK;
    attn_job job = {a, max_len, 0};
    om_cpu_parallel_for(om_cpu_threads(be), (int64_t)a->n_seqs * a->n_heads, 1, attn_items, &job);
    if (job.failed)
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu attention: out of memory for %lld x %lld scores",
                       (long long)max_len, (long long)max_len);
    return OPENMED_OK;
}
