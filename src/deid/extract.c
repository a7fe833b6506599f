/* extract.c: the public entry points: the model read over the whole text with "simple"
 * aggregation, then the steps of deid.c. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/deid.h"

/* The model's entities over the text (NUL-terminated copy of `len` bytes). */
static openmed_status run_model(const openmed_model *model, const char *text, size_t len, openmed_result **res,
                                openmed_error *err) {
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.aggregation = OPENMED_AGGREGATION_SIMPLE;
    po.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS; /* a note is read to its end, never truncated */
    po.decoder = openmed_model_default_decoder(model);
    openmed_pipeline *pipe = NULL;
    openmed_status st = openmed_pipeline_create(model, &po, &pipe, err);
    if (st != OPENMED_OK) return st;
    char *copy = malloc(len + 1);
    if (!copy) {
        openmed_pipeline_free(pipe);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory copying %zu bytes of text", len);
    }
    if (len) memcpy(copy, text, len);
    copy[len] = 0;
    const char *texts[1] = {copy};
    st = openmed_pipeline_run(pipe, texts, 1, res, err);
    free(copy);
    openmed_pipeline_free(pipe);
    return st;
}

static openmed_status run(const openmed_model *model, const char *text, size_t len,
                          const openmed_deid_options *options, int redact, openmed_deid_result **out,
                          openmed_error *err) {
    const char *what = redact ? "deidentify" : "pii extract";
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: out is NULL", what);
    *out = NULL;
    openmed_status st = om_deid_check_options(options, what, err);
    if (st == OPENMED_OK) st = om_deid_check_text(text, len, err);
    if (st != OPENMED_OK) return st;
    if (!model && !options->safety_sweep)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: no model and the safety sweep is off: nothing would be found",
                       what);
    openmed_result *res = NULL;
    if (model) {
        st = run_model(model, text, len, &res, err);
        if (st != OPENMED_OK) {
            if (err) om_fail_prefix(err, "%s", what);
            return st;
        }
    }
    st = om_deid_from_entities(text, len, res ? res[0].entities : NULL, res ? res[0].n_entities : 0, options, redact,
                               out, err);
    openmed_results_free(res, res ? 1 : 0);
    return st;
}

openmed_status openmed_pii_extract(const openmed_model *model, const char *text, size_t len,
                                   const openmed_deid_options *options, openmed_deid_result **out,
                                   openmed_error *err) {
    openmed_deid_options defaults;
    if (!options) {
        openmed_deid_options_init(&defaults);
        defaults.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
        options = &defaults;
    }
    return run(model, text, len, options, 0, out, err);
}

openmed_status openmed_deidentify(const openmed_model *model, const char *text, size_t len,
                                  const openmed_deid_options *options, openmed_deid_result **out,
                                  openmed_error *err) {
    openmed_deid_options defaults;
    if (!options) {
        openmed_deid_options_init(&defaults);
        options = &defaults;
    }
    return run(model, text, len, options, 1, out, err);
}
