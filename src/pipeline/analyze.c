/* analyze.c: texts -> content tokens -> HF windows -> packed forward passes -> HF entities. */
#include "pipeline/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const char *strings_token(void *ctx, int32_t id) {
    return om_tokenizer_id_to_token((const om_tokenizer *)ctx, id);
}

static openmed_status strings_decode(void *ctx, const char *const *tokens, size_t n, char **out, openmed_error *err) {
    return om_tokenizer_decode_tokens((const om_tokenizer *)ctx, tokens, n, out, err);
}

void om_analyzer_bind_tokenizer(om_analyzer *a, const om_tokenizer *tok) {
    a->tok = tok;
    a->strings.ctx = (void *)tok;
    a->strings.token = strings_token;
    a->strings.decode = strings_decode;
    a->strings.unk_id = om_tokenizer_special_id(tok, OM_SPECIAL_UNK);
    a->strings.word_aware = om_tokenizer_continuing_subword_prefix(tok) != NULL;
}

openmed_status om_analyzer_check(const om_analyzer *a, openmed_error *err) {
    if (a->batch_size < 1)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "batch_size %d: must be at least 1", a->batch_size);
    if (!(a->agg.threshold >= 0.0f && a->agg.threshold <= 1.0f))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "threshold %g: must be between 0 and 1",
                       (double)a->agg.threshold);
    if ((int)a->agg.strategy < OPENMED_AGGREGATION_NONE || (int)a->agg.strategy > OPENMED_AGGREGATION_MAX)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "unknown aggregation strategy %d", (int)a->agg.strategy);
    if (a->stride < -1) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "stride %d: must be 0 or more", a->stride);
    if (a->stride >= 0) {
        if (a->agg.strategy == OPENMED_AGGREGATION_NONE)
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                           "stride was provided to process all the text but aggregation strategy is \"none\"; "
                           "select another one");
        /* The window planner checks stride against model_max_length and the special tokens. */
        om_window_plan_args args = {0, a->max_length, (int)om_tokenizer_num_special_tokens(a->tok), a->stride,
                                    a->mode};
        om_window *w = NULL;
        int64_t n = 0;
        openmed_status st = om_windows_plan(&args, &w, &n, err);
        free(w);
        if (st != OPENMED_OK) return st;
    }
    return OPENMED_OK;
}

void om_result_clear(openmed_result *r) {
    om_entity_list list = {r->entities, r->n_entities, r->n_entities};
    om_entity_list_free(&list);
    memset(r, 0, sizeof *r);
}

/* Everything one text needs between tokenization and aggregation. */
typedef struct text_work {
    om_text_index ix;
    om_encoding content;
    om_window *wins;
    int64_t n_wins;
    om_encoding *win_enc; /* [n_wins] */
    float *logits;        /* all windows back to back, [sum n, n_labels] */
    int64_t n_tokens;
} text_work;

static void work_free(text_work *w) {
    om_text_index_free(&w->ix);
    om_encoding_free(&w->content);
    for (int64_t i = 0; w->win_enc && i < w->n_wins; i++) om_encoding_free(&w->win_enc[i]);
    free(w->win_enc);
    free(w->wins);
    free(w->logits);
}

static openmed_status prepare_text(const om_analyzer *a, const char *text, size_t index, text_work *w,
                                   openmed_error *err) {
    char what[64];
    snprintf(what, sizeof what, "text %zu", index);
    size_t len = strlen(text);
    openmed_status st = om_text_index_init(&w->ix, text, len, what, err);
    if (st != OPENMED_OK) return st;
    st = om_tokenizer_encode(a->tok, text, len, 0, &w->content, err);
    if (st != OPENMED_OK) {
        return om_fail_prefix(err, st, "%s", what);
    }
    om_window_plan_args args = {(int64_t)w->content.count, a->max_length,
                                (int)om_tokenizer_num_special_tokens(a->tok), a->stride, a->mode};
    st = om_windows_plan(&args, &w->wins, &w->n_wins, err);
    if (st != OPENMED_OK) return st;
    w->win_enc = calloc((size_t)w->n_wins, sizeof *w->win_enc);
    if (!w->win_enc) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory for windows", what);
    for (int64_t i = 0; i < w->n_wins; i++) {
        om_encoding_init(&w->win_enc[i]);
        st = om_tokenizer_wrap_single(a->tok, &w->content, (size_t)w->wins[i].start, (size_t)w->wins[i].stop,
                                      &w->win_enc[i], err);
        if (st != OPENMED_OK) {
        return om_fail_prefix(err, st, "%s", what);
    }
        w->n_tokens += (int64_t)w->win_enc[i].count;
    }
    w->logits = malloc((size_t)(w->n_tokens > 0 ? w->n_tokens : 1) * (size_t)a->agg.n_labels * sizeof *w->logits);
    if (!w->logits) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory for logits", what);
    return OPENMED_OK;
}

static openmed_status aggregate_text(const om_analyzer *a, text_work *w, openmed_result *r, openmed_error *err) {
    om_window_logits *views = calloc((size_t)w->n_wins, sizeof *views);
    if (!views) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory for window views");
    int64_t row = 0;
    for (int64_t i = 0; i < w->n_wins; i++) {
        const om_encoding *e = &w->win_enc[i];
        views[i] = (om_window_logits){e->ids, e->offsets, e->special_tokens_mask,
                                      w->logits + row * a->agg.n_labels, (int64_t)e->count, w->wins[i].start};
        row += (int64_t)e->count;
    }
    om_entity_list list = {0};
    openmed_status st = om_aggregate_text(&a->agg, &a->strings, &w->ix, views, w->n_wins, &list, err);
    free(views);
    if (st != OPENMED_OK) {
        om_entity_list_free(&list);
        return st;
    }
    r->entities = list.v;
    r->n_entities = list.n;
    r->aggregation = a->agg.strategy;
    r->n_tokens = w->n_tokens;
    r->n_windows = w->n_wins;
    return OPENMED_OK;
}

openmed_status om_analyze_texts(const om_analyzer *a, const char *const *texts, size_t n, openmed_result *results,
                                openmed_error *err) {
    memset(results, 0, n * sizeof *results);
    text_work *work = calloc(n ? n : 1, sizeof *work);
    om_batch_item *items = NULL;
    openmed_status st = OPENMED_OK;
    if (!work) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory for %zu texts", n);
    for (size_t i = 0; i < n; i++) om_encoding_init(&work[i].content);
    int64_t n_items = 0;
    for (size_t i = 0; i < n && st == OPENMED_OK; i++) {
        if (!texts[i]) {
            st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text %zu is NULL", i);
            break;
        }
        if (om_cancel_requested(&a->cancel)) {
            st = om_fail(err, OPENMED_ERR_CANCELLED, "cancelled before text %zu of %zu", i, n);
            break;
        }
        st = prepare_text(a, texts[i], i, &work[i], err);
        n_items += work[i].n_wins;
    }
    if (st == OPENMED_OK) {
        items = malloc((size_t)(n_items ? n_items : 1) * sizeof *items);
        if (!items) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory for %lld windows", (long long)n_items);
    }
    if (st == OPENMED_OK) {
        int64_t k = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t row = 0;
            for (int64_t j = 0; j < work[i].n_wins; j++) {
                const om_encoding *e = &work[i].win_enc[j];
                items[k++] = (om_batch_item){e->ids, (int64_t)e->count, work[i].logits + row * a->agg.n_labels};
                row += (int64_t)e->count;
            }
        }
        st = om_batch_run(a->forward, a->forward_ctx, items, n_items, a->batch_size, a->max_batch_tokens,
                          a->agg.n_labels, &a->cancel, err);
    }
    for (size_t i = 0; i < n && st == OPENMED_OK; i++) {
        st = aggregate_text(a, &work[i], &results[i], err);
        if (st != OPENMED_OK) om_fail_prefix(err, st, "text %zu", i);
    }
    if (st != OPENMED_OK)
        for (size_t i = 0; i < n; i++) om_result_clear(&results[i]);
    for (size_t i = 0; i < n; i++) work_free(&work[i]);
    free(work);
    free(items);
    return st;
}
