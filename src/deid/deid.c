/* deid.c: from the model's entities to the public result: threshold, word widening, safety sweep,
 * merge, overlap resolution, repeated values and, for de-identification, the replacements. */
#include "deid/deid.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/redact.h"
#include "deid/spans.h"
#include "deid/sweep.h"
#include "pipeline/text_index.h"

openmed_status om_deid_check_text(const char *text, size_t len, openmed_error *err) {
    if (!text && len) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: NULL with length %zu", len);
    const char *nul = len ? memchr(text, 0, len) : NULL;
    if (nul)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: NUL byte at byte %zu (text must be UTF-8 without NUL)",
                       (size_t)(nul - text));
    return OPENMED_OK;
}

void openmed_deid_result_free(openmed_deid_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_entities; i++) {
        free((char *)r->entities[i].text);
        free((char *)r->entities[i].label);
        free((char *)r->entities[i].redacted_text);
    }
    free(r->entities);
    for (size_t i = 0; i < r->n_mapping; i++) {
        free((char *)r->mapping[i].redacted);
        free((char *)r->mapping[i].original);
    }
    free(r->mapping);
    free(r->deidentified_text);
    free(r);
}

static const char *source_name(unsigned sources) {
    if (sources & OM_SPAN_REPEAT) return "repeat";
    if (sources == (OM_SPAN_MODEL | OM_SPAN_SWEEP)) return "model+sweep";
    return sources == OM_SPAN_SWEEP ? "sweep" : "model";
}

/* Model entities at or above the threshold as byte spans. */
static openmed_status model_spans(const om_text_index *ix, const openmed_entity *entities, size_t n_entities,
                                  float threshold, om_span_list *out, openmed_error *err) {
    for (size_t i = 0; i < n_entities; i++) {
        const openmed_entity *e = &entities[i];
        if (!(e->score >= threshold)) continue;
        int64_t start = e->start < 0 ? 0 : e->start, end = e->end > ix->n_cp ? ix->n_cp : e->end;
        if (start >= end) continue;
        om_pii_span s = {ix->cp_byte[start], ix->cp_byte[end], "", e->score, OM_SPAN_MODEL};
        strncpy(s.label, e->label ? e->label : "PII", sizeof s.label - 1);
        openmed_status st = om_span_list_push(out, &s, err);
        if (st != OPENMED_OK) return st;
    }
    return OPENMED_OK;
}

/* The final spans of the text, in text order and disjoint. */
static openmed_status find_spans(const om_text_index *ix, const openmed_entity *entities, size_t n_entities,
                                 const openmed_deid_options *o, om_span_list *out, openmed_error *err) {
    om_span_list model = {0}, sweep = {0};
    openmed_status st = model_spans(ix, entities, n_entities, o->confidence_threshold, &model, err);
    if (st == OPENMED_OK) om_spans_tidy(ix->text, ix->n_bytes, &model);
    if (st == OPENMED_OK && o->safety_sweep) st = om_pii_sweep(ix->text, ix->n_bytes, &sweep, err);
    if (st == OPENMED_OK) st = om_spans_merge_sweep(&model, &sweep, out, err);
    if (st == OPENMED_OK) st = om_spans_resolve_overlaps(ix, out, err);
    if (st == OPENMED_OK) st = om_spans_add_repeats(ix, out, err);
    om_span_list_free(&model);
    om_span_list_free(&sweep);
    return st;
}

openmed_status om_deid_from_entities(const char *text, size_t len, const openmed_entity *entities, size_t n_entities,
                                     const openmed_deid_options *options, int redact, openmed_deid_result **out,
                                     openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii: out is NULL");
    *out = NULL;
    if (!options) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii: options are NULL");
    openmed_status st = om_deid_check_options(options, redact ? "deidentify" : "pii extract", err);
    if (st == OPENMED_OK) st = om_deid_check_text(text, len, err);
    if (st != OPENMED_OK) return st;
    om_text_index ix;
    st = om_text_index_init(&ix, text ? text : "", len, "text", err);
    if (st != OPENMED_OK) return st;
    om_span_list spans = {0};
    om_redaction red = {0};
    openmed_deid_result *r = calloc(1, sizeof *r);
    if (!r) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
        goto done;
    }
    r->method = options->method;
    if (redact && options->method == OPENMED_DEID_SHIFT_DATES) st = om_deid_date_shift(options, &r->date_shift_days, err);
    if (st == OPENMED_OK) st = find_spans(&ix, entities, n_entities, options, &spans, err);
    if (st == OPENMED_OK && redact)
        st = om_pii_redact(ix.text, len, &spans, options->method, options->keep_mapping, r->date_shift_days, &red, err);
    if (st != OPENMED_OK) goto done;
    r->entities = calloc(spans.n ? spans.n : 1, sizeof *r->entities);
    if (!r->entities) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
        goto done;
    }
    for (size_t k = 0; k < spans.n; k++) {
        const om_pii_span *s = &spans.items[k];
        openmed_pii_entity *e = &r->entities[r->n_entities++];
        e->text = strndup(ix.text + s->b0, s->b1 - s->b0);
        e->label = strdup(s->label);
        e->start = om_text_cp_at_byte(&ix, s->b0);
        e->end = om_text_cp_at_byte(&ix, s->b1);
        e->confidence = s->score;
        e->source = source_name(s->sources);
        if (redact) { /* the replacement moves to the result */
            e->redacted_text = red.replacements[k];
            red.replacements[k] = NULL;
        }
        if (!e->text || !e->label) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
            goto done;
        }
    }
    if (redact) {
        r->deidentified_text = red.text;
        r->deidentified_len = red.len;
        r->mapping = red.mapping;
        r->n_mapping = red.n_mapping;
        red.text = NULL;
        red.mapping = NULL;
        red.n_mapping = 0;
    }
done:
    om_redaction_free(&red);
    om_span_list_free(&spans);
    om_text_index_free(&ix);
    if (st != OPENMED_OK) {
        openmed_deid_result_free(r);
        r = NULL;
    }
    *out = r;
    return st;
}
