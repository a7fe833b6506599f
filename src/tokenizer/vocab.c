/* vocab.c: the token <-> id tables (open-addressing hash map plus an id-indexed string array) and the
 * prefix set that lets longest-match walks stop early. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

static size_t slot_of(uint64_t h, size_t mask) { return (size_t)(h ^ (h >> 29)) & mask; }

void om_vocab_free(om_vocab *v) {
    if (v->id_to_str)
        for (size_t i = 0; i < v->size; i++) free(v->id_to_str[i]);
    free(v->id_to_str);
    free(v->id_len);
    free(v->slots);
    free(v->slot_hash);
    free(v->prefixes);
    memset(v, 0, sizeof *v);
}

static int32_t find2(const om_vocab *v, uint64_t h, const char *a, size_t alen, const char *b, size_t blen, size_t *slot) {
    size_t mask = v->nslots - 1, i = slot_of(h, mask);
    for (;;) {
        int32_t id = v->slots[i];
        if (id < 0) { *slot = i; return -1; }
        if (v->slot_hash[i] == h && v->id_len[id] == alen + blen && memcmp(v->id_to_str[id], a, alen) == 0 &&
            memcmp(v->id_to_str[id] + alen, b, blen) == 0) {
            *slot = i;
            return id;
        }
        i = (i + 1) & mask;
    }
}

static int grow(om_vocab *v) {
    size_t n = v->nslots ? v->nslots * 2 : 1024;
    int32_t *slots = malloc(n * sizeof *slots);
    uint64_t *hs = malloc(n * sizeof *hs);
    if (!slots || !hs) { free(slots); free(hs); return 0; }
    for (size_t i = 0; i < n; i++) slots[i] = -1;
    for (size_t i = 0; i < v->nslots; i++) {
        if (v->slots[i] < 0) continue;
        size_t j = slot_of(v->slot_hash[i], n - 1);
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
    if (id < 0 || id >= OM_MAX_TOKEN_ID)
        return om_fail(err, OPENMED_ERR_FORMAT, "token id %d is out of range (0 to %d)", (int)id, OM_MAX_TOKEN_ID - 1);
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
    uint64_t h = om_hash_bytes(OM_HASH_INIT, s, len);
    size_t slot;
    int32_t old = find2(v, h, s, len, "", 0, &slot);
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

int32_t om_vocab_get2(const om_vocab *v, uint64_t h, const char *a, size_t alen, const char *b, size_t blen) {
    if (!v->nslots) return -1;
    size_t slot;
    return find2(v, h, a, alen, b, blen, &slot);
}

int32_t om_vocab_get(const om_vocab *v, const char *s, size_t len) {
    return om_vocab_get2(v, om_hash_bytes(OM_HASH_INIT, s, len), s, len, "", 0);
}

const char *om_vocab_str(const om_vocab *v, int32_t id) {
    if (id < 0 || (size_t)id >= v->size) return NULL;
    return v->id_to_str[id];
}

size_t om_vocab_len(const om_vocab *v, int32_t id) {
    if (id < 0 || (size_t)id >= v->size) return 0;
    return v->id_len[id];
}

/* ---------------------------------------------------------------- prefix set */

static void prefix_put(uint64_t *t, size_t mask, uint64_t h, size_t *count) {
    if (!h) h = 1;
    size_t i = slot_of(h, mask);
    while (t[i] && t[i] != h) i = (i + 1) & mask;
    if (!t[i]) { t[i] = h; (*count)++; }
}

openmed_status om_vocab_build_prefixes(om_vocab *v, openmed_error *err) {
    size_t total = 0;
    for (size_t i = 0; i < v->size; i++)
        if (v->id_to_str[i] && v->id_len[i] > 1) total += v->id_len[i] - 1;
    size_t n = 1024;
    while (n < total * 2) n *= 2;
    free(v->prefixes);
    v->prefixes = calloc(n, sizeof *v->prefixes);
    if (!v->prefixes) return om_fail(err, OPENMED_ERR_NO_MEMORY, "vocabulary prefixes");
    v->nprefix_slots = n;
    v->nprefixes = 0;
    for (size_t i = 0; i < v->size; i++) {
        const char *s = v->id_to_str[i];
        if (!s) continue;
        uint64_t h = OM_HASH_INIT;
        for (size_t k = 0; k + 1 < v->id_len[i]; k++) {
            h = om_hash_step(h, (unsigned char)s[k]);
            prefix_put(v->prefixes, n - 1, h, &v->nprefixes);
        }
    }
    return OPENMED_OK;
}

int om_vocab_is_prefix(const om_vocab *v, uint64_t h) {
    if (!v->nprefix_slots) return 1; /* no set built: never stop a walk early */
    if (!h) h = 1;
    size_t mask = v->nprefix_slots - 1, i = slot_of(h, mask);
    while (v->prefixes[i]) {
        if (v->prefixes[i] == h) return 1;
        i = (i + 1) & mask;
    }
    return 0;
}
