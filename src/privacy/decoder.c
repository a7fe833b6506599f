/* decoder.c: the privacy-filter decoder for the pipeline (see decoder.h). */
#include "privacy/decoder.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

openmed_status om_privacy_decoder_create(const char *const *id2label, int n_labels, const cJSON *config,
                                         const char *where, om_privacy_decoder **out, openmed_error *err) {
    *out = NULL;
    om_privacy_decoder *d = calloc(1, sizeof *d);
    if (!d) return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy decoder: out of memory");
    openmed_status s = om_bioes_scheme_init(&d->scheme, id2label, n_labels, err);
    if (s == OPENMED_OK) {
        const cJSON *b = config ? cJSON_GetObjectItemCaseSensitive(config, "_mlx_viterbi_biases") : NULL;
        s = om_viterbi_biases_parse(b, where ? where : "config.json", &d->biases, err);
    }
    if (s != OPENMED_OK) {
        om_privacy_decoder_free(d);
        return s;
    }
    *out = d;
    return OPENMED_OK;
}

void om_privacy_decoder_free(om_privacy_decoder *d) {
    if (!d) return;
    om_bioes_scheme_free(&d->scheme);
    free(d);
}

openmed_status om_privacy_decoder_labels(const om_privacy_decoder *d, const float *logits, const uint8_t *special,
                                         int64_t n, int32_t *labels, openmed_error *err) {
    const int L = d->scheme.n_labels;
    if (n <= 0) return OPENMED_OK;
    int64_t *rows = malloc((size_t)n * sizeof *rows);
    double *lp = malloc((size_t)n * (size_t)L * sizeof *lp);
    int32_t *path = malloc((size_t)n * sizeof *path);
    if (!rows || !lp || !path) {
        free(rows), free(lp), free(path);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy decoder: out of memory for %lld tokens", (long long)n);
    }
    int64_t m = 0;
    for (int64_t t = 0; t < n; t++) {
        labels[t] = 0;
        if (special && special[t]) continue;
        om_log_softmax_rows(logits + t * L, 1, L, lp + m * L);
        rows[m++] = t;
    }
    openmed_status s = om_viterbi_decode(&d->scheme, &d->biases, lp, m, path, err);
    if (s == OPENMED_OK)
        for (int64_t i = 0; i < m; i++) labels[rows[i]] = path[i];
    free(rows), free(lp), free(path);
    return s;
}

openmed_status om_privacy_decoder_entities(const om_privacy_decoder *d, const char *text, size_t len,
                                           const int32_t *labels, const float *probs, const size_t *offsets,
                                           const uint8_t *special, int64_t n, om_pf_entity **out, int64_t *n_out,
                                           openmed_error *err) {
    *out = NULL;
    *n_out = 0;
    const int L = d->scheme.n_labels;
    om_cp_text t;
    openmed_status s = om_cp_text_init(&t, text, len, err);
    if (s != OPENMED_OK) return s;
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    double *prob = malloc((size_t)(n > 0 ? n : 1) * sizeof *prob);
    int64_t(*off)[2] = malloc((size_t)(n > 0 ? n : 1) * sizeof *off);
    if (!lab || !prob || !off) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy decoder: out of memory for %lld tokens", (long long)n);
        goto done;
    }
    int64_t m = 0; /* the content tokens, in order */
    for (int64_t i = 0; i < n; i++) {
        if (special && special[i]) continue;
        int32_t id = labels[i];
        lab[m] = id;
        prob[m] = (id >= 0 && id < L) ? probs[i * L + id] : 0.0;
        off[m][0] = (int64_t)offsets[2 * i];
        off[m][1] = (int64_t)offsets[2 * i + 1];
        m++;
    }
    s = om_privacy_entities(&d->scheme, lab, prob, (const int64_t(*)[2])off, m, &t, out, n_out, err);
done:
    free(lab), free(prob), free(off);
    om_cp_text_free(&t);
    return s;
}
