/* wordpiece.c: the WordPiece model (greedy longest-match-first with a continuing-subword prefix). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

openmed_status om_wordpiece_parse(om_model *m, const cJSON *j, openmed_error *err) {
    m->type = OM_MODEL_WORDPIECE;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    if (!cJSON_IsObject(vocab)) return om_fail(err, OPENMED_ERR_FORMAT, "model WordPiece: \"vocab\" must be an object");
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 2147483647.0 ||
            e->valuedouble != (double)(int32_t)e->valuedouble)
            return om_fail(err, OPENMED_ERR_FORMAT, "model WordPiece: bad id for token \"%.64s\"", e->string);
        openmed_status st = om_vocab_add(&m->vocab, e->string, strlen(e->string), (int32_t)e->valuedouble, err);
        if (st) return st;
    }
    const char *unk = om_json_str(j, "unk_token");
    const char *prefix = om_json_str(j, "continuing_subword_prefix");
    m->unk_token = om_strdup(unk ? unk : "[UNK]");
    m->prefix = om_strdup(prefix ? prefix : "##");
    if (!m->unk_token || !m->prefix) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    m->unk_id = om_vocab_get(&m->vocab, m->unk_token, strlen(m->unk_token));
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(j, "max_input_chars_per_word");
    m->max_input_chars_per_word = 100;
    if (cJSON_IsNumber(mx)) {
        if (mx->valuedouble < 0 || mx->valuedouble > 1e9)
            return om_fail(err, OPENMED_ERR_FORMAT, "model WordPiece: bad max_input_chars_per_word");
        m->max_input_chars_per_word = (size_t)mx->valuedouble;
    }
    return om_vocab_build_prefixes(&m->vocab, err);
}

openmed_status om_wordpiece_from_vocab_txt(om_model *m, const char *text, size_t len, const char *name,
                                           openmed_error *err) {
    memset(m, 0, sizeof *m);
    m->type = OM_MODEL_WORDPIECE;
    size_t i = 0;
    int32_t id = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        size_t te = e;
        if (te > i && text[te - 1] == '\r') te--;
        /* transformers' load_vocab strips only the line break (universal newlines) */
        if (om_utf8_validate(text + i, te - i) != te - i)
            return om_fail(err, OPENMED_ERR_FORMAT, "%s: line %d is not UTF-8", name, (int)id + 1);
        openmed_status st = om_vocab_add(&m->vocab, text + i, te - i, id, err);
        if (st) return om_fail_prefix(err, st, "%s", name);
        id++;
        i = e + 1;
    }
    m->unk_token = om_strdup("[UNK]");
    m->prefix = om_strdup("##");
    if (!m->unk_token || !m->prefix) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    m->unk_id = om_vocab_get(&m->vocab, "[UNK]", 5);
    m->max_input_chars_per_word = 100;
    return om_vocab_build_prefixes(&m->vocab, err);
}

/* Returns 0 only when the unknown token is needed but missing. HF tries s[start, end) for end from the
 * longest down; the longest vocabulary entry that is a prefix is the same thing, found in one walk that
 * stops when no token continues the bytes read so far. */
int om_wordpiece_tokenize(const om_model *m, const char *s, size_t len, om_toks *out) {
    size_t nchars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) nchars++;
    size_t first = out->count, first_strs = out->strs.len;
    const om_vocab *v = &m->vocab;
    if (nchars <= m->max_input_chars_per_word) {
        size_t plen = strlen(m->prefix);
        uint64_t hprefix = om_hash_bytes(OM_HASH_INIT, m->prefix, plen);
        int prefix_continues = plen == 0 || om_vocab_is_prefix(v, hprefix);
        size_t start = 0;
        int bad = 0;
        while (start < len) {
            const char *pre = start ? m->prefix : "";
            size_t pl = start ? plen : 0;
            uint64_t h = start ? hprefix : OM_HASH_INIT;
            int32_t best = -1;
            size_t best_end = start;
            if (start == 0 || prefix_continues) {
                /* the common case: the whole rest is one token */
                if (pl + len - start <= v->max_len)
                    best = om_vocab_get2(v, om_hash_bytes(h, s + start, len - start), pre, pl, s + start, len - start);
                if (best >= 0) best_end = len;
                else {
                    /* walk forward while some token continues, remembering each char boundary's hash,
                     * then take the longest boundary that is a token (no token is longer than max_len) */
                    uint64_t hs[256];
                    size_t ends[256], nb = 0;
                    for (size_t e = start; e < len && nb < 256 && pl + e - start < v->max_len; e++) {
                        h = om_hash_step(h, (unsigned char)s[e]);
                        int boundary = e + 1 == len || ((unsigned char)s[e + 1] & 0xC0) != 0x80;
                        if (boundary) { hs[nb] = h; ends[nb] = e + 1; nb++; }
                        if (!om_vocab_is_prefix(v, h)) break;
                    }
                    if (nb == 256) {
                        /* tokens of more than 256 chars: HF's plain search from the longest down */
                        for (size_t e = len; e > start && best < 0; e--) {
                            if (e < len && ((unsigned char)s[e] & 0xC0) == 0x80) continue;
                            uint64_t he = om_hash_bytes(start ? hprefix : OM_HASH_INIT, s + start, e - start);
                            best = om_vocab_get2(v, he, pre, pl, s + start, e - start);
                            if (best >= 0) best_end = e;
                        }
                        nb = 0;
                    }
                    while (nb > 0 && best < 0) {
                        nb--;
                        best = om_vocab_get2(v, hs[nb], pre, pl, s + start, ends[nb] - start);
                        if (best >= 0) best_end = ends[nb];
                    }
                }
            }
            if (best < 0) { bad = 1; break; }
            if (!om_toks_push(out, best, start, best_end, om_vocab_str(v, best), om_vocab_len(v, best))) return 0;
            start = best_end;
        }
        if (!bad) return 1;
        out->count = first;
        out->strs.len = first_strs;
    }
    if (m->unk_id < 0) return 0;
    return om_toks_push(out, m->unk_id, 0, len, m->unk_token, strlen(m->unk_token));
}
