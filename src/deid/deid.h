/* deid.h: PII extraction and de-identification: the steps between the public entry points and the
 * detectors (detector.h), and the seam tests use to give the model's entities by hand. */
#ifndef OM_DEID_DEID_H
#define OM_DEID_DEID_H

#include "deid/keys.h"
#include "deid/spans.h"
#include "openmed.h"

/* Check options (method, threshold in [0, 1], lists); `what` names the caller in the message. */
openmed_status om_deid_check_options(const openmed_deid_options *options, const char *what, openmed_error *err);

/* 1 when some identifier may be date-shifted: the method is shift_dates, or the policy names it. */
int om_deid_shifts_dates(const openmed_deid_options *options);

#define OM_MAX_DATE_SHIFT 36500 /* days, about a century */

/* The shift_dates offset in days, never 0, as OpenMed derives it: with patient_key,
 * HMAC-SHA256(key, patient_key) as a big-endian integer modulo 2 max, mapped to [-max, -1] or
 * [1, max] (max = date_shift_max_days, else |date_shift_days|, else 365); else date_shift_days if
 * set; else the same mapping of sha256("openmed-date-shift-seed-v1\0" + date_shift_seed), or of
 * random bytes. */
openmed_status om_deid_date_shift(const openmed_deid_options *options, const om_key *key, int *days,
                                  openmed_error *err);

/* Check that `len` bytes of `text` are UTF-8 without NUL bytes, naming the byte at fault. */
openmed_status om_deid_check_text(const char *text, size_t len, openmed_error *err);

/* Drop spans whose value is on the caller's allow list (ignoring ASCII case); deny-list hits stay. */
void om_spans_apply_allow_list(const char *text, om_span_list *spans, const openmed_deid_options *options);

/* Clinical-term protection (options->protect_clinical_terms): drop spans of names, places and
 * organisations (never deny-list hits) that are a disease or drug term, or lie inside one written
 * around them in the `n`-byte text. */
void om_spans_protect_clinical(const char *text, size_t n, om_span_list *spans, const openmed_deid_options *options);
/* Is the lower-case text [lower, lower + n) one of those disease or drug terms ("lisinopril")? */
int om_clinical_is_term(const char *lower, size_t n);

/* The whole flow for `len` bytes of `text`: the detection view, every detector (the model's
 * entities over the view are `entities` when not NULL, else the model is run when there is one),
 * join, allow list, repeats, the map back to the text, then for redact = 1 the method. The result
 * of openmed_pii_extract (redact 0) or openmed_deidentify (redact 1). */
openmed_status om_deid_run(const struct openmed_model *model, const openmed_entity *entities, size_t n_entities,
                           const char *text, size_t len, const openmed_deid_options *options, int redact,
                           openmed_deid_result **out, openmed_error *err);

/* om_deid_run without a model, with its entities over the text given (tests; NULL/0 for none). */
openmed_status om_deid_from_entities(const char *text, size_t len, const openmed_entity *entities, size_t n_entities,
                                     const openmed_deid_options *options, int redact, openmed_deid_result **out,
                                     openmed_error *err);

#endif
