/* deberta.cu: DeBERTa's disentangled attention bias (c2p + p2c relative-position gathers) on the device. */
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

#define REL_ROWS 8 /* query rows per block */

/* grid (n_seqs, n_heads, ceil(max_len / REL_ROWS)); threads over keys. Same formula as backend.h:
 * bias[s][h, i, j] = scale * c2p[t_i, h*n_rel + r] + scale * p2c[t_j, h*n_rel + r], r = rel[i - j + max_len - 1]. */
__global__ void k_rel_bias(float *bias, const float *c2p, const float *p2c, int n_rel, const int32_t *rel, int max_len,
                           const int32_t *cu, const int64_t *block, int n_heads, float scale) {
    const int s = blockIdx.x, h = blockIdx.y;
    const int64_t row0 = cu[s];
    const int L = cu[s + 1] - cu[s];
    const int64_t ld = (int64_t)n_heads * n_rel;
    for (int ii = 0; ii < REL_ROWS; ii++) {
        const int i = blockIdx.z * REL_ROWS + ii;
        if (i >= L) return;
        float *out = bias + block[s] + ((int64_t)h * L + i) * L;
        const int32_t *idx = rel + (max_len - 1) + i;
        const float *c = c2p ? c2p + (row0 + i) * ld + (int64_t)h * n_rel : NULL;
        const float *p = p2c ? p2c + row0 * ld + (int64_t)h * n_rel : NULL;
        for (int k = threadIdx.x; k < L; k += blockDim.x) {
            const int32_t r = idx[-k];
            float v = 0.0f;
            if (c) v += scale * c[r];
            if (p) v += scale * p[(int64_t)k * ld + r];
            out[k] = v;
        }
    }
}

openmed_status om_cu_deberta_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                      const int32_t *rel_index, int max_len, const int32_t *cu_seqlens, int n_seqs,
                                      int n_heads, float scale, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!bias || !rel_index || !cu_seqlens || n_rel <= 0 || n_heads <= 0 || max_len <= 0 || n_seqs < 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "deberta_rel_bias on %s: bad arguments", c->name);
    if (n_seqs == 0) return OPENMED_OK;
    for (int i = 0; i < 2 * max_len - 1; i++)
        if (rel_index[i] < 0 || rel_index[i] >= n_rel)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "deberta_rel_bias on %s: rel_index[%d] = %d is outside [0, %d)", c->name, i, rel_index[i],
                           n_rel);
    /* One upload: block offsets (int64) | cu_seqlens | rel_index. */
    size_t n_rel_idx = (size_t)(2 * max_len - 1);
    size_t off_bytes = ((size_t)n_seqs + 1) * sizeof(int64_t);
    size_t cu_bytes = ((size_t)n_seqs + 1) * sizeof(int32_t);
    size_t bytes = off_bytes + cu_bytes + n_rel_idx * sizeof(int32_t);
    char *host = (char *)malloc(bytes);
    if (!host) return om_fail(err, OPENMED_ERR_NO_MEMORY, "deberta_rel_bias on %s: out of host memory", c->name);
    int64_t *block = (int64_t *)host;
    block[0] = 0;
    for (int s = 0; s < n_seqs; s++) {
        const int len = cu_seqlens[s + 1] - cu_seqlens[s];
        if (len < 0 || len > max_len) {
            free(host);
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "deberta_rel_bias on %s: sequence %d has length %d (max_len %d)", c->name, s, len, max_len);
        }
        block[s + 1] = block[s] + (int64_t)n_heads * len * len;
    }
    memcpy(host + off_bytes, cu_seqlens, cu_bytes);
    memcpy(host + off_bytes + cu_bytes, rel_index, n_rel_idx * sizeof(int32_t));
    openmed_status st = om_cu_upload_meta(c, &c->meta, host, bytes, "deberta_rel_bias tables", err);
    free(host);
    if (st != OPENMED_OK) return st;
    const int64_t *d_block = (const int64_t *)c->meta.ptr;
    const int32_t *d_cu = (const int32_t *)((char *)c->meta.ptr + off_bytes);
    const int32_t *d_rel = (const int32_t *)((char *)c->meta.ptr + off_bytes + cu_bytes);
    dim3 grid((unsigned)n_seqs, (unsigned)n_heads, (unsigned)((max_len + REL_ROWS - 1) / REL_ROWS));
    k_rel_bias<<<grid, 128, 0, c->stream>>>(bias, c2p, p2c, n_rel, d_rel, max_len, d_cu, d_block, n_heads, scale);
    return om_cu_check_launch(c, err, "deberta_rel_bias");
}
