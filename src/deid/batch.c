/* batch.c: PII extraction and de-identification of many texts with one model pass: each text's
 * own checks and detection view, one openmed_pipeline_run over the views that passed, then each
 * text finished with its own options and the model's entities over its view (deid.c). The model is
 * run here and in detect_model.c with the pipeline openmed_pii_pipeline_create makes. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/deid.h"
#include "deid/view.h"

openmed_status openmed_pii_pipeline_create(const openmed_model *model, int batch_size, openmed_pipeline **out,
                                           openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii pipeline: out is NULL");
    *out = NULL;
    if (!model) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii pipeline: model is NULL");
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.aggregation = OPENMED_AGGREGATION_SIMPLE;
    po.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS; /* a note is read to its end, never truncated */
    po.decoder = openmed_model_default_decoder(model);
    if (batch_size) po.batch_size = batch_size;
    return openmed_pipeline_create(model, &po, out, err);
}

static const char *item_what(const openmed_pii_item *it) { return it->deidentify ? "deidentify" : "pii extract"; }

/* The item's options, or the defaults of its operation in *defaults. */
static const openmed_deid_options *item_options(const openmed_pii_item *it, openmed_deid_options *defaults) {
    if (it->options) return it->options;
    openmed_deid_options_init(defaults);
    if (!it->deidentify) defaults->confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
    return defaults;
}

openmed_status openmed_pii_run_batch(openmed_pipeline *pipeline, openmed_pii_item *items, size_t n,
                                     openmed_error *err) {
    if (n && !items) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii batch: items is NULL");
    openmed_error pass = {0}; /* what failed the batch as a whole */
    openmed_status st = OPENMED_OK;
    om_deid_view *views = calloc(n ? n : 1, sizeof *views);
    const char **texts = calloc(n ? n : 1, sizeof *texts); /* the views the model reads */
    size_t *which = calloc(n ? n : 1, sizeof *which);      /* the item of each view */
    openmed_result *res = NULL;
    size_t n_run = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].result = NULL;
        items[i].status = OPENMED_OK;
        items[i].error.status = OPENMED_OK;
        items[i].error.message[0] = '\0';
    }
    if (!views || !texts || !which) {
        st = om_fail(&pass, OPENMED_ERR_NO_MEMORY, "pii batch: out of memory for %zu texts", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        openmed_pii_item *it = &items[i];
        openmed_deid_options defaults;
        const openmed_deid_options *o = item_options(it, &defaults);
        openmed_status s = om_deid_check_options(o, item_what(it), &it->error);
        if (s == OPENMED_OK) s = om_deid_check_text(it->text, it->len, &it->error);
        if (s == OPENMED_OK && !pipeline && !o->safety_sweep && !o->n_deny_list)
            s = om_fail(&it->error, OPENMED_ERR_INVALID_ARGUMENT,
                        "%s: no model and the safety sweep is off: nothing would be found", item_what(it));
        it->status = s;
        if (s != OPENMED_OK || !pipeline) continue;
        st = om_deid_view_init(&views[n_run], it->text ? it->text : "", it->len, &pass);
        if (st != OPENMED_OK) goto done;
        texts[n_run] = views[n_run].text;
        which[n_run++] = i;
    }
    if (n_run) {
        st = openmed_pipeline_run(pipeline, texts, n_run, &res, &pass);
        if (st != OPENMED_OK) goto done;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        openmed_pii_item *it = &items[i];
        const openmed_result *r = k < n_run && which[k] == i ? &res[k++] : NULL;
        if (it->status != OPENMED_OK) continue;
        openmed_deid_options defaults;
        it->status = om_deid_from_entities(it->text, it->len, r ? r->entities : NULL, r ? r->n_entities : 0,
                                           item_options(it, &defaults), it->deidentify, &it->result, &it->error);
    }
done:
    if (st != OPENMED_OK) { /* every item not failed by its own checks carries the batch's error */
        for (size_t i = 0; i < n; i++) {
            if (items[i].status != OPENMED_OK) continue;
            items[i].status = st;
            items[i].error = pass;
            om_fail_prefix(&items[i].error, st, "%s", item_what(&items[i]));
        }
        if (err) *err = pass;
    }
    openmed_results_free(res, n_run);
    for (size_t k = 0; views && k < n_run; k++) om_deid_view_free(&views[k]);
    free(views);
    free(texts);
    free(which);
    return st;
}
