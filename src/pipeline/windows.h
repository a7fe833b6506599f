/* windows.h: which slices of a tokenized text the model sees, with Hugging Face's overflow and
 * stride semantics (the model_max_length windows of TokenClassificationPipeline).
 *
 * A text is encoded once with its special tokens: n_prefix specials, n_content content tokens,
 * n_suffix specials. A window is a slice [start, stop) of the content tokens; the model reads it
 * wrapped in the same prefix and suffix, so a window holds at most
 * model_max_length - n_prefix - n_suffix content tokens (its "capacity").
 *
 * OM_WINDOWS_HF reproduces transformers 5.x (tokenizers 0.2x) exactly, quirks included:
 *   - no stride: one window, the first `capacity` content tokens (plain truncation);
 *   - stride s: the content is first cut to model_max_length tokens (the special tokens are not
 *     subtracted), and only that prefix is split into overlapping windows of `capacity` tokens
 *     starting every capacity - s tokens (the tokenizer truncates twice and the second pass
 *     drops the first pass's overflow). Verified against the goldens: for a 382-token text,
 *     model_max_length 128 and stride 32 the windows are [0,126) and [94,128).
 * OM_WINDOWS_ALL covers the whole text (what the stride option is documented to do): windows of
 * `capacity` tokens every capacity - s tokens (s = 0 without stride) until the end.
 */
#ifndef OM_PIPELINE_WINDOWS_H
#define OM_PIPELINE_WINDOWS_H

#include <stdint.h>

#include "openmed.h"

typedef enum om_window_mode { OM_WINDOWS_HF = 0, OM_WINDOWS_ALL = 1 } om_window_mode;

typedef struct om_window {
    int64_t start, stop; /* content token range [start, stop) */
} om_window;

typedef struct om_window_plan_args {
    int64_t n_content;     /* content tokens of the text (without special tokens) */
    int64_t max_length;    /* tokenizer model_max_length; <= 0 means no limit (one window) */
    int n_special;         /* special tokens added around one sequence (prefix + suffix) */
    int stride;            /* overlap in tokens; < 0 means no stride */
    om_window_mode mode;
} om_window_plan_args;

/* The windows for one text, in order; *out is malloc'd (free it), *n_out >= 1 (an empty text has
 * one empty window: the model still reads the special tokens). Fails with
 * OPENMED_ERR_INVALID_ARGUMENT when the stride does not fit the window, like HF. */
openmed_status om_windows_plan(const om_window_plan_args *args, om_window **out, int64_t *n_out,
                               openmed_error *err);

#endif
