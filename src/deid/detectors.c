/* detectors.c: the table of detectors, run in order over the detection view (detector.h). */
#include <stdio.h>

#include "core/error.h"
#include "deid/detector.h"
#include "deid/sweep.h"

const om_detector om_detectors[] = {
    {"model", OM_SRC_MODEL, om_detect_model},
    {"sweep", OM_SRC_SWEEP, om_detect_sweep},
    {"deny", OM_SRC_DENY, om_detect_deny},
    /* structured identifiers, validated where a check exists (they run with the sweep) */
    {"account", OM_SRC_ACCOUNT, om_detect_account},
    {"network", OM_SRC_NETWORK, om_detect_network},
    {"phone", OM_SRC_PHONE, om_detect_phone},
    {"labelled", OM_SRC_LABELLED, om_detect_labelled},
    {"address", OM_SRC_ADDRESS, om_detect_address},
    /* person names, last: they build on the names and values found before */
    {"names", OM_SRC_NAMES, om_detect_names},
};
const size_t om_n_detectors = sizeof om_detectors / sizeof om_detectors[0];

openmed_status om_detect_sweep(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    return om_pii_sweep(in->view->text, in->view->len, out, err);
}

openmed_status om_detect_push(om_span_list *out, size_t start, size_t end, const char *label, float score,
                              openmed_error *err) {
    om_pii_span s = {start, end, "", score, 0};
    snprintf(s.label, sizeof s.label, "%s", label);
    return om_span_list_push(out, &s, err);
}

openmed_status om_detect_all(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    om_detect_input each = *in;
    each.found = out;
    om_span_list mine = {0};
    openmed_status st = OPENMED_OK;
    for (size_t i = 0; i < om_n_detectors && st == OPENMED_OK; i++) {
        mine.n = 0;
        st = om_detectors[i].detect(&each, &mine, err);
        for (size_t k = 0; k < mine.n && st == OPENMED_OK; k++) {
            om_pii_span *s = &mine.items[k];
            s->source |= om_detectors[i].bit;
            if (s->start >= s->end || s->end > in->view->len || !(s->score >= 0.0f && s->score <= 1.0f))
                st = om_fail(err, OPENMED_ERR_INTERNAL,
                             "pii: detector '%s' gave a span [%zu, %zu) with score %g outside the %zu-byte view",
                             om_detectors[i].name, s->start, s->end, (double)s->score, in->view->len);
            else
                st = om_span_list_push(out, s, err);
        }
    }
    om_span_list_free(&mine);
    return st;
}
