/* moe.cu: mixture-of-experts on the device: top-k routing, and the routed expert MLPs (clamped
 * SwiGLU, gpt-oss / privacy filter) as one gathered GEMM pair per active expert.
 *
 * The routed (token, slot) pairs are grouped by expert on the host (the expert ids come back once,
 * M * k integers), the rows are gathered into one expert-sorted block, each active expert runs two
 * float32 cuBLAS GEMMs on its slice (bf16/f16 expert matrices are widened to float32 one expert at
 * a time, the same numbers the cpu backend uses), and a final kernel adds the weighted slots to y
 * in slot order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

/* One thread per row: the k largest logits (ties to the lower id), softmax over them. */
__global__ void k_moe_route(int32_t *expert_ids, float *weights, const float *logits, int64_t M, int E, int k) {
    for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < M; t += (int64_t)gridDim.x * blockDim.x) {
        const float *row = logits + t * E;
        int32_t *ids = expert_ids + t * k;
        float *w = weights + t * k;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < E; e++) {
                bool taken = false;
                for (int i = 0; i < j; i++) taken |= (ids[i] == e);
                if (taken) continue;
                if (best < 0 || row[e] > row[best]) best = e;
            }
            ids[j] = best;
        }
        float mx = row[ids[0]], sum = 0.0f;
        for (int j = 0; j < k; j++) {
            w[j] = expf(row[ids[j]] - mx);
            sum += w[j];
        }
        for (int j = 0; j < k; j++) w[j] /= sum;
    }
}

openmed_status om_cu_moe_route(om_backend *be, int32_t *expert_ids, float *weights, const float *logits, int64_t M,
                               int n_experts, int k, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M < 0 || n_experts <= 0 || k <= 0 || k > n_experts)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s moe_route: bad shape (M %lld, %d experts, top %d)",
                       c->name, (long long)M, n_experts, k);
    if (M == 0) return OPENMED_OK;
    k_moe_route<<<om_cu_blocks(M, 128), 128, 0, c->stream>>>(expert_ids, weights, logits, M, n_experts, k);
    return om_cu_check_launch(c, err, "moe_route");
}

/* Xs[r] = x[order[r] / k] for the P routed pairs in expert order. */
__global__ void k_moe_gather(float *Xs, const float *x, const int32_t *order, int64_t P, int k, int64_t D) {
    const int64_t n = P * D;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t r = i / D, d = i - r * D;
        Xs[i] = x[(int64_t)(order[r] / k) * D + d];
    }
}

/* A[r, i] = min(g, limit) * sigmoid(alpha * min(g, limit)) * (clamp(u, -limit, limit) + 1),
 * g = H[r, i] + b1[e, i], u = H[r, F + i] + b1[e, F + i], e = the expert of row r. */
__global__ void k_moe_swiglu(float *A, const float *H, const float *b1, const int32_t *row_expert, int64_t P, int64_t F,
                             float alpha, float limit) {
    const int64_t n = P * F;
    for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < n;
         idx += (int64_t)gridDim.x * blockDim.x) {
        const int64_t r = idx / F, i = idx - r * F;
        const float *h = H + r * 2 * F;
        const float *b = b1 ? b1 + (int64_t)row_expert[r] * 2 * F : NULL;
        float g = h[i] + (b ? b[i] : 0.0f), u = h[F + i] + (b ? b[F + i] : 0.0f);
        if (g > limit) g = limit;
        if (u > limit) u = limit;
        if (u < -limit) u = -limit;
        A[idx] = g / (1.0f + expf(-alpha * g)) * (u + 1.0f);
    }
}

/* y[t] += sum_j w[t, j] * (O[pos[t*k + j]] + b2[e_tj]), slots in order j = 0 .. k-1. */
__global__ void k_moe_combine(float *y, const float *O, const float *b2, const int32_t *pos, const int32_t *ids,
                              const float *w, int64_t M, int k, int64_t D) {
    const int64_t n = M * D;
    for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < n;
         idx += (int64_t)gridDim.x * blockDim.x) {
        const int64_t t = idx / D, d = idx - t * D;
        float acc = y[idx];
        for (int j = 0; j < k; j++) {
            const int64_t p = t * k + j;
            float slot = O[(int64_t)pos[p] * D + d] + (b2 ? b2[(int64_t)ids[p] * D + d] : 0.0f);
            acc += w[p] * slot;
        }
        y[idx] = acc;
    }
}

/* Row-major C[n, N] = A[n, K] . B[K, N], all float32, on the stream. */
static cublasStatus_t gemm_nn(om_cu_ctx *c, float *C, const float *A, const float *B, int64_t n, int64_t N, int64_t K) {
    const float one = 1.0f, zero = 0.0f;
    return cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)N, (int)n, (int)K, &one, B, (int)N, A, (int)K, &zero,
                       C, (int)N);
}

/* Expert e's [rows, cols] matrix of w as float32 device memory: in place, or widened into tmp. */
static const float *expert_f32(om_cu_ctx *c, const om_weight *w, int e, int64_t rows, float *tmp) {
    const int64_t n = rows * w->cols;
    if (w->dtype == OM_F32) return (const float *)w->data + (int64_t)e * n;
    om_cu_convert(c, tmp, OM_F32, (const char *)w->data + (size_t)e * (size_t)n * om_cu_dtype_size(w->dtype), w->dtype,
                  n);
    return tmp;
}

openmed_status om_cu_moe_experts(om_backend *be, float *y, const float *x, int64_t M, const int32_t *expert_ids,
                                 const float *weights, int k, const om_moe_experts *ex, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    const int E = ex ? ex->n_experts : 0;
    const int64_t D = ex ? ex->d_model : 0, F = ex ? ex->d_ff : 0;
    if (!ex || M < 0 || E <= 0 || k <= 0 || D <= 0 || F <= 0 || ex->gate_up.rows != E * D ||
        ex->gate_up.cols != 2 * F || ex->down.rows != E * F || ex->down.cols != D)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s moe_experts: shapes disagree (%d experts, d_model %lld, d_ff %lld; gate_up [%lld, %lld], "
                       "down [%lld, %lld])",
                       c->name, E, (long long)D, (long long)F, ex ? (long long)ex->gate_up.rows : 0LL,
                       ex ? (long long)ex->gate_up.cols : 0LL, ex ? (long long)ex->down.rows : 0LL,
                       ex ? (long long)ex->down.cols : 0LL);
    if (M == 0) return OPENMED_OK;
    const int64_t P = M * k;
    if (P > 0x7fffffffLL || 2 * F > 0x7fffffffLL)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s moe_experts: %lld routed rows", c->name, (long long)P);

    /* Host: the routed pairs grouped by expert (counting sort), and where each pair landed. */
    int32_t *host = (int32_t *)malloc((size_t)P * 4 * sizeof(int32_t));
    int64_t *first = (int64_t *)calloc((size_t)E + 2, sizeof(int64_t));
    if (!host || !first) {
        free(host);
        free(first);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s moe_experts: out of host memory for %lld tokens", c->name,
                       (long long)M);
    }
    int32_t *ids = host, *order = host + P, *row_expert = host + 2 * P, *pos = host + 3 * P;
    cudaError_t e = cudaMemcpyAsync(ids, expert_ids, (size_t)P * sizeof(int32_t), cudaMemcpyDeviceToHost, c->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess) {
        free(host);
        free(first);
        return om_cu_fail(c, err, e, "moe_experts: reading expert ids");
    }
    for (int64_t p = 0; p < P; p++) {
        if (ids[p] < 0 || ids[p] >= E) {
            openmed_status st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                                        "%s moe_experts: expert id %d of token %lld outside [0, %d)", c->name,
                                        (int)ids[p], (long long)(p / k), E);
            free(host);
            free(first);
            return st;
        }
        first[ids[p] + 2]++;
    }
    for (int i = 0; i < E; i++) first[i + 2] += first[i + 1];
    for (int64_t p = 0; p < P; p++) {
        int64_t r = first[ids[p] + 1]++;
        order[r] = (int32_t)p;
        row_expert[r] = ids[p];
        pos[p] = (int32_t)r;
    }
    /* first[e] .. first[e + 1] is now expert e's slice. */
    openmed_status st = om_cu_upload_meta(c, &c->meta, order, (size_t)P * 3 * sizeof(int32_t), "moe routing", err);
    if (st != OPENMED_OK) {
        free(host);
        free(first);
        return st;
    }
    const int32_t *d_order = (const int32_t *)c->meta.ptr, *d_row_expert = d_order + P, *d_pos = d_order + 2 * P;

    /* Device scratch from the stream-ordered pool: Xs [P, D], H [P, 2F], A [P, F], O [P, D], W (one expert). */
    const int64_t wmax = D * 2 * F > F * D ? D * 2 * F : F * D;
    const int need_w = ex->gate_up.dtype != OM_F32 || ex->down.dtype != OM_F32;
    size_t floats = (size_t)(P * D + P * 2 * F + P * F + P * D + (need_w ? wmax : 0));
    float *scratch = NULL;
    e = cudaMallocAsync((void **)&scratch, floats * sizeof(float), c->stream);
    if (e != cudaSuccess) {
        free(host);
        free(first);
        cudaGetLastError();
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s moe_experts: out of device memory: asked for %zu bytes for %lld tokens",
                       c->name, floats * sizeof(float), (long long)M);
    }
    float *Xs = scratch, *H = Xs + P * D, *A = H + P * 2 * F, *O = A + P * F, *W = O + P * D;

    k_moe_gather<<<om_cu_blocks(P * D, 256), 256, 0, c->stream>>>(Xs, x, d_order, P, k, D);
    cublasStatus_t bs = CUBLAS_STATUS_SUCCESS;
    for (int ex_i = 0; ex_i < E && bs == CUBLAS_STATUS_SUCCESS; ex_i++) {
        const int64_t r0 = first[ex_i], n = first[ex_i + 1] - r0;
        if (n == 0) continue;
        const float *W1 = expert_f32(c, &ex->gate_up, ex_i, D, W);
        bs = gemm_nn(c, H + r0 * 2 * F, Xs + r0 * D, W1, n, 2 * F, D);
    }
    if (bs == CUBLAS_STATUS_SUCCESS)
        k_moe_swiglu<<<om_cu_blocks(P * F, 256), 256, 0, c->stream>>>(A, H, ex->gate_up_bias, d_row_expert, P, F,
                                                                      ex->alpha, ex->limit);
    for (int ex_i = 0; ex_i < E && bs == CUBLAS_STATUS_SUCCESS; ex_i++) {
        const int64_t r0 = first[ex_i], n = first[ex_i + 1] - r0;
        if (n == 0) continue;
        const float *W2 = expert_f32(c, &ex->down, ex_i, F, W);
        bs = gemm_nn(c, O + r0 * D, A + r0 * F, W2, n, D, F);
    }
    free(host);
    free(first);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        cudaFreeAsync(scratch, c->stream);
        return om_fail(err, OPENMED_ERR_DEVICE, "%s moe_experts: cuBLAS failed: %s", c->name, cublasGetStatusString(bs));
    }
    k_moe_combine<<<om_cu_blocks(M * D, 256), 256, 0, c->stream>>>(y, O, ex->down_bias, d_pos, expert_ids, weights, M,
                                                                   k, D);
    cudaFreeAsync(scratch, c->stream);
    return om_cu_check_launch(c, err, "moe_experts");
}
