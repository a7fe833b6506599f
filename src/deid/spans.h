/* spans.h: identifier spans over one UTF-8 text (byte offsets) and the steps that combine them:
 * widening model spans to whole words, joining overlapping spans, finding repeated values. */
#ifndef OM_DEID_SPANS_H
#define OM_DEID_SPANS_H

#include <stddef.h>

#include "openmed.h"
#include "pipeline/text_index.h"

#define OM_PII_LABEL_MAX 64

typedef struct om_pii_span {
    size_t start, end;           /* [start, end) bytes of the text */
    char label[OM_PII_LABEL_MAX];
    float score;                 /* in [0, 1]: the model's score; 1 for pattern hits */
    unsigned source;             /* OM_SRC_* bits of the detectors that found it (detector.h) */
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

/* Join overlapping spans: sort by start and replace each group of spans connected by overlaps
 * with one span, their union, so no part of any detected value is left outside. The union takes
 * the label of the group's best span: one covering the whole union, then a model span, then the
 * longer, then the higher score, then the earlier in the list; it scores as its best model span
 * (its best span without one) and holds the source bits of all. Spans that only touch stay apart.
 * O(n log n). */
openmed_status om_spans_join(om_span_list *spans, openmed_error *err);

/* After om_spans_join (spans sorted and disjoint) over the `n`-byte text: add every other whole-word
 * occurrence of a found value, written the same, in capitals or capitalised ("Smith", "SMITH"), with
 * the value's most frequent label, its best score and OM_SRC_REPEAT, where no span lies; then join
 * again. Values shorter than 3 bytes or plain lower-case words (a confused model's "or") are not
 * repeated. Linear in the text and the spans (a hash of the values by their first word). */
openmed_status om_spans_add_repeats(const char *text, size_t n, om_span_list *spans, openmed_error *err);

#endif
