/* text.c: code-point indexing and grapheme-cluster boundaries of a UTF-8 text (see text.h). */
#include "privacy/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"

int om_cp_is_space(int32_t c) {
    if (c >= 0x09 && c <= 0x0D) return 1;
    if (c >= 0x1C && c <= 0x20) return 1;
    if (c == 0x85 || c == 0xA0 || c == 0x1680) return 1;
    if (c >= 0x2000 && c <= 0x200A) return 1;
    return c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int is_virama(int32_t c) {
    return c == 0x094D || c == 0x09CD || c == 0x0A4D || c == 0x0ACD || c == 0x0B4D || c == 0x0BCD ||
           c == 0x0C4D || c == 0x0CCD || c == 0x0D4D;
}

static int is_indic_consonant(int32_t c) {
    static const int32_t ranges[][2] = {
        {0x0915, 0x0939}, {0x0958, 0x095F}, {0x0978, 0x097F}, {0x0995, 0x09B9}, {0x09DC, 0x09DF},
        {0x09F0, 0x09F1}, {0x0A15, 0x0A39}, {0x0A59, 0x0A5E}, {0x0A95, 0x0AB9}, {0x0B15, 0x0B39},
        {0x0B5C, 0x0B5D}, {0x0B5F, 0x0B5F}, {0x0B95, 0x0BB9}, {0x0C15, 0x0C39}, {0x0C58, 0x0C5A},
        {0x0C95, 0x0CB9}, {0x0CDC, 0x0CDE}, {0x0D15, 0x0D3A}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i][0] && c <= ranges[i][1]) return 1;
    return 0;
}

/* Marks and joiners that extend a cluster (skipped when looking back for a virama). */
static int is_cluster_extender(int32_t c) {
    utf8proc_category_t cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_MC ||
           c == 0x200C || c == 0x200D;
}

/* OpenMed's conjunct rule: an Indic consonant after virama(s) (and marks) continues the cluster. */
static int continues_conjunct(const int32_t *cp, int64_t k) {
    if (!is_indic_consonant(cp[k])) return 0;
    int saw_virama = 0;
    for (int64_t i = k - 1; i >= 0; i--) {
        if (is_virama(cp[i])) {
            saw_virama = 1;
            continue;
        }
        if (is_cluster_extender(cp[i])) continue;
        return saw_virama && is_indic_consonant(cp[i]);
    }
    return 0;
}

void om_cp_text_free(om_cp_text *t) {
    if (!t) return;
    free(t->cp);
    free(t->byte_at);
    free(t->brk);
    memset(t, 0, sizeof *t);
}

openmed_status om_cp_text_init(om_cp_text *t, const char *utf8, size_t len, openmed_error *err) {
    memset(t, 0, sizeof *t);
    t->utf8 = utf8;
    t->cp = malloc(sizeof(int32_t) * (len + 1));
    t->byte_at = malloc(sizeof(size_t) * (len + 1));
    t->brk = malloc(len + 1);
    if (!t->cp || !t->byte_at || !t->brk) {
        om_cp_text_free(t);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "text: out of memory indexing %zu bytes", len);
    }
    size_t pos = 0;
    int64_t n = 0;
    while (pos < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate((const utf8proc_uint8_t *)utf8 + pos, (utf8proc_ssize_t)(len - pos), &c);
        if (step <= 0 || c < 0) {
            om_cp_text_free(t);
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "text: invalid UTF-8 at byte %zu", pos);
        }
        t->cp[n] = c;
        t->byte_at[n] = pos;
        n++;
        pos += (size_t)step;
    }
    t->byte_at[n] = len;
    t->n = n;
    utf8proc_int32_t state = 0;
    t->brk[0] = 1;
    for (int64_t k = 1; k < n; k++) {
        int b = utf8proc_grapheme_break_stateful(t->cp[k - 1], t->cp[k], &state);
        if (b && continues_conjunct(t->cp, k)) b = 0;
        t->brk[k] = (uint8_t)(b != 0);
    }
    t->brk[n] = 1;
    return OPENMED_OK;
}

void om_snap_to_graphemes(const om_cp_text *t, int64_t *start, int64_t *end) {
    int64_t s = *start, e = *end;
    if (s < 0) s = 0;
    if (s > t->n) s = t->n;
    if (e > t->n) e = t->n;
    if (e < s) e = s;
    int empty = (s == e);
    while (s > 0 && s < t->n && !t->brk[s]) s--;
    if (empty) {
        *start = *end = s;
        return;
    }
    while (e < t->n && !t->brk[e]) e++;
    *start = s;
    *end = e;
}
