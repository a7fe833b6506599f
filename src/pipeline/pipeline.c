/* pipeline.c: the public token-classification pipeline handle over a loaded model. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/model.h"
#include "models/workspace.h"
#include "openmed.h"
#include "pipeline/analyze.h"

struct openmed_pipeline {
    const openmed_model *model; /* shared, immutable */
    om_workspace ws;            /* this pipeline's forward scratch, grown to its largest batch */
    om_analyzer core;
    om_label_decoder decoder;
    char **id2label;   /* [n_labels], borrowed strings from the model */
    char **ignore;     /* [n_ignore], owned copies */
    size_t n_ignore;
};

static openmed_status forward_model(void *ctx, const om_batch *batch, float *logits, openmed_error *err) {
    openmed_pipeline *p = ctx;
    return om_model_forward(p->model, &p->ws, batch, logits, NULL, err);
}

openmed_status openmed_pipeline_forward(openmed_pipeline *p, const int32_t *ids, size_t n_windows, size_t window_len,
                                        float *logits, openmed_error *err) {
    if (!p || (!ids && n_windows && window_len) || (!logits && n_windows && window_len))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_pipeline_forward: NULL pipeline, ids or logits");
    if (n_windows > INT32_MAX || window_len > INT32_MAX || (window_len && n_windows > INT32_MAX / window_len))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_pipeline_forward: %zu windows of %zu tokens is too many",
                       n_windows, window_len);
    if (!n_windows || !window_len) return OPENMED_OK;
    int32_t *cu = malloc((n_windows + 1) * sizeof *cu);
    if (!cu) return om_fail(err, OPENMED_ERR_NO_MEMORY, "openmed_pipeline_forward: out of memory");
    for (size_t w = 0; w <= n_windows; w++) cu[w] = (int32_t)(w * window_len);
    om_batch batch = {ids, cu, (int)n_windows, (int64_t)(n_windows * window_len)};
    openmed_status s = om_model_forward(p->model, &p->ws, &batch, logits, NULL, err);
    free(cu);
    return s;
}

const om_analyzer *om_pipeline_analyzer(const openmed_pipeline *p) { return &p->core; }

void openmed_pipeline_free(openmed_pipeline *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_ignore; i++) free(p->ignore[i]);
    free(p->ignore);
    free(p->id2label);
    om_label_decoder_free(&p->decoder);
    om_workspace_release(&p->ws);
    free(p);
}

openmed_status openmed_pipeline_create(const openmed_model *model, const openmed_pipeline_options *options,
                                       openmed_pipeline **out, openmed_error *err) {
    *out = NULL;
    if (!model) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pipeline: model is NULL");
    openmed_pipeline_options defaults;
    if (!options) {
        openmed_pipeline_options_init(&defaults);
        options = &defaults;
    }
    openmed_pipeline *p = calloc(1, sizeof *p);
    if (!p) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pipeline: out of memory");
    p->model = model;
    om_workspace_init(&p->ws);
    int n_labels = openmed_model_num_labels(model);
    openmed_status st = OPENMED_OK;
    p->id2label = calloc((size_t)(n_labels > 0 ? n_labels : 1), sizeof *p->id2label);
    if (!p->id2label) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pipeline: out of memory");
        goto fail;
    }
    for (int i = 0; i < n_labels; i++) p->id2label[i] = (char *)openmed_model_label(model, i);

    static const char *const default_ignore[] = {"O"};
    const char *const *ignore = options->ignore_labels ? options->ignore_labels : default_ignore;
    size_t n_ignore = options->ignore_labels ? options->n_ignore_labels : 1;
    p->ignore = calloc(n_ignore ? n_ignore : 1, sizeof *p->ignore);
    if (!p->ignore) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pipeline: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n_ignore; i++) {
        if (!ignore[i]) {
            st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pipeline: ignore_labels[%zu] is NULL", i);
            goto fail;
        }
        p->ignore[i] = strdup(ignore[i]);
        if (!p->ignore[i]) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pipeline: out of memory");
            goto fail;
        }
        p->n_ignore++;
    }
    st = om_label_decoder_init_config(&p->decoder, options->decoder, (const char *const *)p->id2label, n_labels,
                                      model->config_json, err); /* privacy: Viterbi biases from config */
    if (st != OPENMED_OK) goto fail;

    om_analyzer *a = &p->core;
    om_analyzer_bind_tokenizer(a, openmed_model_tokenizer(model));
    a->agg = (om_agg_params){options->aggregation, (const char *const *)p->id2label, n_labels,
                             (const char *const *)p->ignore, p->n_ignore, options->threshold, &p->decoder};
    a->max_length = openmed_model_max_length(model);
    a->stride = options->stride;
    a->mode = options->long_text == OPENMED_LONG_TEXT_ALL_WINDOWS ? OM_WINDOWS_ALL : OM_WINDOWS_HF;
    a->batch_size = options->batch_size;
    a->max_batch_tokens = 0;
    a->forward = forward_model;
    a->forward_ctx = p;
    st = om_analyzer_check(a, err);
    if (st != OPENMED_OK) goto fail;
    *out = p;
    return OPENMED_OK;
fail:
    openmed_pipeline_free(p);
    return st;
}

openmed_status openmed_pipeline_run(openmed_pipeline *p, const char *const *texts, size_t n_texts,
                                    openmed_result **results, openmed_error *err) {
    *results = NULL;
    if (!p) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pipeline is NULL");
    if (n_texts > 0 && !texts) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pipeline: texts is NULL");
    openmed_result *r = calloc(n_texts ? n_texts : 1, sizeof *r);
    if (!r) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pipeline: out of memory for %zu results", n_texts);
    openmed_status st = om_analyze_texts(&p->core, texts, n_texts, r, err);
    if (st != OPENMED_OK) {
        free(r);
        return st;
    }
    *results = r;
    return OPENMED_OK;
}

void openmed_pipeline_set_cancel(openmed_pipeline *p, openmed_cancel_callback should_stop, void *user_data) {
    if (!p) return;
    p->core.cancel.should_stop = should_stop;
    p->core.cancel.ctx = should_stop ? user_data : NULL;
}

void openmed_results_free(openmed_result *results, size_t n_results) {
    if (!results) return;
    for (size_t i = 0; i < n_results; i++) om_result_clear(&results[i]);
    free(results);
}
