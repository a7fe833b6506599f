/* view.c: the detection view (folding per grapheme cluster with utf8proc) and its map back to the
 * original text as runs: identical stretches, and single folded clusters. */
#include "deid/view.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"

/* ---------------------------------------------------------------- characters */

static utf8proc_int32_t decode(const char *s, size_t n, size_t i, size_t *len) {
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
    if (k <= 0) { /* the caller checked the text; never here, but never loop forever */
        *len = 1;
        return 0xFFFD;
    }
    *len = (size_t)k;
    return c;
}

/* Removed from the view: default-ignorable code points (ZWSP, ZWJ, ZWNJ, word joiner, BOM, soft
 * hyphen, variation selectors, tags, Hangul fillers, ...) and every other format character. */
static int removed(utf8proc_int32_t c) {
    const utf8proc_property_t *p = utf8proc_get_property(c);
    return p->ignorable || p->category == UTF8PROC_CATEGORY_CF;
}

static int is_letter(utf8proc_int32_t c) {
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static int is_mark(utf8proc_int32_t c) {
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

static int is_latin_letter(utf8proc_int32_t c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
           (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
}

/* Cyrillic and Greek letters drawn like Latin ones. */
static const struct { utf8proc_int32_t from; char to; } look_alikes[] = {
    {0x0405, 'S'}, {0x0406, 'I'}, {0x0408, 'J'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'},
    {0x041C, 'M'}, {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0423, 'Y'},
    {0x0425, 'X'}, {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
    {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04BB, 'h'}, {0x04CF, 'l'}, {0x0501, 'd'},
    {0x051B, 'q'}, {0x051D, 'w'}, {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'},
    {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'}, {0x03A1, 'P'}, {0x03A4, 'T'},
    {0x03A5, 'Y'}, {0x03A7, 'X'}, {0x03B9, 'i'}, {0x03BD, 'v'}, {0x03BF, 'o'}};

static utf8proc_int32_t latin_of(utf8proc_int32_t c) {
    if (c < 0x0391 || c > 0x051D) return c;
    for (size_t i = 0; i < sizeof look_alikes / sizeof look_alikes[0]; i++)
        if (look_alikes[i].from == c) return look_alikes[i].to;
    return c;
}

/* A decimal digit of any script as its ASCII digit (digits come in runs of ten from zero). */
static utf8proc_int32_t ascii_digit(utf8proc_int32_t c) {
    if (c < 0x80 || utf8proc_category(c) != UTF8PROC_CATEGORY_ND) return c;
    utf8proc_int32_t z = c;
    for (int k = 0; k < 64 && z > 0 && utf8proc_category(z - 1) == UTF8PROC_CATEGORY_ND; k++) z--;
    return '0' + (c - z) % 10;
}

/* ---------------------------------------------------------------- building */

typedef struct builder {
    om_deid_view *v;
    size_t cap, runs_cap;
    utf8proc_int32_t *cps; /* one cluster's code points */
    size_t cps_cap;
    char *bytes;           /* one cluster's UTF-8, before and after folding */
    size_t bytes_cap;
    int failed;
} builder;

/* Room for n bytes in b->bytes. */
static int reserve_bytes(builder *b, size_t n) {
    if (n <= b->bytes_cap) return 1;
    char *t = realloc(b->bytes, n);
    if (!t) {
        b->failed = 1;
        return 0;
    }
    b->bytes = t;
    b->bytes_cap = n;
    return 1;
}

static void put(builder *b, const char *s, size_t n) {
    om_deid_view *v = b->v;
    if (b->failed) return;
    if (v->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < v->len + n + 1) cap *= 2;
        char *t = realloc(v->text, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        v->text = t;
        b->cap = cap;
    }
    memcpy(v->text + v->len, s, n);
    v->len += n;
}

/* Record that the view bytes from here on come from original byte `orig` (identity: as they are). */
static void run(builder *b, size_t orig, int identity) {
    om_deid_view *v = b->v;
    if (b->failed) return;
    if (identity && v->n_runs) { /* extend an identity run that ends exactly here, in both texts */
        om_view_run *last = &v->runs[v->n_runs - 1];
        if (last->identity && last->orig + (v->len - last->view) == orig) return;
    }
    if (v->n_runs + 2 > b->runs_cap) {
        size_t cap = b->runs_cap ? b->runs_cap * 2 : 64;
        om_view_run *r = realloc(v->runs, cap * sizeof *r);
        if (!r) {
            b->failed = 1;
            return;
        }
        v->runs = r;
        b->runs_cap = cap;
    }
    v->runs[v->n_runs++] = (om_view_run){v->len, orig, identity};
}

/* Fold one cluster [c0, c1) of the original; `latin_word`: it lies in a word holding a Latin letter. */
static void fold_cluster(builder *b, const char *t, size_t c0, size_t c1, int latin_word) {
    size_t len, m = 0, u = 0;
    if (!reserve_bytes(b, (c1 - c0) + 1)) return;
    for (size_t i = c0; i < c1; i += len) {
        if (!removed(decode(t, c1, i, &len))) {
            memcpy(b->bytes + u, t + i, len);
            u += len;
        }
    }
    if (u == 0) return; /* only removed characters: nothing in the view */
    const char *utf8 = b->bytes;
    /* NFKC of the remaining characters */
    for (;;) {
        utf8proc_ssize_t k = utf8proc_decompose((const utf8proc_uint8_t *)utf8, (utf8proc_ssize_t)u, b->cps,
                                                (utf8proc_ssize_t)b->cps_cap,
                                                UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
        if (k < 0) { /* cannot happen for valid UTF-8; keep the characters as they are */
            m = 0;
            for (size_t i = 0; i < u && m < b->cps_cap; i += len) b->cps[m++] = decode(utf8, u, i, &len);
            break;
        }
        if ((size_t)k <= b->cps_cap) {
            k = utf8proc_normalize_utf32(b->cps, k, UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
            m = k > 0 ? (size_t)k : 0;
            break;
        }
        utf8proc_int32_t *grown = realloc(b->cps, (size_t)k * sizeof *grown);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->cps = grown;
        b->cps_cap = (size_t)k;
    }
    if (!reserve_bytes(b, m * 4 + 1)) return;
    char *out = b->bytes; /* the cluster's own bytes are no longer needed */
    size_t o = 0;
    for (size_t i = 0; i < m; i++) {
        utf8proc_int32_t c = ascii_digit(b->cps[i]);
        if (latin_word) c = latin_of(c);
        o += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out + o);
    }
    int same = o == c1 - c0 && !memcmp(out, t + c0, o);
    run(b, c0, same);
    put(b, out, o);
}

/* The end of the word starting at byte i (letters, marks and removed characters) and whether it
 * holds a Latin letter. */
static size_t word_end(const char *t, size_t n, size_t i, int *latin) {
    size_t len;
    *latin = 0;
    while (i < n) {
        utf8proc_int32_t c = decode(t, n, i, &len);
        if (!is_letter(c) && !is_mark(c) && !removed(c)) break;
        *latin |= is_latin_letter(c);
        i += len;
    }
    return i;
}

openmed_status om_deid_view_init(om_deid_view *v, const char *text, size_t n, openmed_error *err) {
    memset(v, 0, sizeof *v);
    v->original = text;
    v->original_len = n;
    builder b = {v, 0, 0, NULL, 0, NULL, 0, 0};
    b.cps_cap = 64;
    b.cps = malloc(b.cps_cap * sizeof *b.cps);
    if (!b.cps) b.failed = 1;
    put(&b, "", 0);
    size_t word_to = 0;
    int latin = 0;
    for (size_t i = 0; i < n && !b.failed;) {
        unsigned char first = (unsigned char)text[i];
        unsigned char next = i + 1 < n ? (unsigned char)text[i + 1] : 0;
        if (first < 0x80 && next < 0x80 && !(first == '\r' && next == '\n')) { /* a lone ASCII character */
            run(&b, i, 1);
            put(&b, text + i, 1);
            i++;
            continue;
        }
        /* the cluster starting at i */
        size_t len, j;
        utf8proc_int32_t prev = decode(text, n, i, &len), c;
        utf8proc_int32_t state = 0;
        size_t first_len = len;
        if (i >= word_to && (is_letter(prev) || removed(prev))) {
            word_to = word_end(text, n, i, &latin);
            if (i > 0 && (text[i - 1] | 0x20) >= 'a' && (text[i - 1] | 0x20) <= 'z') latin = 1; /* "J" of "Jаne" */
        }
        for (j = i + len; j < n; j += len, prev = c) {
            c = decode(text, n, j, &len);
            if (utf8proc_grapheme_break_stateful(prev, c, &state)) break;
        }
        if (j - i > 256) j = i + first_len; /* an absurd cluster (hundreds of marks): fold code point by code point */
        fold_cluster(&b, text, i, j, i < word_to && latin);
        i = j;
    }
    free(b.cps);
    free(b.bytes);
    if (!b.failed && v->n_runs + 1 > b.runs_cap) {
        om_view_run *r = realloc(v->runs, (v->n_runs + 1) * sizeof *r);
        if (!r) b.failed = 1;
        else v->runs = r;
    }
    if (b.failed) {
        om_deid_view_free(v);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory building the detection view of %zu bytes", n);
    }
    v->text[v->len] = 0;
    v->runs[v->n_runs] = (om_view_run){v->len, n, 1};
    return OPENMED_OK;
}

void om_deid_view_free(om_deid_view *v) {
    free(v->text);
    free(v->runs);
    memset(v, 0, sizeof *v);
}

/* The run holding view byte b (b < len). */
static size_t run_of(const om_deid_view *v, size_t b) {
    size_t lo = 0, hi = v->n_runs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->runs[mid].view <= b) lo = mid;
        else hi = mid;
    }
    return lo;
}

void om_deid_view_to_original(const om_deid_view *v, size_t start, size_t end, size_t *o0, size_t *o1) {
    if (v->n_runs == 0 || start >= end || end > v->len) {
        *o0 = *o1 = start >= v->len ? v->original_len : v->runs[run_of(v, start)].orig;
        return;
    }
    const om_view_run *a = &v->runs[run_of(v, start)];
    *o0 = a->identity ? a->orig + (start - a->view) : a->orig;
    size_t k = run_of(v, end - 1);
    const om_view_run *z = &v->runs[k];
    *o1 = z->identity ? z->orig + (end - z->view) : v->runs[k + 1].orig;
}

/* The run holding original byte o (o < original_len): the last run starting at or before it. */
static size_t run_of_original(const om_deid_view *v, size_t o) {
    size_t lo = 0, hi = v->n_runs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->runs[mid].orig <= o) lo = mid;
        else hi = mid;
    }
    return lo;
}

void om_deid_view_from_original(const om_deid_view *v, size_t o0, size_t o1, size_t *start, size_t *end) {
    if (v->n_runs == 0 || o0 >= o1) {
        *start = *end = 0;
        return;
    }
    size_t a = run_of_original(v, o0);
    const om_view_run *r = &v->runs[a];
    if (o0 < r->orig) *start = r->view; /* before the first run: only removed characters */
    else if (r->identity) *start = r->view + (o0 - r->orig) < v->runs[a + 1].view ? r->view + (o0 - r->orig) : v->runs[a + 1].view;
    else *start = r->view;
    size_t z = run_of_original(v, o1 - 1);
    r = &v->runs[z];
    if (o1 - 1 < r->orig) *end = r->view;
    else if (r->identity) *end = r->view + (o1 - r->orig) < v->runs[z + 1].view ? r->view + (o1 - r->orig) : v->runs[z + 1].view;
    else *end = v->runs[z + 1].view;
    if (*end < *start) *end = *start;
}
