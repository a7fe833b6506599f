/* word_tokens.c: medical tokens and the remap of model spans onto them. */
#include "pipeline/word_tokens.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "pipeline/sentences.h"
#include "pipeline/text_chars.h"

/* OpenMed's DEFAULT_MEDICAL_EXCEPTIONS: terms kept as one token whatever their punctuation. */
static const char *const protected_terms[] = {"post-CAR-T", "SARS-CoV-2", "TNF-alpha", "BCR-ABL1", "t(15;17)",
                                              "COVID-19", "t(8;21)", "CAR-T", "IL-6", "IL-2"};

static int word_char(uint32_t c) { return om_char_is_word(c) && !om_char_is_unspaced(c); }

/* Length of a protected term at cp[i] that is a whole token there (no word character, combining
 * mark or "-word" link follows), else 0. */
static int64_t protected_at(const uint32_t *cp, int64_t n, int64_t i) {
    for (size_t t = 0; t < sizeof protected_terms / sizeof protected_terms[0]; t++) {
        const char *w = protected_terms[t];
        int64_t len = (int64_t)strlen(w);
        if (i + len > n) continue;
        int64_t k = 0;
        while (k < len && cp[i + k] == (uint32_t)(unsigned char)w[k]) k++;
        if (k < len) continue;
        int64_t j = i + len;
        if (j < n && (word_char(cp[j]) || om_char_is_mark(cp[j]) ||
                      (cp[j] == '-' && j + 1 < n && word_char(cp[j + 1]))))
            continue;
        return len;
    }
    return 0;
}

/* End of the token that starts at cp[i] (not white space). */
static int64_t token_end(const uint32_t *cp, int64_t n, int64_t i) {
    int64_t p = protected_at(cp, n, i);
    if (p) return i + p;
    uint32_t c = cp[i];
    int64_t j = i + 1;
    if (c < 0x80 ? (c >= '0' && c <= '9') : om_char_is_digit(c)) {
        /* \d+(\.\d+)?(°?[CFK])? */
        while (j < n && om_char_is_digit(cp[j])) j++;
        if (j + 1 < n && cp[j] == '.' && om_char_is_digit(cp[j + 1])) {
            j += 2;
            while (j < n && om_char_is_digit(cp[j])) j++;
        }
        int64_t u = j < n && cp[j] == 0xB0 ? j + 1 : j;
        if (u < n && (cp[u] == 'C' || cp[u] == 'F' || cp[u] == 'K')) j = u + 1;
        return j;
    }
    if (om_char_is_letter(c) && !om_char_is_unspaced(c)) {
        /* a word, then -word links */
        for (;;) {
            while (j < n && word_char(cp[j])) j++;
            if (j + 1 < n && cp[j] == '-' && word_char(cp[j + 1])) {
                j++;
                continue;
            }
            return j;
        }
    }
    /* any other character alone, with the combining marks that follow it */
    while (j < n && om_char_is_mark(cp[j])) j++;
    return j;
}

openmed_status om_word_tokens(const uint32_t *cp, int64_t n, om_word_token **out, size_t *n_out, openmed_error *err) {
    *out = NULL;
    *n_out = 0;
    size_t cap = 0, count = 0;
    om_word_token *v = NULL;
    for (int64_t i = 0; i < n;) {
        if (om_char_is_space(cp[i])) {
            i++;
            continue;
        }
        int64_t e = token_end(cp, n, i);
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            om_word_token *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                free(v);
                return om_fail(err, OPENMED_ERR_NO_MEMORY, "medical tokens: out of memory");
            }
            v = nv;
        }
        v[count++] = (om_word_token){i, e};
        i = e;
    }
    *out = v;
    *n_out = count;
    return OPENMED_OK;
}

/* The label a token takes: the highest-scoring span overlapping it (the first on ties). */
typedef struct token_label {
    int label; /* -1: none */
    float score;
    int64_t sentence;
} token_label;

openmed_status om_spans_remap_to_words(const uint32_t *cp, int64_t n, om_text_span_list *list, openmed_error *err) {
    if (list->n == 0) return OPENMED_OK;
    om_word_token *tok = NULL;
    size_t n_tok = 0;
    openmed_status st = om_word_tokens(cp, n, &tok, &n_tok, err);
    if (st != OPENMED_OK) return st;
    token_label *tl = malloc((n_tok ? n_tok : 1) * sizeof *tl);
    int64_t *max_end = malloc(list->n * sizeof *max_end); /* max end of spans [0, i] */
    om_text_span_list merged = {0};
    if (!tl || !max_end) goto oom;
    for (size_t i = 0; i < list->n; i++)
        max_end[i] = i && max_end[i - 1] > list->v[i].end ? max_end[i - 1] : list->v[i].end;
    size_t lo = 0;
    for (size_t t = 0; t < n_tok; t++) {
        tl[t] = (token_label){-1, -1.0f, -1};
        while (lo < list->n && max_end[lo] <= tok[t].start) lo++;
        for (size_t i = lo; i < list->n && list->v[i].start < tok[t].end; i++) {
            const om_text_span *s = &list->v[i];
            if (s->end <= tok[t].start) continue;
            if (s->score > tl[t].score) tl[t] = (token_label){s->label, s->score, s->sentence};
        }
    }
    for (size_t i = 0; i < n_tok;) {
        if (tl[i].label < 0) {
            i++;
            continue;
        }
        int64_t start = tok[i].start, end = tok[i].end;
        double sum = tl[i].score;
        size_t j = i + 1;
        while (j < n_tok && tl[j].label == tl[i].label && tok[j].start <= end + 1 && tl[j].sentence == tl[i].sentence) {
            int broken = 0;
            for (int64_t k = end; k < tok[j].start && !broken; k++) broken = om_hard_break_at(cp, n, k) != 0;
            if (broken) break;
            end = tok[j].end;
            sum += tl[j].score;
            j++;
        }
        om_text_span s = {start, end, (float)(sum / (double)(j - i)), tl[i].label, tl[i].sentence};
        if (!om_text_spans_push(&merged, s)) goto oom;
        i = j;
    }
    free(tok);
    free(tl);
    free(max_end);
    om_text_spans_free(list);
    *list = merged;
    return OPENMED_OK;
oom:
    free(tok);
    free(tl);
    free(max_end);
    om_text_spans_free(&merged);
    return om_fail(err, OPENMED_ERR_NO_MEMORY, "medical tokens: out of memory remapping %zu spans", list->n);
}
