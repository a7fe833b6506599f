/* bpe.c: the BPE model: merges ranked in a hash map, applied with a priority queue (no quadratic rescans). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

static uint64_t pair_key(int32_t a, int32_t b) { return (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1; }

static size_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static int merges_put(om_merge_map *mm, int32_t a, int32_t b, uint32_t rank, int32_t id) {
    if ((mm->count + 1) * 2 > mm->nslots) {
        size_t n = mm->nslots ? mm->nslots * 2 : 1024;
        uint64_t *keys = calloc(n, sizeof *keys);
        uint32_t *rank_ = malloc(n * sizeof *rank_);
        int32_t *ids = malloc(n * sizeof *ids);
        if (!keys || !rank_ || !ids) { free(keys); free(rank_); free(ids); return 0; }
        for (size_t i = 0; i < mm->nslots; i++) {
            if (!mm->keys[i]) continue;
            size_t j = mix(mm->keys[i]) & (n - 1);
            while (keys[j]) j = (j + 1) & (n - 1);
            keys[j] = mm->keys[i];
            rank_[j] = mm->rank[i];
            ids[j] = mm->new_id[i];
        }
        free(mm->keys); free(mm->rank); free(mm->new_id);
        mm->keys = keys; mm->rank = rank_; mm->new_id = ids; mm->nslots = n;
    }
    uint64_t k = pair_key(a, b);
    size_t j = mix(k) & (mm->nslots - 1);
    while (mm->keys[j] && mm->keys[j] != k) j = (j + 1) & (mm->nslots - 1);
    if (!mm->keys[j]) mm->count++;
    mm->keys[j] = k;
    mm->rank[j] = rank;
    mm->new_id[j] = id;
    return 1;
}

static int merges_get(const om_merge_map *mm, int32_t a, int32_t b, uint32_t *rank, int32_t *id) {
    if (!mm->nslots) return 0;
    uint64_t k = pair_key(a, b);
    size_t j = mix(k) & (mm->nslots - 1);
    while (mm->keys[j]) {
        if (mm->keys[j] == k) { *rank = mm->rank[j]; *id = mm->new_id[j]; return 1; }
        j = (j + 1) & (mm->nslots - 1);
    }
    return 0;
}

openmed_status om_bpe_parse(om_model *m, const cJSON *j, openmed_error *err) {
    m->type = OM_MODEL_BPE;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(j, "merges");
    if (!cJSON_IsObject(vocab)) return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: \"vocab\" must be an object");
    if (!cJSON_IsArray(merges)) return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: \"merges\" must be a list");
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 2147483647.0 ||
            e->valuedouble != (double)(int32_t)e->valuedouble)
            return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: bad id for token \"%.64s\"", e->string);
        openmed_status st = om_vocab_add(&m->vocab, e->string, strlen(e->string), (int32_t)e->valuedouble, err);
        if (st) return st;
    }
    const char *unk = om_json_str(j, "unk_token");
    const char *prefix = om_json_str(j, "continuing_subword_prefix");
    const char *suffix = om_json_str(j, "end_of_word_suffix");
    if (unk && !(m->unk_token = om_strdup(unk))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    if (prefix && !(m->prefix = om_strdup(prefix))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    if (suffix && !(m->suffix = om_strdup(suffix))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model");
    m->fuse_unk = om_json_bool(j, "fuse_unk", 0);
    m->byte_fallback = om_json_bool(j, "byte_fallback", 0);
    m->ignore_merges = om_json_bool(j, "ignore_merges", 0);
    if (m->unk_token) {
        m->unk_id = om_vocab_get(&m->vocab, unk, strlen(unk));
        if (m->unk_id < 0)
            return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: unk_token \"%.64s\" is not in the vocabulary", unk);
    }
    size_t plen = prefix ? strlen(prefix) : 0;
    uint32_t rank = 0;
    char *tmp = NULL;
    size_t tmpcap = 0;
    cJSON_ArrayForEach(e, merges) {
        const char *a, *b;
        size_t alen, blen;
        if (cJSON_IsString(e)) {
            const char *sp = strchr(e->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                free(tmp);
                return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: merge %u \"%.64s\" is not two tokens separated by a space",
                               rank, e->valuestring);
            }
            a = e->valuestring; alen = (size_t)(sp - a);
            b = sp + 1; blen = strlen(b);
        } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(cJSON_GetArrayItem(e, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(e, 1))) {
            a = cJSON_GetArrayItem(e, 0)->valuestring; alen = strlen(a);
            b = cJSON_GetArrayItem(e, 1)->valuestring; blen = strlen(b);
        } else {
            free(tmp);
            return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: merge %u must be \"a b\" or [\"a\", \"b\"]", rank);
        }
        int32_t ia = om_vocab_get(&m->vocab, a, alen), ib = om_vocab_get(&m->vocab, b, blen);
        if (ia < 0 || ib < 0) {
            free(tmp);
            return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: merge %u uses \"%.*s\", which is not in the vocabulary", rank,
                           (int)(ia < 0 ? (alen > 64 ? 64 : alen) : (blen > 64 ? 64 : blen)), ia < 0 ? a : b);
        }
        if (blen < plen) {
            free(tmp);
            return om_fail(err, OPENMED_ERR_FORMAT, "model BPE: merge %u: \"%.64s\" is shorter than the continuing_subword_prefix",
                           rank, b);
        }
        size_t nlen = alen + blen - plen;
        if (nlen + 1 > tmpcap) {
            tmpcap = nlen + 64;
            char *t = realloc(tmp, tmpcap);
            if (!t) { free(tmp); return om_fail(err, OPENMED_ERR_NO_MEMORY, "merges"); }
            tmp = t;
        }
        memcpy(tmp, a, alen);
        memcpy(tmp + alen, b + plen, blen - plen);
        int32_t nid = om_vocab_get(&m->vocab, tmp, nlen);
        if (nid < 0) {
            openmed_status st = om_fail(err, OPENMED_ERR_FORMAT,
                                        "model BPE: merge %u makes \"%.*s\", which is not in the vocabulary", rank,
                                        (int)(nlen > 64 ? 64 : nlen), tmp);
            free(tmp);
            return st;
        }
        if (!merges_put(&m->merges, ia, ib, rank, nid)) { free(tmp); return om_fail(err, OPENMED_ERR_NO_MEMORY, "merges"); }
        rank++;
    }
    free(tmp);
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- tokenize */

typedef struct sym {
    int32_t c;
    int32_t prev, next;
    uint32_t len;
} sym;

typedef struct heap_item {
    uint32_t rank;
    uint32_t pos;
    int32_t new_id;
} heap_item;

static int less(heap_item a, heap_item b) { return a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos; }

static void heap_push(heap_item *h, size_t *n, heap_item it) {
    size_t i = (*n)++;
    h[i] = it;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!less(h[i], h[p])) break;
        heap_item t = h[i]; h[i] = h[p]; h[p] = t;
        i = p;
    }
}

static heap_item heap_pop(heap_item *h, size_t *n) {
    heap_item top = h[0];
    h[0] = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < *n && less(h[l], h[s])) s = l;
        if (r < *n && less(h[r], h[s])) s = r;
        if (s == i) break;
        heap_item t = h[i]; h[i] = h[s]; h[s] = t;
        i = s;
    }
    return top;
}

static int add_sym(sym *w, size_t *n, int32_t c, size_t len) {
    size_t k = *n;
    w[k].c = c;
    w[k].prev = k ? (int32_t)k - 1 : -1;
    w[k].next = -1;
    w[k].len = (uint32_t)len;
    if (k) w[k - 1].next = (int32_t)k;
    (*n)++;
    return 1;
}

int om_bpe_tokenize(const om_model *m, const char *s, size_t len, om_toks *out) {
    if (!len) return 1;
    if (m->ignore_merges) {
        int32_t id = om_vocab_get(&m->vocab, s, len);
        if (id >= 0) return om_toks_push(out, id, 0, len, s, len);
    }
    size_t plen = m->prefix ? strlen(m->prefix) : 0, slen = m->suffix ? strlen(m->suffix) : 0;
    /* a char with prefix/suffix may become 4 byte-fallback symbols: 4 + plen + slen per char at most */
    size_t maxsyms = len * (4 + plen + slen) + 1;
    sym *w = malloc(maxsyms * sizeof *w);
    heap_item *heap = malloc((maxsyms * 3 + 1) * sizeof *heap); /* n-1 initial pairs + 2 per merge */
    char *buf = malloc(plen + slen + 8);
    if (!w || !heap || !buf) { free(w); free(heap); free(buf); return 0; }
    size_t n = 0;
    int32_t unk_id = -1;
    size_t unk_len = 0;
    int have_unk = 0;
    size_t i = 0;
    while (i < len) {
        size_t k = (size_t)om_utf8_len((unsigned char)s[i]);
        if (i + k > len) k = len - i;
        int first = i == 0, last = i + k >= len;
        size_t bl = 0;
        if (!first && plen) { memcpy(buf, m->prefix, plen); bl = plen; }
        memcpy(buf + bl, s + i, k);
        bl += k;
        if (last && slen) { memcpy(buf + bl, m->suffix, slen); bl += slen; }
        int32_t id = om_vocab_get(&m->vocab, buf, bl);
        if (id >= 0) {
            if (have_unk) { add_sym(w, &n, unk_id, unk_len); have_unk = 0; }
            add_sym(w, &n, id, k);
        } else {
            int done = 0;
            if (m->byte_fallback) {
                int32_t ids[64];
                int all = bl <= 64;
                for (size_t q = 0; all && q < bl; q++) {
                    char code[8];
                    snprintf(code, sizeof code, "<0x%02X>", (unsigned char)buf[q]);
                    ids[q] = om_vocab_get(&m->vocab, code, 6);
                    if (ids[q] < 0) all = 0;
                }
                if (all) {
                    for (size_t q = 0; q < bl; q++) add_sym(w, &n, ids[q], 1);
                    done = 1;
                }
            }
            if (!done && m->unk_token) {
                if (have_unk && m->fuse_unk) unk_len += k;
                else {
                    if (have_unk) add_sym(w, &n, unk_id, unk_len);
                    unk_id = m->unk_id;
                    unk_len = k;
                    have_unk = 1;
                }
            }
        }
        i += k;
    }
    if (have_unk) add_sym(w, &n, unk_id, unk_len);

    /* merge_all */
    size_t hn = 0;
    for (size_t q = 0; q + 1 < n; q++) {
        uint32_t rank;
        int32_t nid;
        if (merges_get(&m->merges, w[q].c, w[q + 1].c, &rank, &nid)) heap_push(heap, &hn, (heap_item){rank, (uint32_t)q, nid});
    }
    while (hn) {
        heap_item top = heap_pop(heap, &hn);
        sym *cur = &w[top.pos];
        if (cur->len == 0 || cur->next == -1) continue;
        size_t next = (size_t)cur->next;
        sym right = w[next];
        uint32_t rank;
        int32_t nid;
        if (!merges_get(&m->merges, cur->c, right.c, &rank, &nid) || nid != top.new_id) continue;
        cur->c = top.new_id;
        cur->len += right.len;
        cur->next = right.next;
        w[next].len = 0;
        if (right.next > -1 && (size_t)right.next < n) w[right.next].prev = (int32_t)top.pos;
        if (cur->prev >= 0) {
            sym *pv = &w[cur->prev];
            if (merges_get(&m->merges, pv->c, cur->c, &rank, &nid))
                heap_push(heap, &hn, (heap_item){rank, (uint32_t)cur->prev, nid});
        }
        if (cur->next >= 0 && (size_t)cur->next < n) {
            if (merges_get(&m->merges, cur->c, w[cur->next].c, &rank, &nid))
                heap_push(heap, &hn, (heap_item){rank, top.pos, nid});
        }
    }
    size_t pos = 0;
    int ok = 1;
    for (size_t q = 0; q < n && ok; q++) {
        if (w[q].len == 0) continue;
        const char *str = om_vocab_str(&m->vocab, w[q].c);
        ok = om_toks_push(out, w[q].c, pos, pos + w[q].len, str ? str : "", om_vocab_len(&m->vocab, w[q].c));
        pos += w[q].len;
    }
    free(w);
    free(heap);
    free(buf);
    return ok;
}
