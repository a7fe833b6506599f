/* rope.cu: rotary position embeddings in place, rotate-half or interleaved pairs, with mscale. */
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

/* One thread per (row, head, pair). half = rotary_dim / 2 pairs per head. */
__global__ void k_rope(float *x, int64_t n_rows, int64_t row_stride, int n_heads, int head_dim, int half,
                       const int32_t *positions, const float *inv_freq, float mscale, int interleaved) {
    const int64_t n = n_rows * n_heads * half;
    for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < n;
         idx += (int64_t)gridDim.x * blockDim.x) {
        const int i = (int)(idx % half);
        const int64_t rh = idx / half;
        const int h = (int)(rh % n_heads);
        const int64_t t = rh / n_heads;
        const float angle = (float)positions[t] * inv_freq[i];
        const float cs = cosf(angle) * mscale, sn = sinf(angle) * mscale;
        float *base = x + t * row_stride + (int64_t)h * head_dim;
        float *a = interleaved ? base + 2 * i : base + i;
        float *b = interleaved ? base + 2 * i + 1 : base + i + half;
        const float x1 = *a, x2 = *b;
        *a = x1 * cs - x2 * sn;
        *b = x2 * cs + x1 * sn;
    }
}

openmed_status om_cu_rope(om_backend *be, const om_rope_args *a, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!a || !a->x || !a->positions || !a->inv_freq)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: rope: missing arguments", c->name);
    if (a->n_rows <= 0 || a->rotary_dim == 0) return OPENMED_OK;
    if (a->rotary_dim < 0 || a->rotary_dim > a->head_dim || a->rotary_dim % 2 || a->n_heads <= 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: rope: rotary_dim %d with head_dim %d", c->name,
                       a->rotary_dim, a->head_dim);
    const int half = a->rotary_dim / 2;
    /* positions and inv_freq are host memory: one upload of both. */
    size_t pos_bytes = (size_t)a->n_rows * sizeof(int32_t), freq_bytes = (size_t)half * sizeof(float);
    size_t pos_padded = (pos_bytes + 15) & ~(size_t)15;
    char *host = (char *)malloc(pos_padded + freq_bytes);
    if (!host) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: rope: no host memory", c->name);
    memcpy(host, a->positions, pos_bytes);
    memcpy(host + pos_padded, a->inv_freq, freq_bytes);
    openmed_status st = om_cu_upload_meta(c, &c->meta, host, pos_padded + freq_bytes, "rope positions", err);
    free(host);
    if (st != OPENMED_OK) return st;
    const int32_t *pos = (const int32_t *)c->meta.ptr;
    const float *freq = (const float *)((char *)c->meta.ptr + pos_padded);
    const int64_t n = a->n_rows * a->n_heads * half;
    k_rope<<<om_cu_blocks(n, 256), 256, 0, c->stream>>>(a->x, a->n_rows, a->row_stride, a->n_heads, a->head_dim, half,
                                                         pos, freq, a->mscale, a->interleaved);
    return om_cu_check_launch(c, err, "rope");
}
