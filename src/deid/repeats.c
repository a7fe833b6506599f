/* repeats.c: every other verbatim occurrence of a value found in the text is an identifier too,
 * so a name the model tags once but misses elsewhere ("John Smith ... Mr. Smith") does not leak. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"
#include "deid/spans.h"

static int is_word_byte_at(const char *text, size_t n, size_t i) {
    utf8proc_int32_t c = -1;
    if (utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &c) <= 0) return 0;
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

/* Is there a word character just before byte b0 or at byte b1? */
static int inside_word(const char *text, size_t n, size_t b0, size_t b1) {
    if (b0 > 0) {
        size_t p = b0 - 1;
        while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
        if (is_word_byte_at(text, n, p)) return 1;
    }
    return b1 < n && is_word_byte_at(text, n, b1);
}

/* A value worth looking for elsewhere: 3+ bytes with a capital or non-ASCII letter ("Smith",
 * "AB1234", "Zoë"), or 6+ digits. A confused model's plain words and short numbers ("or",
 * "metformin 500", "2") would otherwise vanish everywhere. */
static int worth_repeating(const char *v, size_t len) {
    if (len < 3) return 0;
    size_t capitals = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        capitals += (c >= 'A' && c <= 'Z') || c >= 0x80;
        digits += c >= '0' && c <= '9';
    }
    return capitals > 0 || digits >= 6;
}

/* The label and score a repeated value takes: its most frequent label among the spans holding it
 * (`same`, m indices), then the best score. */
static void vote(const om_span_list *spans, const size_t *same, size_t m, om_pii_span *out) {
    size_t best_count = 0;
    for (size_t i = 0; i < m; i++) {
        const om_pii_span *a = &spans->items[same[i]];
        size_t count = 0;
        float score = 0.0f;
        for (size_t j = 0; j < m; j++) {
            const om_pii_span *b = &spans->items[same[j]];
            if (strcmp(a->label, b->label) != 0) continue;
            count++;
            if (b->score > score) score = b->score;
        }
        if (count > best_count || (count == best_count && score > out->score)) {
            best_count = count;
            memcpy(out->label, a->label, sizeof out->label);
            out->score = score;
            out->sources = a->sources;
        }
    }
}

/* Does [b0, b1) overlap one of the sorted, disjoint spans[0, n)? */
static int overlaps_sorted(const om_pii_span *spans, size_t n, size_t b0, size_t b1) {
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first span ending after b0 */
        size_t mid = lo + (hi - lo) / 2;
        if (spans[mid].b1 <= b0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && spans[lo].b0 < b1;
}

openmed_status om_spans_add_repeats(const om_text_index *ix, om_span_list *spans, openmed_error *err) {
    const char *text = ix->text;
    size_t n = ix->n_bytes, found = spans->n;
    om_span_list extra = {0};
    size_t *same = malloc((found ? found : 1) * sizeof *same);
    if (!same) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory repeating %zu values", found);
    openmed_status st = OPENMED_OK;
    for (size_t k = 0; k < found && st == OPENMED_OK; k++) {
        const om_pii_span *s = &spans->items[k];
        size_t len = s->b1 - s->b0, m = 0;
        if (!worth_repeating(text + s->b0, len)) continue;
        int seen = 0; /* each value once, at its first span; `same` lists its spans */
        for (size_t j = 0; j < found && !seen; j++) {
            if (spans->items[j].b1 - spans->items[j].b0 != len || memcmp(text + spans->items[j].b0, text + s->b0, len))
                continue;
            if (j < k) seen = 1;
            else same[m++] = j;
        }
        if (seen) continue;
        om_pii_span copy = *s;
        copy.score = -1.0f;
        vote(spans, same, m, &copy);
        copy.sources |= OM_SPAN_REPEAT;
        for (const char *p = memmem(text, n, text + s->b0, len); p && st == OPENMED_OK;
             p = memmem(p + 1, n - (size_t)(p + 1 - text), text + s->b0, len)) {
            size_t b0 = (size_t)(p - text), b1 = b0 + len;
            if (inside_word(text, n, b0, b1) || overlaps_sorted(spans->items, found, b0, b1)) continue;
            copy.b0 = b0;
            copy.b1 = b1;
            st = om_span_list_push(&extra, &copy, err);
        }
    }
    free(same);
    size_t added = extra.n;
    for (size_t i = 0; i < added && st == OPENMED_OK; i++) st = om_span_list_push(spans, &extra.items[i], err);
    om_span_list_free(&extra);
    if (st != OPENMED_OK || added == 0) return st;
    return om_spans_resolve_overlaps(ix, spans, err); /* repeats of two values may overlap; sorts */
}
