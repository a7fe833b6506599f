/* buf.h: the library's growable byte string. A failed allocation sets `failed` and later appends
 * do nothing, so callers check once at the end. */
#ifndef OM_CORE_BUF_H
#define OM_CORE_BUF_H

#include <stddef.h>

typedef struct om_buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len, cap;
    int failed;
} om_buf;

void om_buf_init(om_buf *b);
void om_buf_free(om_buf *b);
/* Room for `extra` more bytes and a NUL (data is then NUL-terminated); 0 (and `failed` set) when
 * memory runs out. */
int om_buf_reserve(om_buf *b, size_t extra);
/* Append n bytes (NUL-terminated after); 1 on success, 0 when memory runs out. */
int om_buf_append(om_buf *b, const char *data, size_t n);
void om_buf_put(om_buf *b, const char *data, size_t n);
void om_buf_puts(om_buf *b, const char *str);
void om_buf_printf(om_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
