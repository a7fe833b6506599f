/* strbuf.h: a growable byte string for the writers (JSON, CSV, HTML); a failed allocation sets
 * `failed` and later appends do nothing, so callers check once at the end. */
#ifndef OPENMED_CLI_STRBUF_H
#define OPENMED_CLI_STRBUF_H

#include <stddef.h>

typedef struct om_strbuf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len, cap;
    int failed;
} om_strbuf;

void om_strbuf_init(om_strbuf *s);
void om_strbuf_free(om_strbuf *s);
void om_strbuf_put(om_strbuf *s, const char *data, size_t n);
void om_strbuf_puts(om_strbuf *s, const char *str);
void om_strbuf_printf(om_strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included) for n bytes of UTF-8. */
void om_strbuf_json_string(om_strbuf *s, const char *str, size_t n);
/* The shortest decimal that reads back as the same float (like Python's repr of a float32). */
void om_strbuf_float(om_strbuf *s, float v);

#endif
