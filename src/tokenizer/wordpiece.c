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
    return OPENMED_OK;
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
        if (st) return om_fail_prefix(err, "%s", name);
        id++;
        i = e + 1;
    }
    m->unk_token = om_strdup("[UNK]");
    m->prefix = om_strdup("##");
    if (!m->unk_token || !m->prefix) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    m->unk_id = om_vocab_get(&m->vocab, "[UNK]", 5);
    m->max_input_chars_per_word = 100;
    return OPENMED_OK;
}

/* Returns 0 only when the unknown token is needed but missing. */
int om_wordpiece_tokenize(const om_model *m, const char *s, size_t len, om_toks *out) {
    size_t nchars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) nchars++;
    size_t first = out->count, first_strs = out->strs.size;
    if (nchars <= m->max_input_chars_per_word) {
        size_t plen = strlen(m->prefix), maxlen = m->vocab.max_len;
        char stackbuf[512];
        char *buf = plen + len + 1 <= sizeof stackbuf ? stackbuf : malloc(plen + len + 1);
        if (!buf) return 0;
        memcpy(buf, m->prefix, plen);
        size_t start = 0;
        int bad = 0;
        while (start < len) {
            size_t pre = start > 0 ? plen : 0;
            size_t end = len;
            /* no vocabulary entry is longer than maxlen: start below it, on a char boundary */
            if (maxlen >= pre && end - start > maxlen - pre) {
                end = start + (maxlen - pre);
                while (end > start && ((unsigned char)s[end] & 0xC0) == 0x80) end--;
            }
            int32_t id = -1;
            while (start < end) {
                const char *key;
                size_t klen;
                if (pre) {
                    memcpy(buf + plen, s + start, end - start);
                    key = buf;
                    klen = plen + end - start;
                } else {
                    key = s + start;
                    klen = end - start;
                }
                id = om_vocab_get(&m->vocab, key, klen);
                if (id >= 0) break;
                end--;
                while (end > start && ((unsigned char)s[end] & 0xC0) == 0x80) end--;
            }
            if (id < 0) { bad = 1; break; }
            if (!om_toks_push(out, id, start, end, om_vocab_str(&m->vocab, id), om_vocab_len(&m->vocab, id))) {
                if (buf != stackbuf) free(buf);
                return 0;
            }
            start = end;
        }
        if (buf != stackbuf) free(buf);
        if (!bad) return 1;
        out->count = first;
        out->strs.size = first_strs;
    }
    if (m->unk_id < 0) return 0;
    return om_toks_push(out, m->unk_id, 0, len, m->unk_token, strlen(m->unk_token));
}
