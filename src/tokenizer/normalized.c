/* normalized.c: HF's NormalizedString: text plus a per-byte alignment back to the caller's bytes. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

void om_nstr_free(om_nstr *n) {
    free(n->s);
    free(n->a0);
    free(n->a1);
    memset(n, 0, sizeof *n);
}

void om_nstr_clear(om_nstr *n) { n->len = 0; }

int om_nstr_reserve(om_nstr *n, size_t extra) {
    if (n->len + extra + 1 <= n->cap) return 1;
    size_t cap = n->cap ? n->cap : 64;
    while (cap < n->len + extra + 1) cap *= 2;
    char *s = realloc(n->s, cap);
    if (!s) return 0;
    n->s = s;
    uint32_t *a0 = realloc(n->a0, cap * sizeof *a0);
    if (!a0) return 0;
    n->a0 = a0;
    uint32_t *a1 = realloc(n->a1, cap * sizeof *a1);
    if (!a1) return 0;
    n->a1 = a1;
    n->cap = cap;
    return 1;
}

int om_nstr_push(om_nstr *n, const char *s, size_t len, uint32_t a0, uint32_t a1) {
    if (!om_nstr_reserve(n, len)) return 0;
    for (size_t i = 0; i < len; i++) {
        n->s[n->len] = s[i];
        n->a0[n->len] = a0;
        n->a1[n->len] = a1;
        n->len++;
    }
    n->s[n->len] = 0;
    return 1;
}

int om_nstr_copy_range(om_nstr *dst, const om_nstr *src, size_t from, size_t to) {
    size_t k = to - from;
    if (!om_nstr_reserve(dst, k)) return 0;
    memcpy(dst->s + dst->len, src->s + from, k);
    memcpy(dst->a0 + dst->len, src->a0 + from, k * sizeof(uint32_t));
    memcpy(dst->a1 + dst->len, src->a1 + from, k * sizeof(uint32_t));
    dst->len += k;
    dst->s[dst->len] = 0;
    return 1;
}

int om_nstr_set_original(om_nstr *n, const char *t, size_t from, size_t to) {
    n->len = 0;
    if (!om_nstr_reserve(n, to - from)) return 0;
    size_t i = from;
    while (i < to) {
        if ((unsigned char)t[i] < 0x80) {
            n->s[n->len] = t[i];
            n->a0[n->len] = (uint32_t)i;
            n->a1[n->len] = (uint32_t)(i + 1);
            n->len++;
            i++;
            continue;
        }
        size_t k = (size_t)om_utf8_len((unsigned char)t[i]);
        if (i + k > to) k = to - i;
        for (size_t j = 0; j < k; j++) {
            n->s[n->len] = t[i + j];
            n->a0[n->len] = (uint32_t)i;
            n->a1[n->len] = (uint32_t)(i + k);
            n->len++;
        }
        i += k;
    }
    n->s[n->len] = 0;
    return 1;
}

/* ---------------------------------------------------------------- transform */

static size_t char_len_at(const om_nstr *n, size_t pos) {
    if (pos >= n->len) return 0;
    size_t k = (size_t)om_utf8_len((unsigned char)n->s[pos]);
    return pos + k > n->len ? n->len - pos : k;
}

void om_xform_begin(om_xform *x, const om_nstr *src, om_nstr *dst, size_t initial_removed_chars) {
    x->src = src;
    x->dst = dst;
    x->pos = 0;
    x->failed = 0;
    dst->len = 0;
    for (size_t i = 0; i < initial_removed_chars; i++) x->pos += char_len_at(src, x->pos);
}

void om_xform_emit(om_xform *x, uint32_t cp, int change) {
    const om_nstr *src = x->src;
    uint32_t a0 = 0, a1 = 0;
    size_t idx = x->pos;
    if (change > 0) {
        /* An inserted char shares the alignment of the byte before it. */
        if (idx >= 1 && idx - 1 < src->len) { a0 = src->a0[idx - 1]; a1 = src->a1[idx - 1]; }
    } else {
        if (idx < src->len) { a0 = src->a0[idx]; a1 = src->a1[idx]; }
        else if (src->len) { a0 = src->a0[src->len - 1]; a1 = src->a1[src->len - 1]; }
        x->pos += char_len_at(src, x->pos);
        for (int k = 0; k < -change; k++) x->pos += char_len_at(src, x->pos);
    }
    char u[4];
    int n = om_utf8_encode(cp, u);
    if (!om_nstr_push(x->dst, u, (size_t)n, a0, a1)) x->failed = 1;
}
