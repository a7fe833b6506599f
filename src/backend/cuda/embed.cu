/* embed.cu: embedding gather y[t] = table[ids[t]] (+ y[t]) from a float32, f16 or bf16 table. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backend/cuda/cuda_internal.h"

template <typename T> __device__ __forceinline__ float to_float(T v);
template <> __device__ __forceinline__ float to_float<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_float<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

/* One block row per token: blockIdx.x = token, threads over the D columns. */
template <typename T>
__global__ void k_embed(float *y, const T *table, const int32_t *ids, int64_t D, int accumulate) {
    const int64_t t = blockIdx.x;
    const T *src = table + (int64_t)ids[t] * D;
    float *dst = y + t * D;
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
        float v = to_float<T>(src[d]);
        dst[d] = accumulate ? dst[d] + v : v;
    }
}

openmed_status om_cu_embed(om_backend *be, float *y, const om_weight *table, const int32_t *ids, int64_t M,
                           int accumulate, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (M <= 0) return OPENMED_OK;
    if (!table || !table->data || !ids)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: embed: missing table or ids", c->name);
    if (M > 0x7fffffffLL) return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: embed: %lld rows", c->name, (long long)M);
    for (int64_t t = 0; t < M; t++)
        if (ids[t] < 0 || ids[t] >= table->rows)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: embed: id %d at position %lld is outside the table's %lld rows",
                           c->name, (int)ids[t], (long long)t, (long long)table->rows);
    openmed_status st = om_cu_upload_meta(c, &c->meta, ids, (size_t)M * sizeof(int32_t), "embed ids", err);
    if (st != OPENMED_OK) return st;
    const int32_t *dids = (const int32_t *)c->meta.ptr;
    const int64_t D = table->cols;
    const int threads = D >= 256 ? 256 : 128;
    switch (table->dtype) {
    case OM_F16:
        k_embed<__half><<<(unsigned)M, threads, 0, c->stream>>>(y, (const __half *)table->data, dids, D, accumulate);
        break;
    case OM_BF16:
        k_embed<__nv_bfloat16><<<(unsigned)M, threads, 0, c->stream>>>(y, (const __nv_bfloat16 *)table->data, dids, D,
                                                                       accumulate);
        break;
    default: k_embed<float><<<(unsigned)M, threads, 0, c->stream>>>(y, (const float *)table->data, dids, D, accumulate);
    }
    return om_cu_check_launch(c, err, "embed");
}
