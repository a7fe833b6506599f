/* label_decoder.c: per-token label choice for a window: argmax now; the Viterbi hook for privacy. */
#include "pipeline/label_decoder.h"

#include "core/error.h"

openmed_status om_label_decoder_init(om_label_decoder *d, openmed_label_decoder kind, const char *const *id2label,
                                     int n_labels, openmed_error *err) {
    d->kind = kind;
    d->n_labels = n_labels;
    d->state = NULL;
    switch (kind) {
    case OPENMED_DECODER_ARGMAX:
        return OPENMED_OK;
    case OPENMED_DECODER_VITERBI:
        /* privacy: build the BIOES scheme and biases here (src/privacy/viterbi.h) into d->state. */
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "label decoder 'viterbi' is not available in this build (use 'argmax')");
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
        /* privacy: decode the window's path from d->state here. */
        break;
    }
    return om_fail(err, OPENMED_ERR_UNSUPPORTED, "label decoder %d cannot run", (int)d->kind);
}

void om_label_decoder_free(om_label_decoder *d) {
    d->state = NULL;
}
