/* vocab.c: the token <-> id tables (open-addressing hash map plus an id-indexed string array). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

/* Eight bytes at a time: token lookups dominate WordPiece and Unigram. */
static uint32_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        s += 8;
        len -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, len);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return (uint32_t)h;
}

void om_vocab_free(om_vocab *v) {
    if (v->id_to_str)
        for (size_t i = 0; i < v->size; i++) free(v->id_to_str[i]);
    free(v->id_to_str);
    free(v->id_len);
    free(v->slots);
    free(v->slot_hash);
    memset(v, 0, sizeof *v);
}

static int32_t find_slot(const om_vocab *v, const char *s, size_t len, uint32_t h, size_t *slot) {
    size_t mask = v->nslots - 1, i = h & mask;
    for (;;) {
        int32_t id = v->slots[i];
        if (id < 0) { *slot = i; return -1; }
        if (v->slot_hash[i] == h && v->id_len[id] == len && memcmp(v->id_to_str[id], s, len) == 0) {
            *slot = i;
            return id;
        }
        i = (i + 1) & mask;
    }
}

static int grow(om_vocab *v) {
    size_t n = v->nslots ? v->nslots * 2 : 1024;
    int32_t *slots = malloc(n * sizeof *slots);
    uint32_t *hs = malloc(n * sizeof *hs);
    if (!slots || !hs) { free(slots); free(hs); return 0; }
    for (size_t i = 0; i < n; i++) slots[i] = -1;
    for (size_t i = 0; i < v->nslots; i++) {
        if (v->slots[i] < 0) continue;
        size_t j = v->slot_hash[i] & (n - 1);
        while (slots[j] >= 0) j = (j + 1) & (n - 1);
        slots[j] = v->slots[i];
        hs[j] = v->slot_hash[i];
    }
    free(v->slots);
    free(v->slot_hash);
    v->slots = slots;
    v->slot_hash = hs;
    v->nslots = n;
    return 1;
}

openmed_status om_vocab_add(om_vocab *v, const char *s, size_t len, int32_t id, openmed_error *err) {
    if (id < 0 || id >= OM_MAX_TOKEN_ID) return om_fail(err, OPENMED_ERR_FORMAT, "token id %d is out of range (0 to %d)", (int)id, OM_MAX_TOKEN_ID - 1);
    if (memchr(s, 0, len)) return om_fail(err, OPENMED_ERR_FORMAT, "token %d contains a NUL byte", (int)id);
    if ((v->count + 1) * 2 > v->nslots && !grow(v)) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary");
    if ((size_t)id >= v->ids_cap) {
        size_t n = (size_t)id + 1, cap = v->ids_cap ? v->ids_cap : 256;
        while (cap < n) cap *= 2;
        char **t = realloc(v->id_to_str, cap * sizeof *t);
        if (!t) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary");
        memset(t + v->ids_cap, 0, (cap - v->ids_cap) * sizeof *t);
        v->id_to_str = t;
        uint32_t *l = realloc(v->id_len, cap * sizeof *l);
        if (!l) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary");
        memset(l + v->ids_cap, 0, (cap - v->ids_cap) * sizeof *l);
        v->id_len = l;
        v->ids_cap = cap;
    }
    if ((size_t)id >= v->size) v->size = (size_t)id + 1;
    uint32_t h = hash_bytes(s, len);
    size_t slot;
    int32_t old = find_slot(v, s, len, h, &slot);
    if (old >= 0) {
        /* The same token again: the later id wins token -> id (HF HashMap insert). */
        if (v->id_to_str[id]) return OPENMED_OK;
        if (!(v->id_to_str[id] = om_strndup(s, len))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary");
        v->id_len[id] = (uint32_t)len;
        v->slots[slot] = id;
        return OPENMED_OK;
    }
    /* Two tokens with one id: keep the first (the lookup keys on the id's string). */
    if (v->id_to_str[id]) return OPENMED_OK;
    char *copy = om_strndup(s, len);
    if (!copy) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary");
    v->id_to_str[id] = copy;
    v->id_len[id] = (uint32_t)len;
    v->slots[slot] = id;
    v->slot_hash[slot] = h;
    v->count++;
    if (len > v->max_len) v->max_len = len;
    return OPENMED_OK;
}

int32_t om_vocab_get(const om_vocab *v, const char *s, size_t len) {
    if (!v->nslots) return -1;
    size_t slot;
    return find_slot(v, s, len, hash_bytes(s, len), &slot);
}

const char *om_vocab_str(const om_vocab *v, int32_t id) {
    if (id < 0 || (size_t)id >= v->size) return NULL;
    return v->id_to_str[id];
}

size_t om_vocab_len(const om_vocab *v, int32_t id) {
    if (id < 0 || (size_t)id >= v->size) return 0;
    return v->id_len[id];
}
