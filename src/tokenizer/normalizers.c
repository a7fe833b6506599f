/* normalizers.c: HF normalizers (BertNormalizer, Lowercase, Strip, StripAccents, NF*, Replace, Prepend,
 * Precompiled, ByteLevel, Sequence), each a transform keeping the alignment to the caller's text. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer/internal.h"

/* ---------------------------------------------------------------- parsing */

openmed_status om_normalizer_parse(om_normalizer *n, const cJSON *j, openmed_error *err) {
    memset(n, 0, sizeof *n);
    const char *type = om_json_str(j, "type");
    if (!type) {
        return om_fail(err, OPENMED_ERR_FORMAT, "normalizer: missing \"type\"");
    }
    if (!strcmp(type, "BertNormalizer")) {
        n->type = OM_NORM_BERT;
        n->clean_text = om_json_bool(j, "clean_text", 1);
        n->handle_chinese_chars = om_json_bool(j, "handle_chinese_chars", 1);
        n->lowercase = om_json_bool(j, "lowercase", 1);
        n->strip_accents = om_json_bool(j, "strip_accents", -1);
        if (n->strip_accents < 0) n->strip_accents = n->lowercase;
    } else if (!strcmp(type, "Lowercase")) {
        n->type = OM_NORM_LOWERCASE;
    } else if (!strcmp(type, "Strip")) {
        n->type = OM_NORM_STRIP;
        n->strip_left = om_json_bool(j, "strip_left", 1);
        n->strip_right = om_json_bool(j, "strip_right", 1);
    } else if (!strcmp(type, "StripAccents")) {
        n->type = OM_NORM_STRIP_ACCENTS;
    } else if (!strcmp(type, "NFC")) {
        n->type = OM_NORM_NFC;
    } else if (!strcmp(type, "NFD")) {
        n->type = OM_NORM_NFD;
    } else if (!strcmp(type, "NFKC")) {
        n->type = OM_NORM_NFKC;
    } else if (!strcmp(type, "NFKD")) {
        n->type = OM_NORM_NFKD;
    } else if (!strcmp(type, "ByteLevel")) {
        n->type = OM_NORM_BYTELEVEL;
    } else if (!strcmp(type, "Replace")) {
        n->type = OM_NORM_REPLACE;
        const char *content = om_json_str(j, "content");
        if (!content) return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Replace: missing \"content\"");
        openmed_status st = om_pattern_from_json(&n->pattern, cJSON_GetObjectItemCaseSensitive(j, "pattern"),
                                                 "normalizer Replace", err);
        if (st) return st;
        if (!(n->content = om_strdup(content))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "normalizer");
    } else if (!strcmp(type, "Prepend")) {
        n->type = OM_NORM_PREPEND;
        const char *content = om_json_str(j, "prepend");
        if (!content) return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Prepend: missing \"prepend\"");
        if (!(n->content = om_strdup(content))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "normalizer");
    } else if (!strcmp(type, "Precompiled")) {
        n->type = OM_NORM_PRECOMPILED;
        const char *map = om_json_str(j, "precompiled_charsmap");
        if (!map) return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Precompiled: missing \"precompiled_charsmap\"");
        return om_charsmap_parse(&n->charsmap, map, err);
    } else if (!strcmp(type, "Sequence")) {
        n->type = OM_NORM_SEQUENCE;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "normalizers");
        if (!cJSON_IsArray(list)) return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Sequence: missing \"normalizers\" list");
        int k = cJSON_GetArraySize(list);
        n->children = calloc(k ? (size_t)k : 1, sizeof *n->children);
        if (!n->children) return om_fail(err, OPENMED_ERR_NO_MEMORY, "normalizer");
        const cJSON *c;
        cJSON_ArrayForEach(c, list) {
            openmed_status st = om_normalizer_parse(&n->children[n->nchildren++], c, err);
            if (st) return st;
        }
    } else {
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "unknown normalizer type \"%s\"", type);
    }
    return OPENMED_OK;
}

void om_normalizer_free(om_normalizer *n) {
    if (!n) return;
    for (size_t i = 0; i < n->nchildren; i++) om_normalizer_free(&n->children[i]);
    free(n->children);
    om_pattern_free(&n->pattern);
    free(n->content);
    om_charsmap_free(n->charsmap);
    memset(n, 0, sizeof *n);
}

/* ---------------------------------------------------------------- helpers */

/* Rust char::to_lowercase: the full mapping (only U+0130 maps to two chars unconditionally). */
static int lower(uint32_t c, uint32_t out[3]) {
    if (c < 0x80) { out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c; return 1; }
    if (c == 0x130) { out[0] = 'i'; out[1] = 0x307; return 2; }
    out[0] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
    return 1;
}

/* Canonical (or compatibility) decomposition of one char; returns the count (<= 32). */
static int decompose(uint32_t c, int compat, uint32_t out[32]) {
    if (c < 0xA0) { out[0] = c; return 1; }
    utf8proc_int32_t buf[32];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)c, buf, 32,
                                                 UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0), &last);
    if (n <= 0 || n > 32) { out[0] = c; return 1; }
    for (utf8proc_ssize_t i = 0; i < n; i++) out[i] = (uint32_t)buf[i];
    return (int)n;
}


/* ---------------------------------------------------------------- BertNormalizer */

static int push_cp(om_nstr *out, uint32_t c, uint32_t a0, uint32_t a1) {
    char u[4];
    int l = om_utf8_encode(c, u);
    return om_nstr_push(out, u, (size_t)l, a0, a1);
}

/* Every step (clean_text filter and map, CJK spacing, NFD + Mn removal, lowercase) gives each
 * output char the alignment of the char it came from, so one pass is equivalent to HF's four. */
static int bert(const om_normalizer *n, const om_nstr *in, om_nstr *out) {
    out->len = 0;
    if (!om_nstr_reserve(out, in->len + 16)) return 0;
    size_t i = 0;
    while (i < in->len) {
        unsigned char b = (unsigned char)in->s[i];
        if (b < 0x80) {
            /* ASCII: one char in, at most one out (capacity checked inline) */
            char c = (char)b;
            if (b <= 0x20 || b == 0x7F) {
                if (n->clean_text) {
                    if (b == ' ' || b == '\t' || b == '\n' || b == '\r') c = ' ';
                    else { i++; continue; } /* NUL and the other controls (\v, \f, DEL too) are removed */
                }
            } else if (n->lowercase && b >= 'A' && b <= 'Z') c = (char)(b + 32);
            if (out->len + 2 > out->cap && !om_nstr_reserve(out, 1)) return 0;
            out->s[out->len] = c;
            out->a0[out->len] = in->a0[i];
            out->a1[out->len] = in->a1[i];
            out->len++;
            i++;
            continue;
        }
        size_t k;
        uint32_t a0 = in->a0[i], a1 = in->a1[i];
        uint32_t c = om_utf8_decode(in->s, i, &k);
        i += k;
        if (n->clean_text) {
            if (c == 0 || c == 0xFFFD || (c != '\t' && c != '\n' && c != '\r' && om_uc_is_other(c))) continue;
            if (c == '\t' || c == '\n' || c == '\r' || om_uc_is_whitespace(c)) c = ' ';
        }
        if (n->handle_chinese_chars && om_uc_is_chinese(c)) {
            if (!push_cp(out, ' ', a0, a1) || !push_cp(out, c, a0, a1) || !push_cp(out, ' ', a0, a1)) return 0;
            continue;
        }
        uint32_t d[32], tmp[32];
        int nd = 1;
        d[0] = c;
        if (n->strip_accents) {
            nd = decompose(c, 0, tmp);
            int m = 0;
            for (int q = 0; q < nd; q++)
                if (!om_uc_is_mark_nonspacing(tmp[q])) d[m++] = tmp[q];
            nd = m;
        }
        for (int q = 0; q < nd; q++) {
            uint32_t l[3];
            int nl = 1;
            if (n->lowercase) nl = lower(d[q], l);
            else l[0] = d[q];
            for (int r = 0; r < nl; r++)
                if (!push_cp(out, l[r], a0, a1)) return 0;
        }
    }
    out->s[out->len] = 0;
    return 1;
}

/* ---------------------------------------------------------------- simple per-char maps */

static int per_char(const om_nstr *in, om_nstr *out, int kind) {
    om_xform x;
    om_xform_begin(&x, in, out, 0);
    size_t i = 0;
    while (i < in->len) {
        size_t k;
        uint32_t c = om_utf8_decode(in->s, i, &k);
        uint32_t a0 = in->a0[i], a1 = in->a1[i];
        i += k;
        uint32_t d[32];
        int nd;
        if (kind == OM_NORM_LOWERCASE) nd = lower(c, d);
        else if (kind == OM_NORM_STRIP_ACCENTS) nd = om_uc_is_mark_nonspacing(c) ? 0 : (d[0] = c, 1);
        else nd = decompose(c, kind == OM_NORM_NFKD, d);
        for (int q = 0; q < nd; q++) {
            char u[4];
            int ul = om_utf8_encode(d[q], u);
            if (!om_nstr_push(out, u, (size_t)ul, a0, a1)) return 0;
        }
    }
    return 1;
}

/* NFC / NFKC: per segment (a starter and the marks after it), the composed text; output char j
 * aligns to input char min(j, k-1) as HF's composition keeps the first char's alignment. */
static int is_segment_start(uint32_t c) {
    if (c < 0x300) return 1;
    if ((c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2)) return 0;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)c);
    return p->combining_class == 0;
}

static int compose(const om_nstr *in, om_nstr *out, int compat) {
    out->len = 0;
    size_t i = 0;
    while (i < in->len) {
        size_t seg = i, k;
        om_utf8_decode(in->s, i, &k);
        size_t e = i + k, nin = 1;
        while (e < in->len) {
            uint32_t c = om_utf8_decode(in->s, e, &k);
            if (is_segment_start(c)) break;
            e += k;
            nin++;
        }
        int fast = (nin == 1 && (unsigned char)in->s[seg] < 0x80);
        if (fast) {
            if (!om_nstr_copy_range(out, in, seg, e)) return 0;
            i = e;
            continue;
        }
        utf8proc_uint8_t *res = NULL;
        utf8proc_ssize_t rl = utf8proc_map((const utf8proc_uint8_t *)in->s + seg, (utf8proc_ssize_t)(e - seg), &res,
                                           UTF8PROC_STABLE | UTF8PROC_COMPOSE | (compat ? UTF8PROC_COMPAT : 0));
        if (rl < 0) {
            free(res);
            if (!om_nstr_copy_range(out, in, seg, e)) return 0;
            i = e;
            continue;
        }
        /* input char starts */
        size_t starts[64], ns = 0, p = seg;
        while (p < e && ns < 64) { starts[ns++] = p; p += (size_t)om_utf8_len((unsigned char)in->s[p]); }
        size_t q = 0, j = 0;
        while (q < (size_t)rl) {
            size_t cl = (size_t)om_utf8_len(res[q]);
            size_t src = starts[j < ns ? j : ns - 1];
            if (!om_nstr_push(out, (const char *)res + q, cl, in->a0[src], in->a1[src])) { free(res); return 0; }
            q += cl;
            j++;
        }
        free(res);
        i = e;
    }
    return 1;
}

/* ---------------------------------------------------------------- Strip, Replace, Prepend */

static int strip(const om_normalizer *n, const om_nstr *in, om_nstr *out) {
    size_t b = 0, e = in->len, k;
    if (n->strip_left)
        while (b < e && om_uc_is_whitespace(om_utf8_decode(in->s, b, &k))) b += k;
    if (n->strip_right)
        while (e > b) {
            size_t p = e - 1;
            while (p > b && ((unsigned char)in->s[p] & 0xC0) == 0x80) p--;
            if (!om_uc_is_whitespace(om_utf8_decode(in->s, p, &k))) break;
            e = p;
        }
    out->len = 0;
    return om_nstr_copy_range(out, in, b, e);
}

/* HF NormalizedString::replace: each replacement char aligns to the last byte of the match. */
static int replace(const om_pattern *pat, const char *content, const om_nstr *in, om_nstr *out) {
    om_matches m = {0};
    if (!om_pattern_find(pat, in->s, in->len, &m)) { om_matches_free(&m); return 0; }
    out->len = 0;
    size_t clen = strlen(content);
    int ok = 1;
    for (size_t i = 0; i < m.count && ok; i++) {
        om_match *r = &m.items[i];
        if (!r->is_match) { ok = om_nstr_copy_range(out, in, r->start, r->end); continue; }
        size_t idx = r->end;
        uint32_t a0 = 0, a1 = 0;
        if (idx >= 1) { a0 = in->a0[idx - 1]; a1 = in->a1[idx - 1]; }
        ok = om_nstr_push(out, content, clen, a0, a1);
    }
    om_matches_free(&m);
    return ok;
}

/* HF prepend: every new char takes the alignment of the first char. */
static int prepend(const char *content, const om_nstr *in, om_nstr *out) {
    out->len = 0;
    if (!in->len) return 1;
    if (!om_nstr_push(out, content, strlen(content), in->a0[0], in->a1[0])) return 0;
    return om_nstr_copy_range(out, in, 0, in->len);
}

static int bytelevel(const om_nstr *in, om_nstr *out) {
    out->len = 0;
    for (size_t i = 0; i < in->len; i++) {
        char u[4];
        int l = om_utf8_encode(om_bytelevel_char((unsigned char)in->s[i]), u);
        /* every byte of a char shares the char's alignment, the alignment at its first byte */
        size_t first = i;
        while (first > 0 && ((unsigned char)in->s[first] & 0xC0) == 0x80) first--;
        if (!om_nstr_push(out, u, (size_t)l, in->a0[first], in->a1[first])) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- Precompiled */

/* HF's Precompiled::normalize: per grapheme (< 6 bytes) try the whole grapheme, else each char. */
static void pc_replace(om_xform *x, const char *old, size_t oldlen, const char *norm) {
    size_t k, oc = 0, nc = 0;
    for (size_t i = 0; i < oldlen; i += k) { om_utf8_decode(old, i, &k); oc++; }
    size_t nlen = strlen(norm);
    for (size_t i = 0; i < nlen; i += k) { om_utf8_decode(norm, i, &k); nc++; }
    size_t q = 0;
    for (size_t i = 0; i < nlen; i += k, q++) {
        uint32_t c = om_utf8_decode(norm, i, &k);
        int change = 0;
        if (nc > oc && q >= oc) change = 1;
        if (nc < oc && q == nc - 1) change = -(int)(oc - nc);
        om_xform_emit(x, c, change);
    }
}

static int precompiled(const om_charsmap *cm, const om_nstr *in, om_nstr *out) {
    om_xform x;
    om_xform_begin(&x, in, out, 0);
    /* HF adds a removal to the last emitted transformation; before any, it is lost, which shifts
     * the alignment of what follows (reproduced by not consuming the source). */
    size_t i = 0;
    utf8proc_int32_t state = 0;
    int modified = 0;
    while (i < in->len) {
        /* fast path: a run of ASCII chars that are graphemes of their own and stay unchanged (not CR,
         * which pairs with LF; not a char that a following mark joins) */
        size_t j = i;
        while (j < in->len && (unsigned char)in->s[j] != '\r' && om_charsmap_ascii_kept(cm, (unsigned char)in->s[j]) &&
               (j + 1 == in->len || (unsigned char)in->s[j + 1] < 0x80))
            j++;
        if (j > i) {
            if (x.pos == i) {
                if (!om_nstr_copy_range(out, in, i, j)) return 0;
                x.pos = j;
            } else {
                for (size_t q = i; q < j; q++) om_xform_emit(&x, (unsigned char)in->s[q], 0);
            }
            i = j;
            continue;
        }
        /* the grapheme [i, g) */
        size_t k, g = i;
        uint32_t prev = om_utf8_decode(in->s, g, &k);
        g += k;
        state = 0;
        (void)utf8proc_grapheme_break_stateful(0, (utf8proc_int32_t)prev, &state);
        state = 0;
        while (g < in->len) {
            uint32_t c = om_utf8_decode(in->s, g, &k);
            /* two ASCII chars always break, except CR LF */
            if (c < 0x80 && prev < 0x80) {
                if (!(prev == '\r' && c == '\n')) break;
            } else if (utf8proc_grapheme_break_stateful((utf8proc_int32_t)prev, (utf8proc_int32_t)c, &state)) break;
            prev = c;
            g += k;
        }
        const char *norm = NULL;
        if (g - i < 6) norm = om_charsmap_transform(cm, in->s + i, g - i);
        if (norm) {
            modified = 1;
            size_t before = x.dst->len;
            if (!*norm) {
                /* the removal goes onto the previous transformation: skip the source chars */
                if (before > 0) x.pos += g - i;
            } else pc_replace(&x, in->s + i, g - i, norm);
        } else {
            size_t p = i;
            while (p < g) {
                uint32_t c = om_utf8_decode(in->s, p, &k);
                const char *nc = om_charsmap_transform(cm, in->s + p, k);
                if (nc) {
                    modified = 1;
                    if (!*nc) {
                        if (x.dst->len > 0) x.pos += k;
                    } else pc_replace(&x, in->s + p, k, nc);
                } else om_xform_emit(&x, c, 0);
                p += k;
            }
        }
        i = g;
    }
    if (!modified) { out->len = 0; return om_nstr_copy_range(out, in, 0, in->len); }
    return !x.failed;
}

/* ---------------------------------------------------------------- dispatch */

int om_normalizer_apply(const om_normalizer *n, om_nstr *in, om_nstr *out) {
    switch (n->type) {
    case OM_NORM_BERT: return bert(n, in, out);
    case OM_NORM_LOWERCASE:
    case OM_NORM_STRIP_ACCENTS:
    case OM_NORM_NFD:
    case OM_NORM_NFKD: out->len = 0; return per_char(in, out, n->type);
    case OM_NORM_NFC: return compose(in, out, 0);
    case OM_NORM_NFKC: return compose(in, out, 1);
    case OM_NORM_STRIP: return strip(n, in, out);
    case OM_NORM_REPLACE: return replace(&n->pattern, n->content, in, out);
    case OM_NORM_PREPEND: return prepend(n->content, in, out);
    case OM_NORM_BYTELEVEL: return bytelevel(in, out);
    case OM_NORM_PRECOMPILED: return precompiled(n->charsmap, in, out);
    case OM_NORM_SEQUENCE: {
        /* ping-pong between in and out; the result must end in out */
        om_nstr *a = in, *b = out;
        for (size_t i = 0; i < n->nchildren; i++) {
            if (!om_normalizer_apply(&n->children[i], a, b)) return 0;
            om_nstr *t = a; a = b; b = t;
        }
        if (a != out) { out->len = 0; return om_nstr_copy_range(out, a, 0, a->len); }
        return 1;
    }
    }
    return 0;
}
