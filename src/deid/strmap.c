/* strmap.c: open addressing with linear probing, FNV-1a hashes, doubled at half load. */
#include "deid/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static om_strmap_slot *find(const om_strmap *m, const char *key, size_t len, uint64_t h) {
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        om_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len))) return s;
    }
}

int om_strmap_get(const om_strmap *m, const char *key, size_t len, size_t *value) {
    if (!m->cap) return 0;
    const om_strmap_slot *s = find(m, key, len, fnv(key, len));
    if (!s->key) return 0;
    *value = s->value;
    return 1;
}

static int grow(om_strmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    om_strmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return 0;
    om_strmap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key) *find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
    free(old.slots);
    return 1;
}

int om_strmap_put(om_strmap *m, const char *key, size_t len, size_t value) {
    if ((m->n + 1) * 2 > m->cap && !grow(m)) return 0;
    uint64_t h = fnv(key, len);
    om_strmap_slot *s = find(m, key, len, h);
    if (!s->key) {
        char *copy = malloc(len + 1);
        if (!copy) return 0;
        memcpy(copy, key, len);
        copy[len] = 0;
        *s = (om_strmap_slot){copy, len, h, value};
        m->n++;
    }
    s->value = value;
    return 1;
}

void om_strmap_free(om_strmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}
