/* gemm.cu: linear layers on cuBLAS: y = act(x . W^T + bias) (+ y), float32 weights in IEEE float32,
 * f16/bf16 weights on tensor cores with float32 accumulation. A linear with a bias and no
 * activation gets the bias in cuBLASLt's GEMM epilogue; others run the GEMM, then one fused
 * bias + activation (+ accumulate) kernel. */
#include <limits.h>
#include <string.h>

#define LT_WORKSPACE (32u << 20)

#include "backend/cuda/cuda_internal.h"

static cudaDataType_t cuda_type(om_dtype dt) {
    return dt == OM_F16 ? CUDA_R_16F : dt == OM_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

static int overlaps(const float *a, int64_t a_len, const float *b, int64_t b_len) {
    return a < b + b_len && b < a + a_len;
}

static unsigned alignment_of(const void *p) {
    unsigned a = 256;
    while (a > 4 && (uintptr_t)p % a) a >>= 1;
    return a;
}

/* The cuBLASLt algorithm for this shape, from the plan cache or a heuristic query; NULL when
 * cuBLASLt has none. */
static const cublasLtMatmulAlgo_t *lt_algo(om_cu_ctx *c, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t la,
                                           cublasLtMatrixLayout_t lb, cublasLtMatrixLayout_t lc, const om_cu_lt_plan *key) {
    for (int i = 0; i < OM_CU_LT_PLANS; i++) {
        const om_cu_lt_plan *p = &c->lt_plans[i];
        if (p->M == key->M && p->N == key->N && p->K == key->K && p->xld == key->xld && p->ld == key->ld &&
            p->ab_type == key->ab_type && p->accumulate == key->accumulate && p->align == key->align)
            return p->usable ? &p->algo : NULL;
    }
    om_cu_lt_plan *slot = &c->lt_plans[c->lt_next];
    c->lt_next = (c->lt_next + 1) % OM_CU_LT_PLANS;
    *slot = *key;
    slot->usable = 0;
    cublasLtMatmulPreference_t pref = NULL;
    if (cublasLtMatmulPreferenceCreate(&pref) == CUBLAS_STATUS_SUCCESS) {
        size_t ws = LT_WORKSPACE;
        uint32_t al = key->align;
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al, sizeof al);
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al, sizeof al);
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al, sizeof al);
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al, sizeof al);
        cublasLtMatmulHeuristicResult_t h;
        int found = 0;
        if (cublasLtMatmulAlgoGetHeuristic(c->lt, op, la, lb, lc, lc, pref, 1, &h, &found) == CUBLAS_STATUS_SUCCESS &&
            found > 0 && h.state == CUBLAS_STATUS_SUCCESS) {
            slot->algo = h.algo;
            slot->usable = 1;
        }
        cublasLtMatmulPreferenceDestroy(pref);
    }
    return slot->usable ? &slot->algo : NULL;
}

/* out[M, N] (leading dimension ld) = x . W^T + bias (+ out when accumulate), the bias added by
 * cuBLASLt's epilogue (column-major: out^T = op_T(W) . x^T, the bias along out^T's rows). Returns
 * 0 when cuBLASLt cannot run it, having done nothing; the caller then takes the other path. */
static int lt_linear_bias(om_cu_ctx *c, cudaDataType_t ab, const void *wa, const void *xb, int64_t xld, float *out,
                          int64_t ld, const float *bias, int64_t M, int64_t N, int64_t K, int accumulate) {
    if (!c->lt || om_cu_buffer_reserve(c, &c->lt_ws, LT_WORKSPACE, "cuBLASLt workspace", NULL) != OPENMED_OK) return 0;
    om_cu_lt_plan key;
    memset(&key, 0, sizeof key);
    key.M = M, key.N = N, key.K = K, key.xld = xld, key.ld = ld, key.ab_type = (int)ab, key.accumulate = accumulate;
    key.align = alignment_of(wa);
    const unsigned ax = alignment_of(xb), ao = alignment_of(out);
    if (ax < key.align) key.align = ax;
    if (ao < key.align) key.align = ao;
    const size_t ab_bytes = ab == CUDA_R_32F ? 4 : 2;
    if ((K * ab_bytes) % key.align || (xld * ab_bytes) % key.align || (ld * 4) % key.align) key.align = ab_bytes == 4 ? 4 : 2;

    cublasLtMatmulDesc_t op = NULL;
    cublasLtMatrixLayout_t la = NULL, lb = NULL, lc = NULL;
    int ran = 0;
    if (cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F) == CUBLAS_STATUS_SUCCESS &&
        cublasLtMatrixLayoutCreate(&la, ab, (uint64_t)K, (uint64_t)N, K) == CUBLAS_STATUS_SUCCESS &&
        cublasLtMatrixLayoutCreate(&lb, ab, (uint64_t)K, (uint64_t)M, xld) == CUBLAS_STATUS_SUCCESS &&
        cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, (uint64_t)N, (uint64_t)M, ld) == CUBLAS_STATUS_SUCCESS) {
        const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
        const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
        cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
        cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
        cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi);
        cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
        const cublasLtMatmulAlgo_t *algo = lt_algo(c, op, la, lb, lc, &key);
        const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
        ran = algo && cublasLtMatmul(c->lt, op, &alpha, wa, la, xb, lb, &beta, out, lc, out, lc, algo, c->lt_ws.ptr,
                                     LT_WORKSPACE, c->stream) == CUBLAS_STATUS_SUCCESS;
    }
    if (lc) cublasLtMatrixLayoutDestroy(lc);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (op) cublasLtMatmulDescDestroy(op);
    return ran;
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
    if (!via_scratch && bias && act == OM_ACT_NONE &&
        lt_linear_bias(c, cuda_type(ab_type), wa, xb, xld, y, ys, bias, M, N, K, accumulate))
        return om_cu_check_launch(c, err, "linear");
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
