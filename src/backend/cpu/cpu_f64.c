/* cpu_f64.c: float32 inputs, double-precision products and sums: the "precise" linear (weights
 * hinted OM_WEIGHT_PRECISE) and the dot/axpy kernels of precise attention.
 *
 * Each dot product runs over 8 double lanes (lane l takes k = l mod 8) with fused multiply-adds,
 * then sums the lanes in a fixed order, so AVX-512 and AVX2 give bit-identical results and the
 * float32 output is within about an ulp of the exact value whatever oneDNN or the CPU would pick.
 * Baseline x86-64 (no FMA) rounds each product once more; it agrees to double rounding. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"
#include "core/half.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define OM_F64_X86 1
#endif

#define LANES 8
#define WROWS 4 /* weight rows per block */

static inline double reduce8(const double l[LANES]) {
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

/* ---------------------------------------------------------------- kernels */

/* out[r * WROWS + c] = xd[r] . wd[c] for r < R; rows are K8 doubles (a multiple of 8, zero padded). */
typedef void (*block_fn)(const double *xd, int64_t R, const double *wd, int64_t K8, double *out);
typedef double (*dot_fn)(const float *a, const float *b, int n);
typedef void (*axpy_fn)(double *y, double a, const float *x, int n);

static void block_base(const double *xd, int64_t R, const double *wd, int64_t K8, double *out) {
    for (int64_t r = 0; r < R; r++)
        for (int c = 0; c < WROWS; c++) {
            double l[LANES] = {0};
            const double *x = xd + r * K8, *w = wd + c * K8;
            for (int64_t k = 0; k < K8; k += LANES)
                for (int j = 0; j < LANES; j++) l[j] += x[k + j] * w[k + j];
            out[r * WROWS + c] = reduce8(l);
        }
}

static double dot_base(const float *a, const float *b, int n) {
    double l[LANES] = {0};
    int k = 0;
    for (; k + LANES <= n; k += LANES)
        for (int j = 0; j < LANES; j++) l[j] += (double)a[k + j] * b[k + j];
    for (int j = 0; k < n; k++, j++) l[j] += (double)a[k] * b[k];
    return reduce8(l);
}

static void axpy_base(double *y, double a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

#ifdef OM_F64_X86
__attribute__((target("avx2,fma"))) static void block_avx2(const double *xd, int64_t R, const double *wd, int64_t K8,
                                                            double *out) {
    for (int64_t r = 0; r < R; r++) {
        const double *x = xd + r * K8;
        __m256d lo[WROWS], hi[WROWS];
        for (int c = 0; c < WROWS; c++) lo[c] = hi[c] = _mm256_setzero_pd();
        for (int64_t k = 0; k < K8; k += LANES) {
            __m256d xl = _mm256_loadu_pd(x + k), xh = _mm256_loadu_pd(x + k + 4);
            for (int c = 0; c < WROWS; c++) {
                lo[c] = _mm256_fmadd_pd(xl, _mm256_loadu_pd(wd + c * K8 + k), lo[c]);
                hi[c] = _mm256_fmadd_pd(xh, _mm256_loadu_pd(wd + c * K8 + k + 4), hi[c]);
            }
        }
        for (int c = 0; c < WROWS; c++) {
            double l[LANES];
            _mm256_storeu_pd(l, lo[c]);
            _mm256_storeu_pd(l + 4, hi[c]);
            out[r * WROWS + c] = reduce8(l);
        }
    }
}

__attribute__((target("avx2,fma"))) static double dot_avx2(const float *a, const float *b, int n) {
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    int k = 0;
    for (; k + LANES <= n; k += LANES) {
        __m256 va = _mm256_loadu_ps(a + k), vb = _mm256_loadu_ps(b + k);
        lo = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(va)), _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), lo);
        hi = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(va, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1)), hi);
    }
    double l[LANES];
    _mm256_storeu_pd(l, lo);
    _mm256_storeu_pd(l + 4, hi);
    for (int j = 0; k < n; k++, j++) l[j] = __builtin_fma((double)a[k], (double)b[k], l[j]);
    return reduce8(l);
}

__attribute__((target("avx2,fma"))) static void axpy_avx2(double *y, double a, const float *x, int n) {
    __m256d va = _mm256_set1_pd(a);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, _mm256_fmadd_pd(va, _mm256_cvtps_pd(_mm_loadu_ps(x + i)), _mm256_loadu_pd(y + i)));
    for (; i < n; i++) y[i] = __builtin_fma(a, (double)x[i], y[i]);
}

__attribute__((target("avx512f"))) static void block_avx512(const double *xd, int64_t R, const double *wd, int64_t K8,
                                                             double *out) {
    int64_t r = 0;
    for (; r + 2 <= R; r += 2) {
        const double *x0 = xd + r * K8, *x1 = x0 + K8;
        __m512d a0[WROWS], a1[WROWS];
        for (int c = 0; c < WROWS; c++) a0[c] = a1[c] = _mm512_setzero_pd();
        for (int64_t k = 0; k < K8; k += LANES) {
            __m512d v0 = _mm512_loadu_pd(x0 + k), v1 = _mm512_loadu_pd(x1 + k);
            for (int c = 0; c < WROWS; c++) {
                __m512d w = _mm512_loadu_pd(wd + c * K8 + k);
                a0[c] = _mm512_fmadd_pd(v0, w, a0[c]);
                a1[c] = _mm512_fmadd_pd(v1, w, a1[c]);
            }
        }
        for (int c = 0; c < WROWS; c++) {
            double l[LANES];
            _mm512_storeu_pd(l, a0[c]);
            out[r * WROWS + c] = reduce8(l);
            _mm512_storeu_pd(l, a1[c]);
            out[(r + 1) * WROWS + c] = reduce8(l);
        }
    }
    for (; r < R; r++) {
        const double *x = xd + r * K8;
        __m512d a[WROWS];
        for (int c = 0; c < WROWS; c++) a[c] = _mm512_setzero_pd();
        for (int64_t k = 0; k < K8; k += LANES) {
            __m512d v = _mm512_loadu_pd(x + k);
            for (int c = 0; c < WROWS; c++) a[c] = _mm512_fmadd_pd(v, _mm512_loadu_pd(wd + c * K8 + k), a[c]);
        }
        for (int c = 0; c < WROWS; c++) {
            double l[LANES];
            _mm512_storeu_pd(l, a[c]);
            out[r * WROWS + c] = reduce8(l);
        }
    }
}
#endif

static block_fn pick_block(void) {
#ifdef OM_F64_X86
    unsigned f = om_cpu_features();
    if (f & OM_CPU_AVX512) return block_avx512;
    if (f & OM_CPU_AVX2) return block_avx2;
#endif
    return block_base;
}

void om_cpu_f64_kernels(om_cpu_dot_f64_fn *dot, om_cpu_axpy_f64_fn *axpy) {
#ifdef OM_F64_X86
    if (om_cpu_features() & OM_CPU_AVX2) {
        *dot = dot_avx2;
        *axpy = axpy_avx2;
        return;
    }
#endif
    *dot = dot_base;
    *axpy = axpy_base;
}

/* ---------------------------------------------------------------- linear */

typedef struct f64_job {
    float *y;
    int64_t y_stride;
    const float *x;
    int64_t x_stride;
    const om_weight *w;
    const float *bias;
    int64_t M, N, K, K8, rows_per_chunk;
    int accumulate;
    om_act act;
    block_fn block;
    int failed;
} f64_job;

static void row_to_f64(double *dst, const void *src, om_dtype dt, int64_t K, int64_t K8) {
    if (dt == OM_F32) {
        const float *s = src;
        for (int64_t k = 0; k < K; k++) dst[k] = s[k];
    } else {
        const unsigned char *s = src;
        for (int64_t k = 0; k < K; k++) {
            uint16_t h;
            memcpy(&h, s + 2 * k, 2);
            dst[k] = dt == OM_F16 ? om_f16_to_f32(h) : om_bf16_to_f32(h);
        }
    }
    for (int64_t k = K; k < K8; k++) dst[k] = 0.0;
}

/* Weight-row blocks [begin, end) of WROWS rows, for every row of x. */
static void f64_blocks(void *p, int64_t begin, int64_t end) {
    f64_job *j = p;
    int64_t K8 = j->K8, R = j->rows_per_chunk;
    size_t esize = om_dtype_size(j->w->dtype);
    double *xd = malloc((size_t)(R * K8 + WROWS * K8 + R * WROWS) * sizeof(double));
    if (!xd) {
        j->failed = 1;
        return;
    }
    double *wd = xd + R * K8, *out = wd + WROWS * K8;
    for (int64_t m0 = 0; m0 < j->M; m0 += R) {
        int64_t rows = j->M - m0 < R ? j->M - m0 : R;
        for (int64_t r = 0; r < rows; r++) row_to_f64(xd + r * K8, j->x + (m0 + r) * j->x_stride, OM_F32, j->K, K8);
        for (int64_t b = begin; b < end; b++) {
            int64_t n0 = b * WROWS, cols = j->N - n0 < WROWS ? j->N - n0 : WROWS;
            for (int64_t c = 0; c < WROWS; c++) {
                if (c < cols)
                    row_to_f64(wd + c * K8, (const unsigned char *)j->w->data + (size_t)(n0 + c) * (size_t)j->K * esize,
                               j->w->dtype, j->K, K8);
                else
                    memset(wd + c * K8, 0, (size_t)K8 * sizeof(double));
            }
            j->block(xd, rows, wd, K8, out);
            for (int64_t r = 0; r < rows; r++) {
                float *y = j->y + (m0 + r) * j->y_stride + n0;
                for (int64_t c = 0; c < cols; c++) {
                    double v = out[r * WROWS + c];
                    if (j->bias) v += j->bias[n0 + c];
                    if (j->act == OM_ACT_NONE) {
                        y[c] = (float)(j->accumulate ? v + y[c] : v);
                    } else {
                        float t = (float)v;
                        om_cpu_act_inplace(&t, 1, j->act);
                        y[c] = j->accumulate ? y[c] + t : t;
                    }
                }
            }
        }
    }
    free(xd);
}

openmed_status om_cpu_linear_f64(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                                 const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                                 openmed_error *err) {
    int64_t N = w->rows, K = w->cols;
    int64_t K8 = (K + LANES - 1) / LANES * LANES;
    int64_t R = 32768 / K8; /* x rows per chunk: about 256 KB of doubles */
    if (R < 2) R = 2;
    if (R > 64) R = 64;
    f64_job job = {y, y_stride, x, x_stride, w, bias, M, N, K, K8, R, accumulate, act, pick_block(), 0};
    int64_t blocks = (N + WROWS - 1) / WROWS;
    om_cpu_parallel_for(om_cpu_threads(be), blocks, 1 + 65536 / (M * K8 * WROWS + 1), f64_blocks, &job);
    if (job.failed) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu linear (precise): out of memory for K=%lld", (long long)K);
    return OPENMED_OK;
}
