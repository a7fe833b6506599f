/* norm.cu: residual + LayerNorm and RMSNorm, one block per row, two-pass float32 statistics. */
#include "backend/cuda/cuda_internal.h"

#define NORM_THREADS 256

/* Sum of v over the block (NORM_THREADS threads); every thread gets the result. */
__device__ float block_sum(float v, float *shared) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    __syncthreads(); /* shared may still be read from the previous call */
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    float s = 0.0f;
    for (int i = 0; i < NORM_THREADS / 32; i++) s += shared[i];
    return s;
}

/* y = LayerNorm(x + residual) * gamma + beta. Each element is read and written by the same thread,
 * after both reductions, so y may alias x or residual. */
__global__ void __launch_bounds__(NORM_THREADS) k_layernorm(float *y, const float *x, const float *res,
                                                            const float *gamma, const float *beta, int64_t D,
                                                            float eps) {
    __shared__ float shared[NORM_THREADS / 32];
    const int64_t row = blockIdx.x;
    const float *xr = x + row * D;
    const float *rr = res ? res + row * D : NULL;
    float *yr = y + row * D;
    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < D; i += NORM_THREADS) s += xr[i] + (rr ? rr[i] : 0.0f);
    const float mean = block_sum(s, shared) / (float)D;
    float q = 0.0f;
    for (int64_t i = threadIdx.x; i < D; i += NORM_THREADS) {
        float d = xr[i] + (rr ? rr[i] : 0.0f) - mean;
        q += d * d;
    }
    const float inv = rsqrtf(block_sum(q, shared) / (float)D + eps);
    for (int64_t i = threadIdx.x; i < D; i += NORM_THREADS) {
        float v = (xr[i] + (rr ? rr[i] : 0.0f) - mean) * inv * gamma[i];
        yr[i] = beta ? v + beta[i] : v;
    }
}

__global__ void __launch_bounds__(NORM_THREADS) k_rmsnorm(float *y, const float *x, const float *gamma, int64_t D,
                                                          float eps) {
    __shared__ float shared[NORM_THREADS / 32];
    const int64_t row = blockIdx.x;
    const float *xr = x + row * D;
    float *yr = y + row * D;
    float q = 0.0f;
    for (int64_t i = threadIdx.x; i < D; i += NORM_THREADS) q += xr[i] * xr[i];
    const float inv = rsqrtf(block_sum(q, shared) / (float)D + eps);
    for (int64_t i = threadIdx.x; i < D; i += NORM_THREADS) yr[i] = xr[i] * inv * gamma[i];
}

openmed_status om_cu_layernorm(om_backend *be, float *y, const float *x, const float *residual, const float *gamma,
                               const float *beta, int64_t M, int64_t D, float eps, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M <= 0) return OPENMED_OK;
    if (D <= 0 || !gamma || M > 0x7fffffffLL)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: layernorm: bad arguments (M=%lld, D=%lld)", c->name,
                       (long long)M, (long long)D);
    k_layernorm<<<(unsigned)M, NORM_THREADS, 0, c->stream>>>(y, x, residual, gamma, beta, D, eps);
    return om_cu_check_launch(c, err, "layernorm");
}

openmed_status om_cu_rmsnorm(om_backend *be, float *y, const float *x, const float *gamma, int64_t M, int64_t D,
                             float eps, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M <= 0) return OPENMED_OK;
    if (D <= 0 || !gamma || M > 0x7fffffffLL)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: rmsnorm: bad arguments (M=%lld, D=%lld)", c->name,
                       (long long)M, (long long)D);
    k_rmsnorm<<<(unsigned)M, NORM_THREADS, 0, c->stream>>>(y, x, gamma, D, eps);
    return om_cu_check_launch(c, err, "rmsnorm");
}
