/* precompiled.c: SentencePiece's precompiled charsmap (a darts-clone double array + replacement pool). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

struct om_charsmap {
    uint32_t *units;
    size_t nunits;
    char *pool;
    size_t pool_len;
    uint8_t ascii_kept[128]; /* 1: this ASCII char alone has no replacement */
};

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static unsigned char *b64decode(const char *s, size_t *outlen) {
    size_t n = strlen(s);
    unsigned char *out = malloc(n / 4 * 3 + 4);
    if (!out) return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0) { free(out); return NULL; }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    *outlen = o;
    return out;
}

openmed_status om_charsmap_parse(om_charsmap **out, const char *base64, openmed_error *err) {
    *out = NULL;
    size_t n;
    unsigned char *blob = b64decode(base64, &n);
    if (!blob) return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Precompiled: precompiled_charsmap is not base64");
    if (n < 4) {
        free(blob);
        return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Precompiled: precompiled_charsmap is too short");
    }
    uint32_t trie_bytes = (uint32_t)blob[0] | ((uint32_t)blob[1] << 8) | ((uint32_t)blob[2] << 16) | ((uint32_t)blob[3] << 24);
    size_t nunits = trie_bytes / 4;
    if (nunits == 0 || nunits > (n - 4) / 4) {
        free(blob);
        return om_fail(err, OPENMED_ERR_FORMAT,
                       "normalizer Precompiled: precompiled_charsmap trie size %u exceeds its %zu bytes", trie_bytes, n);
    }
    om_charsmap *c = calloc(1, sizeof *c);
    if (!c) { free(blob); return om_fail(err, OPENMED_ERR_NO_MEMORY, "charsmap"); }
    c->nunits = nunits;
    c->units = malloc(nunits * sizeof *c->units);
    c->pool_len = n - 4 - nunits * 4;
    c->pool = malloc(c->pool_len + 1);
    if (!c->units || !c->pool) { free(blob); om_charsmap_free(c); return om_fail(err, OPENMED_ERR_NO_MEMORY, "charsmap"); }
    for (size_t i = 0; i < nunits; i++) {
        const unsigned char *u = blob + 4 + i * 4;
        c->units[i] = (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16) | ((uint32_t)u[3] << 24);
    }
    memcpy(c->pool, blob + 4 + nunits * 4, c->pool_len);
    c->pool[c->pool_len] = 0;
    free(blob);
    if (om_utf8_validate(c->pool, c->pool_len) != c->pool_len) {
        om_charsmap_free(c);
        return om_fail(err, OPENMED_ERR_FORMAT, "normalizer Precompiled: the replacement strings are not UTF-8");
    }
    for (int b = 1; b < 128; b++) {
        char ch = (char)b;
        c->ascii_kept[b] = om_charsmap_transform(c, &ch, 1) == NULL;
    }
    *out = c;
    return OPENMED_OK;
}

int om_charsmap_ascii_kept(const om_charsmap *c, unsigned char b) { return b < 128 && c->ascii_kept[b]; }

void om_charsmap_free(om_charsmap *c) {
    if (!c) return;
    free(c->units);
    free(c->pool);
    free(c);
}

/* darts-clone unit accessors */
static uint32_t offset_of(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static int has_leaf(uint32_t u) { return (u >> 8) & 1; }
static uint32_t value_of(uint32_t u) { return u & 0x7FFFFFFFu; }
static uint32_t label_of(uint32_t u) { return u & (0x80000000u | 0xFFu); }

/* The first (shortest) key that is a prefix of s, as spm_precompiled's transform uses. */
const char *om_charsmap_transform(const om_charsmap *c, const char *s, size_t len) {
    size_t pos = 0;
    uint32_t unit = c->units[0];
    pos ^= offset_of(unit);
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b == 0) break;
        pos ^= b;
        if (pos >= c->nunits) return NULL;
        unit = c->units[pos];
        if (label_of(unit) != b) return NULL;
        pos ^= offset_of(unit);
        if (pos >= c->nunits) return NULL;
        if (has_leaf(unit)) {
            uint32_t v = value_of(c->units[pos]);
            if (v > c->pool_len) return NULL;
            if (((unsigned char)c->pool[v] & 0xC0) == 0x80) return NULL;
            return c->pool + v;
        }
    }
    return NULL;
}
