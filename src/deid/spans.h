/* spans.h: identifier spans over one UTF-8 text (byte offsets) and the steps that combine them:
 * widening model spans to whole words, growing them over sweep hits, resolving overlaps. */
#ifndef OM_DEID_SPANS_H
#define OM_DEID_SPANS_H

#include <stddef.h>

#include "openmed.h"
#include "pipeline/text_index.h"

enum { OM_SPAN_MODEL = 1, OM_SPAN_SWEEP = 2, OM_SPAN_REPEAT = 4 }; /* om_pii_span.sources bits */

#define OM_PII_LABEL_MAX 64

typedef struct om_pii_span {
    size_t b0, b1;               /* [b0, b1) bytes of the text */
    char label[OM_PII_LABEL_MAX];
    float score;                 /* the model's score; 1 for sweep hits */
    unsigned sources;            /* OM_SPAN_MODEL | OM_SPAN_SWEEP, | OM_SPAN_REPEAT for a copy */
} om_pii_span;

typedef struct om_span_list {
    om_pii_span *items;
    size_t n, cap;
} om_span_list;

/* Append a copy of *s; fails only when out of memory. */
openmed_status om_span_list_push(om_span_list *list, const om_pii_span *s, openmed_error *err);
void om_span_list_free(om_span_list *list);

/* The code-point index of byte offset b (a code point boundary of the indexed text). */
int64_t om_text_cp_at_byte(const om_text_index *ix, size_t b);

/* Tidy model spans: trim white space and sentence punctuation (. , ; : ! ?) off both ends, drop a
 * span left with no letter or digit (a lone "," tagged DATE), then grow each span so it neither
 * starts nor ends inside a run of letters and digits: a model span over part of a word ("Joh" of
 * "Johnson") covers the whole word. */
void om_spans_tidy(const char *text, size_t n, om_span_list *spans);

/* Combine model spans with sweep hits into `out`: each group of spans connected by overlaps that
 * holds a sweep hit becomes one span, their union (a model span is never narrowed), labelled by a
 * model span that covers the whole union, else by the group's first sweep hit; it scores as its
 * best model span (1 without one). Model spans that touch no sweep hit are copied. */
openmed_status om_spans_merge_sweep(const om_span_list *model, const om_span_list *sweep, om_span_list *out,
                                    openmed_error *err);

/* Keep a non-overlapping subset in text order: a longer span (in code points) wins, then a higher
 * score, then an earlier start, then the earlier in the list (OpenMed's resolve_overlapping_entities
 * without risk tiers). */
openmed_status om_spans_resolve_overlaps(const om_text_index *ix, om_span_list *spans, openmed_error *err);

/* After resolution (spans sorted and disjoint): add every other whole-word occurrence of a found
 * value, with its label and score and OM_SPAN_REPEAT, where no span lies; then resolve again. Values
 * shorter than 3 bytes or plain lower-case words (a confused model's "or") are not repeated. */
openmed_status om_spans_add_repeats(const om_text_index *ix, om_span_list *spans, openmed_error *err);

#endif
