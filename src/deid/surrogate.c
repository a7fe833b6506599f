/* surrogate.c: deterministic fake values for the "replace" method (names, places, contact details,
 * dates, numbers), each drawn from a sha256 stream seeded by the label and the original value. */
#include "deid/surrogate.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "deid/dates.h"

/* ---------------------------------------------------------------- the random stream */

typedef struct rng {
    unsigned char block[SHA256_DIGEST_LENGTH];
    size_t used;
} rng;

static void rng_seed(rng *r, const char *label, const char *original, size_t n, unsigned attempt) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char salt[32];
    int k = snprintf(salt, sizeof salt, "|%u", attempt);
    unsigned len = 0;
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, label, strlen(label)) ||
        !EVP_DigestUpdate(c, "|", 1) || !EVP_DigestUpdate(c, original, n) ||
        (attempt && !EVP_DigestUpdate(c, salt, (size_t)k)) || !EVP_DigestFinal_ex(c, r->block, &len))
        memset(r->block, 0x5a, sizeof r->block); /* libcrypto failed: still deterministic */
    EVP_MD_CTX_free(c);
    r->used = 0;
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

static const char *const first_names[] = {
    "Avery", "Blake", "Casey", "Dana", "Elliot", "Finley", "Harper", "Jordan", "Kendall", "Logan",
    "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Rowan", "Sawyer", "Taylor", "Emery",
    "Hayden", "Jessie", "Marlowe", "Peyton"};
static const char *const last_names[] = {
    "Abbott", "Barrow", "Calloway", "Dunmore", "Ellery", "Fairbanks", "Gresham", "Holloway",
    "Ingram", "Jessup", "Kilbride", "Lockhart", "Merriweather", "Northcott", "Oakes", "Pemberton",
    "Quarles", "Radcliffe", "Stanhope", "Thornbury", "Underhill", "Vance", "Whitlock", "Yardley"};
static const char *const cities[] = {
    "Riverton", "Maplewood", "Cedar Falls", "Brookhaven", "Fairview", "Lakeside", "Ashford", "Glenwood",
    "Millbrook", "Oakdale", "Pine Ridge", "Westfield", "Stonebridge", "Clearwater", "Elmhurst", "Hillcrest"};
static const char *const organisations[] = {
    "Riverside Clinic", "Maplewood Health Center", "Lakeside Medical Group", "Northfield Hospital",
    "Cedar Valley Care", "Summit Family Practice", "Harbor View Medical", "Greenfield Health"};
static const char *const streets[] = {"Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Chestnut",
                                      "Juniper", "Hawthorn", "Linden"};
static const char *const street_kinds[] = {"Street", "Avenue", "Road", "Lane", "Drive", "Court"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- helpers */

typedef enum kind { K_FIRST, K_LAST, K_NAME, K_EMAIL, K_URL, K_DATE, K_STREET, K_CITY, K_ORG, K_CHARS } kind;

static kind kind_of(const char *label) {
    char up[64];
    size_t i = 0;
    for (; label[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)label[i]);
    up[i] = 0;
    if (strstr(up, "EMAIL")) return K_EMAIL;
    if (strstr(up, "URL") || strstr(up, "WEBSITE")) return K_URL;
    if (om_date_label(label)) return K_DATE;
    if (strstr(up, "FIRST") || strstr(up, "GIVEN")) return K_FIRST;
    if (strstr(up, "LAST") || strstr(up, "SURNAME") || strstr(up, "FAMILY")) return K_LAST;
    if (strstr(up, "NAME") || strstr(up, "PERSON") || strstr(up, "PATIENT") || strstr(up, "DOCTOR")) return K_NAME;
    if (strstr(up, "STREET") || strstr(up, "ADDRESS")) return K_STREET;
    if (strstr(up, "CITY") || strstr(up, "LOCATION") || strstr(up, "STATE") || strstr(up, "COUNTRY") ||
        strstr(up, "TOWN"))
        return K_CITY;
    if (strstr(up, "ORG") || strstr(up, "HOSPITAL") || strstr(up, "COMPANY") || strstr(up, "FACILITY")) return K_ORG;
    return K_CHARS;
}

static int same_text(const char *a, const char *b, size_t bn) {
    return strlen(a) == bn && strncasecmp(a, b, bn) == 0;
}

/* A list entry other than the original. */
static const char *pick(rng *r, const char *const *list, size_t count, const char *original, size_t n) {
    size_t i = rng_below(r, (unsigned)count);
    if (same_text(list[i], original, n)) i = (i + 1) % count;
    return list[i];
}

/* Append s, upper-cased when the original's letters are all upper case (two or more of them). */
static void put_cased(om_buf *out, const char *s, const char *original, size_t n) {
    size_t upper = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        if (isalpha((unsigned char)original[i])) letters++;
        if (isupper((unsigned char)original[i])) upper++;
    }
    if (letters < 2 || upper != letters) {
        om_buf_puts(out, s);
        return;
    }
    for (; *s; s++) {
        char c = (char)toupper((unsigned char)*s);
        om_buf_put(out, &c, 1);
    }
}

/* Another digit or letter of the same class, never the same one. */
static char other_char(rng *r, char c) {
    if (isdigit((unsigned char)c)) return (char)('0' + (c - '0' + 1 + (int)rng_below(r, 9)) % 10);
    if (islower((unsigned char)c)) return (char)('a' + (c - 'a' + 1 + (int)rng_below(r, 25)) % 26);
    return (char)('A' + (c - 'A' + 1 + (int)rng_below(r, 25)) % 26);
}

/* Tokens (ASCII letters and digits) holding a digit get every character replaced; the rest stays.
 * Returns 0 (nothing appended) when the value holds no digit. */
static int replace_chars(rng *r, const char *s, size_t n, om_buf *out) {
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= isdigit((unsigned char)s[i]) != 0;
    if (!any) return 0;
    size_t i = 0;
    while (i < n) {
        if (!isalnum((unsigned char)s[i])) {
            om_buf_put(out, s + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        int digit = 0;
        while (j < n && isalnum((unsigned char)s[j])) digit |= isdigit((unsigned char)s[j++]) != 0;
        for (size_t k = i; k < j; k++) {
            char c = digit ? other_char(r, s[k]) : s[k];
            om_buf_put(out, &c, 1);
        }
        i = j;
    }
    return 1;
}

/* ---------------------------------------------------------------- dates */

/* A valid date other than the original, in the original's format. Returns 0 when the value is not
 * a date om_date_parse understands. */
static int replace_date(rng *r, const char *s, size_t n, om_buf *out) {
    om_date d;
    if (!om_date_parse(s, n, &d)) return 0;
    int month = 1 + (int)rng_below(r, 12), day = 1 + (int)rng_below(r, 28), year = 1940 + (int)rng_below(r, 80);
    if (month == d.month) month = month % 12 + 1;
    if (day == d.day) day = day % 28 + 1;
    if (year == d.year || year % 100 == d.year % 100) year = year == 2019 ? 1940 : year + 1;
    om_date_render(&d, s, n, year, month, day, out);
    return 1;
}

/* ---------------------------------------------------------------- the surrogate */

void om_pii_surrogate(const char *label, const char *original, size_t n, unsigned attempt, om_buf *out) {
    rng r;
    rng_seed(&r, label, original, n, attempt);
    char buf[160];
    switch (kind_of(label)) {
    case K_FIRST:
        put_cased(out, pick(&r, first_names, COUNT(first_names), original, n), original, n);
        return;
    case K_LAST:
        put_cased(out, pick(&r, last_names, COUNT(last_names), original, n), original, n);
        return;
    case K_NAME:
        snprintf(buf, sizeof buf, "%s %s", first_names[rng_below(&r, COUNT(first_names))],
                 last_names[rng_below(&r, COUNT(last_names))]);
        if (same_text(buf, original, n)) snprintf(buf, sizeof buf, "%s %s", first_names[0], last_names[1]);
        put_cased(out, buf, original, n);
        return;
    case K_CITY:
        put_cased(out, pick(&r, cities, COUNT(cities), original, n), original, n);
        return;
    case K_ORG:
        put_cased(out, pick(&r, organisations, COUNT(organisations), original, n), original, n);
        return;
    case K_STREET:
        snprintf(buf, sizeof buf, "%u %s %s", 1 + rng_below(&r, 9899), streets[rng_below(&r, COUNT(streets))],
                 street_kinds[rng_below(&r, COUNT(street_kinds))]);
        if (same_text(buf, original, n)) snprintf(buf, sizeof buf, "1 %s %s", streets[0], street_kinds[0]);
        put_cased(out, buf, original, n);
        return;
    case K_EMAIL: {
        unsigned id = rng_below(&r, 10000);
        snprintf(buf, sizeof buf, "user%04u@example.org", id);
        if (same_text(buf, original, n)) snprintf(buf, sizeof buf, "user%04u@example.org", (id + 1) % 10000);
        om_buf_puts(out, buf);
        return;
    }
    case K_URL: {
        unsigned a = rng_below(&r, 65536), b = rng_below(&r, 65536);
        snprintf(buf, sizeof buf, "https://www.example.org/r/%04x%04x", a, b);
        if (same_text(buf, original, n)) snprintf(buf, sizeof buf, "https://www.example.org/r/%04x%04x", b, a ^ 1);
        om_buf_puts(out, buf);
        return;
    }
    case K_DATE:
        if (replace_date(&r, original, n, out)) return;
        break;
    case K_CHARS:
        break;
    }
    if (replace_chars(&r, original, n, out)) return;
    om_buf_printf(out, "[%s]", label);
}
