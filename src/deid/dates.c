/* dates.c: reading a date's fields out of its written form and writing it back with other values;
 * calendar arithmetic for date shifting. */
#include "deid/dates.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"};

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

int om_date_label(const char *label) {
    for (const char *p = label; *p; p++)
        if (!strncasecmp(p, "DATE", 4) || !strncasecmp(p, "DOB", 3)) return 1;
    return 0;
}

int om_days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[(month - 1) % 12];
}

/* Days since 1970-01-01 of a civil date, and back (the usual era arithmetic). */
static long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void om_date_add_days(int *year, int *month, int *day, long days) {
    civil_from_days(days_from_civil(*year, *month, *day) + days, year, month, day);
}

int om_date_parse(const char *s, size_t n, int day_first, om_date *out) {
    memset(out, 0, sizeof *out);
    int month_name = -1, ndigit = 0, digit_at[3] = {0};
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)s[i])) { i++; continue; }
        if (out->n_tokens == sizeof out->tokens / sizeof out->tokens[0]) return 0;
        om_date_token *t = &out->tokens[out->n_tokens];
        t->at = i;
        t->digits = isdigit((unsigned char)s[i]) != 0;
        while (i < n && isalnum((unsigned char)s[i]) && (isdigit((unsigned char)s[i]) != 0) == t->digits) i++;
        t->len = i - t->at;
        if (t->digits) {
            if (t->len > 4 || ndigit == 3) return 0;
            for (size_t k = 0; k < t->len; k++) t->value = t->value * 10 + (s[t->at + k] - '0');
            digit_at[ndigit++] = (int)out->n_tokens;
        } else if (month_name < 0 && (t->value = month_of(s + t->at, t->len)) > 0) {
            month_name = (int)out->n_tokens;
            t->role = OM_DATE_MONTH;
        } else {
            t->value = 0;
        }
        out->n_tokens++;
    }
    if (ndigit == 0) return 0;
    om_date_token *d[3] = {&out->tokens[digit_at[0]], ndigit > 1 ? &out->tokens[digit_at[1]] : NULL,
                           ndigit > 2 ? &out->tokens[digit_at[2]] : NULL};
    if (month_name >= 0) { /* "March 3, 2021", "3rd of March", "Mar 2021" */
        for (int k = 0; k < ndigit; k++) {
            if (d[k]->len == 4 && !out->year) d[k]->role = OM_DATE_YEAR;
            else if (d[k]->len <= 2 && !out->day) d[k]->role = OM_DATE_DAY;
            else return 0;
            if (d[k]->role == OM_DATE_YEAR) out->year = d[k]->value;
            else out->day = d[k]->value;
        }
    } else if (ndigit == 3) { /* 2021-03-14 (Y M D), else 14/03/2021 (D M Y) or 03/14/2021 (M D Y) */
        int ymd = d[0]->len == 4;
        if (!ymd && (!(d[2]->len == 2 || d[2]->len == 4) || d[0]->len > 2 || d[1]->len > 2)) return 0;
        int dmy = !ymd && (d[0]->value > 12 ? 1 : d[1]->value > 12 ? 0 : day_first);
        d[0]->role = ymd ? OM_DATE_YEAR : dmy ? OM_DATE_DAY : OM_DATE_MONTH;
        d[1]->role = ymd ? OM_DATE_MONTH : dmy ? OM_DATE_MONTH : OM_DATE_DAY;
        d[2]->role = ymd ? OM_DATE_DAY : OM_DATE_YEAR;
        out->ambiguous = !ymd && d[0]->value <= 12 && d[1]->value <= 12;
    } else if (ndigit == 2 && d[1]->len == 4 && d[0]->len <= 2) { /* 03/2021 */
        d[0]->role = OM_DATE_MONTH;
        d[1]->role = OM_DATE_YEAR;
    } else if (ndigit == 1 && d[0]->len == 4) { /* a bare year */
        d[0]->role = OM_DATE_YEAR;
    } else {
        return 0;
    }
    int ambiguous = out->ambiguous;
    for (size_t k = 0; k < out->n_tokens; k++) {
        const om_date_token *t = &out->tokens[k];
        if (t->role == OM_DATE_YEAR) out->year = t->len == 2 ? (t->value < 50 ? 2000 : 1900) + t->value : t->value;
        if (t->role == OM_DATE_MONTH) out->month = t->value;
        if (t->role == OM_DATE_DAY) out->day = t->value;
    }
    out->ambiguous = ambiguous;
    if ((out->month && (out->month < 1 || out->month > 12)) || (out->day && (out->day < 1 || out->day > 31))) return 0;
    if (out->month && out->day && out->year && out->day > om_days_in_month(out->year, out->month)) return 0;
    return 1;
}

int om_date_ambiguous(const om_date *d) { return d->ambiguous; }

void om_date_render(const om_date *d, const char *s, size_t n, int year, int month, int day, om_buf *out) {
    int named = 0; /* "March 3": 2-digit days keep no zero ("Mar 9"); numeric dates pad ("03/09") */
    for (size_t k = 0; k < d->n_tokens; k++) named |= d->tokens[k].role == OM_DATE_MONTH && !d->tokens[k].digits;
    size_t i = 0;
    for (size_t k = 0; k < d->n_tokens; k++) {
        const om_date_token *t = &d->tokens[k];
        om_buf_put(out, s + i, t->at - i);
        i = t->at + t->len;
        char buf[16];
        if (t->role == OM_DATE_YEAR) {
            snprintf(buf, sizeof buf, t->len == 2 ? "%02d" : "%04d", t->len == 2 ? year % 100 : year);
        } else if (t->role == OM_DATE_DAY || (t->role == OM_DATE_MONTH && t->digits)) {
            int pad = t->len == 2 && (!named || s[t->at] == '0');
            snprintf(buf, sizeof buf, pad ? "%02d" : "%d", t->role == OM_DATE_DAY ? day : month);
        } else if (t->role == OM_DATE_MONTH) { /* a month name, in the original's length and case */
            const char *name = months[month - 1];
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
        } else if (k > 0 && d->tokens[k - 1].role == OM_DATE_DAY && d->tokens[k - 1].at + d->tokens[k - 1].len == t->at &&
                   t->len == 2) { /* the ordinal suffix of the day: "3rd" -> "17th" */
            snprintf(buf, sizeof buf, "%s", ordinal_suffix(day));
        } else { /* other words ("of") */
            om_buf_put(out, s + t->at, t->len);
            continue;
        }
        om_buf_puts(out, buf);
    }
    om_buf_put(out, s + i, n - i);
}
