/* ops_deberta.c: DeBERTa's disentangled relative-position attention bias (c2p + p2c gather) on the CPU. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

typedef struct rel_bias_job {
    float *bias;
    const float *c2p, *p2c;
    const int32_t *rel_index, *cu_seqlens;
    const int64_t *block; /* float offset of each sequence's block in bias */
    int n_rel, max_len, n_heads;
    float scale;
} rel_bias_job;

/* Items are (sequence, head) pairs: item = s * n_heads + h. The head's p2c rows (token rows of
 * n_heads * n_rel floats, read at scattered columns) are first copied into a dense [len, n_rel]
 * scratch, and the (query, key) square is walked in tiles so a key tile's rows stay in cache. */
enum { REL_TILE = 64 };

static void rel_bias_range(void *ctx, int64_t begin, int64_t end) {
    const rel_bias_job *j = ctx;
    const int64_t ld = (int64_t)j->n_heads * j->n_rel; /* floats per token row of c2p / p2c */
    float *scratch = j->p2c ? malloc((size_t)j->max_len * (size_t)j->n_rel * sizeof *scratch) : NULL;
    for (int64_t item = begin; item < end; item++) {
        const int s = (int)(item / j->n_heads), h = (int)(item % j->n_heads);
        const int64_t row0 = j->cu_seqlens[s];
        const int len = j->cu_seqlens[s + 1] - j->cu_seqlens[s];
        float *block = j->bias + j->block[s] + (int64_t)h * len * len;
        const float *p = NULL;
        int64_t p_ld = ld;
        if (j->p2c) {
            p = j->p2c + row0 * ld + (int64_t)h * j->n_rel;
            if (scratch) {
                for (int k = 0; k < len; k++)
                    memcpy(scratch + (size_t)k * j->n_rel, p + k * ld, (size_t)j->n_rel * sizeof *scratch);
                p = scratch;
                p_ld = j->n_rel;
            }
        }
        for (int i0 = 0; i0 < len; i0 += REL_TILE)
            for (int k0 = 0; k0 < len; k0 += REL_TILE) {
                const int i1 = i0 + REL_TILE < len ? i0 + REL_TILE : len, k1 = k0 + REL_TILE < len ? k0 + REL_TILE : len;
                for (int i = i0; i < i1; i++) {
                    const int32_t *idx = j->rel_index + (j->max_len - 1) + i; /* idx[-k] is distance i - k */
                    const float *c = j->c2p ? j->c2p + (row0 + i) * ld + (int64_t)h * j->n_rel : NULL;
                    float *out = block + (int64_t)i * len;
                    for (int k = k0; k < k1; k++) {
                        const int32_t r = idx[-k];
                        float v = 0.0f;
                        if (c) v += j->scale * c[r];
                        if (p) v += j->scale * p[(int64_t)k * p_ld + r];
                        out[k] = v;
                    }
                }
            }
    }
    free(scratch);
}

static openmed_status cpu_deberta_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                           const int32_t *rel_index, int max_len, const int32_t *cu_seqlens,
                                           int n_seqs, int n_heads, float scale, openmed_error *err) {
    if (!bias || !rel_index || !cu_seqlens || n_rel <= 0 || n_heads <= 0 || max_len <= 0 || n_seqs < 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "deberta_rel_bias on %s: bad arguments", be->name);
    for (int i = 0; i < 2 * max_len - 1; i++)
        if (rel_index[i] < 0 || rel_index[i] >= n_rel)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "deberta_rel_bias on %s: rel_index[%d] = %d is outside [0, %d)", be->name, i, rel_index[i],
                           n_rel);
    int64_t *block = malloc(((size_t)n_seqs + 1) * sizeof *block);
    if (!block) return om_fail(err, OPENMED_ERR_NO_MEMORY, "deberta_rel_bias on %s: out of memory", be->name);
    block[0] = 0;
    for (int s = 0; s < n_seqs; s++) {
        const int len = cu_seqlens[s + 1] - cu_seqlens[s];
        if (len < 0 || len > max_len) {
            free(block);
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "deberta_rel_bias on %s: sequence %d has length %d (max_len %d)", be->name, s, len, max_len);
        }
        block[s + 1] = block[s] + (int64_t)n_heads * len * len;
    }
    rel_bias_job job = {bias, c2p, p2c, rel_index, cu_seqlens, block, n_rel, max_len, n_heads, scale};
    om_cpu_parallel_for(om_cpu_threads(be), (int64_t)n_seqs * n_heads, 1, rel_bias_range, &job);
    free(block);
    return OPENMED_OK;
}

void om_cpu_install_deberta(om_backend *be) { be->deberta_rel_bias = cpu_deberta_rel_bias; }
