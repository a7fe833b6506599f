/* decoders.c: HF decoders (ByteLevel, WordPiece, Metaspace, Replace, ByteFallback, Fuse, Strip, BPE, CTC,
 * Sequence) turning token strings back into text, as transformers' convert_tokens_to_string uses them. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

openmed_status om_decoder_parse(om_decoder *d, const cJSON *j, openmed_error *err) {
    memset(d, 0, sizeof *d);
    const char *type = om_json_str(j, "type");
    if (!type) return om_fail(err, OPENMED_ERR_FORMAT, "decoder: missing \"type\"");
    if (!strcmp(type, "ByteLevel")) {
        d->type = OM_DEC_BYTELEVEL;
    } else if (!strcmp(type, "WordPiece")) {
        d->type = OM_DEC_WORDPIECE;
        const char *p = om_json_str(j, "prefix");
        if (!(d->prefix = om_strdup(p ? p : "##"))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
        d->cleanup = om_json_bool(j, "cleanup", 1);
    } else if (!strcmp(type, "Metaspace")) {
        d->type = OM_DEC_METASPACE;
        const char *r = om_json_str(j, "replacement");
        size_t k;
        if (!r) r = "\xE2\x96\x81";
        if (!*r || om_utf8_validate(r, strlen(r)) != strlen(r)) return om_fail(err, OPENMED_ERR_FORMAT, "decoder Metaspace: bad replacement");
        d->replacement = om_utf8_decode(r, 0, &k);
        const char *scheme = om_json_str(j, "prepend_scheme");
        if (scheme) d->prepend_scheme = !strcmp(scheme, "never") ? OM_PREPEND_NEVER : !strcmp(scheme, "first") ? OM_PREPEND_FIRST : OM_PREPEND_ALWAYS;
        else d->prepend_scheme = om_json_bool(j, "add_prefix_space", 1) ? OM_PREPEND_ALWAYS : OM_PREPEND_NEVER;
    } else if (!strcmp(type, "Replace")) {
        d->type = OM_DEC_REPLACE;
        const char *c = om_json_str(j, "content");
        if (!c) return om_fail(err, OPENMED_ERR_FORMAT, "decoder Replace: missing \"content\"");
        if (!(d->content = om_strdup(c))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
        return om_pattern_from_json(&d->pattern, cJSON_GetObjectItemCaseSensitive(j, "pattern"), "decoder Replace", err);
    } else if (!strcmp(type, "ByteFallback")) {
        d->type = OM_DEC_BYTE_FALLBACK;
    } else if (!strcmp(type, "Fuse")) {
        d->type = OM_DEC_FUSE;
    } else if (!strcmp(type, "Strip")) {
        d->type = OM_DEC_STRIP;
        const char *c = om_json_str(j, "content");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "start"), *sp = cJSON_GetObjectItemCaseSensitive(j, "stop");
        if (!c || !cJSON_IsNumber(st) || !cJSON_IsNumber(sp) || st->valuedouble < 0 || sp->valuedouble < 0 ||
            st->valuedouble > 1e6 || sp->valuedouble > 1e6)
            return om_fail(err, OPENMED_ERR_FORMAT, "decoder Strip: needs \"content\", \"start\" and \"stop\" (small non-negative)");
        if (!(d->strip_content = om_strdup(c))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
        d->start = (size_t)st->valuedouble;
        d->stop = (size_t)sp->valuedouble;
    } else if (!strcmp(type, "BPEDecoder")) {
        d->type = OM_DEC_BPE;
        const char *s = om_json_str(j, "suffix");
        if (!(d->prefix = om_strdup(s ? s : "</w>"))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
    } else if (!strcmp(type, "CTC")) {
        d->type = OM_DEC_CTC;
        const char *pad = om_json_str(j, "pad_token"), *wd = om_json_str(j, "word_delimiter_token");
        if (!(d->prefix = om_strdup(pad ? pad : "<pad>")) || !(d->word_delimiter = om_strdup(wd ? wd : "|")))
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
        d->cleanup = om_json_bool(j, "cleanup", 1);
    } else if (!strcmp(type, "Sequence")) {
        d->type = OM_DEC_SEQUENCE;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "decoders");
        if (!cJSON_IsArray(list)) return om_fail(err, OPENMED_ERR_FORMAT, "decoder Sequence: missing \"decoders\" list");
        int k = cJSON_GetArraySize(list);
        d->children = calloc(k ? (size_t)k : 1, sizeof *d->children);
        if (!d->children) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decoder");
        const cJSON *c;
        cJSON_ArrayForEach(c, list) {
            openmed_status st = om_decoder_parse(&d->children[d->nchildren++], c, err);
            if (st) return st;
        }
    } else {
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "unknown decoder type \"%s\"", type);
    }
    return OPENMED_OK;
}

void om_decoder_free(om_decoder *d) {
    if (!d) return;
    for (size_t i = 0; i < d->nchildren; i++) om_decoder_free(&d->children[i]);
    free(d->children);
    free(d->prefix);
    free(d->content);
    free(d->strip_content);
    free(d->word_delimiter);
    om_pattern_free(&d->pattern);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------- string helpers */

/* Replace every (non-overlapping, left to right) `from` by `to`; returns a new string or NULL. */
static char *str_replace(const char *s, const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to);
    om_buf b = {0};
    if (!om_buf_reserve(&b, strlen(s))) return NULL;
    b.data[0] = 0;
    const char *p = s;
    for (;;) {
        const char *f = fl ? strstr(p, from) : NULL;
        if (!f) break;
        if (!om_buf_append(&b, p, (size_t)(f - p)) || !om_buf_append(&b, to, tl)) { om_buf_free(&b); return NULL; }
        p = f + fl;
    }
    if (!om_buf_append(&b, p, strlen(p))) { om_buf_free(&b); return NULL; }
    return b.data;
}

static int set(char **slot, char *v) {
    if (!v) return 0;
    free(*slot);
    *slot = v;
    return 1;
}

/* transformers' / HF WordPiece decoder cleanup. */
static char *cleanup(const char *s) {
    static const char *pairs[][2] = {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                                     {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
                                     {" 've", "'ve"}, {" 're", "'re"}};
    char *cur = om_strdup(s);
    for (size_t i = 0; cur && i < sizeof pairs / sizeof pairs[0]; i++) {
        char *n = str_replace(cur, pairs[i][0], pairs[i][1]);
        free(cur);
        cur = n;
    }
    return cur;
}

static char *join(char **t, size_t n) {
    om_buf b = {0};
    if (!om_buf_reserve(&b, 0)) return NULL;
    b.data[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (!om_buf_append(&b, t[i], strlen(t[i]))) { om_buf_free(&b); return NULL; }
    return b.data;
}

static int replace_list(char ***tokens, size_t *count, char *single) {
    if (!single) return 0;
    for (size_t i = 0; i < *count; i++) free((*tokens)[i]);
    (*tokens)[0] = single;
    *count = 1;
    return 1;
}

/* ---------------------------------------------------------------- decode_chain */

int om_decoder_chain(const om_decoder *d, char ***tokens, size_t *count) {
    char **t = *tokens;
    size_t n = *count;
    switch (d->type) {
    case OM_DEC_SEQUENCE:
        for (size_t i = 0; i < d->nchildren; i++)
            if (!om_decoder_chain(&d->children[i], tokens, count)) return 0;
        return 1;
    case OM_DEC_BYTELEVEL: {
        /* all tokens -> bytes (a token with a non byte-level char keeps its raw bytes), lossy UTF-8 */
        om_buf bytes = {0};
        if (!om_buf_reserve(&bytes, 0)) return 0;
        for (size_t i = 0; i < n; i++) {
            const char *s = t[i];
            size_t len = strlen(s), p = 0, k, start = bytes.len;
            int ok = 1;
            while (p < len) {
                int b = om_bytelevel_byte(om_utf8_decode(s, p, &k));
                if (b < 0) { ok = 0; break; }
                char c = (char)b;
                if (!om_buf_append(&bytes, &c, 1)) { om_buf_free(&bytes); return 0; }
                p += k;
            }
            if (!ok) {
                bytes.len = start;
                if (!om_buf_append(&bytes, s, len)) { om_buf_free(&bytes); return 0; }
            }
        }
        om_buf text = {0};
        int ok = om_utf8_append_lossy(&text, bytes.data, bytes.len);
        om_buf_free(&bytes);
        if (!ok) { om_buf_free(&text); return 0; }
        return replace_list(tokens, count, text.data);
    }
    case OM_DEC_WORDPIECE: {
        size_t pl = strlen(d->prefix);
        for (size_t i = 0; i < n; i++) {
            if (i != 0) {
                if (pl && !strncmp(t[i], d->prefix, pl)) {
                    if (!set(&t[i], om_strdup(t[i] + pl))) return 0;
                } else {
                    size_t l = strlen(t[i]);
                    char *s = malloc(l + 2);
                    if (!s) return 0;
                    s[0] = ' ';
                    memcpy(s + 1, t[i], l + 1);
                    set(&t[i], s);
                }
            }
            if (d->cleanup && !set(&t[i], cleanup(t[i]))) return 0;
        }
        return 1;
    }
    case OM_DEC_METASPACE: {
        char rep[5] = {0};
        om_utf8_encode(d->replacement, rep);
        for (size_t i = 0; i < n; i++) {
            /* HF: in the first token every replacement char is dropped (unless "never") */
            char *s = str_replace(t[i], rep, i == 0 && d->prepend_scheme != OM_PREPEND_NEVER ? "" : " ");
            if (!set(&t[i], s)) return 0;
        }
        return 1;
    }
    case OM_DEC_REPLACE: {
        for (size_t i = 0; i < n; i++) {
            om_matches m = {0};
            size_t len = strlen(t[i]);
            if (!om_pattern_find(&d->pattern, t[i], len, &m)) { om_matches_free(&m); return 0; }
            om_buf b = {0};
            int ok = om_buf_reserve(&b, len);
            if (ok) b.data[0] = 0;
            for (size_t q = 0; ok && q < m.count; q++) {
                if (m.items[q].is_match) ok = om_buf_append(&b, d->content, strlen(d->content));
                else ok = om_buf_append(&b, t[i] + m.items[q].start, m.items[q].end - m.items[q].start);
            }
            om_matches_free(&m);
            if (!ok) { om_buf_free(&b); return 0; }
            set(&t[i], b.data);
        }
        return 1;
    }
    case OM_DEC_BYTE_FALLBACK: {
        /* runs of <0xXX> tokens become their bytes (lossy: one U+FFFD per invalid token when the run fails) */
        char **o = malloc((n ? n : 1) * sizeof *o);
        if (!o) return 0;
        size_t w = 0;
        for (size_t i = 0; i < n;) {
            size_t j = i;
            unsigned char bytes[4096];
            size_t nb = 0;
            while (j < n && strlen(t[j]) == 6 && !strncmp(t[j], "<0x", 3) && t[j][5] == '>' && nb < sizeof bytes) {
                char *end;
                char hex[3] = {t[j][3], t[j][4], 0};
                long v = strtol(hex, &end, 16);
                if (*end) break;
                bytes[nb++] = (unsigned char)v;
                j++;
            }
            if (j == i) { o[w++] = t[i]; i++; continue; }
            if (om_utf8_validate((const char *)bytes, nb) == nb) {
                o[w++] = om_strndup((const char *)bytes, nb);
            } else {
                for (size_t q = i; q < j; q++) o[w++] = om_strdup("\xEF\xBF\xBD");
            }
            for (size_t q = i; q < j; q++) free(t[q]);
            i = j;
        }
        memcpy(t, o, w * sizeof *o);
        free(o);
        *count = w;
        for (size_t q = 0; q < w; q++) if (!t[q]) return 0;
        return 1;
    }
    case OM_DEC_FUSE: {
        char *s = join(t, n);
        if (!s) return 0;
        return replace_list(tokens, count, s);
    }
    case OM_DEC_STRIP: {
        size_t cl = strlen(d->strip_content);
        for (size_t i = 0; i < n; i++) {
            char *s = t[i];
            size_t len = strlen(s), b = 0, e = len;
            for (size_t q = 0; q < d->start && cl && e - b >= cl && !strncmp(s + b, d->strip_content, cl); q++) b += cl;
            for (size_t q = 0; q < d->stop && cl && e - b >= cl && !strncmp(s + e - cl, d->strip_content, cl); q++) e -= cl;
            if (!set(&t[i], om_strndup(s + b, e - b))) return 0;
        }
        return 1;
    }
    case OM_DEC_BPE:
        /* the suffix marks a word end: a space, except after the last token */
        for (size_t i = 0; i < n; i++)
            if (!set(&t[i], str_replace(t[i], d->prefix, i + 1 == n ? "" : " "))) return 0;
        return 1;
    case OM_DEC_CTC: {
        /* dedup consecutive tokens, drop pad, delimiter -> space, then cleanup */
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (w > 0 && !strcmp(t[i], t[w - 1])) { free(t[i]); continue; }
            t[w++] = t[i];
        }
        size_t w2 = 0;
        for (size_t i = 0; i < w; i++) {
            if (!strcmp(t[i], d->prefix)) { free(t[i]); continue; }
            char *s = str_replace(t[i], d->word_delimiter, " ");
            if (!s) return 0;
            if (d->cleanup) {
                char *c = cleanup(s);
                free(s);
                s = c;
                if (!s) return 0;
            }
            free(t[i]);
            t[w2++] = s;
        }
        *count = w2;
        return 1;
    }
    }
    return 0;
}
