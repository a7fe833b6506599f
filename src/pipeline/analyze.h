/* analyze.h: the token-classification pipeline over a tokenizer and a forward function, without
 * the public handle: texts -> content tokens -> windows -> packed forward passes -> entities.
 * pipeline.c binds it to a loaded model; tests may bind it to any forward function. */
#ifndef OM_PIPELINE_ANALYZE_H
#define OM_PIPELINE_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "pipeline/aggregation.h"
#include "pipeline/batch.h"
#include "pipeline/windows.h"
#include "tokenizer/tokenizer.h"

typedef struct om_analyzer {
    const om_tokenizer *tok;
    om_token_strings strings; /* bound to tok by om_analyzer_bind_tokenizer */
    om_agg_params agg;        /* strategy, labels, ignore list, threshold, decoder */
    int64_t max_length;       /* tokens per window, special tokens included */
    int stride;               /* -1 = none */
    om_window_mode mode;
    int batch_size;           /* windows per forward pass */
    int64_t max_batch_tokens; /* 0 = no cap */
    om_forward_fn forward;
    void *forward_ctx;
    om_cancel cancel;         /* asked before each text and each forward pass */
} om_analyzer;

/* Fill a->tok and a->strings from a tokenizer. */
void om_analyzer_bind_tokenizer(om_analyzer *a, const om_tokenizer *tok);

/* Check the options like HF's _sanitize_parameters (stride vs window, stride with none). */
openmed_status om_analyzer_check(const om_analyzer *a, openmed_error *err);

/* Analyze n texts (NUL-terminated UTF-8) into results[n] (caller-allocated, filled on success;
 * free each with om_result_clear). */
openmed_status om_analyze_texts(const om_analyzer *a, const char *const *texts, size_t n, openmed_result *results,
                                openmed_error *err);

void om_result_clear(openmed_result *r);

/* The analyzer behind a public pipeline handle (pipeline.c). */
const om_analyzer *om_pipeline_analyzer(const openmed_pipeline *pipeline);

#endif
