/* deid.c: from the text to the public result: the detection view, the detectors, joining,
 * allow list, repeats, the map back to the caller's text and, for de-identification, the
 * replacements. Every failure is an error without text (fail closed). */
#include "deid/deid.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"
#include "core/log.h"
#include "deid/detector.h"
#include "deid/labels.h"
#include "deid/policy.h"
#include "deid/redact.h"
#include "deid/view.h"
#include "models/bundled.h"

openmed_status om_deid_check_text(const char *text, size_t len, openmed_error *err) {
    if (!text && len) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: NULL with length %zu", len);
    const char *nul = len ? memchr(text, 0, len) : NULL;
    if (nul)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: NUL byte at byte %zu (text must be UTF-8 without NUL)",
                       (size_t)(nul - text));
    for (size_t i = 0; i < len;) {
        if ((unsigned char)text[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: invalid UTF-8 at byte %zu", i);
        i += (size_t)k;
    }
    return OPENMED_OK;
}

void openmed_deid_result_free(openmed_deid_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_entities; i++) {
        free((char *)r->entities[i].text);
        free((char *)r->entities[i].label);
        free((char *)r->entities[i].redacted_text);
        free((char *)r->entities[i].source);
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

/* "repeat" for another occurrence of a found value, else the names of the detectors joined by '+'. */
static char *source_name(unsigned source) {
    if (source & OM_SRC_REPEAT) return strdup("repeat");
    char buf[256] = "";
    for (size_t i = 0; i < om_n_detectors; i++) {
        if (!(source & om_detectors[i].bit)) continue;
        if (*buf) strncat(buf, "+", sizeof buf - strlen(buf) - 1);
        strncat(buf, om_detectors[i].name, sizeof buf - strlen(buf) - 1);
    }
    return strdup(*buf ? buf : "unknown");
}

/* Do the method or the policy use the key (hash, replace, format_preserve, a patient's shift)? */
static int needs_key(const openmed_deid_options *o) {
    if (o->patient_key) return 1;
    int m = o->method == OPENMED_DEID_HASH || o->method == OPENMED_DEID_REPLACE || o->method == OPENMED_DEID_FORMAT_PRESERVE;
    if (!o->policy) return m;
    const openmed_policy *p = o->policy;
    for (int c = 0; c < OM_PHI_N_CLASSES; c++)
        if ((p->classes[c] == OM_ACT_METHOD && m) || p->classes[c] == OM_ACT_HASH || p->classes[c] == OM_ACT_REPLACE ||
            p->classes[c] == OM_ACT_FORMAT_PRESERVE)
            return 1;
    for (size_t i = 0; i < p->n_labels; i++)
        if ((p->labels[i].action == OM_ACT_METHOD && m) || p->labels[i].action == OM_ACT_HASH ||
            p->labels[i].action == OM_ACT_REPLACE || p->labels[i].action == OM_ACT_FORMAT_PRESERVE)
            return 1;
    return 0;
}

/* Say once per process that the bundled PII model is a demo, when it is the one in use. */
static void warn_if_demo(const struct openmed_model *model) {
    static int warned;
    if (!model || __atomic_load_n(&warned, __ATOMIC_RELAXED)) return;
    char bundled[OPENMED_PATH_MAX], a[OPENMED_PATH_MAX], b[OPENMED_PATH_MAX];
    const char *path = openmed_model_path(model);
    if (!path || !om_bundled_model_dir("pii", bundled, sizeof bundled)) return;
    if (!realpath(path, a) || !realpath(bundled, b) || strcmp(a, b) != 0) return;
    if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) return;
    OM_WARN("the bundled PII model is a small demo trained on synthetic notes: it misses identifiers a real model "
            "finds; do not rely on it to de-identify real records (pass --model with a real PII model)");
}

/* The final spans over the original text, in text order and disjoint. */
static openmed_status find_spans(const struct openmed_model *model, const openmed_entity *entities, size_t n_entities,
                                 const om_deid_view *view, const openmed_deid_options *o, om_span_list *spans,
                                 openmed_error *err) {
    om_detect_input in = {view, o, model, entities, n_entities, NULL};
    openmed_status st = om_detect_all(&in, spans, err);
    if (st == OPENMED_OK) om_spans_protect_clinical(view->text, view->len, spans, o);
    if (st == OPENMED_OK) st = om_spans_join(spans, err);
    if (st == OPENMED_OK) om_spans_apply_allow_list(view->text, spans, o);
    if (st == OPENMED_OK) st = om_spans_add_repeats(view->text, view->len, spans, err);
    if (st == OPENMED_OK) om_spans_protect_clinical(view->text, view->len, spans, o); /* repeats inside terms */
    if (st != OPENMED_OK) return st;
    for (size_t k = 0; k < spans->n; k++) {
        size_t o0, o1;
        om_deid_view_to_original(view, spans->items[k].start, spans->items[k].end, &o0, &o1);
        spans->items[k].start = o0;
        spans->items[k].end = o1;
    }
    return om_spans_join(spans, err); /* two spans inside one folded cluster now overlap */
}

openmed_status om_deid_run(const struct openmed_model *model, const openmed_entity *entities, size_t n_entities,
                           const char *text, size_t len, const openmed_deid_options *options, int redact,
                           openmed_deid_result **out, openmed_error *err) {
    const char *what = redact ? "deidentify" : "pii extract";
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: out is NULL", what);
    *out = NULL;
    if (!options) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: options are NULL", what);
    openmed_status st = om_deid_check_options(options, what, err);
    if (st == OPENMED_OK) st = om_deid_check_text(text, len, err);
    if (st != OPENMED_OK) return st;
    if (!text) text = "";
    om_deid_view view;
    st = om_deid_view_init(&view, text, len, err);
    if (st != OPENMED_OK) return st;
    om_span_list spans = {0};
    om_redaction red = {0};
    openmed_deid_result *r = NULL;
    if (!(r = calloc(1, sizeof *r))) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
        goto done;
    }
    r->method = options->method;
    /* a policy can lower the threshold and make the sweep mandatory */
    openmed_deid_options eff = *options;
    if (eff.policy && eff.policy->confidence_threshold >= 0.0f && eff.policy->confidence_threshold < eff.confidence_threshold)
        eff.confidence_threshold = eff.policy->confidence_threshold;
    if (eff.policy && eff.policy->safety_sweep) eff.safety_sweep = 1;
    r->confidence_threshold = eff.confidence_threshold;
    r->safety_sweep = eff.safety_sweep;
    om_key key = {0};
    if (redact && needs_key(&eff)) st = om_deid_key(&eff, &key, err);
    r->random_key = key.random;
    if (st == OPENMED_OK && redact && om_deid_shifts_dates(&eff)) st = om_deid_date_shift(&eff, &key, &r->date_shift_days, err);
    if (st == OPENMED_OK) st = find_spans(model, entities, n_entities, &view, &eff, &spans, err);
    if (st == OPENMED_OK && redact) {
        om_value *values = calloc(spans.n ? spans.n : 1, sizeof *values);
        if (!values) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
        for (size_t k = 0; k < spans.n && values; k++) {
            size_t v0, v1;
            om_deid_view_from_original(&view, spans.items[k].start, spans.items[k].end, &v0, &v1);
            values[k] = (om_value){view.text + v0, v1 - v0};
        }
        om_redact_input in = {text, len, &spans, values, view.text, view.len, &eff, &key, r->date_shift_days};
        if (st == OPENMED_OK) st = om_pii_redact(&in, &red, err);
        free(values);
    }
    if (st != OPENMED_OK) goto done;
    r->entities = calloc(spans.n ? spans.n : 1, sizeof *r->entities);
    if (!r->entities) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
        goto done;
    }
    size_t byte = 0;
    int64_t cp = 0; /* code points before `byte`; spans are in text order */
    for (size_t k = 0; k < spans.n; k++) {
        const om_pii_span *s = &spans.items[k];
        openmed_pii_entity *e = &r->entities[r->n_entities++];
        for (; byte < s->start; byte++) cp += ((unsigned char)text[byte] & 0xC0) != 0x80;
        e->start = cp;
        for (; byte < s->end; byte++) cp += ((unsigned char)text[byte] & 0xC0) != 0x80;
        e->end = cp;
        e->text = strndup(text + s->start, s->end - s->start);
        e->label = strdup(s->label);
        e->source = source_name(s->source);
        e->confidence = s->score;
        if (redact) { /* the replacement moves to the result */
            e->redacted_text = red.replacements[k];
            red.replacements[k] = NULL;
            e->action = om_action_name(red.actions[k]);
        }
        e->hipaa_class = om_phi_class_name(om_label_class(s->label));
        if (!e->text || !e->label || !e->source) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
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
    om_deid_view_free(&view);
    if (st != OPENMED_OK) { /* fail closed: no result, no text */
        openmed_deid_result_free(r);
        r = NULL;
    }
    *out = r;
    return st;
}

openmed_status om_deid_from_entities(const char *text, size_t len, const openmed_entity *entities, size_t n_entities,
                                     const openmed_deid_options *options, int redact, openmed_deid_result **out,
                                     openmed_error *err) {
    static const openmed_entity none[1];
    return om_deid_run(NULL, entities ? entities : none, entities ? n_entities : 0, text, len, options, redact, out,
                       err);
}

openmed_status openmed_pii_extract(const struct openmed_model *model, const char *text, size_t len,
                                   const openmed_deid_options *options, openmed_deid_result **out,
                                   openmed_error *err) {
    openmed_deid_options defaults;
    if (!options) {
        openmed_deid_options_init(&defaults);
        defaults.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
        options = &defaults;
    }
    if (!model && options && !options->safety_sweep && !options->n_deny_list)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "pii extract: no model and the safety sweep is off: nothing would be found");
    warn_if_demo(model);
    return om_deid_run(model, NULL, 0, text, len, options, 0, out, err);
}

openmed_status openmed_deidentify(const struct openmed_model *model, const char *text, size_t len,
                                  const openmed_deid_options *options, openmed_deid_result **out,
                                  openmed_error *err) {
    openmed_deid_options defaults;
    if (!options) {
        openmed_deid_options_init(&defaults);
        options = &defaults;
    }
    if (!model && !options->safety_sweep && !options->n_deny_list)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "deidentify: no model and the safety sweep is off: nothing would be found");
    warn_if_demo(model);
    return om_deid_run(model, NULL, 0, text, len, options, 1, out, err);
}
