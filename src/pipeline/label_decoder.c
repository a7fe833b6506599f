/* label_decoder.c: per-token label choice for a window: argmax now; the Viterbi hook for privacy. */
#include "pipeline/label_decoder.h"

#include "core/error.h"
#include "privacy/decoder.h"

openmed_status om_label_decoder_init(om_label_decoder *d, openmed_label_decoder kind, const char *const *id2label,
                                     int n_labels, openmed_error *err) {
    return om_label_decoder_init_config(d, kind, id2label, n_labels, NULL, err);
}

openmed_status om_label_decoder_init_config(om_label_decoder *d, openmed_label_decoder kind,
                                            const char *const *id2label, int n_labels, const struct cJSON *config,
                                            openmed_error *err) {
    d->kind = kind;
    d->n_labels = n_labels;
    d->state = NULL;
    switch (kind) {
    case OPENMED_DECODER_ARGMAX:
        return OPENMED_OK;
    case OPENMED_DECODER_VITERBI: /* privacy filter: BIOES scheme and transition biases */
        return om_privacy_decoder_create(id2label, n_labels, config, "config.json",
                                         (om_privacy_decoder **)&d->state, err);
    }
    return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "unknown label decoder %d", (int)kind);
}

/* numpy argmax: the first maximal probability. */
static int32_t argmax_row(const float *row, int n) {
    int32_t best = 0;
    for (int j = 1; j < n; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

openmed_status om_label_decoder_run(const om_label_decoder *d, const float *probs, const float *logits,
                                    const uint8_t *special, int64_t n, int32_t *labels, openmed_error *err) {
    switch (d->kind) {
    case OPENMED_DECODER_ARGMAX:
        for (int64_t t = 0; t < n; t++) labels[t] = argmax_row(probs + t * d->n_labels, d->n_labels);
        return OPENMED_OK;
    case OPENMED_DECODER_VITERBI:
        return om_privacy_decoder_labels(d->state, logits, special, n, labels, err);
    }
    return om_fail(err, OPENMED_ERR_UNSUPPORTED, "label decoder %d cannot run", (int)d->kind);
}

openmed_status om_label_decoder_entities(const om_label_decoder *d, const char *text, size_t len, const int32_t *labels,
                                         const float *probs, const size_t *offsets, const uint8_t *special, int64_t n,
                                         om_pf_entity **out, int64_t *n_out, openmed_error *err) {
    if (d->kind != OPENMED_DECODER_VITERBI || !d->state)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "label decoder: BIOES spans need the viterbi decoder");
    return om_privacy_decoder_entities(d->state, text, len, labels, probs, offsets, special, n, out, n_out, err);
}

const char *om_label_decoder_span_name(const om_label_decoder *d, int span) {
    const om_privacy_decoder *pd = d->state;
    if (d->kind != OPENMED_DECODER_VITERBI || !pd || span < 0 || span >= pd->scheme.n_spans) return NULL;
    return pd->scheme.span_names[span];
}

void om_label_decoder_free(om_label_decoder *d) {
    if (d->kind == OPENMED_DECODER_VITERBI) om_privacy_decoder_free(d->state);
    d->state = NULL;
}
