/* redact.h: the action and replacement text of each identifier (policy, method, keys), placeholder
 * numbering, the mapping back to the original values, and the de-identified text. */
#ifndef OM_DEID_REDACT_H
#define OM_DEID_REDACT_H

#include "deid/keys.h"
#include "deid/policy.h"
#include "deid/spans.h"

/* A value as detection saw it (the view's folded form of the span): what replacements are made
 * from, so no character of the original (a zero-width joiner, a full-width digit) survives. */
typedef struct om_value {
    const char *s;
    size_t n;
} om_value;

typedef struct om_redact_input {
    const char *text;                  /* the caller's text */
    size_t len;
    const om_span_list *spans;         /* over `text`, in text order, disjoint */
    const om_value *values;            /* [spans->n] folded values */
    const char *view;                  /* the folded text (surrogates must not reuse its words) */
    size_t view_len;
    const openmed_deid_options *options;
    const om_key *key;                 /* for hash, replace, format_preserve */
    int shift_days;                    /* shift_dates */
} om_redact_input;

typedef struct om_redaction {
    char **replacements;          /* [n_replacements], owned */
    om_action *actions;           /* [n_replacements]: what was done (never OM_ACT_METHOD) */
    size_t n_replacements;
    char *text;                   /* the de-identified text, NUL-terminated, owned */
    size_t len;
    openmed_deid_mapping *mapping; /* [n_mapping] with keep_mapping; strings owned */
    size_t n_mapping;
} om_redaction;

/* Replace every span by its action: the policy's for its label, where OM_ACT_METHOD (and no policy)
 * means options->method. mask: "[LABEL]"; remove: "" ("[LABEL_REMOVED]" with keep_mapping); hash:
 * LABEL_ + 16 hex of HMAC-SHA256(key, value); replace / format_preserve: om_pii_surrogate /
 * om_pii_format_preserve, taking another attempt while the fake is already used by another value of
 * this text or shares a word with the text (after 16 attempts, "[LABEL]"); shift_dates: a date moved
 * by shift_days in its own format (keep_year keeps the year; "[DATE_SHIFTED]" when it lacks a year,
 * month or day), other classes masked; keep: the value itself; age_over_89: "90+" for ages of 90
 * or more, else kept; zip3: "021**" ("000**" for restricted areas), else masked. Numeric dates that
 * read both ways take the document's order (day first when one of its dates must be). With
 * keep_mapping the same label and value share one placeholder, further values of a label get
 * "[LABEL_2]", "[LABEL_3]"... (every "[...]" placeholder), and `mapping` maps each replacement to
 * its value (occurrence keys for a replacement standing for several values). Linear in the spans
 * and the text. */
openmed_status om_pii_redact(const om_redact_input *in, om_redaction *out, openmed_error *err);
void om_redaction_free(om_redaction *r);

/* 1 when a numeric date of this document must be read day first (13/07/1970) and none month first. */
int om_dates_day_first(const om_span_list *spans, const om_value *values);

#endif
