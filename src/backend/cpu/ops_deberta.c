/* ops_deberta.c: DeBERTa's disentangled relative-position attention bias (c2p + p2c gather) on the CPU. */
#include "backend/cpu/ops_deberta.h"

#include "core/error.h"

openmed_status om_cpu_deberta_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                       const int32_t *rel_index, int max_len, const int32_t *cu_seqlens, int n_seqs,
                                       int n_heads, float scale, openmed_error *err) {
    if (!bias || !rel_index || !cu_seqlens || n_rel <= 0 || n_heads <= 0 || max_len <= 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "deberta_rel_bias on %s: bad arguments", be->name);
    for (int i = 0; i < 2 * max_len - 1; i++)
        if (rel_index[i] < 0 || rel_index[i] >= n_rel)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "deberta_rel_bias on %s: rel_index[%d] = %d not in [0, %d)",
                           be->name, i, rel_index[i], n_rel);
    const int64_t ld = (int64_t)n_heads * n_rel; /* floats per token row of c2p / p2c */
    float *block = bias;
    for (int s = 0; s < n_seqs; s++) {
        const int64_t row0 = cu_seqlens[s];
        const int len = cu_seqlens[s + 1] - cu_seqlens[s];
        if (len < 0 || len > max_len)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "deberta_rel_bias on %s: sequence %d has length %d (max_len %d)", be->name, s, len, max_len);
        for (int h = 0; h < n_heads; h++) {
            for (int i = 0; i < len; i++) {
                float *out = block + ((int64_t)h * len + i) * len;
                /* distance d = i - j runs from i down to i - len + 1 */
                const int32_t *idx = rel_index + (max_len - 1) + i;
                const float *q_row = c2p ? c2p + (row0 + i) * ld + (int64_t)h * n_rel : NULL;
                for (int j = 0; j < len; j++) {
                    const int32_t r = idx[-j];
                    float v = 0.0f;
                    if (q_row) v += scale * q_row[r];
                    if (p2c) v += scale * p2c[(row0 + j) * ld + (int64_t)h * n_rel + r];
                    out[j] = v;
                }
            }
        }
        block += (int64_t)n_heads * len * len;
    }
    return OPENMED_OK;
}
