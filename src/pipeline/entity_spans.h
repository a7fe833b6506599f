/* entity_spans.h: analyze_text's entity post-processing on the code points of one text, after the
 * model: cutting spans at line and sentence boundaries, the confidence threshold, widening spans
 * to whole words, and OpenMed's group_entities.
 *
 * Spans carry a label index (into the caller's table of labels without their B-/I- prefix) and the
 * sentence they lie in. Every function keeps the list sorted by start and free of overlaps when it
 * was so on entry.
 */
#ifndef OM_PIPELINE_ENTITY_SPANS_H
#define OM_PIPELINE_ENTITY_SPANS_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "pipeline/sentences.h"

typedef struct om_text_span {
    int64_t start, end; /* [start, end) code points */
    float score;
    int label;          /* index into the caller's label table */
    int64_t sentence;   /* index of its sentence, -1 when none */
} om_text_span;

typedef struct om_text_span_list {
    om_text_span *v;
    size_t n, cap;
} om_text_span_list;

/* Append; returns 0 when out of memory (the list is unchanged). */
int om_text_spans_push(om_text_span_list *list, om_text_span span);
void om_text_spans_free(om_text_span_list *list);
/* Sort by start (then end), stable. */
void om_text_spans_sort(om_text_span_list *list);

/* The pieces of one model span that analyze_text keeps (OpenMed's _split_prediction_at_boundaries):
 * the span cut at every hard line break and, when `sentences` is not NULL, at the boundaries of
 * the n_sentences sentences given (those of its chunk), white space trimmed; pieces in a
 * suppressed sentence and pieces that are a placeholder ("___", "placeholder", or no letter or
 * digit at all) are dropped. Returns 0 when out of memory. */
int om_spans_split(const uint32_t *cp, int64_t n, om_text_span span, const om_sentence *sentences,
                   size_t first_sentence, size_t n_sentences, om_text_span_list *out);

/* Drop spans scoring below threshold. */
void om_spans_threshold(om_text_span_list *list, float threshold);

/* Longest widening, in code points, of one end of a span to its word's edge. */
#define OM_WORD_EXTEND_MAX 64

/* Widen every span to whole words: the end moves forward over letters, marks and digits (OpenMed's
 * _fix_entity_spans), and a start inside a word moves back to the word's start; never into the
 * neighbouring span, never over a script written without spaces (Han, kana, Thai...), at most
 * OM_WORD_EXTEND_MAX code points each way. */
void om_spans_extend_to_words(const uint32_t *cp, int64_t n, om_text_span_list *list);

/* OpenMed's group_entities: neighbours with the same label, in the same sentence, at most 2 code
 * points apart with no hard line break between them become one span, widened outward over letters
 * and digits (not into other spans); its score is the mean, its sentence the first's. */
void om_spans_group(const uint32_t *cp, int64_t n, om_text_span_list *list);

#endif
