/* repeats.c: every other occurrence of a value found in the text is an identifier too, so a name
 * the model tags once but misses elsewhere ("John Smith ... Mr. Smith ... SMITH, JOHN") does not
 * leak. Linear: the values (and their capitalised and upper-case forms) are hashed by their longest
 * word, and the text is read once, word by word. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/error.h"
#include "deid/detector.h"
#include "deid/labels.h"
#include "deid/spans.h"

/* ---------------------------------------------------------------- characters */

static utf8proc_int32_t cp_at(const char *s, size_t n, size_t i, size_t *len) {
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
    *len = k > 0 ? (size_t)k : 1;
    return k > 0 ? c : -1;
}

static int is_word_cp(utf8proc_int32_t c) {
    if (c < 0) return 0;
    utf8proc_category_t cat = utf8proc_category(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO);
}

static int word_before(const char *text, size_t b) {
    if (b == 0) return 0;
    size_t p = b - 1, len;
    while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
    return is_word_cp(cp_at(text, b, p, &len));
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

/* ---------------------------------------------------------------- a hash of byte strings */

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

typedef struct table {
    size_t *slots; /* entry index + 1; 0 = empty */
    size_t mask;
} table;

static int table_init(table *t, size_t entries) {
    size_t cap = 16;
    while (cap < entries * 2) cap *= 2;
    t->slots = calloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    return t->slots != NULL;
}

/* ---------------------------------------------------------------- values and their forms */

typedef struct value {
    size_t start, len;  /* one occurrence in the text */
    char label[OM_PII_LABEL_MAX];
    float score;
    unsigned source;
    size_t votes;       /* occurrences with this (value, label) */
    size_t best;        /* for the first (value, label) entry of a value: the winning entry */
    uint64_t hash;
} value;

typedef struct form {
    char *bytes;        /* owned */
    size_t len;
    size_t key_at, key_len; /* its longest word */
    size_t value;       /* index of the winning value entry */
    size_t next;        /* next form with the same key + 1; 0 = none */
} form;

/* The value entry of (bytes, label), added when new. */
static size_t value_slot(table *t, value *v, size_t *nv, const char *text, const om_pii_span *s, int with_label) {
    size_t len = s->end - s->start;
    uint64_t h = hash_bytes(text + s->start, len);
    if (with_label) h ^= hash_bytes(s->label, strlen(s->label)) * 31;
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        if (!t->slots[i]) {
            value *e = &v[*nv];
            memset(e, 0, sizeof *e);
            e->start = s->start;
            e->len = len;
            memcpy(e->label, s->label, sizeof e->label);
            e->hash = h;
            e->best = (size_t)-1;
            t->slots[i] = ++*nv;
            return *nv - 1;
        }
        value *e = &v[t->slots[i] - 1];
        if (e->hash == h && e->len == len && !memcmp(text + e->start, text + s->start, len) &&
            (!with_label || !strcmp(e->label, s->label)))
            return t->slots[i] - 1;
    }
}

/* Write `src` with every letter upper-cased (mode 1) or capitalised per word (mode 2). */
static char *recase(const char *src, size_t n, int mode, size_t *out_len) {
    char *out = malloc(n * 2 + 8); /* case mapping grows a code point to at most 4 bytes from 2 */
    if (!out) return NULL;
    size_t o = 0, len;
    int in_word = 0;
    for (size_t i = 0; i < n; i += len) {
        utf8proc_int32_t c = cp_at(src, n, i, &len);
        utf8proc_int32_t m = c;
        if (c >= 0) {
            if (mode == 1 || !in_word) m = utf8proc_toupper(c);
            else m = utf8proc_tolower(c);
            in_word = is_word_cp(c);
        }
        utf8proc_ssize_t k = c < 0 ? 0 : utf8proc_encode_char(m, (utf8proc_uint8_t *)out + o);
        if (k <= 0 || o + (size_t)k > n * 2 + 4) { /* cannot re-encode: keep the bytes */
            memcpy(out + o, src + i, len);
            o += len;
        } else {
            o += (size_t)k;
        }
    }
    *out_len = o;
    return out;
}

/* The longest word of a form (first of equals); 0 when it has none. */
static int longest_word(const char *s, size_t n, size_t *at, size_t *wlen) {
    size_t best = 0, len;
    for (size_t i = 0; i < n;) {
        if (!is_word_cp(cp_at(s, n, i, &len))) {
            i += len;
            continue;
        }
        size_t w = i;
        while (i < n && is_word_cp(cp_at(s, n, i, &len))) i += len;
        if (i - w > best) {
            best = i - w;
            *at = w;
        }
    }
    *wlen = best;
    return best > 0;
}

/* Does [b0, b1) overlap one of the sorted, disjoint spans[0, n)? */
static int overlaps_sorted(const om_pii_span *spans, size_t n, size_t b0, size_t b1) {
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first span ending after b0 */
        size_t mid = lo + (hi - lo) / 2;
        if (spans[mid].end <= b0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && spans[lo].start < b1;
}

/* Words of a name that stand for the person alone ("Smith" of "John Smith"): 3+ letters,
 * capitalised, not a title or a month or day name. */
static int name_word(const char *w, size_t n) {
    static const char *const skip[] = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Sir", "Jr", "Sr", "Rev",
                                       "January", "February", "March", "April", "May", "June", "July", "August",
                                       "September", "October", "November", "December", "Monday", "Tuesday",
                                       "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "The", "And"};
    if (n < 3 || !(w[0] >= 'A' && w[0] <= 'Z')) return 0;
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strlen(skip[i]) == n && !strncasecmp(skip[i], w, n)) return 0;
    return 1;
}

/* The values to look for: each span worth repeating, and each name word of a name of several words. */
static openmed_status candidates(const char *text, const om_span_list *spans, om_span_list *out, openmed_error *err) {
    openmed_status st = OPENMED_OK;
    for (size_t k = 0; k < spans->n && st == OPENMED_OK; k++) {
        const om_pii_span *s = &spans->items[k];
        if (!worth_repeating(text + s->start, s->end - s->start)) continue;
        st = om_span_list_push(out, s, err);
        if (om_label_class(s->label) != OM_PHI_NAME) continue;
        size_t words = 0, len;
        for (size_t i = s->start; i < s->end && st == OPENMED_OK;) {
            if (!is_word_cp(cp_at(text, s->end, i, &len))) {
                i += len;
                continue;
            }
            size_t w0 = i;
            while (i < s->end && (is_word_cp(cp_at(text, s->end, i, &len)) || text[i] == '\'')) i += len;
            if (w0 == s->start && i == s->end) break; /* one word: the value itself */
            words++;
            if (!name_word(text + w0, i - w0)) continue;
            om_pii_span part = *s;
            part.start = w0;
            part.end = i;
            st = om_span_list_push(out, &part, err);
        }
    }
    return st;
}

openmed_status om_spans_add_repeats(const char *text, size_t n, om_span_list *spans, openmed_error *err) {
    if (spans->n == 0) return OPENMED_OK;
    om_span_list cand = {0};
    openmed_status st = candidates(text, spans, &cand, err);
    size_t found = spans->n, nc = cand.n ? cand.n : 1;
    value *v = calloc(nc * 2, sizeof *v); /* (value, label) entries, then value entries */
    form *f = calloc(nc * 3, sizeof *f);
    table by_label = {0}, by_value = {0}, by_key = {0};
    om_span_list extra = {0};
    size_t nv = 0, nf = 0;
    size_t *entry_of = malloc(nc * sizeof *entry_of); /* candidate -> its (value, label) entry */
    if (st == OPENMED_OK && (!entry_of || !v || !f || !table_init(&by_label, nc) || !table_init(&by_value, nc) ||
                             !table_init(&by_key, nc * 3))) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory repeating %zu values", nc);
    }
    if (st != OPENMED_OK) goto done;
    /* votes per (value, label), then the winning label per value: most votes, then best score */
    for (size_t k = 0; k < cand.n; k++) {
        const om_pii_span *s = &cand.items[k];
        size_t e = value_slot(&by_label, v, &nv, text, s, 1);
        v[e].votes++;
        if (v[e].votes == 1 || s->score > v[e].score) v[e].score = s->score;
        v[e].source |= s->source;
        entry_of[k] = e;
    }
    size_t n_pairs = nv;
    for (size_t k = 0; k < cand.n; k++) {
        size_t e = entry_of[k];
        size_t w = value_slot(&by_value, v, &nv, text, &cand.items[k], 0);
        size_t cur = v[w].best;
        if (cur == (size_t)-1 || v[e].votes > v[cur].votes || (v[e].votes == v[cur].votes && v[e].score > v[cur].score))
            v[w].best = e;
    }
    /* forms of each value: as written, capitalised, in capitals (duplicates dropped) */
    for (size_t w = n_pairs; w < nv && st == OPENMED_OK; w++) {
        const char *src = text + v[w].start;
        size_t len = v[w].len, first_form = nf;
        for (int mode = 0; mode < 3; mode++) {
            form *x = &f[nf];
            x->bytes = mode ? recase(src, len, mode == 1 ? 1 : 2, &x->len) : malloc(len ? len : 1);
            if (!x->bytes) {
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory repeating values");
                break;
            }
            if (!mode) {
                memcpy(x->bytes, src, len);
                x->len = len;
            }
            int dup = 0;
            for (size_t p = first_form; p < nf && !dup; p++)
                dup = f[p].len == x->len && !memcmp(f[p].bytes, x->bytes, x->len);
            if (dup || !longest_word(x->bytes, x->len, &x->key_at, &x->key_len)) {
                free(x->bytes);
                x->bytes = NULL;
                continue;
            }
            x->value = v[w].best;
            /* chain into the key table */
            uint64_t h = hash_bytes(x->bytes + x->key_at, x->key_len);
            for (size_t i = h & by_key.mask;; i = (i + 1) & by_key.mask) {
                if (!by_key.slots[i]) {
                    by_key.slots[i] = nf + 1;
                    break;
                }
                form *head = &f[by_key.slots[i] - 1];
                if (head->key_len == x->key_len && !memcmp(head->bytes + head->key_at, x->bytes + x->key_at, x->key_len)) {
                    x->next = head->next;
                    head->next = nf + 1;
                    break;
                }
            }
            nf++;
        }
    }
    /* read the text word by word */
    size_t len;
    for (size_t i = 0; i < n && st == OPENMED_OK;) {
        if (!is_word_cp(cp_at(text, n, i, &len))) {
            i += len;
            continue;
        }
        size_t w0 = i;
        while (i < n && is_word_cp(cp_at(text, n, i, &len))) i += len;
        uint64_t h = hash_bytes(text + w0, i - w0);
        size_t head = 0;
        for (size_t s = h & by_key.mask; by_key.slots[s]; s = (s + 1) & by_key.mask) {
            form *x = &f[by_key.slots[s] - 1];
            if (x->key_len == i - w0 && !memcmp(x->bytes + x->key_at, text + w0, x->key_len)) {
                head = by_key.slots[s];
                break;
            }
        }
        for (size_t c = head; c && st == OPENMED_OK; c = f[c - 1].next) {
            const form *x = &f[c - 1];
            if (w0 < x->key_at) continue;
            size_t b0 = w0 - x->key_at, b1 = b0 + x->len;
            if (b1 > n || memcmp(text + b0, x->bytes, x->len) != 0) continue;
            if (word_before(text, b0) || (b1 < n && is_word_cp(cp_at(text, n, b1, &len)))) continue;
            if (overlaps_sorted(spans->items, found, b0, b1)) continue;
            const value *e = &v[x->value];
            om_pii_span copy = {b0, b1, "", e->score, e->source | OM_SRC_REPEAT};
            memcpy(copy.label, e->label, sizeof copy.label);
            st = om_span_list_push(&extra, &copy, err);
        }
    }
    for (size_t i = 0; i < extra.n && st == OPENMED_OK; i++) st = om_span_list_push(spans, &extra.items[i], err);
    if (st == OPENMED_OK && extra.n) st = om_spans_join(spans, err); /* forms of two values may overlap */
done:
    om_span_list_free(&cand);
    free(entry_of);
    for (size_t i = 0; f && i < nf; i++) free(f[i].bytes);
    free(f);
    free(v);
    free(by_label.slots);
    free(by_value.slots);
    free(by_key.slots);
    om_span_list_free(&extra);
    return st;
}
