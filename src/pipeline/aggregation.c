/* aggregation.c: Hugging Face token-classification post-processing (see aggregation.h). */
#include "pipeline/aggregation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

/* A non-special token with what HF's gather_pre_entities keeps. */
typedef struct pre_entity {
    const char *word; /* token string, or the text slice for the unknown token (owned then) */
    char *owned;
    const float *scores; /* [n_labels] */
    int32_t label;       /* the decoder's label */
    int64_t start, end, index;
    int is_subword;
} pre_entity;

/* A token (none/simple) or a word (first/average/max) before grouping. */
typedef struct tagged {
    int32_t label;
    float score;
    char *word; /* owned */
    int64_t start, end, index;
} tagged;

void om_entity_list_free(om_entity_list *list) {
    for (size_t i = 0; i < list->n; i++) {
        free((char *)list->v[i].label);
        free((char *)list->v[i].word);
    }
    free(list->v);
    list->v = NULL;
    list->n = list->cap = 0;
}

static openmed_status list_push(om_entity_list *list, const char *label, char *word, float score, int64_t start,
                                int64_t end, int64_t index, openmed_error *err) {
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        openmed_entity *v = realloc(list->v, cap * sizeof *v);
        if (!v) {
            free(word);
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory for entities");
        }
        list->v = v;
        list->cap = cap;
    }
    char *label_copy = strdup(label);
    if (!label_copy) {
        free(word);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory for a label");
    }
    list->v[list->n++] = (openmed_entity){label_copy, word, score, start, end, index};
    return OPENMED_OK;
}

static char *dup_bytes(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* HF get_tag: B-X -> (B, X), I-X -> (I, X), anything else -> (I, label). */
static void get_tag(const char *label, char *bi, const char **tag) {
    if ((label[0] == 'B' || label[0] == 'I') && label[1] == '-') {
        *bi = label[0];
        *tag = label + 2;
    } else {
        *bi = 'I';
        *tag = label;
    }
}

/* Group label: the label after its first "-" (split("-", 1)[-1]). */
static const char *group_label(const char *label) {
    const char *dash = strchr(label, '-');
    return dash ? dash + 1 : label;
}

static int is_ignored(const om_agg_params *p, const char *label) {
    for (size_t i = 0; i < p->n_ignore; i++)
        if (strcmp(p->ignore[i], label) == 0) return 1;
    return 0;
}

/* Softmax over each row in float32 like numpy: exp(x - max) / sum. */
static void softmax_rows(const float *logits, int64_t n, int L, float *out) {
    for (int64_t t = 0; t < n; t++) {
        const float *x = logits + t * L;
        float *y = out + t * L;
        float m = x[0];
        for (int j = 1; j < L; j++)
            if (x[j] > m) m = x[j];
        float sum = 0.0f;
        for (int j = 0; j < L; j++) {
            y[j] = expf(x[j] - m);
            sum += y[j];
        }
        for (int j = 0; j < L; j++) y[j] /= sum;
    }
}

/* gather_pre_entities for one window. */
static openmed_status gather(const om_agg_params *p, const om_token_strings *tok, const om_text_index *text,
                             const om_window_logits *w, const float *probs, const int32_t *labels, pre_entity *pre,
                             int64_t *n_pre, openmed_error *err) {
    int64_t k = 0;
    for (int64_t t = 0; t < w->n; t++) {
        if (w->special[t]) continue;
        pre_entity *e = &pre[k];
        memset(e, 0, sizeof *e);
        e->word = tok->token(tok->ctx, w->ids[t]);
        if (!e->word)
            return om_fail(err, OPENMED_ERR_INTERNAL, "aggregation: token id %d is not in the vocabulary",
                           (int)w->ids[t]);
        e->start = w->offsets[2 * t];
        e->end = w->offsets[2 * t + 1];
        e->index = w->first_index + t;
        e->scores = probs + t * p->n_labels;
        e->label = labels[t];
        size_t b0, blen;
        om_text_slice(text, e->start, e->end, &b0, &blen);
        if (tok->word_aware) {
            int64_t ref_len = om_utf8_length(e->word);
            int64_t slice_len = 0;
            for (size_t i = 0; i < blen; i++)
                if (((unsigned char)text->text[b0 + i] & 0xC0) != 0x80) slice_len++;
            e->is_subword = ref_len != slice_len;
        } else {
            /* start > 0 and " " not in sentence[start - 1 : start + 1] */
            int32_t before = om_text_codepoint(text, e->start - 1);
            int32_t first = om_text_codepoint(text, e->start);
            e->is_subword = e->start > 0 && before != ' ' && first != ' ';
        }
        if (tok->unk_id >= 0 && w->ids[t] == tok->unk_id) {
            e->owned = dup_bytes(text->text + b0, blen);
            if (!e->owned) return om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory");
            e->word = e->owned;
            e->is_subword = 0;
        }
        k++;
    }
    *n_pre = k;
    return OPENMED_OK;
}

static openmed_status decode_strings(const om_token_strings *tok, const char *const *strings, size_t n, char **out,
                                     openmed_error *err) {
    return tok->decode(tok->ctx, strings, n, out, err);
}

/* aggregate_word over pre[a..b). */
static openmed_status aggregate_word(const om_agg_params *p, const om_token_strings *tok, const pre_entity *pre,
                                     int64_t a, int64_t b, const char **words, tagged *out, openmed_error *err) {
    for (int64_t i = a; i < b; i++) words[i - a] = pre[i].word;
    char *word = NULL;
    openmed_status st = decode_strings(tok, words, (size_t)(b - a), &word, err);
    if (st != OPENMED_OK) return st;
    int L = p->n_labels;
    int32_t label;
    float score;
    if (p->strategy == OPENMED_AGGREGATION_FIRST) {
        label = pre[a].label;
        score = pre[a].scores[label];
    } else if (p->strategy == OPENMED_AGGREGATION_MAX) {
        int64_t best = a;
        float best_score = -1.0f;
        for (int64_t i = a; i < b; i++) {
            float m = pre[i].scores[0];
            for (int j = 1; j < L; j++)
                if (pre[i].scores[j] > m) m = pre[i].scores[j];
            if (m > best_score) {
                best_score = m;
                best = i;
            }
        }
        label = pre[best].label;
        score = pre[best].scores[label];
    } else { /* average: argmax of the mean probability vector */
        label = 0;
        score = -1.0f;
        for (int j = 0; j < L; j++) {
            double sum = 0.0;
            for (int64_t i = a; i < b; i++) sum += pre[i].scores[j];
            float mean = (float)(sum / (double)(b - a));
            if (mean > score) {
                score = mean;
                label = j;
            }
        }
    }
    *out = (tagged){label, score, word, pre[a].start, pre[b - 1].end, -1};
    return OPENMED_OK;
}

/* group_sub_entities over items[a..b) into the list (unless the label is ignored). */
static openmed_status emit_group(const om_agg_params *p, const om_token_strings *tok, const tagged *items, int64_t a,
                                 int64_t b, const char **words, om_entity_list *out, openmed_error *err) {
    const char *label = group_label(p->id2label[items[a].label]);
    if (is_ignored(p, label)) return OPENMED_OK;
    double sum = 0.0;
    for (int64_t i = a; i < b; i++) {
        sum += items[i].score;
        words[i - a] = items[i].word;
    }
    char *word = NULL;
    openmed_status st = decode_strings(tok, words, (size_t)(b - a), &word, err);
    if (st != OPENMED_OK) return st;
    return list_push(out, label, word, (float)(sum / (double)(b - a)), items[a].start, items[b - 1].end, -1, err);
}

/* group_entities: consecutive items with the same tag join unless the newcomer is B. */
static openmed_status group_items(const om_agg_params *p, const om_token_strings *tok, const tagged *items,
                                  int64_t n, const char **words, om_entity_list *out, openmed_error *err) {
    int64_t a = 0;
    for (int64_t i = 1; i <= n; i++) {
        int split = i == n;
        if (!split) {
            char bi, last_bi;
            const char *tag, *last_tag;
            get_tag(p->id2label[items[i].label], &bi, &tag);
            get_tag(p->id2label[items[i - 1].label], &last_bi, &last_tag);
            split = !(strcmp(tag, last_tag) == 0 && bi != 'B');
        }
        if (split && i > a) {
            openmed_status st = emit_group(p, tok, items, a, i, words, out, err);
            if (st != OPENMED_OK) return st;
            a = i;
        }
    }
    return OPENMED_OK;
}

/* --- privacy filter: with the Viterbi decoder a window's entities are BIOES spans
 * (src/privacy/spans.h: grapheme-snapped, trimmed, refined; word = the text slice), not HF groups. */
static openmed_status viterbi_entities(const om_agg_params *p, const om_text_index *text, const om_window_logits *w,
                                       const int32_t *labels, const float *probs, om_entity_list *out,
                                       openmed_error *err) {
    om_pf_entity *ents = NULL;
    int64_t n = 0;
    openmed_status st = om_label_decoder_entities(p->decoder, text->text, text->n_bytes, labels, probs, w->offsets,
                                                  w->special, w->n, &ents, &n, err);
    for (int64_t i = 0; st == OPENMED_OK && i < n; i++) {
        const char *label = om_label_decoder_span_name(p->decoder, ents[i].span);
        if (!label || is_ignored(p, label)) continue;
        size_t b, len;
        om_text_slice(text, ents[i].start, ents[i].end, &b, &len);
        char *word = dup_bytes(text->text + b, len);
        if (!word) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory");
        else st = list_push(out, label, word, (float)ents[i].score, ents[i].start, ents[i].end, -1, err);
    }
    free(ents);
    return st;
}
/* --- end privacy */

/* One window: gather, aggregate, group, filter; entities appended to out. */
static openmed_status window_entities(const om_agg_params *p, const om_token_strings *tok, const om_text_index *text,
                                      const om_window_logits *w, om_entity_list *out, openmed_error *err) {
    int L = p->n_labels;
    openmed_status st = OPENMED_OK;
    float *probs = malloc((size_t)(w->n > 0 ? w->n : 1) * (size_t)L * sizeof *probs);
    int32_t *labels = malloc((size_t)(w->n > 0 ? w->n : 1) * sizeof *labels);
    pre_entity *pre = calloc((size_t)(w->n > 0 ? w->n : 1), sizeof *pre);
    tagged *items = calloc((size_t)(w->n > 0 ? w->n : 1), sizeof *items);
    const char **words = calloc((size_t)(w->n > 0 ? w->n : 1), sizeof *words); /* decoder input scratch */
    int64_t n_pre = 0, n_items = 0;
    if (!probs || !labels || !pre || !items || !words) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory for a window of %lld tokens",
                     (long long)w->n);
        goto done;
    }
    for (int64_t i = 0; i < w->n * (int64_t)L; i++) { /* a broken model must not pass for "no entity" */
        if (!isfinite(w->logits[i])) {
            st = om_fail(err, OPENMED_ERR_NUMERIC,
                         "model output: a non-finite logit (%g) for token %lld of a window, label %d; the weights or "
                         "the backend are broken", (double)w->logits[i], (long long)(i / L), (int)(i % L));
            goto done;
        }
    }
    softmax_rows(w->logits, w->n, L, probs);
    st = om_label_decoder_run(p->decoder, probs, w->logits, w->special, w->n, labels, err);
    if (st != OPENMED_OK) goto done;
    if (p->decoder->kind == OPENMED_DECODER_VITERBI && p->strategy != OPENMED_AGGREGATION_NONE) { /* privacy */
        st = viterbi_entities(p, text, w, labels, probs, out, err);
        goto done;
    }
    st = gather(p, tok, text, w, probs, labels, pre, &n_pre, err);
    if (st != OPENMED_OK) goto done;

    if (p->strategy == OPENMED_AGGREGATION_NONE || p->strategy == OPENMED_AGGREGATION_SIMPLE) {
        for (int64_t i = 0; i < n_pre; i++) {
            char *word = strdup(pre[i].word);
            if (!word) {
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory");
                goto done;
            }
            int32_t label = pre[i].label;
            items[n_items++] = (tagged){label, pre[i].scores[label], word, pre[i].start, pre[i].end, pre[i].index};
        }
    } else {
        /* aggregate_words: a word is a token and the subwords that follow it. */
        int64_t a = 0;
        for (int64_t i = 1; i <= n_pre; i++) {
            if (i < n_pre && pre[i].is_subword) continue;
            st = aggregate_word(p, tok, pre, a, i, words, &items[n_items], err);
            if (st != OPENMED_OK) goto done;
            n_items++;
            a = i;
        }
    }

    if (p->strategy == OPENMED_AGGREGATION_NONE) {
        for (int64_t i = 0; i < n_items; i++) {
            const char *label = p->id2label[items[i].label];
            if (is_ignored(p, label)) continue;
            st = list_push(out, label, items[i].word, items[i].score, items[i].start, items[i].end, items[i].index, err);
            items[i].word = NULL; /* owned by the list now (or freed on failure) */
            if (st != OPENMED_OK) goto done;
        }
    } else {
        st = group_items(p, tok, items, n_items, words, out, err);
    }
done:
    for (int64_t i = 0; i < n_items; i++) free(items[i].word);
    for (int64_t i = 0; i < n_pre; i++) free(pre[i].owned);
    free(words);
    free(items);
    free(pre);
    free(labels);
    free(probs);
    return st;
}

typedef struct sort_key {
    int64_t start;
    size_t pos;
} sort_key;

static int by_start(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* aggregate_overlapping_entities: stable sort by start; an entity starting inside the kept one
 * replaces it when longer, or as long with a higher score. Like HF, the first entity is compared
 * with itself, so a first entity of zero length is emitted twice. */
static openmed_status merge_overlaps(om_entity_list *list, openmed_error *err) {
    if (list->n == 0) return OPENMED_OK;
    size_t n_in = list->n;
    sort_key *keys = malloc(n_in * sizeof *keys);
    openmed_entity *sorted = malloc(n_in * sizeof *sorted);
    size_t *chosen = malloc((n_in + 1) * sizeof *chosen);
    uint8_t *used = calloc(n_in, 1);
    openmed_entity *merged = NULL;
    openmed_status st = OPENMED_OK;
    if (!keys || !sorted || !chosen || !used) goto oom;
    for (size_t i = 0; i < n_in; i++) keys[i] = (sort_key){list->v[i].start, i};
    qsort(keys, n_in, sizeof *keys, by_start);
    for (size_t i = 0; i < n_in; i++) sorted[i] = list->v[keys[i].pos];
    size_t n_out = 0, prev = 0;
    for (size_t i = 0; i < n_in; i++) {
        const openmed_entity *e = &sorted[i], *pe = &sorted[prev];
        if (pe->start <= e->start && e->start < pe->end) {
            int64_t cur_len = e->end - e->start, prev_len = pe->end - pe->start;
            if (cur_len > prev_len || (cur_len == prev_len && e->score > pe->score)) prev = i;
        } else {
            chosen[n_out++] = prev;
            prev = i;
        }
    }
    chosen[n_out++] = prev;
    merged = malloc(n_out * sizeof *merged);
    if (!merged) goto oom;
    for (size_t k = 0; k < n_out; k++) {
        openmed_entity e = sorted[chosen[k]];
        if (used[chosen[k]]) { /* emitted twice: the copy owns its own strings */
            e.label = strdup(e.label);
            e.word = strdup(e.word);
            if (!e.label || !e.word) {
                free((char *)e.label);
                free((char *)e.word);
                for (size_t j = 0; j < k; j++)
                    if (j > 0 && chosen[j] == chosen[j - 1]) {
                        free((char *)merged[j].label);
                        free((char *)merged[j].word);
                    }
                goto oom;
            }
        }
        used[chosen[k]] = 1;
        merged[k] = e;
    }
    for (size_t i = 0; i < n_in; i++)
        if (!used[i]) {
            free((char *)sorted[i].label);
            free((char *)sorted[i].word);
        }
    free(list->v);
    list->v = merged;
    list->n = list->cap = n_out;
    goto done;
oom:
    free(merged);
    st = om_fail(err, OPENMED_ERR_NO_MEMORY, "aggregation: out of memory merging windows");
done:
    free(keys);
    free(sorted);
    free(chosen);
    free(used);
    return st;
}

openmed_status om_aggregate_text(const om_agg_params *p, const om_token_strings *tok, const om_text_index *text,
                                 const om_window_logits *windows, int64_t n_windows, om_entity_list *out,
                                 openmed_error *err) {
    for (int64_t w = 0; w < n_windows; w++) {
        openmed_status st = window_entities(p, tok, text, &windows[w], out, err);
        if (st != OPENMED_OK) return st;
    }
    if (n_windows > 1) {
        openmed_status st = merge_overlaps(out, err);
        if (st != OPENMED_OK) return st;
    }
    if (p->threshold > 0.0f) {
        size_t n = 0;
        for (size_t i = 0; i < out->n; i++) {
            if (out->v[i].score >= p->threshold) {
                out->v[n++] = out->v[i];
            } else {
                free((char *)out->v[i].label);
                free((char *)out->v[i].word);
            }
        }
        out->n = n;
    }
    return OPENMED_OK;
}
