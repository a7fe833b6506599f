/* entity_spans.c: analyze_text's span post-processing: boundary cuts, threshold, whole words,
 * grouping. */
#include "pipeline/entity_spans.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/text_chars.h"

int om_text_spans_push(om_text_span_list *l, om_text_span s) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        om_text_span *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) return 0;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = s;
    return 1;
}

void om_text_spans_free(om_text_span_list *l) {
    free(l->v);
    memset(l, 0, sizeof *l);
}

void om_text_spans_sort(om_text_span_list *l) {
    /* insertion sort: lists arrive nearly sorted (chunk by chunk) */
    for (size_t i = 1; i < l->n; i++) {
        om_text_span s = l->v[i];
        size_t j = i;
        while (j > 0 && (l->v[j - 1].start > s.start || (l->v[j - 1].start == s.start && l->v[j - 1].end > s.end))) {
            l->v[j] = l->v[j - 1];
            j--;
        }
        l->v[j] = s;
    }
}

/* OpenMed's _PLACEHOLDER_SEGMENT_PATTERN on a span: "___", "placeholder" (any case), or nothing
 * but non-word characters. */
static int is_placeholder(const uint32_t *cp, int64_t s, int64_t e) {
    static const char word[] = "placeholder";
    int any_word = 0;
    for (int64_t i = s; i < e; i++) {
        if (om_char_is_alnum(cp[i]) || cp[i] == '_') any_word = 1;
        if (i + 2 < e && cp[i] == '_' && cp[i + 1] == '_' && cp[i + 2] == '_') return 1;
        if (e - i >= (int64_t)sizeof word - 1) {
            size_t k = 0;
            while (k < sizeof word - 1 && cp[i + (int64_t)k] < 0x80 && (char)(cp[i + (int64_t)k] | 32) == word[k]) k++;
            if (k == sizeof word - 1) return 1;
        }
    }
    return !any_word;
}

static void trim(const uint32_t *cp, int64_t *s, int64_t *e) {
    while (*s < *e && om_char_is_space(cp[*s])) (*s)++;
    while (*e > *s && om_char_is_space(cp[*e - 1])) (*e)--;
}

static int emit(const uint32_t *cp, int64_t s, int64_t e, om_text_span tpl, int64_t sentence, om_text_span_list *out) {
    trim(cp, &s, &e);
    if (s >= e || is_placeholder(cp, s, e)) return 1;
    tpl.start = s;
    tpl.end = e;
    tpl.sentence = sentence;
    return om_text_spans_push(out, tpl);
}

/* One line piece [s, e): cut at the sentences it overlaps. */
static int split_line(const uint32_t *cp, int64_t s, int64_t e, om_text_span span, const om_sentence *sent,
                      size_t first, size_t count, om_text_span_list *out) {
    trim(cp, &s, &e);
    if (s >= e) return 1;
    int overlapped = 0;
    for (size_t k = first; sent && k < first + count; k++) {
        if (sent[k].end <= s || sent[k].start >= e) continue;
        overlapped = 1;
        if (sent[k].suppressed) continue;
        int64_t a = s > sent[k].start ? s : sent[k].start, b = e < sent[k].end ? e : sent[k].end;
        if (!emit(cp, a, b, span, (int64_t)k, out)) return 0;
    }
    return overlapped ? 1 : emit(cp, s, e, span, -1, out);
}

int om_spans_split(const uint32_t *cp, int64_t n, om_text_span span, const om_sentence *sent, size_t first,
                   size_t count, om_text_span_list *out) {
    if (!(span.start >= 0 && span.start < span.end && span.end <= n)) return 1;
    int64_t cursor = span.start;
    for (int64_t i = span.start; i < span.end;) {
        int b = om_hard_break_at(cp, n, i);
        if (!b) {
            i++;
            continue;
        }
        if (!split_line(cp, cursor, i, span, sent, first, count, out)) return 0;
        i += b;
        cursor = i;
    }
    return split_line(cp, cursor, span.end, span, sent, first, count, out);
}

void om_spans_threshold(om_text_span_list *l, float threshold) {
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!(l->v[i].score < threshold)) l->v[k++] = l->v[i];
    l->n = k;
}

static int extends(uint32_t c) { return om_char_is_word(c) && !om_char_is_unspaced(c); }

void om_spans_extend_to_words(const uint32_t *cp, int64_t n, om_text_span_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        om_text_span *s = &l->v[i];
        int64_t lo = i > 0 ? l->v[i - 1].end : 0;
        int64_t hi = i + 1 < l->n ? l->v[i + 1].start : n;
        if (lo < 0) lo = 0;
        if (hi > n) hi = n;
        if (s->start > lo && s->start < n && extends(cp[s->start]))
            for (int k = 0; k < OM_WORD_EXTEND_MAX && s->start > lo && extends(cp[s->start - 1]); k++) s->start--;
        for (int k = 0; k < OM_WORD_EXTEND_MAX && s->end < hi && extends(cp[s->end]); k++) s->end++;
        trim(cp, &s->start, &s->end);
    }
}

/* Hard line break anywhere in [s, e)? */
static int has_hard_break(const uint32_t *cp, int64_t n, int64_t s, int64_t e) {
    for (int64_t i = s; i < e; i++)
        if (om_hard_break_at(cp, n, i)) return 1;
    return 0;
}

void om_spans_group(const uint32_t *cp, int64_t n, om_text_span_list *l) {
    size_t out = 0;
    for (size_t i = 0; i < l->n;) {
        size_t j = i + 1;
        double sum = l->v[i].score;
        while (j < l->n && l->v[j].label == l->v[i].label && l->v[j].start <= l->v[j - 1].end + 2 &&
               l->v[j].sentence == l->v[i].sentence && !has_hard_break(cp, n, l->v[j - 1].end, l->v[j].start)) {
            sum += l->v[j].score;
            j++;
        }
        om_text_span g = l->v[i];
        if (j > i + 1) {
            g.end = l->v[j - 1].end;
            g.score = (float)(sum / (double)(j - i));
            int64_t lo = out > 0 ? l->v[out - 1].end : 0, hi = j < l->n ? l->v[j].start : n;
            while (g.start > lo && om_char_is_alnum(cp[g.start - 1])) g.start--;
            while (g.end < hi && om_char_is_alnum(cp[g.end])) g.end++;
            trim(cp, &g.start, &g.end);
        }
        l->v[out++] = g;
        i = j;
    }
    l->n = out;
}
