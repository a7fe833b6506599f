/* detect_network.c: internet identifiers: IPv4 (octets checked, with a port or prefix length),
 * IPv6 (inet_pton), URLs of any scheme, bare domains with a known top-level domain, and e-mail
 * addresses whose parts may be letters of any script. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "deid/detector.h"
#include "deid/regex.h"
#include "deid/validators.h"

static int word_byte(unsigned char c) { return isalnum(c) || c >= 0x80 || c == '_'; }

/* ---------------------------------------------------------------- IPv4 */

static om_regex ipv4_re = {"(?<![\\d.])(\\d{1,3}(?:\\.\\d{1,3}){3})(?!\\d|\\.\\d)(?::\\d{1,5}(?!\\d)|/\\d{1,2}(?!\\d))?", 0,
                           NULL};

static openmed_status ipv4_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    if (!om_valid_ipv4(t + m->groups[2], m->groups[3] - m->groups[2])) return OPENMED_OK;
    return om_detect_push(ctx, m->start, m->end, "IP_ADDRESS", 1.0f, err);
}

/* ---------------------------------------------------------------- IPv6 */

static int ipv6_byte(unsigned char c) { return isxdigit(c) || c == ':' || c == '.'; }

/* Runs of hex digits, colons and dots with two colons or more, not inside a word; the run, or the
 * run less trailing dots and colons, must be an address for inet_pton. */
static openmed_status ipv6(const char *t, size_t n, om_span_list *out, openmed_error *err) {
    size_t i = 0;
    while (i < n) {
        if (!ipv6_byte((unsigned char)t[i]) || (i > 0 && (word_byte((unsigned char)t[i - 1]) || t[i - 1] == ':'))) {
            i++;
            continue;
        }
        size_t j = i, colons = 0;
        while (j < n && ipv6_byte((unsigned char)t[j])) colons += t[j++] == ':';
        if (colons >= 2 && !(j < n && word_byte((unsigned char)t[j]) && t[j] != '%')) {
            size_t e = j;
            while (e > i + 1 && !om_valid_ipv6(t + i, e - i) && (t[e - 1] == '.' || t[e - 1] == ':')) e--;
            if (om_valid_ipv6(t + i, e - i)) {
                if (e < n && t[e] == '%') /* a zone: fe80::1%eth0 */
                    for (e++; e < n && word_byte((unsigned char)t[e]) && (unsigned char)t[e] < 0x80;) e++;
                openmed_status st = om_detect_push(out, i, e, "IP_ADDRESS", 1.0f, err);
                if (st != OPENMED_OK) return st;
            }
        }
        i = j > i ? j : i + 1;
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- URLs, domains, e-mail */

#define URL_TAIL "[^\\s<>\"'`\\[\\]{}|\\\\^]*"
static om_regex url_re = {"(?<![\\w.+-])(?:[a-z][a-z0-9+.-]{1,15}://|www\\d{0,3}\\.|mailto:)" URL_TAIL,
                          PCRE2_CASELESS | PCRE2_UCP, NULL};

/* A URL or a path does not end with sentence punctuation or a closing bracket it did not open. */
static size_t trim_end(const char *t, size_t b0, size_t b1) {
    for (;;) {
        while (b1 > b0 + 1 && strchr(".,;:!?\"'", t[b1 - 1])) b1--;
        if (b1 > b0 + 1 && t[b1 - 1] == ')') {
            int open = 0;
            for (size_t i = b0; i < b1; i++) open += t[i] == '(' ? 1 : t[i] == ')' ? -1 : 0;
            if (open < 0) {
                b1--;
                continue;
            }
        }
        return b1;
    }
}

static openmed_status url_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    size_t e = trim_end(t, m->start, m->end);
    /* "www." alone or "http://" alone is no address */
    size_t letters = 0;
    for (size_t i = m->start; i < e; i++) letters += isalnum((unsigned char)t[i]) != 0;
    if (letters < 6) return OPENMED_OK;
    return om_detect_push(ctx, m->start, e, "URL", 1.0f, err);
}

/* A bare domain: labels of letters, digits and hyphens (any script), a top-level domain of
 * letters, an optional path. Group 1: the host; 2: the top-level domain; 3: the path. */
static om_regex domain_re = {
    "(?<![\\w@.+/:-])((?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.){1,6}(\\p{L}{2,12}))(?![\\w@-]|\\.\\w)"
    "(/" URL_TAIL ")?",
    PCRE2_UCP, NULL};

/* Words that say a web address follows. */
static om_regex web_cue_re = {"(?:web\\s*site|site|portal|url|link|domain|web|online|visit|homepage|page)\\W{0,4}$",
                              PCRE2_CASELESS, NULL};

typedef struct cue_ctx {
    int found;
} cue_ctx;

static openmed_status cue_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)t, (void)n, (void)m, (void)err;
    ((cue_ctx *)ctx)->found = 1;
    return OPENMED_OK;
}

static openmed_status domain_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    size_t h0 = m->groups[2], h1 = m->groups[3], d0 = m->groups[4], d1 = m->groups[5];
    int generic = 0;
    if (!om_valid_tld(t + d0, d1 - d0, &generic)) return OPENMED_OK;
    size_t labels = 0, first_len = 0, digits_only = 1, short_label = 0;
    for (size_t i = h0, s = h0; i <= d0; i++) {
        if (i < d0 && t[i] != '.') {
            digits_only &= labels > 0 || isdigit((unsigned char)t[i]) != 0;
            continue;
        }
        if (i == d0) break;
        size_t len = i - s;
        if (!labels) first_len = len;
        short_label |= len < 2;
        labels++;
        s = i + 1;
    }
    if (first_len < 2 || short_label || (digits_only && labels == 1)) return OPENMED_OK; /* "e.g", "3.com" */
    int path = m->n_groups > 3 && m->groups[6] != PCRE2_UNSET && m->groups[7] > m->groups[6];
    int www = h1 - h0 > 4 && !strncasecmp(t + h0, "www", 3);
    int ok = generic || path || www || labels >= 2;
    if (!ok) { /* a country-code domain alone ("smith.de"): only after a word for a web address */
        size_t from = h0 > 40 ? h0 - 40 : 0;
        while (from < h0 && ((unsigned char)t[from] & 0xC0) == 0x80) from++;
        cue_ctx c = {0};
        openmed_status st = om_regex_each(&web_cue_re, "web address cue", t + from, h0 - from, cue_hit, &c, err);
        if (st != OPENMED_OK) return st;
        ok = c.found;
    }
    if (!ok) return OPENMED_OK;
    size_t e = path ? trim_end(t, m->start, m->groups[7]) : h1;
    return om_detect_push(ctx, m->start, e, "URL", 0.95f, err);
}

static om_regex email_re = {
    "(?<![\\w.%+-])[\\w.%+'-]+@[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*"
    "[\\p{L}\\p{N}])?)*\\.\\p{L}{2,}",
    PCRE2_UCP, NULL};

static openmed_status email_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)t, (void)n;
    return om_detect_push(ctx, m->start, m->end, "EMAIL", 1.0f, err);
}

openmed_status om_detect_network(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    const char *t = in->view->text;
    size_t n = in->view->len;
    openmed_status st = om_regex_each(&ipv4_re, "IPv4", t, n, ipv4_hit, out, err);
    if (st == OPENMED_OK) st = ipv6(t, n, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&url_re, "URL", t, n, url_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&domain_re, "domain", t, n, domain_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&email_re, "e-mail", t, n, email_hit, out, err);
    return st;
}
