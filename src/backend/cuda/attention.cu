/* attention.cu: softmax(scale q.k + bias) v over packed variable-length sequences, no padding.
 *
 * In float32 compute, and for head sizes the tensor-core kernel (attention_tc.cu, f16/bf16
 * compute) does not take: one block per (query tile of 32 rows of one sequence, head); 8 warps, each owning 4 query rows.
 * Key/value tiles of 32 rows are staged in shared memory; lane j scores key j for the warp's rows,
 * and an online (running max) softmax in float32 folds each tile into per-row accumulators held
 * as head_dim/32 floats per lane. Sliding windows restrict the key tiles visited; a sink logit
 * starts the running max and sum; additive bias is read per (head, query, key).
 */
#include <math.h>
#include <stdlib.h>

#include "backend/cuda/cuda_internal.h"

#define ATT_WARPS 8
#define ATT_ROWS 4                     /* query rows per warp */
#define ATT_BQ (ATT_WARPS * ATT_ROWS) /* query rows per block */
#define ATT_BK 32                      /* keys per tile: one per lane */
#define ATT_MAX_HEAD_DIM 256

typedef struct att_params {
    float *out;
    const float *q, *k, *v;
    int64_t q_stride, k_stride, v_stride, out_stride;
    int n_heads, group, head_dim; /* group = n_heads / n_kv_heads */
    float scale;
    int window_left, window_right;
    const float *sinks, *bias;
    const om_cu_att_tile *tiles;
} att_params;

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

template <int DPL> /* head_dim <= 32 * DPL */
__global__ void __launch_bounds__(ATT_WARPS * 32) k_attention(att_params p) {
    extern __shared__ float smem[];
    const int D = p.head_dim, DP = D + 1;
    float *Qs = smem;                   /* [ATT_BQ][D] */
    float *Ks = Qs + ATT_BQ * D;        /* [ATT_BK][D + 1], padded against bank conflicts */
    float *Vs = Ks + ATT_BK * DP;       /* [ATT_BK][D] */

    const om_cu_att_tile tile = p.tiles[blockIdx.x];
    const int h = blockIdx.y, kvh = h / p.group;
    const int L = tile.len, q0 = tile.q0;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int nthreads = ATT_WARPS * 32;

    for (int idx = threadIdx.x; idx < ATT_BQ * D; idx += nthreads) {
        int r = idx / D, d = idx - r * D;
        int i = q0 + r;
        Qs[idx] = i < L ? p.q[(int64_t)(tile.start + i) * p.q_stride + (int64_t)h * D + d] : 0.0f;
    }

    float m[ATT_ROWS], l[ATT_ROWS], acc[ATT_ROWS][DPL];
    const float sink = p.sinks ? p.sinks[h] : -INFINITY;
#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++) {
        m[r] = sink;
        l[r] = p.sinks ? 1.0f : 0.0f;
#pragma unroll
        for (int k = 0; k < DPL; k++) acc[r][k] = 0.0f;
    }

    const int last = min(q0 + ATT_BQ, L) - 1; /* last query row of this tile */
    const int k_lo = p.window_left >= 0 ? (int)max(0LL, (long long)q0 - p.window_left) : 0;
    const int k_hi = p.window_right >= 0 ? (int)min((long long)L, (long long)last + p.window_right + 1) : L;
    const float *bias_h = p.bias ? p.bias + tile.bias_off + (int64_t)h * L * L : NULL;

    for (int k0 = k_lo; k0 < k_hi; k0 += ATT_BK) {
        __syncthreads(); /* the previous tile is no longer read (and Qs is written on the first pass) */
        for (int idx = threadIdx.x; idx < ATT_BK * D; idx += nthreads) {
            int j = idx / D, d = idx - j * D;
            int key = k0 + j;
            float kv = 0.0f, vv = 0.0f;
            if (key < k_hi) {
                int64_t row = tile.start + key;
                kv = p.k[row * p.k_stride + (int64_t)kvh * D + d];
                vv = p.v[row * p.v_stride + (int64_t)kvh * D + d];
            }
            Ks[j * DP + d] = kv;
            Vs[j * D + d] = vv;
        }
        __syncthreads();

        /* Scores: lane = key. */
        float s[ATT_ROWS];
#pragma unroll
        for (int r = 0; r < ATT_ROWS; r++) s[r] = 0.0f;
        const float *krow = Ks + lane * DP;
        const float *qbase = Qs + (warp * ATT_ROWS) * D;
        for (int d = 0; d < D; d++) {
            float kd = krow[d];
#pragma unroll
            for (int r = 0; r < ATT_ROWS; r++) s[r] += qbase[r * D + d] * kd;
        }
        const int key = k0 + lane;
#pragma unroll
        for (int r = 0; r < ATT_ROWS; r++) {
            const int i = q0 + warp * ATT_ROWS + r;
            bool vis = key < k_hi && i < L;
            if (p.window_left >= 0) vis = vis && (long long)i - key <= p.window_left;
            if (p.window_right >= 0) vis = vis && (long long)key - i <= p.window_right;
            float sc = -INFINITY;
            if (vis) {
                sc = p.scale * s[r];
                if (bias_h) sc += bias_h[(int64_t)i * L + key];
            }
            const float m_new = fmaxf(m[r], warp_max(sc));
            if (m_new == -INFINITY) { /* nothing visible yet for this row */
                s[r] = 0.0f;
                continue;
            }
            const float corr = expf(m[r] - m_new); /* 0 when m was -inf */
            const float pr = vis ? expf(sc - m_new) : 0.0f;
            l[r] = l[r] * corr + warp_sum(pr);
            m[r] = m_new;
#pragma unroll
            for (int k = 0; k < DPL; k++) acc[r][k] *= corr;
            s[r] = pr;
        }
        /* acc[r] += sum_j p[r][j] V[j]: lane owns output dims lane + 32 k. */
        for (int j = 0; j < ATT_BK; j++) {
            float vj[DPL];
#pragma unroll
            for (int k = 0; k < DPL; k++) {
                int d = lane + 32 * k;
                vj[k] = d < D ? Vs[j * D + d] : 0.0f;
            }
#pragma unroll
            for (int r = 0; r < ATT_ROWS; r++) {
                float pj = __shfl_sync(0xffffffffu, s[r], j);
#pragma unroll
                for (int k = 0; k < DPL; k++) acc[r][k] += pj * vj[k];
            }
        }
    }

#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++) {
        const int i = q0 + warp * ATT_ROWS + r;
        if (i >= L) continue;
        const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
        float *o = p.out + (int64_t)(tile.start + i) * p.out_stride + (int64_t)h * D;
#pragma unroll
        for (int k = 0; k < DPL; k++) {
            int d = lane + 32 * k;
            if (d < D) o[d] = acc[r][k] * inv;
        }
    }
}

template <int DPL> static cudaError_t launch(const att_params &p, int n_tiles, cudaStream_t stream) {
    size_t smem = (size_t)(ATT_BQ * p.head_dim + ATT_BK * (p.head_dim + 1) + ATT_BK * p.head_dim) * sizeof(float);
    if (smem > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(k_attention<DPL>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess) return e;
    }
    dim3 grid((unsigned)n_tiles, (unsigned)p.n_heads);
    k_attention<DPL><<<grid, ATT_WARPS * 32, smem, stream>>>(p);
    return cudaGetLastError();
}

openmed_status om_cu_att_tiles(om_cu_ctx *c, const om_attention_args *a, int rows, int *n_tiles_out,
                               openmed_error *err) {
    int64_t n_tiles = 0;
    for (int s = 0; s < a->n_seqs; s++) n_tiles += (a->cu_seqlens[s + 1] - a->cu_seqlens[s] + rows - 1) / rows;
    *n_tiles_out = 0;
    if (n_tiles == 0) return OPENMED_OK;
    if (n_tiles > 0x7fffffffLL)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: attention: batch too large", c->name);
    om_cu_att_tile *tiles = (om_cu_att_tile *)malloc((size_t)n_tiles * sizeof *tiles);
    if (!tiles) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: attention: no host memory for the tile table", c->name);
    int64_t t = 0, bias_off = 0;
    for (int s = 0; s < a->n_seqs; s++) {
        int32_t start = a->cu_seqlens[s], len = a->cu_seqlens[s + 1] - start;
        for (int32_t q0 = 0; q0 < len; q0 += rows) tiles[t++] = om_cu_att_tile{start, len, q0, s, bias_off};
        bias_off += (int64_t)a->n_heads * len * len;
    }
    openmed_status st = om_cu_upload_meta(c, &c->meta2, tiles, (size_t)n_tiles * sizeof *tiles, "attention tiles", err);
    free(tiles);
    if (st == OPENMED_OK) *n_tiles_out = (int)n_tiles;
    return st;
}

openmed_status om_cu_attention(om_backend *be, const om_attention_args *a, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!a || !a->cu_seqlens || a->n_seqs < 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: attention: missing arguments", c->name);
    if (a->n_heads <= 0 || a->n_kv_heads <= 0 || a->n_heads % a->n_kv_heads != 0 || a->head_dim <= 0 ||
        a->head_dim > ATT_MAX_HEAD_DIM)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "%s: attention: n_heads=%d, n_kv_heads=%d, head_dim=%d not supported (head_dim <= %d, "
                       "n_heads a multiple of n_kv_heads)",
                       c->name, a->n_heads, a->n_kv_heads, a->head_dim, ATT_MAX_HEAD_DIM);
    if (a->cu_seqlens[0] != 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: attention: cu_seqlens[0] = %d, expected 0", c->name,
                       a->cu_seqlens[0]);
    for (int s = 0; s < a->n_seqs; s++)
        if (a->cu_seqlens[s + 1] < a->cu_seqlens[s])
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: attention: cu_seqlens decreases at sequence %d",
                           c->name, s);
    if (om_cu_attention_tc_fits(c, a)) return om_cu_attention_tc(c, a, err);

    int n_tiles = 0;
    openmed_status st = om_cu_att_tiles(c, a, ATT_BQ, &n_tiles, err);
    if (st != OPENMED_OK || n_tiles == 0) return st;

    att_params p;
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
    p.head_dim = a->head_dim;
    p.scale = a->scale;
    p.window_left = a->window_left;
    p.window_right = a->window_right;
    p.sinks = a->sinks;
    p.bias = a->bias;
    p.tiles = (const om_cu_att_tile *)c->meta2.ptr;

    cudaError_t e;
    switch ((a->head_dim + 31) / 32) {
    case 1: e = launch<1>(p, n_tiles, c->stream); break;
    case 2: e = launch<2>(p, n_tiles, c->stream); break;
    case 3: e = launch<3>(p, n_tiles, c->stream); break;
    case 4: e = launch<4>(p, n_tiles, c->stream); break;
    case 5: e = launch<5>(p, n_tiles, c->stream); break;
    case 6: e = launch<6>(p, n_tiles, c->stream); break;
    case 7: e = launch<7>(p, n_tiles, c->stream); break;
    default: e = launch<8>(p, n_tiles, c->stream); break;
    }
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, "attention");
}
