/* gemm.cu: linear layers on cuBLAS: y = act(x . W^T + bias) (+ y), float32 weights in IEEE float32,
 * f16/bf16 weights on tensor cores with float32 accumulation, then one fused epilogue kernel. */
#include <limits.h>

#include "backend/cuda/cuda_internal.h"

static cudaDataType_t cuda_type(om_dtype dt) {
    return dt == OM_F16 ? CUDA_R_16F : dt == OM_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

static int overlaps(const float *a, int64_t a_len, const float *b, int64_t b_len) {
    return a < b + b_len && b < a + a_len;
}

openmed_status om_cu_linear(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                            const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                            openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!w || !w->data) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: linear: weight not prepared", c->name);
    const int64_t N = w->rows, K = w->cols;
    const int64_t ys = y_stride ? y_stride : N, xs = x_stride ? x_stride : K;
    if (M < 0 || ys < N || xs < K)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s: linear: bad shape (M=%lld, N=%lld, K=%lld, x_stride=%lld, y_stride=%lld)", c->name,
                       (long long)M, (long long)N, (long long)K, (long long)x_stride, (long long)y_stride);
    if (M == 0) return OPENMED_OK;
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX || xs > INT_MAX || ys > INT_MAX)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: linear: dimensions beyond 2^31 (M=%lld)", c->name,
                       (long long)M);

    /* Operands: float32 compute uses float32 W (a 16-bit weight kept by keep_dtype is widened
     * into scratch) and x as is; 16-bit compute rounds x to the weight's dtype for tensor cores. */
    const void *wa = w->data;
    om_dtype ab_type = OM_F32;
    const void *xb = x;
    int64_t xld = xs;
    if (w->dtype != OM_F32 && c->compute == OM_F32) {
        openmed_status st = om_cu_buffer_reserve(c, &c->gemm_w, (size_t)(N * K) * sizeof(float), "linear weight", err);
        if (st != OPENMED_OK) return st;
        om_cu_convert(c, c->gemm_w.ptr, OM_F32, w->data, w->dtype, N * K);
        wa = c->gemm_w.ptr;
    } else if (w->dtype != OM_F32) {
        ab_type = w->dtype;
        openmed_status st = om_cu_buffer_reserve(c, &c->gemm_x, (size_t)(M * K) * 2, "linear input", err);
        if (st != OPENMED_OK) return st;
        om_cu_convert_rows(c, c->gemm_x.ptr, w->dtype, x, xs, M, K);
        xb = c->gemm_x.ptr;
        xld = K;
    }

    /* Where the GEMM writes: y directly, unless the epilogue needs y's old values after the
     * activation, or y overlaps the input. */
    int via_scratch = (accumulate && act != OM_ACT_NONE) ||
                      (xb == (const void *)x && overlaps(y, (M - 1) * ys + N, x, (M - 1) * xs + K));
    float *out = y;
    int64_t ld = ys;
    if (via_scratch) {
        openmed_status st = om_cu_buffer_reserve(c, &c->gemm_y, (size_t)(M * N) * sizeof(float), "linear output", err);
        if (st != OPENMED_OK) return st;
        out = (float *)c->gemm_y.ptr;
        ld = N;
    }
    const float alpha = 1.0f;
    const float beta = (!via_scratch && accumulate) ? 1.0f : 0.0f;
    /* Row-major y[M,N] = x[M,K] W[N,K]^T is column-major y^T[N,M] = W^T' x^T: op(A) = T on W. */
    cublasStatus_t bs = cublasGemmEx(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)N, (int)M, (int)K, &alpha, wa,
                                     cuda_type(ab_type), (int)K, xb, cuda_type(ab_type), (int)xld, &beta, out,
                                     CUDA_R_32F, (int)ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: linear [%lld x %lld] . [%lld x %lld]^T: cuBLAS failed: %s", c->name,
                       (long long)M, (long long)K, (long long)N, (long long)K, cublasGetStatusString(bs));
    if (via_scratch)
        om_cu_bias_act(c, y, ys, out, ld, bias, M, N, act, accumulate);
    else if (bias || act != OM_ACT_NONE)
        om_cu_bias_act(c, y, ys, y, ys, bias, M, N, act, 0);
    return om_cu_check_launch(c, err, "linear");
}
