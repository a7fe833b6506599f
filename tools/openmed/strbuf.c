/* strbuf.c: growable strings with JSON escaping and shortest float formatting. */
#include "strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void om_strbuf_init(om_strbuf *s) {
    memset(s, 0, sizeof *s);
}

void om_strbuf_free(om_strbuf *s) {
    free(s->data);
    memset(s, 0, sizeof *s);
}

static int reserve(om_strbuf *s, size_t extra) {
    if (s->failed) return 0;
    if (s->len + extra + 1 <= s->cap) return 1;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + extra + 1) cap *= 2;
    char *d = realloc(s->data, cap);
    if (!d) {
        s->failed = 1;
        return 0;
    }
    s->data = d;
    s->cap = cap;
    return 1;
}

void om_strbuf_put(om_strbuf *s, const char *data, size_t n) {
    if (!reserve(s, n)) return;
    memcpy(s->data + s->len, data, n);
    s->len += n;
    s->data[s->len] = '\0';
}

void om_strbuf_puts(om_strbuf *s, const char *str) {
    om_strbuf_put(s, str, strlen(str));
}

void om_strbuf_printf(om_strbuf *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(s, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(s->data + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

void om_strbuf_json_string(om_strbuf *s, const char *str, size_t n) {
    om_strbuf_put(s, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)str[i];
        const char *esc = NULL;
        char buf[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(buf, sizeof buf, "\\u%04x", c);
                esc = buf;
            }
        }
        if (esc) {
            om_strbuf_put(s, str + i - run, run);
            run = 0;
            om_strbuf_puts(s, esc);
        } else {
            run++;
        }
    }
    om_strbuf_put(s, str + n - run, run);
    om_strbuf_put(s, "\"", 1);
}

void om_strbuf_float(om_strbuf *s, float v) {
    if (!isfinite(v)) {
        om_strbuf_puts(s, "null");
        return;
    }
    char buf[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    om_strbuf_puts(s, buf);
}
