/* encode.c: text -> encoding: added tokens, normalizer, pre-tokenizer, model, post-processor, and the
 * conversion of byte offsets to code-point offsets of the caller's text (as HF's Python binding does). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

/* ---------------------------------------------------------------- encodings */

void om_encoding_init(om_encoding *enc) { memset(enc, 0, sizeof *enc); }

static void work_free(void *p);

void om_encoding_free(om_encoding *enc) {
    work_free(enc->scratch_);
    free(enc->ids);
    free(enc->offsets);
    free(enc->special_tokens_mask);
    free(enc->token_starts_);
    free(enc->token_text_);
    memset(enc, 0, sizeof *enc);
}

const char *om_encoding_token(const om_encoding *enc, size_t i) {
    if (i >= enc->count) return NULL;
    return enc->token_text_ + enc->token_starts_[i];
}

static void enc_clear(om_encoding *e) {
    e->count = 0;
    e->text_size_ = 0;
}

static int enc_reserve(om_encoding *e, size_t n) {
    if (e->count + n <= e->capacity_) return 1;
    size_t cap = e->capacity_ ? e->capacity_ : 64;
    while (cap < e->count + n) cap *= 2;
    int32_t *ids = realloc(e->ids, cap * sizeof *ids);
    if (!ids) return 0;
    e->ids = ids;
    size_t *off = realloc(e->offsets, cap * 2 * sizeof *off);
    if (!off) return 0;
    e->offsets = off;
    uint8_t *m = realloc(e->special_tokens_mask, cap);
    if (!m) return 0;
    e->special_tokens_mask = m;
    size_t *ts = realloc(e->token_starts_, cap * sizeof *ts);
    if (!ts) return 0;
    e->token_starts_ = ts;
    e->capacity_ = cap;
    return 1;
}

static int enc_push(om_encoding *e, int32_t id, size_t s, size_t end, int special, const char *str, size_t slen) {
    if (!enc_reserve(e, 1)) return 0;
    if (e->text_size_ + slen + 1 > e->text_capacity_) {
        size_t cap = e->text_capacity_ ? e->text_capacity_ : 256;
        while (cap < e->text_size_ + slen + 1) cap *= 2;
        char *t = realloc(e->token_text_, cap);
        if (!t) return 0;
        e->token_text_ = t;
        e->text_capacity_ = cap;
    }
    size_t i = e->count++;
    e->ids[i] = id;
    e->offsets[2 * i] = s;
    e->offsets[2 * i + 1] = end;
    e->special_tokens_mask[i] = (uint8_t)special;
    e->token_starts_[i] = e->text_size_;
    memcpy(e->token_text_ + e->text_size_, str, slen);
    e->token_text_[e->text_size_ + slen] = 0;
    e->text_size_ += slen + 1;
    return 1;
}

/* ---------------------------------------------------------------- encode */

/* Per-request working memory, kept in the caller's encoding between calls. */
typedef struct work {
    om_pretok pt, scratch;
    om_nstr a, b, tmp;
    om_toks toks;
    om_added_piece *pieces, *pieces2;
    size_t npieces, cap, npieces2, cap2;
    uint32_t *char_of;
    size_t char_cap;
    om_encoding content;
    om_word_cache cache;
} work;

static void work_free(void *p) {
    work *w = p;
    if (!w) return;
    om_pretok_free(&w->pt);
    om_pretok_free(&w->scratch);
    om_nstr_free(&w->a);
    om_nstr_free(&w->b);
    om_nstr_free(&w->tmp);
    om_toks_free(&w->toks);
    free(w->pieces);
    free(w->pieces2);
    free(w->char_of);
    om_encoding_free(&w->content);
    om_word_cache_free(&w->cache);
    free(w);
}

static void work_reset(work *w) {
    w->pt.text.len = 0;
    w->pt.count = 0;
    w->scratch.text.len = 0;
    w->scratch.count = 0;
    w->toks.count = 0;
    w->toks.strs.len = 0;
    w->npieces = w->npieces2 = 0;
}

/* Normalize t[from, to) and split it on normalized added tokens into w->pt. */
static int normalize_piece(const om_tokenizer *tok, work *w, const char *t, size_t from, size_t to) {
    if (!om_nstr_set_original(&w->a, t, from, to)) return 0;
    om_nstr *n = &w->a;
    if (tok->normalizer) {
        if (!om_normalizer_apply(tok->normalizer, &w->a, &w->b)) return 0;
        n = &w->b;
    }
    if (!om_added_find(&tok->added, 1, n->s ? n->s : "", n->len, &w->pieces2, &w->npieces2, &w->cap2)) return 0;
    for (size_t i = 0; i < w->npieces2; i++) {
        om_added_piece *p = &w->pieces2[i];
        if (p->end <= p->start) continue;
        size_t at = w->pt.text.len;
        if (!om_nstr_copy_range(&w->pt.text, n, p->start, p->end)) return 0;
        if (!om_pretok_add(&w->pt, at, w->pt.text.len, p->token >= 0 ? p->token : -1)) return 0;
    }
    return 1;
}

static openmed_status encode_tokens(const om_tokenizer *tok, const char *text, size_t len, work *w, openmed_error *err) {
    /* 1. non-normalized added tokens on the original text, 2. normalize the rest, split on normalized ones */
    if (!om_added_find(&tok->added, 0, text, len, &w->pieces, &w->npieces, &w->cap))
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
    for (size_t i = 0; i < w->npieces; i++) {
        om_added_piece *p = &w->pieces[i];
        if (p->end <= p->start) continue;
        if (p->token >= 0) {
            size_t at = w->pt.text.len;
            if (!om_nstr_reserve(&w->pt.text, 0)) return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
            int ok = om_nstr_set_original(&w->tmp, text, p->start, p->end) && om_nstr_copy_range(&w->pt.text, &w->tmp, 0, w->tmp.len) &&
                     om_pretok_add(&w->pt, at, w->pt.text.len, p->token);
            if (!ok) return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
        } else if (!normalize_piece(tok, w, text, p->start, p->end)) {
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode: normalization failed");
        }
    }
    /* 3. pre-tokenize */
    if (tok->pretokenizer && !om_pretokenizer_apply(tok->pretokenizer, &w->pt, &w->scratch))
        return om_fail(err, OPENMED_ERR_INTERNAL, "encode: pre-tokenization failed (regex error or out of memory)");
    /* 4. the model, offsets back to the caller's bytes */
    const om_nstr *nt = &w->pt.text;
    for (size_t i = 0; i < w->pt.count; i++) {
        const om_split *sp = &w->pt.splits[i];
        size_t first = w->toks.count;
        if (sp->added_id >= 0) {
            const om_added_token *a = &tok->added.tokens[sp->added_id];
            if (!om_toks_push(&w->toks, a->id, 0, sp->end - sp->begin, a->content, a->len))
                return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
            /* an added token keeps its original content as the token string */
        } else if (!om_model_tokenize(&tok->model, nt->s + sp->begin, sp->end - sp->begin, &w->toks, &w->cache, err)) {
            return err ? err->status : OPENMED_ERR_INTERNAL;
        }
        for (size_t q = first; q < w->toks.count; q++) {
            om_tok *k = &w->toks.items[q];
            if (k->end > k->start) {
                size_t b = sp->begin + k->start, e = sp->begin + k->end - 1;
                if (e >= nt->len) e = nt->len - 1;
                k->start = nt->a0[b];
                k->end = nt->a1[e];
            } else {
                /* HF keeps an empty range as is (normalized coordinates) */
                k->start = k->end = (uint32_t)(sp->begin + k->start < nt->len ? nt->a0[sp->begin + k->start] : len);
            }
        }
    }
    /* 5. post-processor offset handling (ByteLevel trim_offsets), on byte offsets */
    om_postprocessor_offsets(tok->postprocessor, &w->toks);
    return OPENMED_OK;
}

static openmed_status add_template(const om_tokenizer *tok, const om_encoding *content, size_t begin, size_t end,
                                   om_encoding *out, openmed_error *err) {
    const om_postprocessor *pp = om_postprocessor_template(tok->postprocessor);
    if (!pp) {
        for (size_t i = begin; i < end; i++) {
            const char *s = om_encoding_token(content, i);
            if (!enc_push(out, content->ids[i], content->offsets[2 * i], content->offsets[2 * i + 1],
                          content->special_tokens_mask[i], s, strlen(s)))
                return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
        }
        return OPENMED_OK;
    }
    for (size_t p = 0; p < pp->nsingle; p++) {
        const om_template_piece *pc = &pp->single[p];
        if (pc->is_sequence) {
            for (size_t i = begin; i < end; i++) {
                const char *s = om_encoding_token(content, i);
                if (!enc_push(out, content->ids[i], content->offsets[2 * i], content->offsets[2 * i + 1],
                              content->special_tokens_mask[i], s, strlen(s)))
                    return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
            }
        } else {
            for (size_t q = 0; q < pc->count; q++)
                if (!enc_push(out, pc->ids[q], 0, 0, 1, pc->tokens[q], strlen(pc->tokens[q])))
                    return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
        }
    }
    return OPENMED_OK;
}

size_t om_tokenizer_num_special_tokens(const om_tokenizer *tok) {
    const om_postprocessor *pp = om_postprocessor_template(tok->postprocessor);
    size_t n = 0;
    if (!pp) return 0;
    for (size_t p = 0; p < pp->nsingle; p++)
        if (!pp->single[p].is_sequence) n += pp->single[p].count;
    return n;
}

openmed_status om_tokenizer_wrap_single(const om_tokenizer *tok, const om_encoding *content, size_t begin, size_t end,
                                        om_encoding *out, openmed_error *err) {
    if (content == out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "wrap: the output must be another encoding");
    if (begin > end || end > content->count)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "wrap: window [%zu, %zu) outside %zu tokens", begin, end,
                       content->count);
    enc_clear(out);
    return add_template(tok, content, begin, end, out, err);
}

openmed_status om_tokenizer_encode(const om_tokenizer *tok, const char *text, size_t len, int add_special_tokens,
                                   om_encoding *out, openmed_error *err) {
    enc_clear(out);
    if (!tok || (!text && len)) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "encode: no tokenizer or text");
    if (len >= ((size_t)1 << 31)) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "encode: text of %zu bytes is too long", len);
    size_t bad = om_utf8_validate(text ? text : "", len);
    if (bad != len)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "encode: the text is not valid UTF-8 (byte offset %zu)", bad);
    work *w = out->scratch_;
    if (!w && !(w = out->scratch_ = calloc(1, sizeof *w))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
    work_reset(w);
    if (w->cache.owner != tok->serial) {
        /* another tokenizer used this encoding before: its words mean nothing here */
        om_word_cache_free(&w->cache);
        w->cache.owner = tok->serial;
    }
    openmed_status st = encode_tokens(tok, text ? text : "", len, w, err);
    om_encoding *dst = add_special_tokens ? &w->content : out;
    enc_clear(dst);
    if (!st && len + 1 > w->char_cap) {
        /* byte offsets -> code points, with HF's BytesToCharOffsetConverter rules */
        uint32_t *c = realloc(w->char_of, (len + 1) * sizeof *c);
        if (!c) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
        else { w->char_of = c; w->char_cap = len + 1; }
    }
    if (!st) {
        uint32_t ci = 0;
        for (size_t i = 0; i < len; i++) {
            if (i > 0 && ((unsigned char)text[i] & 0xC0) != 0x80) ci++;
            w->char_of[i] = ci;
        }
        for (size_t i = 0; !st && i < w->toks.count; i++) {
            om_tok *k = &w->toks.items[i];
            size_t s = k->start, e = k->end;
            if (s < len) {
                size_t cs = w->char_of[s], ce;
                if (e < len) ce = w->char_of[e];
                else ce = (e >= 1 && e - 1 < len ? w->char_of[e - 1] : cs) + 1;
                s = cs;
                e = ce;
            }
            if (!enc_push(dst, k->id, s, e, 0, w->toks.strs.data + k->str_off, k->str_len))
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "encode");
        }
    }
    if (!st && add_special_tokens) st = add_template(tok, &w->content, 0, w->content.count, out, err);
    if (st) enc_clear(out);
    return st;
}

/* ---------------------------------------------------------------- public wrappers */

openmed_status openmed_tokenizer_load(const char *path, openmed_tokenizer **out, openmed_error *err) {
    return om_tokenizer_load_dir(path, out, err);
}

void openmed_tokenizer_free(openmed_tokenizer *tok) { om_tokenizer_free(tok); }
void openmed_encoding_init(openmed_encoding *enc) { om_encoding_init(enc); }
void openmed_encoding_free(openmed_encoding *enc) { om_encoding_free(enc); }
const char *openmed_encoding_token(const openmed_encoding *enc, size_t i) { return om_encoding_token(enc, i); }

openmed_status openmed_tokenizer_encode(const openmed_tokenizer *tok, const char *text, size_t len, int add_special_tokens,
                                        openmed_encoding *out, openmed_error *err) {
    return om_tokenizer_encode(tok, text, len, add_special_tokens, out, err);
}

openmed_status openmed_tokenizer_decode(const openmed_tokenizer *tok, const int32_t *ids, size_t count,
                                        int skip_special_tokens, char **out, openmed_error *err) {
    return om_tokenizer_decode(tok, ids, count, skip_special_tokens, out, err);
}
