/* merge.c: overlapping spans joined into their union, so a partial span ("555-0142" of
 * "(617) 555-0142") or two detectors' disagreeing extents cannot leave part of a value behind. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/detector.h"
#include "deid/spans.h"

typedef struct ordered {
    om_pii_span span;
    size_t order; /* position in the input list */
} ordered;

static int by_start(const void *pa, const void *pb) {
    const ordered *a = pa, *b = pb;
    if (a->span.start != b->span.start) return a->span.start < b->span.start ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Is candidate c a better label for the union [u0, u1) than the current best b? */
static int better(const ordered *c, const ordered *b, size_t u0, size_t u1) {
    int cc = c->span.start == u0 && c->span.end == u1, bc = b->span.start == u0 && b->span.end == u1;
    if (cc != bc) return cc;
    int cm = (c->span.source & OM_SRC_MODEL) != 0, bm = (b->span.source & OM_SRC_MODEL) != 0;
    if (cm != bm) return cm;
    size_t cl = c->span.end - c->span.start, bl = b->span.end - b->span.start;
    if (cl != bl) return cl > bl;
    if (c->span.score != b->span.score) return c->span.score > b->span.score;
    if (c->span.start != b->span.start) return c->span.start < b->span.start;
    return c->order < b->order;
}

openmed_status om_spans_join(om_span_list *spans, openmed_error *err) {
    size_t n = spans->n;
    if (n == 0) return OPENMED_OK;
    ordered *o = malloc(n * sizeof *o);
    if (!o) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory joining %zu spans", n);
    for (size_t i = 0; i < n; i++) {
        o[i].span = spans->items[i];
        o[i].order = i;
    }
    qsort(o, n, sizeof *o, by_start);
    size_t kept = 0;
    for (size_t g = 0; g < n;) {
        /* the group: spans starting before the running end of the union */
        size_t u0 = o[g].span.start, u1 = o[g].span.end, e = g + 1;
        while (e < n && o[e].span.start < u1) {
            if (o[e].span.end > u1) u1 = o[e].span.end;
            e++;
        }
        size_t best = g;
        unsigned source = 0;
        float model_score = -1.0f, any_score = -1.0f;
        for (size_t k = g; k < e; k++) {
            if (k != best && better(&o[k], &o[best], u0, u1)) best = k;
            source |= o[k].span.source;
            if (o[k].span.score > any_score) any_score = o[k].span.score;
            if ((o[k].span.source & OM_SRC_MODEL) && o[k].span.score > model_score) model_score = o[k].span.score;
        }
        om_pii_span u = o[best].span;
        u.start = u0;
        u.end = u1;
        u.source = source;
        u.score = model_score >= 0.0f ? model_score : any_score;
        spans->items[kept++] = u;
        g = e;
    }
    spans->n = kept;
    free(o);
    return OPENMED_OK;
}
