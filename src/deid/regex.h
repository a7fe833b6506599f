/* regex.h: the detectors' one way of running a PCRE2 pattern over a text: compiled once per
 * process (with the JIT where the platform has one), shared by threads, every match handed to a
 * callback that may check it and append spans. */
#ifndef OM_DEID_REGEX_H
#define OM_DEID_REGEX_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h> /* the option flags: PCRE2_CASELESS, PCRE2_UCP, ... */

#include "openmed.h"

/* A pattern and its PCRE2 options (PCRE2_UTF is always added). Declare them static and
 * zero-initialised past the first two fields: `static om_regex re = {"\\d+", 0};`; the compiled
 * code is filled in on first use and kept for the life of the process. */
typedef struct om_regex {
    const char *pattern;
    uint32_t flags;
    void *code; /* pcre2_code *, set once under a lock */
} om_regex;

/* One match: [start, end) of group 0 in bytes; groups[2k], groups[2k+1] the bounds of group k
 * (k < n_groups; PCRE2_UNSET, (size_t)-1, when the group did not take part). */
typedef struct om_regex_match {
    size_t start, end;
    const size_t *groups;
    size_t n_groups;
} om_regex_match;

/* Called for every match, left to right, non-overlapping; returns a status (anything but
 * OPENMED_OK stops the scan and is returned). */
typedef openmed_status (*om_regex_fn)(const char *text, size_t n, const om_regex_match *m, void *ctx,
                                      openmed_error *err);

/* Run `re` over `n` bytes of valid UTF-8; fails (OPENMED_ERR_INTERNAL) when the pattern does not
 * compile or matching fails, naming `what` but never the text. */
openmed_status om_regex_each(om_regex *re, const char *what, const char *text, size_t n, om_regex_fn fn, void *ctx,
                             openmed_error *err);

#endif
