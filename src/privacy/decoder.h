/* decoder.h: the privacy-filter decoder as the pipeline uses it: BIOES Viterbi labels for a window of
 * logits, and the window's entities ({entity_group, score, word, start, end}) from those labels.
 *
 * Built once per pipeline from the model's labels and config (biases from "_mlx_viterbi_biases",
 * zero when absent); immutable afterwards, so one decoder may serve many threads.
 */
#ifndef OM_PRIVACY_DECODER_H
#define OM_PRIVACY_DECODER_H

#include <stdint.h>

#include "openmed.h"
#include "privacy/spans.h"
#include "privacy/viterbi.h"

struct cJSON;

typedef struct om_privacy_decoder {
    om_bioes_scheme scheme;
    om_viterbi_biases biases;
} om_privacy_decoder;

/* config: the model's config.json (or NULL: zero biases); `where` names it in errors. */
openmed_status om_privacy_decoder_create(const char *const *id2label, int n_labels, const struct cJSON *config,
                                         const char *where, om_privacy_decoder **out, openmed_error *err);
void om_privacy_decoder_free(om_privacy_decoder *d);

/* labels[t] for n tokens from logits [n, n_labels]: the Viterbi path over the tokens that are not
 * special (special may be NULL); special tokens get label 0 (the pipeline skips them). */
openmed_status om_privacy_decoder_labels(const om_privacy_decoder *d, const float *logits, const uint8_t *special,
                                         int64_t n, int32_t *labels, openmed_error *err);

/* A window's entities from its decoded labels: probs [n, n_labels] (softmax), offsets [2n] (start,
 * end per token, as openmed_encoding) in code points of `text` (utf8, len bytes), special tokens
 * (or NULL) left out. *out is malloc'd. */
openmed_status om_privacy_decoder_entities(const om_privacy_decoder *d, const char *text, size_t len,
                                           const int32_t *labels, const float *probs, const size_t *offsets,
                                           const uint8_t *special, int64_t n, om_pf_entity **out, int64_t *n_out,
                                           openmed_error *err);

#endif
