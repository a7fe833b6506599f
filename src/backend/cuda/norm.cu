/* norm.cu: residual + LayerNorm and RMSNorm, two-pass float32 statistics: one warp per row, the
 * row held in registers, for LayerNorm rows of up to 1024 floats in float4s; else one block per
 * row. */
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

/* k_layernorm with one warp per row (8 rows per block): lane l holds float4s l, l + 32, ... of
 * the row (V of them; D4 = D / 4 <= 32 * V). Reads the whole row before writing it, so y may alias
 * x or residual. */
template <int V>
__global__ void __launch_bounds__(NORM_THREADS) k_layernorm_warp(float *y, const float *x, const float *res,
                                                                 const float *gamma, const float *beta, unsigned M,
                                                                 int D4, float eps) {
    const unsigned row = blockIdx.x * (NORM_THREADS / 32) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= M) return;
    const int64_t off = (int64_t)row * D4 * 4;
    const float4 *xr = reinterpret_cast<const float4 *>(x + off);
    const float4 *rr = res ? reinterpret_cast<const float4 *>(res + off) : NULL;
    float4 v[V];
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < V; k++) {
        const int c = lane + 32 * k;
        v[k] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (c < D4) {
            v[k] = xr[c];
            if (rr) {
                const float4 r = rr[c];
                v[k].x += r.x, v[k].y += r.y, v[k].z += r.z, v[k].w += r.w;
            }
            s += (v[k].x + v[k].y) + (v[k].z + v[k].w);
        }
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    const float mean = s / (float)(D4 * 4);
    float q = 0.0f;
#pragma unroll
    for (int k = 0; k < V; k++) {
        if (lane + 32 * k < D4) {
            const float a = v[k].x - mean, b = v[k].y - mean, c = v[k].z - mean, d = v[k].w - mean;
            q += (a * a + b * b) + (c * c + d * d);
        }
    }
    for (int o = 16; o > 0; o >>= 1) q += __shfl_xor_sync(0xffffffffu, q, o);
    const float inv = rsqrtf(q / (float)(D4 * 4) + eps);
    float4 *yr = reinterpret_cast<float4 *>(y + off);
#pragma unroll
    for (int k = 0; k < V; k++) {
        const int c = lane + 32 * k;
        if (c < D4) {
            const float4 g = reinterpret_cast<const float4 *>(gamma)[c];
            float4 out = make_float4((v[k].x - mean) * inv * g.x, (v[k].y - mean) * inv * g.y,
                                     (v[k].z - mean) * inv * g.z, (v[k].w - mean) * inv * g.w);
            if (beta) {
                const float4 b = reinterpret_cast<const float4 *>(beta)[c];
                out.x += b.x, out.y += b.y, out.z += b.z, out.w += b.w;
            }
            yr[c] = out;
        }
    }
}

template <int V>
static void launch_layernorm_warp(om_cu_ctx *c, float *y, const float *x, const float *res, const float *gamma,
                                  const float *beta, int64_t M, int64_t D, float eps) {
    const unsigned rows_per_block = NORM_THREADS / 32;
    k_layernorm_warp<V><<<(unsigned)((M + rows_per_block - 1) / rows_per_block), NORM_THREADS, 0, c->stream>>>(
        y, x, res, gamma, beta, (unsigned)M, (int)(D / 4), eps);
}

openmed_status om_cu_layernorm(om_backend *be, float *y, const float *x, const float *residual, const float *gamma,
                               const float *beta, int64_t M, int64_t D, float eps, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M <= 0) return OPENMED_OK;
    if (D <= 0 || !gamma || M > 0x7fffffffLL)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: layernorm: bad arguments (M=%lld, D=%lld)", c->name,
                       (long long)M, (long long)D);
    const int warp_fits = D % 4 == 0 && D <= 1024 && om_cu_aligned16(y) && om_cu_aligned16(x) &&
                          (!residual || om_cu_aligned16(residual)) && om_cu_aligned16(gamma) &&
                          (!beta || om_cu_aligned16(beta));
    if (!warp_fits) k_layernorm<<<(unsigned)M, NORM_THREADS, 0, c->stream>>>(y, x, residual, gamma, beta, D, eps);
    else if (D <= 128) launch_layernorm_warp<1>(c, y, x, residual, gamma, beta, M, D, eps);
    else if (D <= 256) launch_layernorm_warp<2>(c, y, x, residual, gamma, beta, M, D, eps);
    else if (D <= 512) launch_layernorm_warp<4>(c, y, x, residual, gamma, beta, M, D, eps);
    else if (D <= 768) launch_layernorm_warp<6>(c, y, x, residual, gamma, beta, M, D, eps);
    else launch_layernorm_warp<8>(c, y, x, residual, gamma, beta, M, D, eps);
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
