/* detect_model.c: the PII model as a detector: run over the whole detection view with "simple"
 * aggregation, entities at or above the confidence threshold, tidied to whole words. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/detector.h"
#include "pipeline/text_index.h"

/* The model's entities over the view, with the pipeline batch.c runs it with. */
static openmed_status run_model(const openmed_model *model, const om_deid_view *view, openmed_result **res,
                                openmed_error *err) {
    openmed_pipeline *pipe = NULL;
    openmed_status st = openmed_pii_pipeline_create(model, 0, &pipe, err);
    if (st != OPENMED_OK) return st;
    const char *texts[1] = {view->text};
    st = openmed_pipeline_run(pipe, texts, 1, res, err);
    openmed_pipeline_free(pipe);
    return st;
}

openmed_status om_detect_model(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    const openmed_entity *entities = in->model_entities;
    size_t n = in->n_model_entities;
    openmed_result *res = NULL;
    openmed_status st = OPENMED_OK;
    if (!entities && in->model) {
        st = run_model(in->model, in->view, &res, err);
        if (st != OPENMED_OK) return st;
        entities = res[0].entities;
        n = res[0].n_entities;
    }
    om_text_index ix = {0};
    if (n) st = om_text_index_init(&ix, in->view->text, in->view->len, "detection view", err);
    float threshold = in->options->confidence_threshold;
    for (size_t i = 0; i < n && st == OPENMED_OK; i++) {
        const openmed_entity *e = &entities[i];
        if (!isfinite(e->score) || e->score < 0.0f || e->score > 1.0f) { /* a broken model: fail closed */
            st = om_fail(err, OPENMED_ERR_NUMERIC, "pii: the model gave entity %zu a score of %g (not a probability)",
                         i, (double)e->score);
            break;
        }
        if (e->score < threshold) continue;
        int64_t start = e->start < 0 ? 0 : e->start, end = e->end > ix.n_cp ? ix.n_cp : e->end;
        if (start >= end) continue;
        om_pii_span s = {ix.cp_byte[start], ix.cp_byte[end], "", e->score, OM_SRC_MODEL};
        strncpy(s.label, e->label && *e->label ? e->label : "PII", sizeof s.label - 1);
        st = om_span_list_push(out, &s, err);
    }
    if (st == OPENMED_OK) om_spans_tidy(in->view->text, in->view->len, out);
    om_text_index_free(&ix);
    openmed_results_free(res, res ? 1 : 0);
    return st;
}
