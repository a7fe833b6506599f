/* overlaps.c: one winner among overlapping spans (longer, then more confident, then earlier). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/spans.h"

typedef struct ranked {
    om_pii_span span;
    int64_t length; /* code points */
    size_t order;   /* position in the input list */
} ranked;

static int by_rank(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->length != b->length) return a->length > b->length ? -1 : 1;
    if (a->span.score != b->span.score) return a->span.score > b->span.score ? -1 : 1;
    if (a->span.b0 != b->span.b0) return a->span.b0 < b->span.b0 ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int by_start(const void *pa, const void *pb) {
    const om_pii_span *a = pa, *b = pb;
    return a->b0 < b->b0 ? -1 : a->b0 > b->b0;
}

openmed_status om_spans_resolve_overlaps(const om_text_index *ix, om_span_list *spans, openmed_error *err) {
    if (spans->n < 2) return OPENMED_OK;
    ranked *r = malloc(spans->n * sizeof *r);
    if (!r) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory resolving %zu spans", spans->n);
    for (size_t i = 0; i < spans->n; i++) {
        r[i].span = spans->items[i];
        r[i].length = om_text_cp_at_byte(ix, spans->items[i].b1) - om_text_cp_at_byte(ix, spans->items[i].b0);
        r[i].order = i;
    }
    qsort(r, spans->n, sizeof *r, by_rank);
    size_t kept = 0;
    for (size_t i = 0; i < spans->n; i++) {
        int clash = 0;
        for (size_t k = 0; k < kept && !clash; k++)
            clash = r[i].span.b0 < spans->items[k].b1 && spans->items[k].b0 < r[i].span.b1;
        if (!clash) spans->items[kept++] = r[i].span;
    }
    spans->n = kept;
    qsort(spans->items, kept, sizeof *spans->items, by_start);
    free(r);
    return OPENMED_OK;
}
