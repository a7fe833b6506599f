/* sweep.c: the structured-identifier patterns of the safety sweep (dates, SSNs, MRNs). */
#include "deid/sweep.h"

#include <string.h>

#include "core/error.h"
#include "deid/detector.h"
#include "deid/month_names.h"
#include "deid/regex.h"

/* Month names in any case, except "may" (a verb) which must be "May" or "MAY". */
#define MONTH                                                                                      \
    "(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|"             \
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)(?![A-Za-z])"
#define ORDINAL "(?i:st|nd|rd|th)?"

typedef struct sweep_pattern {
    const char *label;
    om_regex re;
} sweep_pattern;

/* Digits are ASCII (PCRE2 without UCP); lookarounds keep a hit from starting or ending inside a
 * longer number, so "123-45-67890" is not an SSN but "123-45-6789." is. */
static sweep_pattern patterns[] = {
    {"SSN", {"(?<![\\d-])\\d{3}([- ])\\d{2}\\1\\d{4}(?![\\d])", 0, NULL}},
    {"SSN", {"\\bSSN[:#\\s]*\\d{9}(?!\\d)", PCRE2_CASELESS, NULL}},
    {"ID_NUM", {"\\bMRN[:#\\s]*\\d{6,10}(?!\\d)", PCRE2_CASELESS, NULL}},
    {"DATE", {"(?<![\\d/.-])\\d{4}([-/.])\\d{1,2}\\1\\d{1,2}(?![\\d])", 0, NULL}},
    {"DATE", {"(?<![\\d/.-])\\d{1,2}([-/.])\\d{1,2}\\1(?:\\d{4}|\\d{2})(?![\\d])", 0, NULL}},
    {"DATE", {"\\b" MONTH "\\.?\\s+\\d{1,2}" ORDINAL "(?:,?\\s+\\d{4})?(?!\\d|\\.\\d)", 0, NULL}},
    {"DATE", {"(?<!\\d)(?<!\\d\\.)(?i:the\\s+)?\\d{1,2}" ORDINAL "\\s+(?i:of\\s+)?" MONTH "\\.?(?:,?\\s+\\d{4}(?!\\d))?", 0, NULL}},
    {"DATE", {"\\b" MONTH "\\.?,?\\s+\\d{4}(?!\\d)", 0, NULL}},
    /* "may" in any case with a day and a year: "may 20, 1995", "may. 5 1995", "the 20th of may, 1995" */
    {"DATE", {"\\b(?i:may)\\.?\\s+\\d{1,2}" ORDINAL ",?\\s+\\d{4}(?!\\d)", 0, NULL}},
    {"DATE", {"(?<!\\d)(?<!\\d\\.)(?i:the\\s+)?\\d{1,2}" ORDINAL "\\s+(?i:of\\s+)?(?i:may)\\.?,?\\s+\\d{4}(?!\\d)", 0, NULL}},
    /* day-month-year with the month's name between separators: "12-apr-1937", "05/Mar/20", "3.May.2021" */
    {"DATE", {"(?<![\\d.])\\d{1,2}([-/. ])(?i:" OM_MONTHS_EN ")\\.?\\1(?:\\d{4}|\\d{2})(?!\\d)", 0, NULL}},
    /* other languages, with a day and a year: "13. Juli 1970", "13 juillet 1970", "5 de marzo de 2020" */
    {"DATE", {"(?<![\\d.])\\d{1,2}\\.?\\s+(?:de\\s+)?(?:" OM_MONTHS_OTHER ")\\s+(?:de\\s+)?\\d{4}(?!\\d)",
              PCRE2_CASELESS | PCRE2_UCP, NULL}},
};

typedef struct sweep_ctx {
    const char *label;
    om_span_list *out;
} sweep_ctx;

static openmed_status sweep_hit(const char *text, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)text, (void)n;
    sweep_ctx *c = ctx;
    return om_detect_push(c->out, m->start, m->end, c->label, 1.0f, err);
}

openmed_status om_pii_sweep(const char *text, size_t n, om_span_list *out, openmed_error *err) {
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        sweep_ctx c = {patterns[i].label, out};
        openmed_status st = om_regex_each(&patterns[i].re, patterns[i].label, text, n, sweep_hit, &c, err);
        if (st != OPENMED_OK) return st;
    }
    return OPENMED_OK;
}
