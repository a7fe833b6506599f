/* attention_tc.cu: attention on tensor cores for float16/bfloat16 compute (set_precision), the
 * same function as attention.cu: softmax(scale q.k + bias) v over packed variable-length
 * sequences, with GQA, sliding windows, sinks and additive bias.
 *
 * One block per (tile of 128 query rows of one sequence, head): 8 warps, each owning 16 rows. Q, K
 * and V arrive in float32 and are rounded to the compute dtype as they are staged in shared
 * memory (K and V 64 keys at a time; V's fragments are read transposed by ldmatrix); scores and
 * the output accumulate in float32 through mma.sync m16n8k16, with an online (running max) softmax in float32 between the two
 * products, the probabilities rounded to the compute dtype for the second one, as PyTorch's
 * half-precision attention does. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>

#include "backend/cuda/cuda_internal.h"

#define TC_WARPS 8
#define TC_BQ (TC_WARPS * 16) /* query rows per block */
#define TC_BK 64              /* keys per tile */
#define TC_MAX_HEAD_DIM 128

typedef struct tc_params {
    float *out;
    const float *q, *k, *v;
    int64_t q_stride, k_stride, v_stride, out_stride;
    int n_heads, group; /* group = n_heads / n_kv_heads */
    float scale;
    int window_left, window_right;
    const float *sinks, *bias;
    const om_cu_att_tile *tiles;
} tc_params;

/* d[4] += A[16x16] . B[16x8]: a[4] and b[2] in the mma.sync fragment layouts, for each compute dtype. */
template <typename T> __device__ __forceinline__ void mma16816(float *d, const uint32_t *a, const uint32_t *b);
template <> __device__ __forceinline__ void mma16816<__half>(float *d, const uint32_t *a, const uint32_t *b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <> __device__ __forceinline__ void mma16816<__nv_bfloat16>(float *d, const uint32_t *a, const uint32_t *b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* Rows of `cols` floats from global memory (row r at src + r * stride; rows >= n_rows read as
 * zeros) rounded to T into shared memory, row-major with leading dimension ld. float4 loads:
 * cols % 4 == 0, src and stride 16-byte aligned. */
template <typename T>
__device__ __forceinline__ void stage(T *dst, int ld, const float *src, int64_t stride, int rows, int n_rows, int cols) {
    const int vecs = cols / 4;
    for (int idx = threadIdx.x; idx < rows * vecs; idx += TC_WARPS * 32) {
        const int r = idx / vecs, c = (idx - r * vecs) * 4;
        float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (r < n_rows) v = *reinterpret_cast<const float4 *>(src + (int64_t)r * stride + c);
        *reinterpret_cast<uint2 *>(dst + r * ld + c) = make_uint2(om_cu_pack2<T>(v.x, v.y), om_cu_pack2<T>(v.z, v.w));
    }
}

/* Four 8x8 16-bit matrices from shared memory, transposed: lane l gives the address of row l % 8
 * of matrix l / 8; r[m] receives this lane's two elements of matrix m as a B fragment. */
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t *r, const void *row) {
    const unsigned a = (unsigned)__cvta_generic_to_shared(row);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(a));
}

template <typename T, int D>
__global__ void __launch_bounds__(TC_WARPS * 32) k_attention_tc(tc_params p) {
    constexpr int LDQ = D + 8;       /* 16-byte row padding: the fragment loads below hit 32 banks */
    constexpr int DK = D / 16;       /* k-steps of q.k */
    constexpr int DN = D / 8;        /* n-tiles of the output */
    constexpr int KN = TC_BK / 8;    /* n-tiles of the scores */
    extern __shared__ __align__(16) unsigned char smem_raw[];
    T *Qs = reinterpret_cast<T *>(smem_raw); /* [TC_BQ][LDQ] */
    T *Ks = Qs + TC_BQ * LDQ;                /* [TC_BK][LDQ] */
    T *Vs = Ks + TC_BK * LDQ;                /* [TC_BK][LDQ] */

    const om_cu_att_tile tile = p.tiles[blockIdx.x];
    const int h = blockIdx.y, kvh = h / p.group;
    const int L = tile.len, q0 = tile.q0;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, tig = lane & 3; /* fragment row group and thread-in-group */

    stage<T>(Qs, LDQ, p.q + (int64_t)(tile.start + q0) * p.q_stride + (int64_t)h * D, p.q_stride, TC_BQ,
                    L - q0, D);
    __syncthreads();
    /* This warp's 16 query rows as A fragments, one per 16 columns of the head. */
    uint32_t qa[DK][4];
    {
        const T *qw = Qs + (warp * 16) * LDQ;
#pragma unroll
        for (int kk = 0; kk < DK; kk++) {
            const int col = kk * 16 + tig * 2;
            qa[kk][0] = *reinterpret_cast<const uint32_t *>(qw + g * LDQ + col);
            qa[kk][1] = *reinterpret_cast<const uint32_t *>(qw + (g + 8) * LDQ + col);
            qa[kk][2] = *reinterpret_cast<const uint32_t *>(qw + g * LDQ + col + 8);
            qa[kk][3] = *reinterpret_cast<const uint32_t *>(qw + (g + 8) * LDQ + col + 8);
        }
    }

    /* Rows i0 (= fragment row g) and i0 + 8 of this thread. */
    const int i0 = q0 + warp * 16 + g;
    const float sink = p.sinks ? p.sinks[h] : -INFINITY;
    float m[2] = {sink, sink}, l[2] = {p.sinks ? 1.0f : 0.0f, p.sinks ? 1.0f : 0.0f};
    float o[DN][4];
#pragma unroll
    for (int n = 0; n < DN; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;

    const int last = min(q0 + TC_BQ, L) - 1;
    const int k_lo = p.window_left >= 0 ? (int)max(0LL, (long long)q0 - p.window_left) : 0;
    const int k_hi = p.window_right >= 0 ? (int)min((long long)L, (long long)last + p.window_right + 1) : L;
    const float *bias_h = p.bias ? p.bias + tile.bias_off + (int64_t)h * L * L : NULL;

    for (int k0 = k_lo; k0 < k_hi; k0 += TC_BK) {
        __syncthreads(); /* the previous tile is no longer read */
        const int64_t krow = tile.start + k0;
        stage<T>(Ks, LDQ, p.k + krow * p.k_stride + (int64_t)kvh * D, p.k_stride, TC_BK, k_hi - k0, D);
        stage<T>(Vs, LDQ, p.v + krow * p.v_stride + (int64_t)kvh * D, p.v_stride, TC_BK, k_hi - k0, D);
        __syncthreads();

        /* Scores s[n] for keys k0 + 8n + 2 tig + {0, 1}: [0..1] row i0, [2..3] row i0 + 8. */
        float s[KN][4];
#pragma unroll
        for (int n = 0; n < KN; n++) {
            s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
            const T *kb = Ks + (n * 8 + g) * LDQ + tig * 2;
#pragma unroll
            for (int kk = 0; kk < DK; kk++) {
                uint32_t b[2] = {*reinterpret_cast<const uint32_t *>(kb + kk * 16),
                                 *reinterpret_cast<const uint32_t *>(kb + kk * 16 + 8)};
                mma16816<T>(s[n], qa[kk], b);
            }
        }
        /* Scale, bias, masks; then the running max per row (the 4 threads of a group share a row). */
        float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int n = 0; n < KN; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int i = i0 + (e >> 1) * 8, key = k0 + n * 8 + tig * 2 + (e & 1);
                bool vis = key < k_hi && i < L;
                if (p.window_left >= 0) vis = vis && (long long)i - key <= p.window_left;
                if (p.window_right >= 0) vis = vis && (long long)key - i <= p.window_right;
                float sc = -INFINITY;
                if (vis) {
                    sc = p.scale * s[n][e];
                    if (bias_h) sc += bias_h[(int64_t)i * L + key];
                }
                s[n][e] = sc;
                tile_max[e >> 1] = fmaxf(tile_max[e >> 1], sc);
            }
        }
        float corr[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            float mx = tile_max[r];
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = fmaxf(m[r], mx);
            /* nothing visible yet for this row: keep everything at zero (m stays -inf) */
            corr[r] = m_new == -INFINITY ? 1.0f : expf(m[r] - m_new);
            m[r] = m_new;
        }
        float row_sum[2] = {0.0f, 0.0f};
#pragma unroll
        for (int n = 0; n < KN; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int r = e >> 1;
                const float pr = s[n][e] == -INFINITY ? 0.0f : expf(s[n][e] - m[r]);
                s[n][e] = pr;
                row_sum[r] += pr;
            }
        }
#pragma unroll
        for (int r = 0; r < 2; r++) {
            float sum = row_sum[r];
            sum += __shfl_xor_sync(0xffffffffu, sum, 1);
            sum += __shfl_xor_sync(0xffffffffu, sum, 2);
            l[r] = l[r] * corr[r] + sum;
        }
#pragma unroll
        for (int n = 0; n < DN; n++) {
            o[n][0] *= corr[0], o[n][1] *= corr[0];
            o[n][2] *= corr[1], o[n][3] *= corr[1];
        }
        /* o += P . V: two score n-tiles form one A fragment of 16 keys; ldmatrix.trans gives the B
         * fragments of two 8-column output tiles at once (matrices: keys 0-7 and 8-15 of each). */
#pragma unroll
        for (int kk = 0; kk < TC_BK / 16; kk++) {
            const uint32_t pa[4] = {om_cu_pack2<T>(s[2 * kk][0], s[2 * kk][1]), om_cu_pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                                    om_cu_pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                    om_cu_pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
            const T *vrow = Vs + (kk * 16 + (lane & 15)) * LDQ + (lane >> 4) * 8;
#pragma unroll
            for (int n = 0; n < DN; n += 2) {
                uint32_t b[4];
                ldmatrix_x4_trans(b, vrow + n * 8);
                mma16816<T>(o[n], pa, b);
                mma16816<T>(o[n + 1], pa, b + 2);
            }
        }
    }

#pragma unroll
    for (int r = 0; r < 2; r++) {
        const int i = i0 + r * 8;
        if (i >= L) continue;
        const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
        float *out = p.out + (int64_t)(tile.start + i) * p.out_stride + (int64_t)h * D + tig * 2;
#pragma unroll
        for (int n = 0; n < DN; n++) *reinterpret_cast<float2 *>(out + n * 8) = make_float2(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    }
}

template <typename T, int D> static cudaError_t launch_tc(const tc_params &p, int n_tiles, cudaStream_t stream) {
    const size_t smem = (size_t)(TC_BQ + 2 * TC_BK) * (D + 8) * sizeof(T);
    if (smem > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(k_attention_tc<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess) return e;
    }
    k_attention_tc<T, D><<<dim3((unsigned)n_tiles, (unsigned)p.n_heads), TC_WARPS * 32, smem, stream>>>(p);
    return cudaGetLastError();
}

template <typename T> static cudaError_t launch_dtype(const tc_params &p, int head_dim, int n_tiles, cudaStream_t s) {
    switch (head_dim) {
    case 16: return launch_tc<T, 16>(p, n_tiles, s);
    case 32: return launch_tc<T, 32>(p, n_tiles, s);
    case 48: return launch_tc<T, 48>(p, n_tiles, s);
    case 64: return launch_tc<T, 64>(p, n_tiles, s);
    case 80: return launch_tc<T, 80>(p, n_tiles, s);
    case 96: return launch_tc<T, 96>(p, n_tiles, s);
    case 112: return launch_tc<T, 112>(p, n_tiles, s);
    default: return launch_tc<T, 128>(p, n_tiles, s);
    }
}

static int aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

int om_cu_attention_tc_fits(const om_cu_ctx *c, const om_attention_args *a) {
    return (c->compute == OM_F16 || c->compute == OM_BF16) && a->head_dim % 16 == 0 &&
           a->head_dim <= TC_MAX_HEAD_DIM && aligned16(a->q) && aligned16(a->k) && aligned16(a->v) &&
           a->q_stride % 4 == 0 && a->k_stride % 4 == 0 && a->v_stride % 4 == 0 && a->out_stride % 2 == 0 &&
           ((uintptr_t)a->out & 7) == 0;
}

openmed_status om_cu_attention_tc(om_cu_ctx *c, const om_attention_args *a, openmed_error *err) {
    int n_tiles = 0;
    openmed_status st = om_cu_att_tiles(c, a, TC_BQ, &n_tiles, err);
    if (st != OPENMED_OK || n_tiles == 0) return st;
    tc_params p;
    p.out = a->out;
    p.q = a->q;
    p.k = a->k;
    p.v = a->v;
    p.q_stride = a->q_stride;
    p.k_stride = a->k_stride;
    p.v_stride = a->v_stride;
    p.out_stride = a->out_stride;
    p.n_heads = a->n_heads;
    p.group = a->n_heads / a->n_kv_heads;
    p.scale = a->scale;
    p.window_left = a->window_left;
    p.window_right = a->window_right;
    p.sinks = a->sinks;
    p.bias = a->bias;
    p.tiles = (const om_cu_att_tile *)c->meta2.ptr;
    cudaError_t e = c->compute == OM_F16 ? launch_dtype<__half>(p, a->head_dim, n_tiles, c->stream)
                                         : launch_dtype<__nv_bfloat16>(p, a->head_dim, n_tiles, c->stream);
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, "attention (tensor cores)");
}
