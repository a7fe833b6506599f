/* redact.h: the replacement text of each identifier by method, and the de-identified text. */
#ifndef OM_DEID_REDACT_H
#define OM_DEID_REDACT_H

#include "deid/spans.h"

/* A value as detection saw it (the view's folded form of the span): what replacements are made
 * from, so no character of the original (a zero-width joiner, a full-width digit) survives. */
typedef struct om_value {
    const char *s;
    size_t n;
} om_value;

typedef struct om_redaction {
    char **replacements;          /* [n_spans], owned */
    size_t n_replacements;
    char *text;                   /* the de-identified text, NUL-terminated, owned */
    size_t len;
    openmed_deid_mapping *mapping; /* [n_mapping] with keep_mapping; strings owned */
    size_t n_mapping;
} om_redaction;

/* Replace the non-overlapping spans (in text order) of `n` bytes of text; values[k] is span k's
 * folded value (view.h), from which replacements, hashes and placeholder identity are made. mask: "[LABEL]";
 * remove: "" ("[LABEL_REMOVED]" with keep_mapping); hash: LABEL_ + 8 hex of sha256(value);
 * shift_dates: a date moved by `shift_days` in its own format ("[DATE_SHIFTED]" when it lacks a year,
 * month or day or cannot be read), other labels masked; replace:
 * om_pii_surrogate, asking for another surrogate while one clashes with a value of this text (equal
 * to, inside, or holding one), so a fake name never repeats a real one. With keep_mapping, the same
 * label and value share one placeholder and further values of a label get "[LABEL_2]", "[LABEL_3]"...
 * (every "[...]" placeholder), and `mapping` maps each placeholder to its value. The output equals OpenMed's
 * replacement from the highest start to the lowest (the spans are disjoint). */
openmed_status om_pii_redact(const char *text, size_t n, const om_span_list *spans, const om_value *values,
                             openmed_deid_method method, int keep_mapping, int shift_days, om_redaction *out,
                             openmed_error *err);
void om_redaction_free(om_redaction *r);

#endif
