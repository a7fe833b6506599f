/* cpu_linear.c: y = act(x . W^T + bias) on the CPU: oneDNN's sgemm plus a bias/activation epilogue
 * (weights packed for oneDNN's matmul go to cpu_matmul.c). */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

typedef struct epilogue_job {
    float *y;
    int64_t y_stride;
    const float *t; /* when not NULL: y += act(t + bias), t dense [M, N] */
    const float *bias;
    int64_t N;
    om_act act;
} epilogue_job;

static void epilogue_rows(void *p, int64_t begin, int64_t end) {
    const epilogue_job *j = p;
    for (int64_t i = begin; i < end; i++) {
        float *y = j->y + i * j->y_stride;
        if (j->t) {
            float *t = (float *)j->t + i * j->N;
            if (j->bias)
                for (int64_t c = 0; c < j->N; c++) t[c] += j->bias[c];
            om_cpu_act_inplace(t, j->N, j->act);
            for (int64_t c = 0; c < j->N; c++) y[c] += t[c];
        } else {
            if (j->bias)
                for (int64_t c = 0; c < j->N; c++) y[c] += j->bias[c];
            om_cpu_act_inplace(y, j->N, j->act);
        }
    }
}

openmed_status om_cpu_linear(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                             const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                             openmed_error *err) {
    int64_t N = w->rows, K = w->cols;
    if (M < 0 || N <= 0 || K <= 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu linear: bad shape M=%lld N=%lld K=%lld", (long long)M,
                       (long long)N, (long long)K);
    if (M == 0) return OPENMED_OK;
    if (!x_stride) x_stride = K;
    if (!y_stride) y_stride = N;
    if (w->hints & OM_WEIGHT_PRECISE) return om_cpu_linear_f64(be, y, y_stride, x, x_stride, w, bias, M, act, accumulate, err);
    const om_cpu_prepared *prep = w->backend_private;
    if (prep && prep->packed)
        return om_cpu_linear_packed(be, y, y_stride, x, x_stride, prep->packed, bias, M, act, accumulate, err);
    const float *W = w->data;
    float *converted = NULL;
    if (w->dtype != OM_F32) { /* keep_dtype storage: convert for this call */
        converted = malloc((size_t)N * (size_t)K * sizeof(float));
        if (!converted) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu linear: out of memory converting a weight");
        om_cpu_to_f32(converted, w->data, w->dtype, N * K);
        W = converted;
    }
    int separate = accumulate && act != OM_ACT_NONE;
    float *t = NULL;
    if (separate) {
        t = malloc((size_t)M * (size_t)N * sizeof(float));
        if (!t) {
            free(converted);
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu linear: out of memory");
        }
    }
    int threads = om_cpu_threads(be);
    const om_cpu_ctx *ctx = be->ctx;
    int saved_threads = om_cpu_gemm_threads_push(ctx->threads_given ? threads : 0);
    /* Bias without activation: start y as the bias rows (a cheap serial copy) and let the GEMM
     * accumulate onto it, which saves a parallel pass (and its barrier) over y. */
    int prefilled = 0;
    if (!accumulate && bias && act == OM_ACT_NONE) {
        for (int64_t i = 0; i < M; i++) memcpy(y + i * y_stride, bias, (size_t)N * sizeof(float));
        accumulate = 1;
        prefilled = 1;
    }
    dnnl_status_t st = separate ? om_cpu_sgemm('N', 'T', M, N, K, 1.0f, x, x_stride, W, K, 0.0f, t, N)
                                : om_cpu_sgemm('N', 'T', M, N, K, 1.0f, x, x_stride, W, K, accumulate ? 1.0f : 0.0f, y,
                                             y_stride);
    om_cpu_gemm_threads_restore(saved_threads);
    free(converted);
    if (st != dnnl_success) {
        free(t);
        return om_fail(err, OPENMED_ERR_INTERNAL, "cpu linear: oneDNN sgemm failed (status %d) for M=%lld N=%lld K=%lld",
                       (int)st, (long long)M, (long long)N, (long long)K);
    }
    if (!prefilled && (bias || act != OM_ACT_NONE)) {
        epilogue_job job = {y, y_stride, t, bias, N, act};
        om_cpu_parallel_for(threads, M, (16384 + N - 1) / N, epilogue_rows, &job);
    }
    free(t);
    return OPENMED_OK;
}
