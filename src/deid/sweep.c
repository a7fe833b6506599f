/* sweep.c: the structured-identifier patterns of the safety sweep and their matching with PCRE2. */
#include "deid/sweep.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "core/error.h"
#include "deid/detector.h"

/* Month names in any case, except "may" (a verb) which must be "May" or "MAY". */
#define MONTH                                                                                      \
    "(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|"             \
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)(?![A-Za-z])"
#define ORDINAL "(?i:st|nd|rd|th)?"

typedef struct sweep_pattern {
    const char *label;
    const char *regex;
    uint32_t flags;
} sweep_pattern;

/* Digits are ASCII (PCRE2 without UCP); lookarounds keep a hit from starting or ending inside a
 * longer number, so "123-45-67890" is not an SSN but "123-45-6789." is. */
static const sweep_pattern patterns[] = {
    {"EMAIL", "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", 0},
    {"URL", "\\b(?:https?://|www\\.)[^\\s<>\"'\\[\\]{}]+", PCRE2_CASELESS},
    {"SSN", "(?<![\\d-])\\d{3}([- ])\\d{2}\\1\\d{4}(?![\\d])", 0},
    {"SSN", "\\bSSN[:#\\s]*\\d{9}(?!\\d)", PCRE2_CASELESS},
    {"ID_NUM", "\\bMRN[:#\\s]*\\d{6,10}(?!\\d)", PCRE2_CASELESS},
    {"PHONE",
     "(?<![\\w+])(?:\\+?1[-.\\s]?)?(?:\\(\\d{3}\\)[-.\\s]?|\\d{3}[-.\\s])\\d{3}[-.\\s]\\d{4}(?!\\d)"
     "(?:\\s*(?:x|ext\\.?)\\s*\\d{1,5}(?!\\d))?",
     PCRE2_CASELESS},
    {"DATE", "(?<![\\d/.-])\\d{4}([-/.])\\d{1,2}\\1\\d{1,2}(?![\\d])", 0},
    {"DATE", "(?<![\\d/.-])\\d{1,2}([-/.])\\d{1,2}\\1(?:\\d{4}|\\d{2})(?![\\d])", 0},
    {"DATE", "\\b" MONTH "\\.?\\s+\\d{1,2}" ORDINAL "(?:,?\\s+\\d{4})?(?!\\d|\\.\\d)", 0},
    {"DATE", "(?<!\\d)(?<!\\d\\.)\\d{1,2}" ORDINAL "\\s+(?i:of\\s+)?" MONTH "\\.?(?:,?\\s+\\d{4}(?!\\d))?", 0},
    {"DATE", "\\b" MONTH "\\.?,?\\s+\\d{4}(?!\\d)", 0},
};

/* A URL does not end with sentence punctuation: "see https://x.org/a." */
static size_t trim_url_end(const char *text, size_t b0, size_t b1) {
    while (b1 > b0 + 1 && strchr(".,;:!?)", text[b1 - 1])) b1--;
    return b1;
}

static openmed_status sweep_one(const sweep_pattern *p, const char *text, size_t n, om_span_list *out,
                                openmed_error *err) {
    int code;
    PCRE2_SIZE where;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)p->regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF | p->flags, &code, &where,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return om_fail(err, OPENMED_ERR_INTERNAL, "pii sweep: pattern for %s does not compile at %zu: %s", p->label,
                       (size_t)where, (const char *)msg);
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) {
        pcre2_code_free(re);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii sweep: out of memory");
    }
    openmed_status st = OPENMED_OK;
    size_t at = 0;
    while (at <= n && st == OPENMED_OK) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, n, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            st = om_fail(err, OPENMED_ERR_INTERNAL, "pii sweep: matching %s failed (PCRE2 error %d)", p->label, rc);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t b0 = ov[0], b1 = ov[1];
        if (!strcmp(p->label, "URL")) b1 = trim_url_end(text, b0, b1);
        if (b1 > b0) {
            om_pii_span s = {b0, b1, "", 1.0f, OM_SRC_SWEEP};
            strcpy(s.label, p->label);
            st = om_span_list_push(out, &s, err);
        }
        /* continue after the match (an empty match cannot happen: every pattern needs a digit or '@') */
        at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        while (at < n && ((unsigned char)text[at] & 0xC0) == 0x80) at++;
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return st;
}

openmed_status om_pii_sweep(const char *text, size_t n, om_span_list *out, openmed_error *err) {
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        openmed_status st = sweep_one(&patterns[i], text, n, out, err);
        if (st != OPENMED_OK) return st;
    }
    return OPENMED_OK;
}
