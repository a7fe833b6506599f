/* str.c: owned copies of strings. */
#include "core/str.h"

#include <stdlib.h>
#include <string.h>

char *om_strdup(const char *s) {
    return om_strndup(s, strlen(s));
}

char *om_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
