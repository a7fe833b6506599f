/* num.c: strict integer and floating-point parsing. */
#include "core/num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int starts_like_a_number(const char *s) {
    return s && s[0] && !(s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'));
}

int om_parse_int(const char *s, long long min, long long max, long long *out) {
    if (!starts_like_a_number(s)) return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || !end || *end != '\0' || v < min || v > max) return 0;
    *out = v;
    return 1;
}

int om_parse_u64(const char *s, uint64_t *out) {
    if (!s || !s[0]) return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int om_parse_double(const char *s, double *out) {
    if (!starts_like_a_number(s)) return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || !end || *end != '\0' || !isfinite(v)) return 0;
    *out = v;
    return 1;
}
