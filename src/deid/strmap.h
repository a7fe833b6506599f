/* strmap.h: a hash map from byte strings (copied) to indices, for the linear-time bookkeeping of
 * redaction (placeholder numbers, used surrogates, the mapping) and re-identification. */
#ifndef OM_DEID_STRMAP_H
#define OM_DEID_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct om_strmap_slot {
    char *key; /* NULL = empty */
    size_t len;
    uint64_t hash;
    size_t value;
} om_strmap_slot;

typedef struct om_strmap {
    om_strmap_slot *slots;
    size_t cap, n;
} om_strmap;

/* 1 and *value when the key is present. */
int om_strmap_get(const om_strmap *m, const char *key, size_t len, size_t *value);

/* Set key -> value (replacing an old value); 0 when out of memory. */
int om_strmap_put(om_strmap *m, const char *key, size_t len, size_t value);

void om_strmap_free(om_strmap *m);

#endif
