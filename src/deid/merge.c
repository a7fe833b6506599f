/* merge.c: model spans grown over the sweep's structured-identifier hits, so a partial model span
 * ("555-0142" of "(617) 555-0142") cannot leave the rest of a value in the output. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/spans.h"

static int overlaps(size_t a0, size_t a1, size_t b0, size_t b1) { return a0 < b1 && b0 < a1; }

openmed_status om_spans_merge_sweep(const om_span_list *model, const om_span_list *sweep, om_span_list *out,
                                    openmed_error *err) {
    size_t nm = model->n, ns = sweep->n;
    unsigned char *used = calloc(nm + ns + 1, 1); /* [0, nm) model spans, [nm, nm + ns) sweep hits */
    if (!used) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory merging spans");
    openmed_status st = OPENMED_OK;
    for (size_t s = 0; s < ns && st == OPENMED_OK; s++) {
        if (used[nm + s]) continue;
        used[nm + s] = 1;
        om_pii_span group = sweep->items[s];
        group.sources = OM_SPAN_SWEEP;
        float best_model = -1.0f;
        /* Grow the group until no unused span overlaps it (overlaps chain: A-B-C is one group). */
        for (int grown = 1; grown;) {
            grown = 0;
            for (size_t k = 0; k < nm + ns; k++) {
                const om_pii_span *c = k < nm ? &model->items[k] : &sweep->items[k - nm];
                if (used[k] || !overlaps(group.b0, group.b1, c->b0, c->b1)) continue;
                used[k] = 1;
                grown = 1;
                if (c->b0 < group.b0) group.b0 = c->b0;
                if (c->b1 > group.b1) group.b1 = c->b1;
                if (k < nm) {
                    group.sources |= OM_SPAN_MODEL;
                    if (c->score > best_model) best_model = c->score;
                }
            }
        }
        if (best_model >= 0.0f) group.score = best_model;
        /* A model span that already covers the whole union keeps its label. */
        for (size_t k = 0; k < nm; k++) {
            const om_pii_span *c = &model->items[k];
            if (used[k] && c->b0 <= group.b0 && c->b1 >= group.b1) {
                memcpy(group.label, c->label, sizeof group.label);
                break;
            }
        }
        st = om_span_list_push(out, &group, err);
    }
    for (size_t k = 0; k < nm && st == OPENMED_OK; k++)
        if (!used[k]) st = om_span_list_push(out, &model->items[k], err);
    free(used);
    return st;
}
