/* leak_check.h: the de-identification tests' leak check: no run of 4 or more digits of a planted
 * value may appear in the output (a value split or partly redacted still leaks its digits). The
 * digest of a `hash` token (LABEL_ and 16 hex digits) is keyed by a random per-run secret, so it
 * can hold any digit run by chance; digests are blanked before the check. */
#ifndef OM_TESTS_LEAK_CHECK_H
#define OM_TESTS_LEAK_CHECK_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A copy of the output with every hash digest (`_` + exactly 16 lower-case hex digits) as 'x'. */
static char *leak_check_blank_digests(const char *output) {
    size_t n = strlen(output);
    char *copy = malloc(n + 1);
    if (!copy) return NULL;
    memcpy(copy, output, n + 1);
    for (size_t i = 0; i + 16 < n; i++) {
        if (copy[i] != '_') continue;
        size_t k = 0;
        while (k < 16 && (isdigit((unsigned char)copy[i + 1 + k]) || (copy[i + 1 + k] >= 'a' && copy[i + 1 + k] <= 'f'))) k++;
        if (k == 16 && !isalnum((unsigned char)copy[i + 17])) memset(copy + i + 1, 'x', 16);
    }
    return copy;
}

static void check_no_digit_leak(const char *what, const char *output_text, const char *value) {
    char *output = leak_check_blank_digests(output_text);
    CHECK_MSG(output != NULL, "%s: out of memory in the leak check", what);
    if (!output) return;
    for (const char *p = value; *p;) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *q = p;
        while (isdigit((unsigned char)*q)) q++;
        if (q - p >= 4) {
            char run[64];
            snprintf(run, sizeof run, "%.*s", (int)(q - p), p);
            CHECK_MSG(strstr(output, run) == NULL, "%s: digits %s of a planted value leak into the output", what, run);
        }
        p = q;
    }
    free(output);
}

#endif
