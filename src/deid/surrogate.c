/* surrogate.c: keyed fake values for the replace and format_preserve methods (names word by word,
 * places, contact details, dates, numbers), each drawn from a stream seeded by
 * HMAC-SHA256(key, kind | folded value | attempt). */
#include "deid/surrogate.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/error.h"
#include "deid/dates.h"
#include "deid/labels.h"
#include "deid/surrogate_names.inc"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- the random stream */

typedef struct rng {
    unsigned char block[OM_HMAC_SIZE];
    size_t used;
} rng;

/* Seed from HMAC(key, "surrogate", kind | folded value [| attempt]). */
static openmed_status rng_seed(rng *r, const om_key *key, const char *kind, const char *v, size_t n,
                               unsigned attempt, openmed_error *err) {
    om_buf m;
    om_buf_init(&m);
    om_buf_puts(&m, kind);
    om_buf_put(&m, "|", 1);
    /* case folded, white-space runs as one space: "John  SMITH" keys as "john smith" */
    int space = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c = -1;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)v + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) {
            k = 1;
            c = (unsigned char)v[i];
        }
        i += (size_t)k;
        if (utf8proc_category(c) == UTF8PROC_CATEGORY_ZS || (c >= 9 && c <= 13)) {
            space = m.len > strlen(kind) + 1;
            continue;
        }
        if (space) om_buf_put(&m, " ", 1);
        space = 0;
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t e = utf8proc_encode_char(utf8proc_tolower(c), enc);
        om_buf_put(&m, (const char *)enc, (size_t)e);
    }
    if (attempt) om_buf_printf(&m, "|%u", attempt);
    openmed_status st = m.failed ? om_fail(err, OPENMED_ERR_NO_MEMORY, "replace: out of memory")
                                 : om_hmac(key, "surrogate", m.data ? m.data : "", m.len, r->block, err);
    om_buf_free(&m);
    r->used = 0;
    return st;
}

/* Uniform enough in [0, m) for the small m used here (m < 2^16). */
static unsigned rng_below(rng *r, unsigned m) {
    if (r->used + 4 > sizeof r->block) {
        unsigned char next[SHA256_DIGEST_LENGTH];
        SHA256(r->block, sizeof r->block, next);
        memcpy(r->block, next, sizeof next);
        r->used = 0;
    }
    const unsigned char *b = r->block + r->used;
    r->used += 4;
    unsigned long v = (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
    return (unsigned)(v % m);
}

/* ---------------------------------------------------------------- built-in lists (invented) */

static const char *const cities[] = {
    "Riverton", "Maplewood", "Cedar Falls", "Brookhaven", "Fairview", "Lakeside", "Ashford", "Glenwood",
    "Millbrook", "Oakdale", "Pine Ridge", "Westfield", "Stonebridge", "Clearwater", "Elmhurst", "Hillcrest",
    "Ridgemont", "Willowdale", "Bayside", "Kingsford", "Marlow", "Northgate", "Sherwood", "Thornton"};
static const char *const organisations[] = {
    "Riverside Clinic", "Maplewood Health Center", "Lakeside Medical Group", "Northfield Hospital",
    "Cedar Valley Care", "Summit Family Practice", "Harbor View Medical", "Greenfield Health",
    "Westbrook Medical Center", "Pinecrest Hospital", "Oak Hollow Clinic", "Silver Lake Health"};
static const char *const streets[] = {"Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Chestnut", "Juniper",
                                      "Hawthorn", "Linden", "Aspen", "Sycamore", "Magnolia", "Spruce", "Poplar"};
static const char *const street_kinds[] = {"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Place", "Way"};
static const char *const titles[] = {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "dame", "rev",
                                     "jr", "sr", "ii", "iii", "iv", "md", "phd", "rn", "np", "pa", "do"};

/* ---------------------------------------------------------------- case */

enum { CASE_AS_IS, CASE_UPPER, CASE_LOWER, CASE_TITLE };

static int case_of(const char *s, size_t n) {
    size_t upper = 0, lower = 0;
    for (size_t i = 0; i < n; i++) {
        upper += isupper((unsigned char)s[i]) != 0;
        lower += islower((unsigned char)s[i]) != 0;
    }
    if (upper >= 2 && lower == 0) return CASE_UPPER;
    if (lower && upper == 0) return CASE_LOWER;
    return CASE_TITLE;
}

static void put_cased(om_buf *out, const char *s, int how) {
    for (int first = 1; *s; s++) {
        char c = *s;
        if (how == CASE_UPPER) c = (char)toupper((unsigned char)c);
        else if (how == CASE_LOWER) c = (char)tolower((unsigned char)c);
        else if (how == CASE_TITLE) c = first ? (char)toupper((unsigned char)c) : (char)tolower((unsigned char)c);
        first = c == ' ' || c == '-';
        om_buf_put(out, &c, 1);
    }
}

/* ---------------------------------------------------------------- names, word by word */

static int is_name_byte(unsigned char c) { return isalpha(c) || c >= 0x80 || c == '\''; }

static int is_title(const char *w, size_t n) {
    for (size_t i = 0; i < COUNT(titles); i++)
        if (strlen(titles[i]) == n && !strncasecmp(titles[i], w, n)) return 1;
    return 0;
}

/* One name word: a surrogate first or last name seeded by the word alone (and the attempt). */
static openmed_status name_word(const om_surrogate_ctx *ctx, int last, const char *w, size_t n, unsigned attempt,
                                om_buf *out, openmed_error *err) {
    rng r;
    openmed_status st = rng_seed(&r, ctx->key, last ? "last" : "first", w, n, attempt, err);
    if (st != OPENMED_OK) return st;
    const char *const *list = last ? surrogate_last_names : surrogate_first_names;
    size_t count = last ? COUNT(surrogate_last_names) : COUNT(surrogate_first_names);
    const char *pick = list[rng_below(&r, (unsigned)count)];
    if (strlen(pick) == n && !strncasecmp(pick, w, n)) pick = list[(rng_below(&r, (unsigned)count - 1) + 1) % count];
    put_cased(out, pick, case_of(w, n));
    return OPENMED_OK;
}

/* Names: words are first names, then the last word a last name ("John Smith"); after a comma the
 * order turns ("Smith, John"); FIRST_NAME / LAST_NAME labels make every word one kind. Titles stay,
 * single letters (initials) become other letters, separators are copied. */
static openmed_status name(const om_surrogate_ctx *ctx, const char *label, const char *v, size_t n, unsigned attempt,
                           om_buf *out, openmed_error *err) {
    int only = om_label_is_first_name(label) ? 1 : om_label_is_last_name(label) ? 2 : 0;
    const char *comma = memchr(v, ',', n);
    size_t last_word_at = n; /* start of the last name word before any comma */
    for (size_t i = 0; i < (comma ? (size_t)(comma - v) : n);) {
        if (!is_name_byte((unsigned char)v[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_name_byte((unsigned char)v[j])) j++;
        if (!is_title(v + i, j - i) && j - i > 1) last_word_at = i;
        i = j;
    }
    int any = 0;
    for (size_t i = 0; i < n;) {
        if (!is_name_byte((unsigned char)v[i])) {
            om_buf_put(out, v + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_name_byte((unsigned char)v[j])) j++;
        if (is_title(v + i, j - i)) {
            om_buf_put(out, v + i, j - i);
        } else if (j - i == 1) { /* an initial */
            rng r;
            openmed_status st = rng_seed(&r, ctx->key, "initial", v + i, 1, attempt, err);
            if (st != OPENMED_OK) return st;
            char c = (char)('A' + (v[i] - 'A' + 1 + (int)rng_below(&r, 25)) % 26);
            if (!isupper((unsigned char)v[i])) c = (char)tolower((unsigned char)c);
            om_buf_put(out, &c, 1);
            any = 1;
        } else {
            int last = only ? only == 2 : comma ? v + i < comma : i == last_word_at;
            openmed_status st = name_word(ctx, last, v + i, j - i, attempt, out, err);
            if (st != OPENMED_OK) return st;
            any = 1;
        }
        i = j;
    }
    if (!any) { /* no word to replace: the placeholder */
        out->len = 0;
        om_buf_printf(out, "[%s]", label);
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- characters */

/* Another digit or letter of the same class, never the same one. */
static char other_char(rng *r, char c) {
    if (isdigit((unsigned char)c)) return (char)('0' + (c - '0' + 1 + (int)rng_below(r, 9)) % 10);
    if (islower((unsigned char)c)) return (char)('a' + (c - 'a' + 1 + (int)rng_below(r, 25)) % 26);
    return (char)('A' + (c - 'A' + 1 + (int)rng_below(r, 25)) % 26);
}

/* Replace ASCII letters and digits of [s, s+n): all of them (every_token) or only those of tokens
 * holding a digit. Returns 0 (nothing appended) when nothing would change. */
static int replace_chars(rng *r, const char *s, size_t n, int every_token, om_buf *out) {
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= every_token ? isalnum((unsigned char)s[i]) != 0 : isdigit((unsigned char)s[i]) != 0;
    if (!any) return 0;
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)s[i])) {
            om_buf_put(out, s + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        int digit = every_token;
        while (j < n && isalnum((unsigned char)s[j])) digit |= isdigit((unsigned char)s[j++]) != 0;
        for (size_t k = i; k < j; k++) {
            char c = digit ? other_char(r, s[k]) : s[k];
            om_buf_put(out, &c, 1);
        }
        i = j;
    }
    return 1;
}

/* Make the last digit of the digits in out[from..] a valid Luhn check digit. */
static void fix_luhn(om_buf *out, size_t from) {
    size_t digits = 0, last = 0;
    for (size_t i = from; i < out->len; i++)
        if (isdigit((unsigned char)out->data[i])) {
            digits++;
            last = i;
        }
    if (digits < 13 || digits > 19) return;
    int sum = 0, pos = 0; /* positions counted from the right, the check digit at 0 */
    for (size_t i = out->len; i-- > from;) {
        if (!isdigit((unsigned char)out->data[i])) continue;
        if (i != last) {
            int d = out->data[i] - '0';
            if (pos % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        pos++;
    }
    out->data[last] = (char)('0' + (10 - sum % 10) % 10);
}

/* ---------------------------------------------------------------- dates */

/* A valid date other than the original, in the original's format; the year kept with keep_year; an
 * ambiguous numeric date gets a day of 12 or less, valid read either way. Returns 0 when the value is
 * not a date om_date_parse understands. */
static int replace_date(const om_surrogate_ctx *ctx, rng *r, const char *s, size_t n, om_buf *out) {
    om_date d;
    if (!om_date_parse(s, n, ctx->day_first, &d)) return 0;
    int year = ctx->keep_year && d.year ? d.year : 1940 + (int)rng_below(r, 80);
    if (!ctx->keep_year && d.year && (year == d.year || year % 100 == d.year % 100)) year = year == 2019 ? 1940 : year + 1;
    int month = 1 + (int)rng_below(r, 12);
    if (month == d.month) month = month % 12 + 1;
    int max_day = d.ambiguous ? 12 : om_days_in_month(year, month);
    int day = 1 + (int)rng_below(r, (unsigned)max_day);
    if (day == d.day) day = day % max_day + 1;
    om_date_render(&d, s, n, year, month, day, out);
    return 1;
}

/* ---------------------------------------------------------------- the methods */

/* K_CARD: account numbers (cards keep a valid Luhn digit); K_TOKENS: every letter and digit changes
 * (IP addresses: "fe80::abcd"); K_CHARS: the letters and digits of tokens holding a digit */
typedef enum kind { K_NAME, K_EMAIL, K_URL, K_DATE, K_STREET, K_CITY, K_ORG, K_CARD, K_TOKENS, K_CHARS } kind;

static kind kind_of(const char *label) {
    switch (om_label_class(label)) {
    case OM_PHI_NAME: return K_NAME;
    case OM_PHI_EMAIL: return K_EMAIL;
    case OM_PHI_URL: return K_URL;
    case OM_PHI_DATE: return K_DATE;
    case OM_PHI_GEOGRAPHIC: return om_label_is_street(label) ? K_STREET : om_label_is_zip(label) ? K_CHARS : K_CITY;
    case OM_PHI_STATE: return K_CITY;
    case OM_PHI_ORGANIZATION: return K_ORG;
    case OM_PHI_ACCOUNT: return K_CARD;
    case OM_PHI_IP: return K_TOKENS;
    default: return K_CHARS;
    }
}

/* A list entry other than the original. */
static const char *pick(rng *r, const char *const *list, size_t count, const char *v, size_t n) {
    size_t i = rng_below(r, (unsigned)count);
    if (strlen(list[i]) == n && !strncasecmp(list[i], v, n)) i = (i + 1) % count;
    return list[i];
}

openmed_status om_pii_surrogate(const om_surrogate_ctx *ctx, const char *label, const char *v, size_t n,
                                unsigned attempt, om_buf *out, openmed_error *err) {
    kind k = kind_of(label);
    if (k == K_NAME) return name(ctx, label, v, n, attempt, out, err);
    rng r;
    static const char *const kind_names[] = {"name", "email", "url", "date", "street", "city", "org", "card", "tokens",
                                             "chars"};
    openmed_status st = rng_seed(&r, ctx->key, kind_names[k], v, n, attempt, err);
    if (st != OPENMED_OK) return st;
    char buf[160];
    switch (k) {
    case K_CITY:
        put_cased(out, pick(&r, cities, COUNT(cities), v, n), case_of(v, n) == CASE_UPPER ? CASE_UPPER : CASE_AS_IS);
        return OPENMED_OK;
    case K_ORG:
        put_cased(out, pick(&r, organisations, COUNT(organisations), v, n),
                  case_of(v, n) == CASE_UPPER ? CASE_UPPER : CASE_AS_IS);
        return OPENMED_OK;
    case K_STREET:
        snprintf(buf, sizeof buf, "%u %s %s", 1 + rng_below(&r, 9899), streets[rng_below(&r, COUNT(streets))],
                 street_kinds[rng_below(&r, COUNT(street_kinds))]);
        put_cased(out, buf, case_of(v, n) == CASE_UPPER ? CASE_UPPER : CASE_AS_IS);
        return OPENMED_OK;
    case K_EMAIL:
        snprintf(buf, sizeof buf, "user%05u@example.org", rng_below(&r, 100000));
        om_buf_puts(out, buf);
        return OPENMED_OK;
    case K_URL:
        snprintf(buf, sizeof buf, "https://www.example.org/r/%04x%04x", rng_below(&r, 65536), rng_below(&r, 65536));
        om_buf_puts(out, buf);
        return OPENMED_OK;
    case K_DATE: /* a date written in words it cannot read ("13 juillet 1970") loses its words too */
        if (replace_date(ctx, &r, v, n, out) || replace_chars(&r, v, n, 1, out)) return OPENMED_OK;
        break;
    case K_CARD: {
        size_t from = out->len; /* letters too: an IBAN's bank code ("ABNA") */
        if (replace_chars(&r, v, n, 1, out)) {
            fix_luhn(out, from);
            return OPENMED_OK;
        }
        break;
    }
    case K_TOKENS:
        if (replace_chars(&r, v, n, 1, out)) return OPENMED_OK;
        break;
    case K_NAME:
    case K_CHARS:
        break;
    }
    if (replace_chars(&r, v, n, 0, out)) return OPENMED_OK;
    om_buf_printf(out, "[%s]", label);
    return OPENMED_OK;
}

openmed_status om_pii_format_preserve(const om_surrogate_ctx *ctx, const char *label, const char *v, size_t n,
                                      unsigned attempt, om_buf *out, openmed_error *err) {
    kind k = kind_of(label);
    if (k == K_NAME || k == K_CITY || k == K_ORG || k == K_STREET) {
        om_buf_printf(out, "[%s]", label);
        return OPENMED_OK;
    }
    rng r;
    openmed_status st = rng_seed(&r, ctx->key, "shape", v, n, attempt, err);
    if (st != OPENMED_OK) return st;
    size_t from = out->len;
    if (k == K_DATE && (replace_date(ctx, &r, v, n, out) || replace_chars(&r, v, n, 1, out))) return OPENMED_OK;
    if (k == K_EMAIL || k == K_URL) {
        /* keep the scheme ("https://"), '@', '.', '/', and the top-level domain */
        const char *at = memchr(v, '@', n);
        size_t keep_from = n; /* the top-level domain: after the last '.' of the host */
        const char *host = at ? at + 1 : v;
        const char *host_end = v + n;
        if (!at) {
            const char *scheme = strstr(v, "://");
            if (scheme && (size_t)(scheme - v) < n) host = scheme + 3;
            const char *slash = memchr(host, '/', (size_t)(v + n - host));
            if (slash) host_end = slash;
        }
        for (const char *p = host_end; p > host; p--)
            if (p[-1] == '.') {
                keep_from = (size_t)(p - v);
                break;
            }
        size_t start = at ? 0 : (size_t)(host - v);
        om_buf_put(out, v, start);
        for (size_t i = start; i < n; i++) {
            char c = v[i];
            if (isalnum((unsigned char)c) && !(i >= keep_from && v + i < host_end)) c = other_char(&r, c);
            om_buf_put(out, &c, 1);
        }
        return OPENMED_OK;
    }
    if (replace_chars(&r, v, n, k == K_CARD || k == K_TOKENS, out)) {
        if (k == K_CARD) fix_luhn(out, from);
        return OPENMED_OK;
    }
    om_buf_printf(out, "[%s]", label);
    return OPENMED_OK;
}
