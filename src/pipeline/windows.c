/* windows.c: Hugging Face overflow windows (model_max_length, stride) over a tokenized text. */
#include "pipeline/windows.h"

#include <stdlib.h>

#include "core/error.h"

/* tokenizers' Encoding::truncate ranges: [0, cap), [step, step + cap), ... until one reaches n. */
static int64_t count_ranges(int64_t n, int64_t cap, int64_t step) {
    if (n <= cap) return 1;
    int64_t count = 0;
    for (int64_t start = 0;; start += step) {
        count++;
        if (start + cap >= n) break;
    }
    return count;
}

openmed_status om_windows_plan(const om_window_plan_args *a, om_window **out, int64_t *n_out,
                               openmed_error *err) {
    *out = NULL;
    *n_out = 0;
    if (a->n_content < 0 || a->n_special < 0)
        return om_fail(err, OPENMED_ERR_INTERNAL, "windows: negative token count");
    int64_t n = a->n_content;
    int64_t cap = a->max_length > 0 ? a->max_length - a->n_special : n;
    if (a->max_length > 0 && cap <= 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "model_max_length %lld leaves no room for text after %d special tokens",
                       (long long)a->max_length, a->n_special);
    int64_t stride = a->stride;
    if (stride >= 0 && a->max_length > 0) {
        if (stride >= a->max_length)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "stride %lld must be less than model_max_length %lld", (long long)stride,
                           (long long)a->max_length);
        if (stride >= cap)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "stride %lld must be less than model_max_length %lld minus the %d special "
                           "tokens", (long long)stride, (long long)a->max_length, a->n_special);
    }
    int64_t covered = n; /* content tokens the windows span */
    int64_t step;
    if (a->max_length <= 0 || n <= cap) {
        covered = n;
        step = cap > 0 ? cap : 1;
    } else if (a->mode == OM_WINDOWS_HF) {
        if (stride < 0) {
            covered = cap; /* plain truncation */
            step = cap;
        } else {
            covered = n < a->max_length ? n : a->max_length;
            step = cap - stride;
        }
    } else {
        step = cap - (stride < 0 ? 0 : stride);
    }
    int64_t count = a->max_length > 0 ? count_ranges(covered, cap, step) : 1;
    om_window *w = malloc((size_t)count * sizeof *w);
    if (!w) return om_fail(err, OPENMED_ERR_NO_MEMORY, "windows: out of memory for %lld windows", (long long)count);
    if (count == 1) {
        w[0].start = 0;
        w[0].stop = covered < cap || a->max_length <= 0 ? covered : cap;
    } else {
        for (int64_t i = 0; i < count; i++) {
            w[i].start = i * step;
            w[i].stop = w[i].start + cap < covered ? w[i].start + cap : covered;
        }
    }
    *out = w;
    *n_out = count;
    return OPENMED_OK;
}
