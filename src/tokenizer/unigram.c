/* unigram.c: the Unigram (SentencePiece) model: best-path Viterbi over the vocabulary's pieces. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

openmed_status om_unigram_parse(om_model *m, const cJSON *j, openmed_error *err) {
    m->type = OM_MODEL_UNIGRAM;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    if (!cJSON_IsArray(vocab)) return om_fail(err, OPENMED_ERR_FORMAT, "model Unigram: \"vocab\" must be a list");
    int n = cJSON_GetArraySize(vocab);
    m->scores = malloc((n ? (size_t)n : 1) * sizeof *m->scores);
    if (!m->scores) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    m->min_score = DBL_MAX;
    int32_t id = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        const cJSON *piece = cJSON_GetArrayItem(e, 0), *score = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(piece) || !cJSON_IsNumber(score))
            return om_fail(err, OPENMED_ERR_FORMAT, "model Unigram: vocab entry %d must be [piece, score]", (int)id);
        openmed_status st = om_vocab_add(&m->vocab, piece->valuestring, strlen(piece->valuestring), id, err);
        if (st) return st;
        m->scores[id] = score->valuedouble;
        if (score->valuedouble < m->min_score) m->min_score = score->valuedouble;
        id++;
    }
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(j, "unk_id");
    m->unk_id = -1;
    if (cJSON_IsNumber(unk)) {
        if (unk->valuedouble < 0 || unk->valuedouble >= n)
            return om_fail(err, OPENMED_ERR_FORMAT, "model Unigram: unk_id %g is outside the vocabulary of %d", unk->valuedouble, n);
        m->unk_id = (int32_t)unk->valuedouble;
    }
    m->byte_fallback = om_json_bool(j, "byte_fallback", 0);
    m->fuse_unk = 1;
    return om_vocab_build_prefixes(&m->vocab, err);
}

typedef struct node {
    double score;
    int32_t id;
    int32_t start; /* -1: unreached */
} node;

int om_unigram_tokenize(const om_model *m, const char *s, size_t len, om_toks *out, openmed_error *err) {
    if (!len) return 1;
    node *best = malloc((len + 1) * sizeof *best);
    size_t *piece_end = malloc((len + 1) * sizeof *piece_end);
    if (!best || !piece_end) { free(best); free(piece_end); om_fail(err, OPENMED_ERR_NO_MEMORY, "unigram"); return 0; }
    for (size_t i = 0; i <= len; i++) best[i] = (node){0.0, -1, -1};
    best[0].start = 0;
    double unk_score = m->min_score - 10.0;
    size_t maxlen = m->vocab.max_len;
    for (size_t st = 0; st < len;) {
        double here = best[st].score;
        size_t mb = (size_t)om_utf8_len((unsigned char)s[st]);
        if (st + mb > len) mb = len - st;
        int single = 0;
        uint64_t h = OM_HASH_INIT;
        for (size_t e = st + 1; e <= len && e - st <= maxlen; e++) {
            /* the pieces that are prefixes of s[st..], shortest first (HF's trie common_prefix_search) */
            h = om_hash_step(h, (unsigned char)s[e - 1]);
            int32_t id = -1;
            if (e == len || ((unsigned char)s[e] & 0xC0) != 0x80) id = om_vocab_get2(&m->vocab, h, s + st, e - st, "", 0);
            int last = !om_vocab_is_prefix(&m->vocab, h); /* no longer piece starts with these bytes */
            if (id >= 0) {
                double cand = m->scores[id] + here;
                if (best[e].start < 0 || cand > best[e].score) best[e] = (node){cand, id, (int32_t)st};
                if (e - st == mb) single = 1;
            }
            if (last) break;
        }
        if (!single) {
            if (m->unk_id < 0) {
                free(best); free(piece_end);
                om_fail(err, OPENMED_ERR_FORMAT, "Unigram: a character is not in the vocabulary and the model has no unk_id");
                return 0;
            }
            double cand = unk_score + here;
            if (best[st + mb].start < 0 || cand > best[st + mb].score) best[st + mb] = (node){cand, m->unk_id, (int32_t)st};
        }
        st += mb;
    }
    /* walk back; consecutive unknown pieces fuse into one */
    size_t np = 0;
    size_t *starts = malloc((len + 1) * sizeof *starts);
    if (!starts) { free(best); free(piece_end); om_fail(err, OPENMED_ERR_NO_MEMORY, "unigram"); return 0; }
    size_t e = len;
    int in_unk = 0;
    while (e > 0) {
        node *nd = &best[e];
        size_t st = (size_t)nd->start;
        int is_unk = nd->id == m->unk_id;
        if (is_unk && in_unk) {
            starts[np - 1] = st; /* extend the fused unknown piece to the left */
        } else {
            starts[np] = st;
            piece_end[np] = e;
            np++;
        }
        in_unk = is_unk;
        e = st;
    }
    int ok = 1;
    for (size_t q = np; q-- > 0 && ok;) {
        size_t a = starts[q], b = piece_end[q];
        int32_t id = om_vocab_get(&m->vocab, s + a, b - a);
        if (id >= 0) { ok = om_toks_push(out, id, a, b, s + a, b - a); continue; }
        if (m->byte_fallback) {
            int all = 1;
            for (size_t k = a; k < b && all; k++) {
                char code[8];
                snprintf(code, sizeof code, "<0x%02X>", (unsigned char)s[k]);
                if (om_vocab_get(&m->vocab, code, 6) < 0) all = 0;
            }
            if (all) {
                for (size_t k = a; k < b && ok; k++) {
                    char code[8];
                    snprintf(code, sizeof code, "<0x%02X>", (unsigned char)s[k]);
                    ok = om_toks_push(out, om_vocab_get(&m->vocab, code, 6), a, b, code, 6);
                }
                continue;
            }
        }
        ok = om_toks_push(out, m->unk_id, a, b, s + a, b - a);
    }
    free(starts);
    free(best);
    free(piece_end);
    if (!ok) om_fail(err, OPENMED_ERR_NO_MEMORY, "unigram");
    return ok;
}
