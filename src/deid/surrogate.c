/* surrogate.c: deterministic fake values for the "replace" method (names, places, contact details,
 * dates, numbers), each drawn from a sha256 stream seeded by the label and the original value. */
#include "deid/surrogate.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

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
static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"};

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
    if (strstr(up, "DATE") || strstr(up, "DOB")) return K_DATE;
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
static void put_cased(om_strbuf *out, const char *s, const char *original, size_t n) {
    size_t upper = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        if (isalpha((unsigned char)original[i])) letters++;
        if (isupper((unsigned char)original[i])) upper++;
    }
    if (letters < 2 || upper != letters) {
        om_strbuf_puts(out, s);
        return;
    }
    for (; *s; s++) {
        char c = (char)toupper((unsigned char)*s);
        om_strbuf_put(out, &c, 1);
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
static int replace_chars(rng *r, const char *s, size_t n, om_strbuf *out) {
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= isdigit((unsigned char)s[i]) != 0;
    if (!any) return 0;
    size_t i = 0;
    while (i < n) {
        if (!isalnum((unsigned char)s[i])) {
            om_strbuf_put(out, s + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        int digit = 0;
        while (j < n && isalnum((unsigned char)s[j])) digit |= isdigit((unsigned char)s[j++]) != 0;
        for (size_t k = i; k < j; k++) {
            char c = digit ? other_char(r, s[k]) : s[k];
            om_strbuf_put(out, &c, 1);
        }
        i = j;
    }
    return 1;
}

/* ---------------------------------------------------------------- dates */

enum { ROLE_NONE, ROLE_YEAR, ROLE_MONTH, ROLE_DAY };

typedef struct date_token {
    size_t at, len;
    int digits; /* 1: a digit run, 0: a letter run */
    int role;
    int value;
} date_token;

/* 1..12 when the letters name a month ("Mar", "march", "Sept"), else 0. */
static int month_of(const char *s, size_t len) {
    if (len < 3) return 0;
    for (int m = 0; m < 12; m++)
        if (len <= strlen(months[m]) && strncasecmp(months[m], s, len) == 0) return m + 1;
    return 0;
}

static const char *ordinal_suffix(int day) {
    if (day >= 11 && day <= 13) return "th";
    switch (day % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

/* A valid date other than the original, in the original's format (field order, widths, month name
 * style, ordinal suffix). Returns 0 when the value is not a date it understands. */
static int replace_date(rng *r, const char *s, size_t n, om_strbuf *out) {
    date_token tok[16];
    size_t nt = 0;
    int month_name = -1, ndigit = 0, digit_at[3] = {0};
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)s[i])) { i++; continue; }
        if (nt == COUNT(tok)) return 0;
        date_token *t = &tok[nt];
        t->at = i;
        t->digits = isdigit((unsigned char)s[i]) != 0;
        while (i < n && isalnum((unsigned char)s[i]) && (isdigit((unsigned char)s[i]) != 0) == t->digits) i++;
        t->len = i - t->at;
        t->role = ROLE_NONE;
        t->value = 0;
        if (t->digits) {
            if (t->len > 4 || ndigit == 3) return 0;
            for (size_t k = 0; k < t->len; k++) t->value = t->value * 10 + (s[t->at + k] - '0');
            digit_at[ndigit++] = (int)nt;
        } else if (month_name < 0 && (t->value = month_of(s + t->at, t->len)) > 0) {
            month_name = (int)nt;
            t->role = ROLE_MONTH;
        }
        nt++;
    }
    if (ndigit == 0) return 0;
    date_token *d[3] = {&tok[digit_at[0]], ndigit > 1 ? &tok[digit_at[1]] : NULL, ndigit > 2 ? &tok[digit_at[2]] : NULL};
    if (month_name >= 0) { /* "March 3, 2021", "3rd of March", "Mar 2021" */
        int day = 0, year = 0;
        for (int k = 0; k < ndigit; k++) {
            if (d[k]->len == 4 && !year) { d[k]->role = ROLE_YEAR; year = 1; }
            else if (d[k]->len <= 2 && !day) { d[k]->role = ROLE_DAY; day = 1; }
            else return 0;
        }
    } else if (ndigit == 3) { /* 2021-03-14 (Y M D), else US 03/14/2021 (M D Y) */
        int ymd = d[0]->len == 4;
        if (!ymd && !(d[2]->len == 2 || d[2]->len == 4)) return 0;
        d[0]->role = ymd ? ROLE_YEAR : ROLE_MONTH;
        d[1]->role = ymd ? ROLE_MONTH : ROLE_DAY;
        d[2]->role = ymd ? ROLE_DAY : ROLE_YEAR;
    } else if (ndigit == 2 && d[1]->len == 4 && d[0]->len <= 2) { /* 03/2021 */
        d[0]->role = ROLE_MONTH;
        d[1]->role = ROLE_YEAR;
    } else if (ndigit == 1 && d[0]->len == 4) { /* a bare year */
        d[0]->role = ROLE_YEAR;
    } else {
        return 0;
    }
    /* New values, each different from the original's. */
    int new_month = 1 + (int)rng_below(r, 12), new_day = 1 + (int)rng_below(r, 28);
    int new_year = 1940 + (int)rng_below(r, 80);
    for (size_t k = 0; k < nt; k++) {
        date_token *t = &tok[k];
        if (t->role == ROLE_MONTH && t->value == new_month) new_month = new_month % 12 + 1;
        if (t->role == ROLE_DAY && t->value == new_day) new_day = new_day % 28 + 1;
        if (t->role == ROLE_YEAR && (t->value == new_year || (t->len == 2 && t->value == new_year % 100)))
            new_year = new_year == 2019 ? 1940 : new_year + 1;
    }
    size_t i = 0;
    for (size_t k = 0; k < nt; k++) {
        date_token *t = &tok[k];
        om_strbuf_put(out, s + i, t->at - i);
        i = t->at + t->len;
        char buf[16];
        if (t->role == ROLE_YEAR) {
            snprintf(buf, sizeof buf, t->len == 2 ? "%02d" : "%04d", t->len == 2 ? new_year % 100 : new_year);
        } else if (t->role == ROLE_DAY || (t->role == ROLE_MONTH && t->digits)) {
            int v = t->role == ROLE_DAY ? new_day : new_month;
            snprintf(buf, sizeof buf, t->len == 2 ? "%02d" : "%d", v);
        } else if (t->role == ROLE_MONTH) { /* a month name, in the original's length and case */
            const char *name = months[new_month - 1];
            size_t len = t->len <= 4 ? 3 : strlen(name);
            int all_upper = 1, all_lower = 1;
            for (size_t c = 0; c < t->len; c++) {
                all_upper &= isupper((unsigned char)s[t->at + c]) != 0;
                all_lower &= islower((unsigned char)s[t->at + c]) != 0;
            }
            for (size_t c = 0; c < len; c++)
                buf[c] = all_upper ? (char)toupper((unsigned char)name[c])
                       : all_lower ? (char)tolower((unsigned char)name[c]) : name[c];
            buf[len] = 0;
        } else if (k > 0 && tok[k - 1].role == ROLE_DAY && tok[k - 1].at + tok[k - 1].len == t->at &&
                   t->len == 2) { /* the ordinal suffix of the day: "3rd" -> "17th" */
            snprintf(buf, sizeof buf, "%s", ordinal_suffix(new_day));
        } else { /* other words ("of") */
            om_strbuf_put(out, s + t->at, t->len);
            continue;
        }
        om_strbuf_puts(out, buf);
    }
    om_strbuf_put(out, s + i, n - i);
    return 1;
}

/* ---------------------------------------------------------------- the surrogate */

void om_pii_surrogate(const char *label, const char *original, size_t n, unsigned attempt, om_strbuf *out) {
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
        om_strbuf_puts(out, buf);
        return;
    }
    case K_URL: {
        unsigned a = rng_below(&r, 65536), b = rng_below(&r, 65536);
        snprintf(buf, sizeof buf, "https://www.example.org/r/%04x%04x", a, b);
        if (same_text(buf, original, n)) snprintf(buf, sizeof buf, "https://www.example.org/r/%04x%04x", b, a ^ 1);
        om_strbuf_puts(out, buf);
        return;
    }
    case K_DATE:
        if (replace_date(&r, original, n, out)) return;
        break;
    case K_CHARS:
        break;
    }
    if (replace_chars(&r, original, n, out)) return;
    om_strbuf_printf(out, "[%s]", label);
}
