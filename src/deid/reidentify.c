/* reidentify.c: the original text back from a de-identified one and its mapping: placeholders found
 * leftmost-longest in one pass (candidates by their first bytes), occurrence keys for placeholders
 * that stand for several values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/strmap.h"
#include "openmed.h"
#include "core/buf.h"

#define OCCURRENCE_PREFIX "__openmed_occurrence_v1__:"
#define PREFIX_BYTES 4 /* placeholders are found by their first (up to) 4 bytes */

typedef struct surface {
    const char *s; /* the placeholder */
    size_t n;
    const char *plain;  /* its original (plain key), NULL if only occurrence keys */
    size_t next;        /* the next surface with the same first bytes + 1 */
} surface;

openmed_status openmed_reidentify(const char *text, size_t len, const openmed_deid_mapping *mapping,
                                  size_t n_mapping, char **out, size_t *out_len, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "reidentify: out is NULL");
    *out = NULL;
    if (!text && len) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "reidentify: text is NULL");
    if (n_mapping && !mapping) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "reidentify: mapping is NULL");
    surface *sf = calloc(n_mapping ? n_mapping : 1, sizeof *sf);
    om_strmap by_surface = {0}, by_prefix = {0}, occurrence = {0}, seen = {0};
    om_buf buf;
    om_buf_init(&buf);
    size_t ns = 0;
    openmed_status st = sf ? OPENMED_OK : om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
    size_t shortest = PREFIX_BYTES;
    for (size_t i = 0; i < n_mapping && st == OPENMED_OK; i++) {
        const char *key = mapping[i].redacted, *orig = mapping[i].original;
        if (!key || !orig) {
            st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "reidentify: mapping entry %zu has a NULL string", i);
            break;
        }
        const char *surf = key;
        size_t idx = 0;
        if (!strncmp(key, OCCURRENCE_PREFIX, strlen(OCCURRENCE_PREFIX))) { /* "<prefix>%08d:<placeholder>" */
            const char *p = key + strlen(OCCURRENCE_PREFIX);
            char *end = NULL;
            unsigned long long k = strtoull(p, &end, 10);
            if (!end || *end != ':' || end == p) {
                st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "reidentify: mapping entry %zu: malformed occurrence key", i);
                break;
            }
            surf = end + 1;
            om_buf b;
            om_buf_init(&b);
            om_buf_printf(&b, "%llu:%s", k, surf);
            if (b.failed || !om_strmap_put(&occurrence, b.data, b.len, i))
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
            om_buf_free(&b);
        }
        size_t sn = strlen(surf);
        if (sn == 0) continue; /* an empty replacement (remove) cannot be found again */
        if (!om_strmap_get(&by_surface, surf, sn, &idx)) {
            idx = ns++;
            sf[idx] = (surface){surf, sn, NULL, 0};
            if (!om_strmap_put(&by_surface, surf, sn, idx)) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
            size_t pl = sn < PREFIX_BYTES ? sn : PREFIX_BYTES, head;
            if (pl < shortest) shortest = pl;
            if (om_strmap_get(&by_prefix, surf, pl, &head)) sf[idx].next = head + 1;
            if (st == OPENMED_OK && !om_strmap_put(&by_prefix, surf, pl, idx))
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
        }
        if (surf == key) sf[idx].plain = orig;
    }
    for (size_t i = 0; i < len && st == OPENMED_OK;) {
        /* the longest surface starting here */
        const surface *best = NULL;
        for (size_t pl = shortest; pl <= PREFIX_BYTES && i + pl <= len && ns; pl++) {
            size_t head;
            if (!om_strmap_get(&by_prefix, text + i, pl, &head)) continue;
            for (size_t c = head + 1; c; c = sf[c - 1].next) {
                const surface *x = &sf[c - 1];
                size_t xl = x->n < PREFIX_BYTES ? x->n : PREFIX_BYTES;
                if (xl != pl || x->n > len - i || memcmp(text + i, x->s, x->n)) continue;
                if (!best || x->n > best->n) best = x;
            }
        }
        if (!best) {
            om_buf_put(&buf, text + i, 1);
            i++;
            continue;
        }
        size_t count = 0, entry;
        om_strmap_get(&seen, best->s, best->n, &count);
        if (!om_strmap_put(&seen, best->s, best->n, count + 1)) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
            break;
        }
        char key[64 + 32];
        int kl = snprintf(key, sizeof key, "%zu:", count);
        om_buf k;
        om_buf_init(&k);
        om_buf_put(&k, key, (size_t)kl);
        om_buf_put(&k, best->s, best->n);
        if (!k.failed && om_strmap_get(&occurrence, k.data, k.len, &entry)) om_buf_puts(&buf, mapping[entry].original);
        else if (best->plain) om_buf_puts(&buf, best->plain);
        else om_buf_put(&buf, best->s, best->n);
        om_buf_free(&k);
        i += best->n;
    }
    if (st == OPENMED_OK) {
        om_buf_put(&buf, "", 0);
        *out = buf.failed ? NULL : strndup(buf.len ? buf.data : "", buf.len);
        if (!*out) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "reidentify: out of memory");
        else if (out_len) *out_len = buf.len;
    }
    om_buf_free(&buf);
    om_strmap_free(&by_surface);
    om_strmap_free(&by_prefix);
    om_strmap_free(&occurrence);
    om_strmap_free(&seen);
    free(sf);
    return st;
}
