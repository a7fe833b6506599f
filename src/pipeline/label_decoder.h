/* label_decoder.h: how each token of a window gets its label from the model's probabilities:
 * argmax (Hugging Face) or, for privacy-filter models, a constrained BIOES Viterbi path.
 *
 * This is the privacy engineer's hook: a decoder is built once per pipeline from the label map
 * (om_label_decoder_init) and asked for one window's labels at a time (om_label_decoder_run).
 * OPENMED_DECODER_VITERBI is the place to call src/privacy/viterbi.h. */
#ifndef OM_PIPELINE_LABEL_DECODER_H
#define OM_PIPELINE_LABEL_DECODER_H

#include <stdint.h>

#include "openmed.h"
#include "privacy/spans.h"

struct cJSON;

typedef struct om_label_decoder {
    openmed_label_decoder kind;
    int n_labels;
    void *state; /* decoder-specific (Viterbi scheme and biases) */
} om_label_decoder;

openmed_status om_label_decoder_init(om_label_decoder *d, openmed_label_decoder kind, const char *const *id2label,
                                     int n_labels, openmed_error *err);
/* The same with the model's config.json (or NULL), where the Viterbi decoder finds its transition
 * biases ("_mlx_viterbi_biases"); init is this with config NULL (zero biases). */
openmed_status om_label_decoder_init_config(om_label_decoder *d, openmed_label_decoder kind,
                                            const char *const *id2label, int n_labels, const struct cJSON *config,
                                            openmed_error *err);

/* labels[t] for the n tokens of one window. probs: softmax scores [n, n_labels]; logits: the raw
 * logits [n, n_labels]; special[t] marks tokens the pipeline skips (a decoder may ignore them). */
openmed_status om_label_decoder_run(const om_label_decoder *d, const float *probs, const float *logits,
                                    const uint8_t *special, int64_t n, int32_t *labels, openmed_error *err);

/* Viterbi decoder only (privacy filter): a window's entities as BIOES spans (OpenMed's
 * privacy-filter decoding, src/privacy/spans.h) instead of Hugging Face grouping. labels from
 * om_label_decoder_run, probs the softmax scores [n, n_labels], offsets [2n] code points of text. */
openmed_status om_label_decoder_entities(const om_label_decoder *d, const char *text, size_t len, const int32_t *labels,
                                         const float *probs, const size_t *offsets, const uint8_t *special, int64_t n,
                                         om_pf_entity **out, int64_t *n_out, openmed_error *err);
/* The entity group of a span class of those entities ("private_person"). */
const char *om_label_decoder_span_name(const om_label_decoder *d, int span);

void om_label_decoder_free(om_label_decoder *d);

#endif
