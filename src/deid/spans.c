/* spans.c: the span list and the widening of model spans to whole words. */
#include "deid/spans.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"

openmed_status om_span_list_push(om_span_list *list, const om_pii_span *s, openmed_error *err) {
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        om_pii_span *items = realloc(list->items, cap * sizeof *items);
        if (!items) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory for %zu spans", cap);
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n++] = *s;
    return OPENMED_OK;
}

void om_span_list_free(om_span_list *list) {
    free(list->items);
    list->items = NULL;
    list->n = list->cap = 0;
}

int64_t om_text_cp_at_byte(const om_text_index *ix, size_t b) {
    int64_t lo = 0, hi = ix->n_cp;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ix->cp_byte[mid] < b) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Letters, digits and combining marks: the characters a word is made of. */
static int is_word_char(utf8proc_int32_t c) {
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* The code point starting at byte i (length to *len), or -1 at the end. The text is valid UTF-8. */
static utf8proc_int32_t char_at(const char *text, size_t n, size_t i, size_t *len) {
    utf8proc_int32_t c = -1;
    *len = 1;
    if (i >= n) return -1;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &c);
    *len = k > 0 ? (size_t)k : 1;
    return c;
}

/* The start byte of the code point that ends at byte i (i > 0). */
static size_t char_start_before(const char *text, size_t i) {
    size_t p = i - 1;
    while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
    return p;
}

/* White space or sentence punctuation: never part of an identifier's edge. */
static int is_edge_char(utf8proc_int32_t c) {
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ZS || (c >= 0x09 && c <= 0x0D);
}

static int has_word_char(const char *text, size_t n, size_t b0, size_t b1) {
    for (size_t i = b0, len = 1; i < b1; i += len)
        if (is_word_char(char_at(text, n, i, &len))) return 1;
    return 0;
}

void om_spans_tidy(const char *text, size_t n, om_span_list *spans) {
    size_t kept = 0;
    for (size_t k = 0; k < spans->n; k++) {
        om_pii_span s = spans->items[k];
        if (s.end > n) s.end = n;
        size_t len = 0;
        while (s.start < s.end && is_edge_char(char_at(text, n, s.start, &len))) s.start += len;
        while (s.end > s.start && is_edge_char(char_at(text, n, char_start_before(text, s.end), &len)))
            s.end = char_start_before(text, s.end);
        if (s.start >= s.end || !has_word_char(text, n, s.start, s.end)) continue;
        /* start: step back while both the first character and the one before it are word characters */
        while (s.start > 0 && is_word_char(char_at(text, n, s.start, &len))) {
            size_t p = char_start_before(text, s.start);
            if (!is_word_char(char_at(text, n, p, &len))) break;
            s.start = p;
        }
        /* end: step forward while both the last character and the next one are word characters */
        while (s.end < n) {
            size_t last = char_start_before(text, s.end);
            if (!is_word_char(char_at(text, n, last, &len))) break;
            if (!is_word_char(char_at(text, n, s.end, &len))) break;
            s.end += len;
        }
        spans->items[kept++] = s;
    }
    spans->n = kept;
}
