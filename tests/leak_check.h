/* leak_check.h: the de-identification tests' leak check: no run of 4 or more digits of a planted
 * value may appear in the output (a value split or partly redacted still leaks its digits). */
#ifndef OM_TESTS_LEAK_CHECK_H
#define OM_TESTS_LEAK_CHECK_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static void check_no_digit_leak(const char *what, const char *output, const char *value) {
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
}

#endif
