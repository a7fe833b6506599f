/* utf8.c: UTF-8 coding, validation, lossy decoding and the Unicode predicates HF's Rust code uses. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer/internal.h"

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
    if (b < 0x80) { *n = 1; return b; }
    /* Never reads past a byte that is not a continuation (so a NUL stops it): bad input gives U+FFFD. */
    int len = om_utf8_len(b);
    if (len == 1) { *n = 1; return 0xFFFD; }
    uint32_t cp = b & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) { *n = 1; return 0xFFFD; }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *n = (size_t)len;
    return cp;
}

int om_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12)); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18)); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid sequence at s (0 if invalid); *bad = length of the maximal invalid subpart. */
static size_t utf8_step(const unsigned char *s, size_t left, size_t *bad) {
    unsigned char b = s[0];
    *bad = 1;
    if (b < 0x80) return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) need = 1;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else return 0;
    for (size_t k = 1; k <= need; k++) {
        if (k >= left) { *bad = k; return 0; }
        unsigned char c = s[k];
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (c < l || c > h) { *bad = k; return 0; }
    }
    return need + 1;
}

size_t om_utf8_validate(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, bad;
    while (i < len) {
        if (s[i] < 0x80) { i++; continue; }
        size_t n = utf8_step(s + i, len - i, &bad);
        if (!n) return i;
        i += n;
    }
    return len;
}

int om_utf8_lossy_append(const unsigned char *s, size_t len, char **buf, size_t *size, size_t *cap) {
    om_buf b = {*buf, *size, *cap, 0};
    size_t i = 0, bad;
    int ok = 1;
    while (i < len && ok) {
        size_t n = utf8_step(s + i, len - i, &bad);
        if (n) {
            ok = om_buf_append(&b, (const char *)s + i, n);
            i += n;
        } else {
            ok = om_buf_append(&b, "\xEF\xBF\xBD", 3);
            i += bad;
        }
    }
    *buf = b.data; *size = b.len; *cap = b.cap;
    return ok;
}

/* ---------------------------------------------------------------- predicates */

static utf8proc_category_t cat(uint32_t cp) { return utf8proc_category((utf8proc_int32_t)cp); }

int om_uc_is_whitespace(uint32_t c) {
    /* Rust char::is_whitespace: the White_Space property. */
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

int om_uc_is_numeric(uint32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    utf8proc_category_t k = cat(c);
    return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

int om_uc_is_alphanumeric(uint32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    utf8proc_category_t k = cat(c);
    /* char::is_alphabetic is the Alphabetic property: letters, Nl, and Other_Alphabetic marks. */
    if (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) return 1;
    if (k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO) return 1;
    return 0;
}

int om_uc_is_punctuation(uint32_t c) {
    utf8proc_category_t k = cat(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

int om_uc_is_bert_punctuation(uint32_t c) {
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return om_uc_is_punctuation(c);
}

/* HF's BertNormalizer asks the `unicode_categories` crate, whose tables list UnicodeData.txt entries
 * one by one: no Cn entries at all (unassigned code points are not "other" there), and the Co
 * ranges only by their First/Last endpoints. So: Cc, Cf, and those endpoints. */
int om_uc_is_other(uint32_t c) {
    if (c < 0x80) return c < 0x20 || c == 0x7F;
    utf8proc_category_t k = cat(c);
    if (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF) return 1;
    return c == 0xE000 || c == 0xF8FF || c == 0xF0000 || c == 0xFFFFD || c == 0x100000 || c == 0x10FFFD;
}

int om_uc_is_mark_nonspacing(uint32_t c) { return c >= 0x300 && cat(c) == UTF8PROC_CATEGORY_MN; }

int om_uc_is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
