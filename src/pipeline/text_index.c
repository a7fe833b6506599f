/* text_index.c: UTF-8 validation and code-point to byte offsets for the pipeline's texts. */
#include "pipeline/text_index.h"

#include <stdlib.h>

#include "core/error.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid; *cp gets the value. */
static int utf8_decode(const unsigned char *s, size_t n, int32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    int len;
    int32_t v;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; }
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

openmed_status om_text_index_init(om_text_index *ix, const char *text, size_t n_bytes, const char *what,
                                  openmed_error *err) {
    ix->text = text;
    ix->n_bytes = n_bytes;
    ix->n_cp = 0;
    ix->cp_byte = malloc((n_bytes + 1) * sizeof *ix->cp_byte);
    if (!ix->cp_byte) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory indexing %zu bytes", what, n_bytes);
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int64_t k = 0;
    while (i < n_bytes) {
        int32_t cp;
        int len = utf8_decode(s + i, n_bytes - i, &cp);
        if (len == 0) {
            free(ix->cp_byte);
            ix->cp_byte = NULL;
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: invalid UTF-8 at byte %zu", what, i);
        }
        ix->cp_byte[k++] = i;
        i += (size_t)len;
    }
    ix->cp_byte[k] = n_bytes;
    ix->n_cp = k;
    return OPENMED_OK;
}

void om_text_index_free(om_text_index *ix) {
    free(ix->cp_byte);
    ix->cp_byte = NULL;
}

int32_t om_text_codepoint(const om_text_index *ix, int64_t i) {
    if (i < 0 || i >= ix->n_cp) return -1;
    size_t b = ix->cp_byte[i];
    int32_t cp;
    return utf8_decode((const unsigned char *)ix->text + b, ix->n_bytes - b, &cp) ? cp : -1;
}

void om_text_slice(const om_text_index *ix, int64_t start, int64_t end, size_t *byte_start, size_t *byte_len) {
    if (start < 0) start = 0;
    if (end > ix->n_cp) end = ix->n_cp;
    if (start > ix->n_cp) start = ix->n_cp;
    if (end < start) end = start;
    *byte_start = ix->cp_byte[start];
    *byte_len = ix->cp_byte[end] - ix->cp_byte[start];
}

int64_t om_utf8_length(const char *s) {
    int64_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t left = 0;
    while (p[left]) left++;
    while (*p) {
        int32_t cp;
        int len = utf8_decode(p, left, &cp);
        if (len == 0) len = 1;
        p += len;
        left -= (size_t)len;
        n++;
    }
    return n;
}

openmed_status openmed_utf8_offsets(const char *text, size_t len, size_t *byte_of, int64_t *n_codepoints,
                                    openmed_error *err) {
    if (!text || !byte_of || !n_codepoints)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_utf8_offsets: NULL argument");
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int64_t k = 0;
    while (i < len) {
        int32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "invalid UTF-8 at byte %zu", i);
        byte_of[k++] = i;
        i += (size_t)n;
    }
    byte_of[k] = len;
    *n_codepoints = k;
    return OPENMED_OK;
}
