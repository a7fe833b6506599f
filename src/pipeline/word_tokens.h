/* word_tokens.h: OpenMed's medical-token remap. The text is cut into "medical tokens" (numbers
 * with an optional decimal part and temperature unit such as "39.8C"; words with hyphen chains
 * such as "IL-6-mediated"; protected terms such as "COVID-19", "t(8;21)"; any other character
 * alone), every token that a model span overlaps takes the label of the highest-scoring such span,
 * and neighbouring tokens with the same label, at most one code point apart, in the same sentence
 * and with no hard line break between, become one span with the mean score. Model spans that stop
 * inside a word ("Ap" of "Apixaban", "ted" of "herniated") so become whole words.
 *
 * Unlike OpenMed's ASCII-only pattern, words are letters of any script (with marks and digits
 * after the first letter: "Müller", "HbA1c" are one token); characters of scripts written without
 * spaces (Han, kana, Thai...) are one token each.
 */
#ifndef OM_PIPELINE_WORD_TOKENS_H
#define OM_PIPELINE_WORD_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "pipeline/entity_spans.h"

typedef struct om_word_token {
    int64_t start, end;
} om_word_token;

/* The medical tokens of cp[0, n), in order; *out is malloc'd (free it). */
openmed_status om_word_tokens(const uint32_t *cp, int64_t n, om_word_token **out, size_t *n_out,
                              openmed_error *err);

/* Replace the spans of *list (sorted by start) by their remap onto the medical tokens. */
openmed_status om_spans_remap_to_words(const uint32_t *cp, int64_t n, om_text_span_list *list, openmed_error *err);

#endif
