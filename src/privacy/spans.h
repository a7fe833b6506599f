/* spans.h: from decoded token labels to privacy-filter entities, the way OpenMed's privacy-filter
 * decoder shapes them (openmed/core/decoding/spans.py, mlx/inference.py).
 *
 * For each BIOES token span: characters from the first token's start to the last token's end,
 * snapped out to grapheme clusters, whole whitespace clusters trimmed, then refined:
 *   - labels containing "email", "url" or "phone" shrink to the first strict match of that
 *     pattern inside the span (within Latin runs when the span has CJK or Indic script);
 *   - otherwise a trailing " and" / " or" is dropped (Latin-only or Indic spans);
 * empty results are dropped. Score = mean probability of the chosen label over the span's tokens.
 */
#ifndef OM_PRIVACY_SPANS_H
#define OM_PRIVACY_SPANS_H

#include <stdint.h>

#include "openmed.h"
#include "privacy/text.h"
#include "privacy/viterbi.h"

/* Trim whole whitespace grapheme clusters from both ends of [*start, *end) (snapped first). */
void om_trim_span_whitespace(const om_cp_text *t, int64_t *start, int64_t *end);

/* Tighten [*start, *end) for `label` (a span class name such as "private_email"). */
openmed_status om_refine_privacy_span(const om_cp_text *t, const char *label, int64_t *start, int64_t *end,
                                      openmed_error *err);

typedef struct om_pf_entity {
    int span;           /* span class: scheme->span_names[span] is the entity group */
    double score;       /* mean probability of the decoded labels of its tokens */
    int64_t start, end; /* code points of the text, end > start */
} om_pf_entity;

/* Entities of one text. labels [T]: decoded label ids; label_prob [T]: probability of each
 * token's decoded label; offsets [T][2]: token [start, end) in code points of t. *out is
 * malloc'd (free it), *n_out entities in text order. */
openmed_status om_privacy_entities(const om_bioes_scheme *s, const int32_t *labels, const double *label_prob,
                                   const int64_t (*offsets)[2], int64_t T, const om_cp_text *t,
                                   om_pf_entity **out, int64_t *n_out, openmed_error *err);

#endif
