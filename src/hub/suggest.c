/* suggest.c: "did you mean" for model names: the registry names closest to a mistyped one, by
 * edit distance (adjacent swaps count one) over keys, aliases, repo ids and repo names, ignoring
 * case and the difference between '-' and '_'. Offline and a few milliseconds for the whole
 * manifest. */
#include "hub/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "hub/registry.h"

#define NAME_MAX_LEN 160

static void fold(const char *s, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) out[i] = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);
    out[n] = '\0';
}

/* Optimal-string-alignment distance between a and b, or limit + 1 once it must exceed limit. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb, size_t limit) {
    if ((na > nb ? na - nb : nb - na) > limit) return limit + 1;
    size_t rows[3][NAME_MAX_LEN + 1];
    size_t *pp = rows[0], *p = rows[1], *c = rows[2];
    for (size_t j = 0; j <= nb; j++) p[j] = j;
    for (size_t i = 1; i <= na; i++) {
        c[0] = i;
        size_t best = c[0];
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = p[j - 1] + cost;
            if (p[j] + 1 < v) v = p[j] + 1;
            if (c[j - 1] + 1 < v) v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v) v = pp[j - 2] + 1;
            c[j] = v;
            if (v < best) best = v;
        }
        if (best > limit) return limit + 1;
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[nb];
}

size_t om_suggest_limit(size_t name_len) { return 1 + name_len / 6; }

typedef struct candidate {
    const char *name; /* the key to show */
    size_t dist;
} candidate;

/* Is candidate a better than b: smaller distance, then shorter, then first in byte order? */
static int better(const candidate *a, const candidate *b) {
    if (a->dist != b->dist) return a->dist < b->dist;
    size_t la = strlen(a->name), lb = strlen(b->name);
    if (la != lb) return la < lb;
    return strcmp(a->name, b->name) < 0;
}

/* Keep the best `max` (distinct names), best first. */
static void offer(candidate *best, size_t max, size_t *n, const char *name, size_t dist) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(best[i].name, name)) {
            if (dist < best[i].dist) best[i].dist = dist;
            else return;
            for (; i > 0 && better(&best[i], &best[i - 1]); i--) {
                candidate t = best[i];
                best[i] = best[i - 1];
                best[i - 1] = t;
            }
            return;
        }
    candidate c = {name, dist};
    size_t pos = *n;
    while (pos > 0 && better(&c, &best[pos - 1])) pos--;
    if (pos >= max) return;
    size_t last = *n < max ? *n : max - 1;
    memmove(best + pos + 1, best + pos, (last - pos) * sizeof *best);
    best[pos] = c;
    if (*n < max) (*n)++;
}

/* Score one spelling `s` (n bytes) of the registry name `show` against the folded query. */
static void consider(const char *query, size_t nq, const char *s, size_t n, const char *show, size_t limit,
                     candidate *best, size_t max, size_t *count) {
    if (n == 0 || n > NAME_MAX_LEN) return;
    char f[NAME_MAX_LEN + 1];
    fold(s, n, f);
    size_t d = distance(query, nq, f, n, limit);
    /* a query that is a whole word-prefix of a name ("disease_detection") also suggests it */
    if (d > limit && nq >= 4 && n > nq && !strncmp(f, query, nq) && f[nq] == '-') d = limit;
    if (d <= limit) offer(best, max, count, show, d);
}

openmed_status openmed_registry_suggest(const char *name, const char **out, size_t max, size_t *n_out,
                                        openmed_error *err) {
    *n_out = 0;
    if (!name || !out || max == 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "registry_suggest: no name or output");
    openmed_status st = om_registry_load(err);
    if (st != OPENMED_OK) return st;
    size_t nq = strlen(name);
    if (nq == 0 || nq > NAME_MAX_LEN) return OPENMED_OK;
    char query[NAME_MAX_LEN + 1];
    fold(name, nq, query);
    size_t limit = om_suggest_limit(nq);
    candidate *best = calloc(max, sizeof *best);
    if (!best) return om_fail(err, OPENMED_ERR_NO_MEMORY, "registry_suggest: out of memory");
    size_t count = 0;
    for (size_t k = 0; k < om_registry_key_count(); k++) {
        const char *key = om_registry_key_at(k, NULL);
        consider(query, nq, key, strlen(key), key, limit, best, max, &count);
    }
    /* a repo id or repo name is answered with the repo id */
    for (size_t i = 0; i < om_registry_count(); i++) {
        const openmed_model_info *m = om_registry_at(i);
        const char *slash = strchr(m->repo_id, '/');
        consider(query, nq, m->repo_id, strlen(m->repo_id), m->repo_id, limit, best, max, &count);
        if (slash) consider(query, nq, slash + 1, strlen(slash + 1), m->repo_id, limit, best, max, &count);
    }
    for (size_t i = 0; i < count; i++) out[i] = best[i].name;
    *n_out = count;
    free(best);
    return OPENMED_OK;
}

size_t om_suggest_format(const char *name, char *out, size_t size) {
    const char *s[3];
    size_t n = 0;
    out[0] = '\0';
    if (openmed_registry_suggest(name, s, 3, &n, NULL) != OPENMED_OK || n == 0) return 0;
    size_t used = 0;
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", s[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return n;
}
