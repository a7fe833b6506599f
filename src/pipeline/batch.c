/* batch.c: packing windows of many texts into forward passes without padding. */
#include "pipeline/batch.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

openmed_status om_batch_run(om_forward_fn forward, void *ctx, const om_batch_item *items, int64_t n_items,
                            int batch_size, int64_t max_tokens, int n_labels, const om_cancel *cancel,
                            openmed_error *err) {
    if (batch_size < 1) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "batch_size must be at least 1");
    int32_t *ids = NULL, *cu = NULL;
    float *logits = NULL;
    int64_t cap_tokens = 0;
    openmed_status st = OPENMED_OK;
    cu = malloc(((size_t)batch_size + 1) * sizeof *cu);
    if (!cu) return om_fail(err, OPENMED_ERR_NO_MEMORY, "batch: out of memory");
    for (int64_t first = 0; first < n_items;) {
        if (om_cancel_requested(cancel)) {
            st = om_fail(err, OPENMED_ERR_CANCELLED, "batch: cancelled after %lld of %lld windows", (long long)first,
                         (long long)n_items);
            break;
        }
        /* Choose the windows of this pass. */
        int64_t last = first, total = 0;
        while (last < n_items && last - first < batch_size) {
            if (last > first && max_tokens > 0 && total + items[last].n > max_tokens) break;
            total += items[last].n;
            last++;
        }
        if (total > INT32_MAX) {
            st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "batch: %lld tokens in one pass is too many",
                         (long long)total);
            break;
        }
        if (total > cap_tokens) {
            int32_t *nids = realloc(ids, (size_t)total * sizeof *ids);
            if (nids) ids = nids;
            float *nlog = nids ? realloc(logits, (size_t)total * (size_t)n_labels * sizeof *logits) : NULL;
            if (nlog) logits = nlog;
            if (!nids || !nlog) {
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "batch: out of memory for %lld tokens", (long long)total);
                break;
            }
            cap_tokens = total;
        }
        /* Empty windows (a tokenizer without special tokens on an empty text) are not sent. */
        int n_seqs = 0;
        cu[0] = 0;
        for (int64_t i = first; i < last; i++) {
            if (items[i].n == 0) continue;
            memcpy(ids + cu[n_seqs], items[i].ids, (size_t)items[i].n * sizeof *ids);
            cu[n_seqs + 1] = cu[n_seqs] + (int32_t)items[i].n;
            n_seqs++;
        }
        om_batch b = {ids, cu, n_seqs, total};
        if (n_seqs > 0) {
            st = forward(ctx, &b, logits, err);
            if (st != OPENMED_OK) break;
        }
        int64_t row = 0;
        for (int64_t i = first; i < last; i++) {
            if (items[i].n == 0) continue;
            memcpy(items[i].logits, logits + (size_t)row * (size_t)n_labels,
                   (size_t)items[i].n * (size_t)n_labels * sizeof *logits);
            row += items[i].n;
        }
        first = last;
    }
    free(ids);
    free(cu);
    free(logits);
    return st;
}
