/* elementwise.cu: add, scale, activation, gated linear unit, the bias + activation GEMM epilogue,
 * and dtype conversion, as grid-stride kernels; the epilogue and the row conversion, which every
 * linear runs, move float4s with 32-bit index arithmetic where shapes and alignment allow. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backend/cuda/cuda_internal.h"

#define OM_CU_THREADS 256

__device__ __forceinline__ float load_as_float(const void *p, om_dtype dt, int64_t i) {
    if (dt == OM_F16) return __half2float(((const __half *)p)[i]);
    if (dt == OM_BF16) return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
    return ((const float *)p)[i];
}

__device__ __forceinline__ void store_from_float(void *p, om_dtype dt, int64_t i, float v) {
    if (dt == OM_F16) ((__half *)p)[i] = __float2half_rn(v);
    else if (dt == OM_BF16) ((__nv_bfloat16 *)p)[i] = __float2bfloat16_rn(v);
    else ((float *)p)[i] = v;
}

__global__ void k_bias_act(float *y, int64_t ys, const float *t, int64_t ts, const float *bias, int64_t M,
                           int64_t N, om_act act, int accumulate) {
    int64_t n = M * N;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / N, col = i - r * N;
        float v = t[r * ts + col];
        if (bias) v += bias[col];
        v = om_cu_act(v, act);
        if (accumulate) v += y[r * ys + col];
        y[r * ys + col] = v;
    }
}

/* k_bias_act on float4s (om_cu_vec4_fits), N4 = N / 4 per row. */
__global__ void k_bias_act4(float *y, int64_t ys, const float *t, int64_t ts, const float *bias, unsigned M, unsigned N4,
                            om_act act, int accumulate) {
    const unsigned n = M * N4;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const unsigned r = i / N4, col = i - r * N4;
        float4 v = reinterpret_cast<const float4 *>(t + (int64_t)r * ts)[col];
        if (bias) {
            const float4 b = reinterpret_cast<const float4 *>(bias)[col];
            v.x += b.x, v.y += b.y, v.z += b.z, v.w += b.w;
        }
        v.x = om_cu_act(v.x, act), v.y = om_cu_act(v.y, act), v.z = om_cu_act(v.z, act), v.w = om_cu_act(v.w, act);
        float4 *dst = reinterpret_cast<float4 *>(y + (int64_t)r * ys) + col;
        if (accumulate) {
            const float4 o = *dst;
            v.x += o.x, v.y += o.y, v.z += o.z, v.w += o.w;
        }
        *dst = v;
    }
}

void om_cu_bias_act(om_cu_ctx *c, float *y, int64_t ys, const float *t, int64_t ts, const float *bias, int64_t M,
                    int64_t N, om_act act, int accumulate) {
    if (om_cu_vec4_fits(M, N, ys, ts, y, t) && (!bias || om_cu_aligned16(bias))) {
        k_bias_act4<<<om_cu_blocks(M * N / 4, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(
            y, ys, t, ts, bias, (unsigned)M, (unsigned)(N / 4), act, accumulate);
        return;
    }
    k_bias_act<<<om_cu_blocks(M * N, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(y, ys, t, ts, bias, M, N, act,
                                                                                    accumulate);
}

__global__ void k_convert(void *dst, om_dtype to, const void *src, om_dtype from, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        store_from_float(dst, to, i, load_as_float(src, from, i));
}

void om_cu_convert(om_cu_ctx *c, void *dst, om_dtype to, const void *src, om_dtype from, int64_t n) {
    k_convert<<<om_cu_blocks(n, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(dst, to, src, from, n);
}

__global__ void k_convert_rows(void *dst, om_dtype to, const float *x, int64_t xs, int64_t M, int64_t K) {
    int64_t n = M * K;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / K, col = i - r * K;
        store_from_float(dst, to, i, x[r * xs + col]);
    }
}

/* k_convert_rows to a 16-bit T on float4s (om_cu_vec4_fits), K4 = K / 4 per row. */
template <typename T> __global__ void k_convert_rows4(uint2 *dst, const float *x, int64_t xs, unsigned M, unsigned K4) {
    const unsigned n = M * K4;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const unsigned r = i / K4, col = i - r * K4;
        const float4 v = reinterpret_cast<const float4 *>(x + (int64_t)r * xs)[col];
        dst[i] = make_uint2(om_cu_pack2<T>(v.x, v.y), om_cu_pack2<T>(v.z, v.w));
    }
}

void om_cu_convert_rows(om_cu_ctx *c, void *dst, om_dtype to, const float *x, int64_t xs, int64_t M, int64_t K) {
    if ((to == OM_F16 || to == OM_BF16) && om_cu_vec4_fits(M, K, xs, K, x, x) && ((uintptr_t)dst & 7) == 0) {
        const unsigned blocks = om_cu_blocks(M * K / 4, OM_CU_THREADS);
        if (to == OM_F16)
            k_convert_rows4<__half><<<blocks, OM_CU_THREADS, 0, c->stream>>>((uint2 *)dst, x, xs, (unsigned)M, (unsigned)(K / 4));
        else
            k_convert_rows4<__nv_bfloat16><<<blocks, OM_CU_THREADS, 0, c->stream>>>((uint2 *)dst, x, xs, (unsigned)M,
                                                                                    (unsigned)(K / 4));
        return;
    }
    k_convert_rows<<<om_cu_blocks(M * K, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(dst, to, x, xs, M, K);
}

__global__ void k_add(float *y, const float *a, const float *b, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = a[i] + b[i];
}

__global__ void k_scale(float *y, const float *x, float s, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = x[i] * s;
}

__global__ void k_activate(float *y, const float *x, int64_t n, om_act act) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = om_cu_act(x[i], act);
}

/* x: [M, 2F] = [input | gate]; y: [M, F] = act(input) * gate. */
__global__ void k_glu(float *y, const float *x, int64_t M, int64_t F, om_act act) {
    int64_t n = M * F;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / F, f = i - r * F;
        const float *row = x + r * 2 * F;
        y[i] = om_cu_act(row[f], act) * row[F + f];
    }
}

openmed_status om_cu_add(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (n <= 0) return OPENMED_OK;
    k_add<<<om_cu_blocks(n, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(y, a, b, n);
    return om_cu_check_launch(c, err, "add");
}

openmed_status om_cu_scale(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (n <= 0) return OPENMED_OK;
    k_scale<<<om_cu_blocks(n, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(y, x, s, n);
    return om_cu_check_launch(c, err, "scale");
}

openmed_status om_cu_activate(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (n <= 0) return OPENMED_OK;
    k_activate<<<om_cu_blocks(n, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(y, x, n, act);
    return om_cu_check_launch(c, err, "activate");
}

openmed_status om_cu_glu(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act,
                         openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M <= 0 || F <= 0) return OPENMED_OK;
    /* Rows of y are shorter than rows of x, so an output overlapping the input would overwrite
     * gates not yet read: compute into scratch, then copy. */
    int64_t n = M * F;
    float *dst = y;
    if ((const float *)y < x + M * 2 * F && x < (const float *)y + n) {
        openmed_status st = om_cu_buffer_reserve(c, &c->gemm_y, (size_t)n * sizeof(float), "glu scratch", err);
        if (st != OPENMED_OK) return st;
        dst = (float *)c->gemm_y.ptr;
    }
    k_glu<<<om_cu_blocks(n, OM_CU_THREADS), OM_CU_THREADS, 0, c->stream>>>(dst, x, M, F, act);
    if (dst != y) cudaMemcpyAsync(y, dst, (size_t)n * sizeof(float), cudaMemcpyDeviceToDevice, c->stream);
    return om_cu_check_launch(c, err, "glu");
}
