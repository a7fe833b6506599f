/* batch.h: many windows (of many texts) through the model in few forward passes: windows are
 * packed back to back without padding (om_batch, cu_seqlens), batch_size windows per pass, and
 * each window's logits are copied back to it. */
#ifndef OM_PIPELINE_BATCH_H
#define OM_PIPELINE_BATCH_H

#include <stdint.h>

#include "models/arch.h"
#include "openmed.h"

/* The model's forward over one packed batch: logits [n_tokens, n_labels] (host). */
typedef openmed_status (*om_forward_fn)(void *ctx, const om_batch *batch, float *logits, openmed_error *err);

/* Asked before each forward pass whether to stop (NULL or a NULL function: never). */
typedef struct om_cancel {
    int (*should_stop)(void *ctx);
    void *ctx;
} om_cancel;

/* 1 when `cancel` asks to stop. */
static inline int om_cancel_requested(const om_cancel *cancel) {
    return cancel && cancel->should_stop && cancel->should_stop(cancel->ctx);
}

/* One window to run: its token ids, and where its logits [n, n_labels] go. */
typedef struct om_batch_item {
    const int32_t *ids;
    int64_t n;
    float *logits;
} om_batch_item;

/* Run all items, batch_size per forward pass (in order). max_tokens > 0 also caps the tokens of
 * one pass (a single window longer than that still runs alone). `cancel` (may be NULL) is asked
 * before each pass; a stop fails with OPENMED_ERR_CANCELLED. */
openmed_status om_batch_run(om_forward_fn forward, void *ctx, const om_batch_item *items, int64_t n_items,
                            int batch_size, int64_t max_tokens, int n_labels, const om_cancel *cancel,
                            openmed_error *err);

#endif
