/* aggregation.h: Hugging Face TokenClassificationPipeline.postprocess for one text: softmax,
 * per-token labels, subword detection, the five aggregation strategies, ignore_labels, the merge
 * of overlapping stride windows, and the score threshold.
 *
 * Semantics (transformers 5.x, read from token_classification.py):
 *   - scores = softmax(logits) per token (float32); special tokens are skipped.
 *   - word = the token string (convert_ids_to_tokens); for the unknown token, the text slice.
 *   - is_subword: when the tokenizer model has a continuing_subword_prefix, a token whose string
 *     length differs from its text slice's length; otherwise the fallback heuristic "start > 0 and
 *     neither the character before nor the first character is a space (U+0020)". Unknown tokens
 *     are never subwords.
 *   - none/simple: label = argmax, score = its probability. first/average/max merge each word
 *     (a token and the subwords after it) first; the word's string is decode(token strings).
 *   - grouping: B-X / I-X give (B, X), (I, X); any other label is (I, label). A token or word joins
 *     the current group when its tag equals the group's last tag and it is not B. A group's label
 *     is its first label after the first "-", its score the mean, its word decode(words), its span
 *     first start to last end.
 *   - ignore_labels filter the token label (none) or the group label; then, with several windows,
 *     entities sorted by start (stable) and overlapping ones resolved: the longer wins, at equal
 *     length the higher score.
 */
#ifndef OM_PIPELINE_AGGREGATION_H
#define OM_PIPELINE_AGGREGATION_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "pipeline/label_decoder.h"
#include "pipeline/text_index.h"

/* What aggregation needs from the tokenizer. */
typedef struct om_token_strings {
    void *ctx;
    /* convert_ids_to_tokens: the vocabulary string of id (NULL when out of range). */
    const char *(*token)(void *ctx, int32_t id);
    /* convert_tokens_to_string: the tokenizer's decoder over token strings; *out is malloc'd. */
    openmed_status (*decode)(void *ctx, const char *const *tokens, size_t n, char **out, openmed_error *err);
    int32_t unk_id;  /* -1 when the tokenizer has no unknown token */
    int word_aware;  /* the tokenizer model has a (non-empty) continuing_subword_prefix */
} om_token_strings;

/* One forward window of a text: the tokens the model read and its logits. */
typedef struct om_window_logits {
    const int32_t *ids;     /* [n] */
    const size_t *offsets;  /* [n][2] code points */
    const uint8_t *special; /* [n] 1 for special tokens */
    const float *logits;    /* [n, n_labels] */
    int64_t n;
    int64_t first_index;    /* index of token 0 in the whole encoded text (for "index") */
} om_window_logits;

typedef struct om_agg_params {
    openmed_aggregation strategy;
    const char *const *id2label; /* [n_labels] */
    int n_labels;
    const char *const *ignore;   /* [n_ignore] */
    size_t n_ignore;
    float threshold;
    const om_label_decoder *decoder; /* per-token labels (argmax or Viterbi) */
} om_agg_params;

/* Growable list of entities with owned strings (the public openmed_entity layout). */
typedef struct om_entity_list {
    openmed_entity *v;
    size_t n, cap;
} om_entity_list;

void om_entity_list_free(om_entity_list *list);

/* Post-process all windows of one text into entities (appended to *out, which starts empty). */
openmed_status om_aggregate_text(const om_agg_params *p, const om_token_strings *tok, const om_text_index *text,
                                 const om_window_logits *windows, int64_t n_windows, om_entity_list *out,
                                 openmed_error *err);

#endif
