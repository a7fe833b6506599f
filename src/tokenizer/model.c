/* model.c: the tokenization model (WordPiece, BPE, Unigram, WordLevel): parsing dispatch and token lists. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

int om_toks_push(om_toks *t, int32_t id, size_t start, size_t end, const char *s, size_t slen) {
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        om_tok *it = realloc(t->items, cap * sizeof *it);
        if (!it) return 0;
        t->items = it;
        t->cap = cap;
    }
    size_t off = t->strs.len;
    if (!om_buf_append(&t->strs, s, slen)) return 0;
    t->items[t->count++] = (om_tok){id, (uint32_t)start, (uint32_t)end, (uint32_t)off, (uint32_t)slen, 0};
    return 1;
}

void om_toks_free(om_toks *t) {
    free(t->items);
    om_buf_free(&t->strs);
    memset(t, 0, sizeof *t);
}

static openmed_status wordlevel_parse(om_model *m, const cJSON *j, openmed_error *err) {
    m->type = OM_MODEL_WORDLEVEL;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    if (!cJSON_IsObject(vocab)) return om_fail(err, OPENMED_ERR_FORMAT, "model WordLevel: \"vocab\" must be an object");
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 2147483647.0 || e->valuedouble != (double)(int32_t)e->valuedouble)
            return om_fail(err, OPENMED_ERR_FORMAT, "model WordLevel: bad id for token \"%.64s\"", e->string);
        openmed_status st = om_vocab_add(&m->vocab, e->string, strlen(e->string), (int32_t)e->valuedouble, err);
        if (st) return st;
    }
    const char *unk = om_json_str(j, "unk_token");
    m->unk_id = -1;
    if (unk) {
        if (!(m->unk_token = om_strdup(unk))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
        m->unk_id = om_vocab_get(&m->vocab, unk, strlen(unk));
    }
    return OPENMED_OK;
}

openmed_status om_model_parse(om_model *m, const cJSON *j, openmed_error *err) {
    memset(m, 0, sizeof *m);
    m->unk_id = -1;
    if (!cJSON_IsObject(j)) return om_fail(err, OPENMED_ERR_FORMAT, "\"model\" must be an object");
    const char *type = om_json_str(j, "type");
    if (!type) {
        /* The old serialization has no "type": infer it like serde's untagged enum would. */
        const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
        if (cJSON_GetObjectItemCaseSensitive(j, "merges")) type = "BPE";
        else if (cJSON_IsArray(vocab)) type = "Unigram";
        else if (cJSON_GetObjectItemCaseSensitive(j, "continuing_subword_prefix") ||
                 cJSON_GetObjectItemCaseSensitive(j, "max_input_chars_per_word")) type = "WordPiece";
        else if (cJSON_IsObject(vocab)) type = "WordLevel";
        else return om_fail(err, OPENMED_ERR_FORMAT, "model: no \"type\" and no recognizable \"vocab\"");
    }
    if (!strcmp(type, "WordPiece")) return om_wordpiece_parse(m, j, err);
    if (!strcmp(type, "BPE")) return om_bpe_parse(m, j, err);
    if (!strcmp(type, "Unigram")) return om_unigram_parse(m, j, err);
    if (!strcmp(type, "WordLevel")) return wordlevel_parse(m, j, err);
    return om_fail(err, OPENMED_ERR_UNSUPPORTED, "unknown model type \"%s\"", type);
}

void om_model_free(om_model *m) {
    om_vocab_free(&m->vocab);
    free(m->unk_token);
    free(m->prefix);
    free(m->suffix);
    free(m->merges.keys);
    free(m->merges.rank);
    free(m->merges.new_id);
    free(m->scores);
    memset(m, 0, sizeof *m);
}

void om_word_cache_free(om_word_cache *c) {
    free(c->hash);
    free(c->key_off);
    free(c->tok_off);
    free(c->key_len);
    free(c->tok_count);
    om_buf_free(&c->keys);
    free(c->toks);
    memset(c, 0, sizeof *c);
}

static void cache_clear(om_word_cache *c) {
    if (c->hash) memset(c->hash, 0, c->nslots * sizeof *c->hash);
    c->used = 0;
    c->keys.len = 0;
    c->ntoks = 0;
}

/* Look s up; on a hit append its tokens to out and return 1. */
static int cache_get(const om_word_cache *c, const om_vocab *v, uint64_t h, const char *s, size_t len, om_toks *out) {
    if (!c->nslots) return 0;
    size_t mask = c->nslots - 1, i = (size_t)(h ^ (h >> 31)) & mask;
    while (c->hash[i]) {
        if (c->hash[i] == h && c->key_len[i] == len && !memcmp(c->keys.data + c->key_off[i], s, len)) {
            for (size_t k = 0; k < c->tok_count[i]; k++) {
                const om_tok *t = &c->toks[c->tok_off[i] + k];
                if (!om_toks_push(out, t->id, t->start, t->end, om_vocab_str(v, t->id), om_vocab_len(v, t->id))) return -1;
            }
            return 1;
        }
        i = (i + 1) & mask;
    }
    return 0;
}

static void cache_put(om_word_cache *c, uint64_t h, const char *s, size_t len, const om_tok *toks, size_t n) {
    if (!c->nslots) {
        c->nslots = 8192;
        c->hash = calloc(c->nslots, sizeof *c->hash);
        c->key_off = malloc(c->nslots * sizeof *c->key_off);
        c->tok_off = malloc(c->nslots * sizeof *c->tok_off);
        c->key_len = malloc(c->nslots * sizeof *c->key_len);
        c->tok_count = malloc(c->nslots * sizeof *c->tok_count);
        if (!c->hash || !c->key_off || !c->tok_off || !c->key_len || !c->tok_count) { om_word_cache_free(c); return; }
    }
    if (c->used * 2 >= c->nslots) cache_clear(c); /* full: start over (bounded memory) */
    if (c->ntoks + n > c->toks_cap) {
        size_t cap = c->toks_cap ? c->toks_cap * 2 : 4096;
        while (cap < c->ntoks + n) cap *= 2;
        om_tok *t = realloc(c->toks, cap * sizeof *t);
        if (!t) return;
        c->toks = t;
        c->toks_cap = cap;
    }
    size_t koff = c->keys.len;
    if (!om_buf_append(&c->keys, s, len)) return;
    size_t mask = c->nslots - 1, i = (size_t)(h ^ (h >> 31)) & mask;
    while (c->hash[i]) i = (i + 1) & mask;
    c->hash[i] = h;
    c->key_off[i] = (uint32_t)koff;
    c->key_len[i] = (uint16_t)len;
    c->tok_off[i] = (uint32_t)c->ntoks;
    c->tok_count[i] = (uint16_t)n;
    if (n) memcpy(c->toks + c->ntoks, toks, n * sizeof *toks); /* a word of no tokens: toks may be NULL */
    c->ntoks += n;
    c->used++;
}

int om_model_tokenize(const om_model *m, const char *s, size_t len, om_toks *out, om_word_cache *cache,
                      openmed_error *err) {
    if (cache && (m->type == OM_MODEL_BPE || m->type == OM_MODEL_UNIGRAM) && len <= OM_WORD_CACHE_MAX_LEN) {
        uint64_t h = om_hash_bytes(OM_HASH_INIT, s, len);
        if (!h) h = 1;
        int hit = cache_get(cache, &m->vocab, h, s, len, out);
        if (hit < 0) { om_fail(err, OPENMED_ERR_NO_MEMORY, "tokens"); return 0; }
        if (hit) return 1;
        size_t first = out->count;
        if (m->type == OM_MODEL_BPE) {
            if (!om_bpe_tokenize(m, s, len, out)) { om_fail(err, OPENMED_ERR_NO_MEMORY, "BPE: out of memory"); return 0; }
        } else if (!om_unigram_tokenize(m, s, len, out, err)) {
            return 0;
        }
        /* cached tokens come back with their vocabulary strings: words with unknown pieces (whose token
         * string is the text itself) are not cached */
        int cacheable = out->count - first < 65535;
        for (size_t k = first; cacheable && k < out->count; k++)
            if (out->items[k].id == m->unk_id) cacheable = 0;
        if (cacheable) cache_put(cache, h, s, len, out->items + first, out->count - first);
        return 1;
    }
    switch (m->type) {
    case OM_MODEL_WORDPIECE:
        if (!om_wordpiece_tokenize(m, s, len, out)) {
            om_fail(err, OPENMED_ERR_FORMAT, "WordPiece: the unknown token \"%s\" is missing from the vocabulary",
                    m->unk_token ? m->unk_token : "");
            return 0;
        }
        return 1;
    case OM_MODEL_BPE:
        if (!om_bpe_tokenize(m, s, len, out)) {
            om_fail(err, OPENMED_ERR_NO_MEMORY, "BPE: out of memory");
            return 0;
        }
        return 1;
    case OM_MODEL_UNIGRAM: return om_unigram_tokenize(m, s, len, out, err);
    case OM_MODEL_WORDLEVEL: {
        int32_t id = om_vocab_get(&m->vocab, s, len);
        if (id < 0) id = m->unk_id;
        if (id < 0) {
            om_fail(err, OPENMED_ERR_FORMAT, "WordLevel: no unknown token to use for a word not in the vocabulary");
            return 0;
        }
        const char *str = om_vocab_str(&m->vocab, id);
        if (!om_toks_push(out, id, 0, len, str, strlen(str))) { om_fail(err, OPENMED_ERR_NO_MEMORY, "tokens"); return 0; }
        return 1;
    }
    }
    om_fail(err, OPENMED_ERR_INTERNAL, "no model");
    return 0;
}
