/* added_tokens.c: HF's AddedVocabulary: added/special tokens found in the text before the model runs
 * (leftmost-longest matching with single_word, lstrip and rstrip). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

openmed_status om_added_vocab_parse(om_added_vocab *a, const cJSON *j, openmed_error *err) {
    memset(a, 0, sizeof *a);
    if (!j || cJSON_IsNull(j)) return OPENMED_OK;
    if (!cJSON_IsArray(j)) return om_fail(err, OPENMED_ERR_FORMAT, "\"added_tokens\" must be a list");
    int n = cJSON_GetArraySize(j);
    a->tokens = calloc(n ? (size_t)n : 1, sizeof *a->tokens);
    if (!a->tokens) return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
    a->cap = n ? (size_t)n : 1;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        const char *content = om_json_str(e, "content");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        if (!content || !cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble >= OM_MAX_TOKEN_ID ||
            id->valuedouble != (double)(int32_t)id->valuedouble)
            return om_fail(err, OPENMED_ERR_FORMAT, "added_tokens[%zu]: needs \"content\" and a valid \"id\"", a->count);
        om_added_token *t = &a->tokens[a->count++];
        if (!(t->content = om_strdup(content))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
        t->len = strlen(content);
        if (!(t->match = om_strdup(content))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
        t->match_len = t->len;
        t->id = (int32_t)id->valuedouble;
        t->special = om_json_bool(e, "special", 0);
        t->single_word = om_json_bool(e, "single_word", 0);
        t->lstrip = om_json_bool(e, "lstrip", 0);
        t->rstrip = om_json_bool(e, "rstrip", 0);
        t->normalized = om_json_bool(e, "normalized", !t->special);
    }
    return OPENMED_OK;
}

void om_added_vocab_free(om_added_vocab *a) {
    for (size_t i = 0; i < a->count; i++) {
        free(a->tokens[i].content);
        free(a->tokens[i].match);
    }
    free(a->tokens);
    memset(a, 0, sizeof *a);
}

static int is_word_char(uint32_t c) { return c == '_' || om_uc_is_alphanumeric(c); }

static uint32_t last_char(const char *s, size_t len) {
    size_t p = len - 1, k;
    while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
    return om_utf8_decode(s, p, &k);
}

static int push(om_added_piece **out, size_t *count, size_t *cap, size_t s, size_t e, int32_t tok) {
    if (*count == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        om_added_piece *p = realloc(*out, c * sizeof *p);
        if (!p) return 0;
        *out = p;
        *cap = c;
    }
    (*out)[(*count)++] = (om_added_piece){s, e, tok};
    return 1;
}

/* The match string of token i for this kind: tokens keep their (possibly normalized) content in
 * `content`; `normalized` selects which tokens take part. */
int om_added_find(const om_added_vocab *a, int normalized, const char *s, size_t len, om_added_piece **out,
                  size_t *count, size_t *cap) {
    *count = 0;
    size_t start_offset = 0, from = 0;
    if (a->has[normalized ? 1 : 0]) {
        const uint8_t *first = a->first_byte[normalized ? 1 : 0];
        while (from < len) {
            /* leftmost-longest: the earliest position with a match, then the longest token there */
            size_t p = from;
            int32_t best = -1;
            size_t best_len = 0;
            for (; p < len; p++) {
                if (!first[(unsigned char)s[p]]) continue;
                for (size_t i = 0; i < a->count; i++) {
                    const om_added_token *t = &a->tokens[i];
                    if (t->normalized != normalized || !t->match_len || t->match_len > len - p || t->match_len <= best_len) continue;
                    if (memcmp(s + p, t->match, t->match_len) == 0) { best = (int32_t)i; best_len = t->match_len; }
                }
                if (best >= 0) break;
            }
            if (best < 0) break;
            size_t ms = p, me = p + best_len;
            from = me;
            const om_added_token *t = &a->tokens[best];
            if (t->single_word) {
                int start_space = ms == 0 || !is_word_char(last_char(s, ms));
                size_t k;
                int stop_space = me == len || !is_word_char(om_utf8_decode(s, me, &k));
                if (!start_space || !stop_space) continue;
            }
            size_t start = ms, stop = me;
            if (t->lstrip) {
                size_t q = ms;
                while (q > 0) {
                    size_t b = q - 1, k;
                    while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
                    if (!om_uc_is_whitespace(om_utf8_decode(s, b, &k))) break;
                    q = b;
                }
                start = q > start_offset ? q : start_offset;
            }
            if (t->rstrip) {
                size_t k;
                while (stop < len && om_uc_is_whitespace(om_utf8_decode(s, stop, &k))) stop += k;
            }
            if (start > start_offset && !push(out, count, cap, start_offset, start, -1)) return 0;
            if (!push(out, count, cap, start, stop, best)) return 0;
            start_offset = stop;
        }
    }
    if (start_offset < len || len == 0) {
        if (!push(out, count, cap, start_offset, len, -1)) return 0;
    }
    return 1;
}
