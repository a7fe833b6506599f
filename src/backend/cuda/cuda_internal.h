/* cuda_internal.h: the CUDA backend's private state and the op entry points each .cu file defines. */
#ifndef OM_BACKEND_CUDA_INTERNAL_H
#define OM_BACKEND_CUDA_INTERNAL_H

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/cuda/plugin.h"

extern "C" {
#include "core/error.h"
}

/* A device buffer that grows on demand and is reused across ops (scratch, host metadata copies).
 * Growing frees the old buffer with cudaFree, which waits for the device, so a kernel still
 * reading the old buffer is never cut short. */
typedef struct om_cu_buffer {
    void *ptr;
    size_t bytes;
} om_cu_buffer;

/* A cuBLASLt algorithm chosen for one linear shape (gemm.cu). */
typedef struct om_cu_lt_plan {
    int64_t M, N, K, xld, ld;
    int ab_type, accumulate, usable;
    unsigned align; /* smallest alignment of the operands, bytes */
    cublasLtMatmulAlgo_t algo;
} om_cu_lt_plan;
#define OM_CU_LT_PLANS 32

typedef struct om_cu_ctx {
    int ordinal;
    char name[32];             /* "cuda:N" */
    cudaDeviceProp prop;
    cudaStream_t stream;
    pthread_mutex_t lock;      /* one op at a time: ops share the stream and the scratch buffers */
    cublasHandle_t blas;
    cublasLtHandle_t lt;       /* linears with a bias: the bias added in cuBLASLt's epilogue; NULL: not used */
    om_cu_buffer lt_ws;        /* cuBLASLt's workspace */
    om_cu_lt_plan lt_plans[OM_CU_LT_PLANS]; /* heuristic choices by shape, replaced round-robin */
    int lt_next;
    cudaMemPool_t pool;        /* stream-ordered pool behind be->alloc */
    om_dtype compute;          /* set_precision: OM_F32 (default), OM_F16 or OM_BF16 */
    om_cu_buffer gemm_x;       /* activations rounded to f16/bf16 for tensor-core GEMMs */
    om_cu_buffer gemm_y;       /* GEMM output before an activation + accumulate epilogue */
    om_cu_buffer gemm_w;       /* a 16-bit weight widened to float32 (float32 compute) */
    om_cu_buffer meta;         /* host integer metadata (ids, positions, sequence tables) */
    om_cu_buffer meta2;
    int64_t weight_bytes;      /* device bytes held by prepared weights and vectors */
} om_cu_ctx;

static inline om_cu_ctx *om_cu(om_backend *be) { return (om_cu_ctx *)be->ctx; }

/* Every op starts here: the calling thread's current device becomes this backend's device
 * (the current device is per thread, and pipelines call from worker threads). */
static inline om_cu_ctx *om_cu_enter(om_backend *be) {
    om_cu_ctx *c = (om_cu_ctx *)be->ctx;
    cudaSetDevice(c->ordinal);
    return c;
}

/* Fail with the CUDA runtime's message: "cuda:0: <what>: <cuda error string>". */
openmed_status om_cu_fail(om_cu_ctx *c, openmed_error *err, cudaError_t e, const char *what);
/* Check the last kernel launch of op `what`. */
openmed_status om_cu_check_launch(om_cu_ctx *c, openmed_error *err, const char *what);
/* Make buf at least `bytes` long. */
openmed_status om_cu_buffer_reserve(om_cu_ctx *c, om_cu_buffer *buf, size_t bytes, const char *what,
                                    openmed_error *err);
void om_cu_buffer_free(om_cu_buffer *buf);
/* Copy host memory into buf (grown as needed) on the stream; returns the device copy. */
openmed_status om_cu_upload_meta(om_cu_ctx *c, om_cu_buffer *buf, const void *host, size_t bytes,
                                 const char *what, openmed_error *err);

static inline size_t om_cu_dtype_size(om_dtype dt) { return dt == OM_F32 ? 4 : 2; }

/* Blocks of 256 threads covering n elements, capped for grid-stride loops. */
static inline unsigned om_cu_blocks(int64_t n, int threads) {
    int64_t b = (n + threads - 1) / threads;
    if (b < 1) b = 1;
    if (b > 65535LL * 8) b = 65535LL * 8;
    return (unsigned)b;
}

static inline int om_cu_aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }
/* Whether rows of N floats (strides ys, ts) at y and t can move as float4s with 32-bit indices. */
static inline int om_cu_vec4_fits(int64_t M, int64_t N, int64_t ys, int64_t ts, const void *y, const void *t) {
    return N % 4 == 0 && ys % 4 == 0 && ts % 4 == 0 && om_cu_aligned16(y) && om_cu_aligned16(t) &&
           M * (N / 4) < (1LL << 31);
}

/* Two floats as one 32-bit register of two 16-bit values of T (__half or __nv_bfloat16), low first. */
template <typename T> __device__ __forceinline__ uint32_t om_cu_pack2(float lo, float hi);
template <> __device__ __forceinline__ uint32_t om_cu_pack2<__half>(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t *>(&h);
}
template <> __device__ __forceinline__ uint32_t om_cu_pack2<__nv_bfloat16>(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t *>(&h);
}

/* Elementwise and epilogue kernels (elementwise.cu) used by other op files. */
/* y[M, N] (row stride ys) = act(t[M, N] (row stride ts) + bias) + (accumulate ? y : 0). t may be y. */
void om_cu_bias_act(om_cu_ctx *c, float *y, int64_t ys, const float *t, int64_t ts, const float *bias,
                    int64_t M, int64_t N, om_act act, int accumulate);
/* dst = convert(src) for n elements; from/to are om_dtype values. */
void om_cu_convert(om_cu_ctx *c, void *dst, om_dtype to, const void *src, om_dtype from, int64_t n);
/* x[M, K] (row stride xs) to a dense [M, K] buffer of dtype `to`. */
void om_cu_convert_rows(om_cu_ctx *c, void *dst, om_dtype to, const float *x, int64_t xs, int64_t M, int64_t K);

/* Attention (attention.cu, attention_tc.cu). One query tile: rows q0 .. q0 + rows - 1 of the
 * sequence at packed row `start`. */
typedef struct om_cu_att_tile {
    int32_t start, len, q0, seq;
    int64_t bias_off; /* floats before this sequence's [n_heads, len, len] bias block */
} om_cu_att_tile;
/* Upload the tiles of `rows` query rows of every sequence of a into c->meta2; *n_tiles may be 0. */
openmed_status om_cu_att_tiles(om_cu_ctx *c, const om_attention_args *a, int rows, int *n_tiles,
                               openmed_error *err);
/* Whether the tensor-core kernel takes a: f16/bf16 compute, head_dim a multiple of 16 up to 128,
 * 16-byte aligned rows. */
int om_cu_attention_tc_fits(const om_cu_ctx *c, const om_attention_args *a);
openmed_status om_cu_attention_tc(om_cu_ctx *c, const om_attention_args *a, openmed_error *err);

/* Ops, one family per file. */
void *om_cu_alloc(om_backend *be, size_t bytes);
void om_cu_free(om_backend *be, void *p);
openmed_status om_cu_upload(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err);
openmed_status om_cu_download(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err);
openmed_status om_cu_synchronize(om_backend *be, openmed_error *err);
openmed_status om_cu_prepare_weight(om_backend *be, om_weight *w, int keep_dtype, openmed_error *err);
void om_cu_release_weight(om_backend *be, om_weight *w);
const float *om_cu_prepare_vector(om_backend *be, const float *host, int64_t n, openmed_error *err);
void om_cu_release_vector(om_backend *be, const float *p);

openmed_status om_cu_linear(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                            const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                            openmed_error *err);
openmed_status om_cu_layernorm(om_backend *be, float *y, const float *x, const float *residual, const float *gamma,
                               const float *beta, int64_t M, int64_t D, float eps, openmed_error *err);
openmed_status om_cu_rmsnorm(om_backend *be, float *y, const float *x, const float *gamma, int64_t M, int64_t D,
                             float eps, openmed_error *err);
openmed_status om_cu_embed(om_backend *be, float *y, const om_weight *table, const int32_t *ids, int64_t M,
                           int accumulate, openmed_error *err);
openmed_status om_cu_add(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err);
openmed_status om_cu_scale(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err);
openmed_status om_cu_activate(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err);
openmed_status om_cu_glu(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act,
                         openmed_error *err);
openmed_status om_cu_attention(om_backend *be, const om_attention_args *a, openmed_error *err);
openmed_status om_cu_rope(om_backend *be, const om_rope_args *a, openmed_error *err);
openmed_status om_cu_deberta_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                      const int32_t *rel_index, int max_len, const int32_t *cu_seqlens, int n_seqs,
                                      int n_heads, float scale, openmed_error *err);
openmed_status om_cu_moe_route(om_backend *be, int32_t *expert_ids, float *weights, const float *logits, int64_t M,
                               int n_experts, int k, openmed_error *err);
openmed_status om_cu_moe_experts(om_backend *be, float *y, const float *x, int64_t M, const int32_t *expert_ids,
                                 const float *weights, int k, const om_moe_experts *experts, openmed_error *err);
openmed_status om_cu_set_precision(om_backend *be, om_dtype compute, openmed_error *err);

/* The activation functions, identical to the CPU reference definitions in backend.h. */
__device__ __forceinline__ float om_cu_act(float x, om_act act) {
    switch (act) {
    case OM_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case OM_ACT_GELU_TANH: {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanhf(u));
    }
    case OM_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case OM_ACT_SILU: return x / (1.0f + expf(-x));
    case OM_ACT_QUICK_GELU: return x / (1.0f + expf(-1.702f * x));
    case OM_ACT_NONE:
    default: return x;
    }
}

#endif
