/* viterbi.h: constrained BIOES Viterbi decoding of per-token label scores (the privacy-filter decoder).
 *
 * Follows OpenMed's decoder (openmed/core/decoding/viterbi.py): labels "B-x", "I-x", "E-x", "S-x" and
 * the background "O"; any other label is treated as a "B" of a span named after the whole label.
 * Allowed: start in B, S or O; end in E, S or O; O/E/S -> O, B, S; B/I -> I or E of the same span.
 * Forbidden moves score -1e9 (finite, as in OpenMed) and six optional biases are added on allowed
 * moves. Scores are log-probabilities in double precision; ties go to the lowest label id.
 */
#ifndef OM_PRIVACY_VITERBI_H
#define OM_PRIVACY_VITERBI_H

#include <stdint.h>

#include "openmed.h"

struct cJSON;

typedef enum om_bioes_tag { OM_TAG_O = 0, OM_TAG_B, OM_TAG_I, OM_TAG_E, OM_TAG_S } om_bioes_tag;

/* What each label id means: its boundary tag and its span class. Span class 0 is the background
 * "O"; the others are the label names without their "B-" prefix, in first-seen order. */
typedef struct om_bioes_scheme {
    int n_labels;
    om_bioes_tag *tag;     /* [n_labels]; OM_TAG_O only for the label "O" */
    int *span;             /* [n_labels]: span class of each label, 0 = background */
    int n_spans;
    char **span_names;     /* [n_spans]; span_names[0] = "O" */
    int background;        /* label id of "O" (0 when there is none, as in OpenMed) */
} om_bioes_scheme;

openmed_status om_bioes_scheme_init(om_bioes_scheme *s, const char *const *id2label, int n_labels,
                                    openmed_error *err);
void om_bioes_scheme_free(om_bioes_scheme *s);

/* The six transition biases (config key "_mlx_viterbi_biases"; all zero by default). */
typedef struct om_viterbi_biases {
    double background_stay;     /* O -> O */
    double background_to_start; /* O -> B, S */
    double inside_to_continue;  /* B, I -> I (same span) */
    double inside_to_end;       /* B, I -> E (same span) */
    double end_to_background;   /* E, S -> O */
    double end_to_start;        /* E, S -> B, S */
} om_viterbi_biases;

/* Read the biases from a JSON object of the six "transition_bias_*" keys (unknown keys ignored,
 * missing ones zero). obj == NULL gives all zeros; a non-object or a non-number value fails with
 * OPENMED_ERR_FORMAT naming `where` and the key. */
openmed_status om_viterbi_biases_parse(const struct cJSON *obj, const char *where, om_viterbi_biases *out,
                                       openmed_error *err);

/* log_probs[t, j] = logits[t, j] - logsumexp(logits[t, :]), in double. logits: [T, n]. */
void om_log_softmax_rows(const float *logits, int64_t T, int n, double *log_probs);

/* The best allowed label path for T tokens: log_probs [T, s->n_labels] -> labels [T].
 * T == 0 is valid and writes nothing. */
openmed_status om_viterbi_decode(const om_bioes_scheme *s, const om_viterbi_biases *biases,
                                 const double *log_probs, int64_t T, int32_t *labels, openmed_error *err);

/* A token span of one entity: span class, tokens [start, end). */
typedef struct om_token_span {
    int span;
    int64_t start, end;
} om_token_span;

/* Group decoded labels into entity token spans with BIOES semantics (S: singleton; B opens; I
 * continues the same span or opens a new one; E closes the same span or stands alone; O closes).
 * out must hold T entries; returns the number written. */
int64_t om_bioes_token_spans(const om_bioes_scheme *s, const int32_t *labels, int64_t T, om_token_span *out);

#endif
