/* utf8.c: UTF-8 decoding, validation, encoding and lossy decoding. */
#include "core/utf8.h"

#include "core/error.h"

size_t om_utf8_next(const char *str, size_t n, int32_t *cp, size_t *bad) {
    const unsigned char *s = (const unsigned char *)str;
    unsigned char b = s[0];
    if (bad) *bad = 1;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    int32_t v;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        v = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        v = b & 0x0F;
        if (b == 0xE0) lo = 0xA0; /* overlong */
        if (b == 0xED) hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        v = b & 0x07;
        if (b == 0xF0) lo = 0x90; /* overlong */
        if (b == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n) {
            if (bad) *bad = k;
            return 0;
        }
        unsigned char c = s[k];
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (c < l || c > h) {
            if (bad) *bad = k;
            return 0;
        }
        v = (v << 6) | (c & 0x3F);
    }
    *cp = v;
    return need + 1;
}

size_t om_utf8_validate(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        size_t k = om_utf8_next(s + i, n - i, &cp, NULL);
        if (!k) return i;
        i += k;
    }
    return n;
}

int om_utf8_len(unsigned char b) {
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 3;
    if ((b & 0xF8) == 0xF0) return 4;
    return 1;
}

uint32_t om_utf8_decode(const char *str, size_t i, size_t *n) {
    const unsigned char *s = (const unsigned char *)str + i;
    unsigned char b = s[0];
    if (b < 0x80) {
        *n = 1;
        return b;
    }
    int len = om_utf8_len(b);
    if (len == 1) {
        *n = 1;
        return 0xFFFD;
    }
    uint32_t cp = b & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *n = (size_t)len;
    return cp;
}

int om_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int64_t om_utf8_length(const char *s) {
    size_t left = 0;
    while (s[left]) left++;
    int64_t count = 0;
    size_t i = 0;
    while (i < left) {
        int32_t cp;
        size_t k = om_utf8_next(s + i, left - i, &cp, NULL);
        i += k ? k : 1;
        count++;
    }
    return count;
}

int om_utf8_append_lossy(om_buf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        size_t bad;
        size_t k = om_utf8_next(s + i, n - i, &cp, &bad);
        if (k) {
            if (!om_buf_append(b, s + i, k)) return 0;
            i += k;
        } else {
            if (!om_buf_append(b, "\xEF\xBF\xBD", 3)) return 0;
            i += bad;
        }
    }
    return om_buf_reserve(b, 0);
}

openmed_status openmed_utf8_offsets(const char *text, size_t len, size_t *byte_of, int64_t *n_codepoints,
                                    openmed_error *err) {
    if (!text || !byte_of || !n_codepoints)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_utf8_offsets: NULL argument");
    size_t i = 0;
    int64_t k = 0;
    while (i < len) {
        int32_t cp;
        size_t n = om_utf8_next(text + i, len - i, &cp, NULL);
        if (n == 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "invalid UTF-8 at byte %zu", i);
        byte_of[k++] = i;
        i += n;
    }
    byte_of[k] = len;
    *n_codepoints = k;
    return OPENMED_OK;
}
