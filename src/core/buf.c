/* buf.c: growable byte strings. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void om_buf_init(om_buf *b) {
    memset(b, 0, sizeof *b);
}

void om_buf_free(om_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

int om_buf_reserve(om_buf *b, size_t extra) {
    if (b->failed) return 0;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->failed = 1;
        return 0;
    }
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    b->data[b->len] = '\0';
    return 1;
}

int om_buf_append(om_buf *b, const char *data, size_t n) {
    if (!om_buf_reserve(b, n)) return 0;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

void om_buf_put(om_buf *b, const char *data, size_t n) {
    om_buf_append(b, data, n);
}

void om_buf_puts(om_buf *b, const char *str) {
    om_buf_put(b, str, strlen(str));
}

void om_buf_printf(om_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !om_buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
