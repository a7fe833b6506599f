/* detector.h: the interface between de-identification and the detectors that find identifiers.
 *
 * A detector reads the detection view of a text (view.h: the text NFKC-folded, zero-width
 * characters and soft hyphens removed, digits of every script made ASCII, Latin look-alike letters
 * inside Latin words made Latin; valid UTF-8, NUL-terminated) and appends each identifier it finds
 * to `out` as a span {start, end, label, score, source}:
 *   start, end  [start, end) in bytes of in->view->text, on code-point boundaries, start < end;
 *   label       upper case: the bundled model's (FIRST_NAME, LAST_NAME, DATE, AGE, PHONE, EMAIL,
 *               SSN, ID_NUM, STREET_ADDRESS, LOCATION, ORGANIZATION, URL) or PERSON, DATE_OF_BIRTH,
 *               MEDICAL_RECORD_NUMBER, ZIPCODE, CITY, FAX, IP_ADDRESS, CREDIT_CARD, IBAN,
 *               ACCOUNT_NUMBER, ... (labels.c maps every label to its HIPAA class and policy action);
 *   score       in [0, 1], the detector's confidence; it ranks overlapping spans, nothing more;
 *   source      the detector's OM_SRC_* bit.
 * A detector appends only what it means to be redacted (the confidence threshold applies to the
 * model alone); its spans may overlap each other and those of other detectors. Detectors run in
 * the order of om_detectors[] (detectors.c); each sees in in->found what the ones before it
 * appended (the model's spans come first), so a context rule can build on them.
 *
 * After the detectors, the pipeline (deid.c) joins overlapping spans into their union (no part of
 * any detected value is left), finds the other occurrences of found values (repeats.c), applies
 * allow lists and clinical-term protection, maps the spans back to the original text and applies
 * the policy's action to each. A detector never logs text or values and returns any failure:
 * de-identification then fails closed (an error, no text).
 *
 * Adding a detector: a file src/deid/detect_<name>.c defining an om_detect_fn, an OM_SRC_ bit
 * below and a row in detectors.c. */
#ifndef OM_DEID_DETECTOR_H
#define OM_DEID_DETECTOR_H

#include "deid/spans.h"
#include "deid/view.h"
#include "openmed.h"

/* Detector bits (om_pii_span.source); a span found by several detectors holds several. */
enum {
    OM_SRC_MODEL = 1u << 0,  /* the PII model: threshold applied, spans widened to whole words */
    OM_SRC_SWEEP = 1u << 1,  /* structured-identifier patterns (sweep.c) */
    OM_SRC_DENY = 1u << 2,   /* the caller's deny list */
    OM_SRC_NAMES = 1u << 3,  /* person names: name contexts, the name list, names found repeated (detect_names.c) */
    /* bits 4..8: free */
    OM_SRC_ACCOUNT = 1u << 9,   /* payment cards (Luhn) and IBANs (mod 97): detect_account.c */
    OM_SRC_NETWORK = 1u << 10,  /* IPv4/IPv6, URLs of any scheme, bare domains, e-mail: detect_network.c */
    OM_SRC_PHONE = 1u << 11,    /* national and international phone shapes: detect_phone.c */
    OM_SRC_LABELLED = 1u << 12, /* values after a label (MRN, DOB, Acct, Member ID, Fax, ZIP, ...)
                                   and identifier-shaped codes: detect_labelled.c */
    OM_SRC_ADDRESS = 1u << 13,  /* street addresses and postal codes in address context: detect_address.c */
    /* bit 14: free */
    OM_SRC_REPEAT = 1u << 15 /* another occurrence of a value found elsewhere (not a detector) */
};

typedef struct om_detect_input {
    const om_deid_view *view;              /* the text as detectors see it */
    const openmed_deid_options *options;   /* the caller's options (lists, threshold, language) */
    const struct openmed_model *model;     /* the PII model; NULL when there is none */
    const openmed_entity *model_entities;  /* when not NULL: the model's entities over the view,
                                              given instead of running the model (tests) */
    size_t n_model_entities;
    const om_span_list *found;             /* the spans of the detectors before this one */
} om_detect_input;

typedef openmed_status (*om_detect_fn)(const om_detect_input *in, om_span_list *out, openmed_error *err);

typedef struct om_detector {
    const char *name; /* "model", "sweep", ...: the entity's `source` joins the names of its bits */
    unsigned bit;     /* its OM_SRC_ bit */
    om_detect_fn detect;
} om_detector;

extern const om_detector om_detectors[];
extern const size_t om_n_detectors;

/* The detectors in this file's table. */
openmed_status om_detect_model(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_sweep(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_deny(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_account(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_network(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_phone(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_labelled(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_address(const om_detect_input *in, om_span_list *out, openmed_error *err);
openmed_status om_detect_names(const om_detect_input *in, om_span_list *out, openmed_error *err);
/* The name detector's word classes, for clinical-term protection: is the word (any ASCII case, n
 * bytes) a head noun that makes the word before it an eponym ("disease", "test", "palsy"), or a
 * person's title ("dr", "mrs")? */
int om_names_is_eponym_head(const char *word, size_t n);
int om_names_is_title(const char *word, size_t n);

/* Append the span [start, end) with `label` and `score` (source is set by om_detect_all). */
openmed_status om_detect_push(om_span_list *out, size_t start, size_t end, const char *label, float score,
                              openmed_error *err);

/* Run every detector in order over the view; their spans are appended to `out`. */
openmed_status om_detect_all(const om_detect_input *in, om_span_list *out, openmed_error *err);

#endif
