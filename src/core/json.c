/* json.c: optional cJSON values and JSON string literals. */
#include "core/json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/utf8.h"

static _Thread_local int json_alloc_failed;

static void *json_malloc(size_t n) {
    void *p = malloc(n);
    if (!p) json_alloc_failed = 1;
    return p;
}

static void json_free(void *p) { free(p); }

static void json_hooks_install(void) {
    cJSON_Hooks hooks = {json_malloc, json_free};
    cJSON_InitHooks(&hooks);
}

cJSON *om_json_parse(const char *text, size_t len, const char **end, int *out_of_memory) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, json_hooks_install);
    json_alloc_failed = 0;
    const char *stop = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
    if (end) *end = stop;
    if (out_of_memory) *out_of_memory = !root && json_alloc_failed;
    return root;
}

int om_json_bool(const cJSON *o, const char *key, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return dflt;
}

const char *om_json_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void om_buf_json_string(om_buf *b, const char *s, size_t n, int ascii) {
    char esc[16];
    om_buf_put(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default: break;
        }
        if (e) {
            om_buf_puts(b, e);
            i++;
        } else if (c < 0x20 || (ascii && c == 0x7F)) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            om_buf_puts(b, esc);
            i++;
        } else if (c < 0x80 || !ascii) {
            om_buf_put(b, s + i, 1);
            i++;
        } else {
            int32_t cp;
            size_t k = om_utf8_next(s + i, n - i, &cp, NULL);
            if (!k) { /* not UTF-8: the byte as the code point of its value */
                cp = c;
                k = 1;
            }
            if (cp < 0x10000) {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            } else {
                unsigned v = (unsigned)cp - 0x10000;
                snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            }
            om_buf_puts(b, esc);
            i += k;
        }
    }
    om_buf_put(b, "\"", 1);
}
