/* dates.h: a date written in a note ("03/14/2021", "2021-03-14", "March 3, 2021", "3rd of March
 * 2019", "Mar 2021"), read into its fields and written back in the same format with other values:
 * the surrogate and date-shifting methods share it. */
#ifndef OM_DEID_DATES_H
#define OM_DEID_DATES_H

#include <stddef.h>

#include "core/buf.h"

enum { OM_DATE_NONE, OM_DATE_YEAR, OM_DATE_MONTH, OM_DATE_DAY };

typedef struct om_date_token {
    size_t at, len; /* bytes of the value */
    int digits;     /* 1: a digit run, 0: a letter run */
    int role;       /* OM_DATE_* */
    int value;      /* the number, or the month of a month name */
} om_date_token;

typedef struct om_date {
    om_date_token tokens[16];
    size_t n_tokens;
    int year, month, day; /* 0 when absent; a 2-digit year is 1950..2049 */
    int ambiguous;        /* a numeric date whose day and month are both 12 or less (03/04/2021) */
} om_date;

/* 1 when a label names a date ("DATE", "date_of_birth", "DOB"), ignoring case. */
int om_date_label(const char *label);

/* Read `n` bytes as a date: numeric Y-M-D, D/M/Y or M/D/Y, M/Y, a bare year, or with a month name
 * and optional day and year. A numeric date whose first field exceeds 12 is day first, whose second
 * does is month first; for the others (both 12 or less) `day_first` decides. Returns 0 for anything
 * else (and for fields out of range, 31 April included). */
int om_date_parse(const char *s, size_t n, int day_first, om_date *out);

/* 1 when a numeric date (three digit fields, not year first) could be read either way. */
int om_date_ambiguous(const om_date *d);

/* Write the value again with year, month and day replaced (2- or 4-digit year, month-name length
 * and case, the day's ordinal suffix kept; numeric fields of two digits stay two digits, a day
 * beside a month name only when it had a leading zero; other characters copied). */
void om_date_render(const om_date *d, const char *s, size_t n, int year, int month, int day, om_buf *out);

/* Days in a month of a (proleptic Gregorian) year. */
int om_days_in_month(int year, int month);

/* The date `days` days after (before, if negative) year-month-day. */
void om_date_add_days(int *year, int *month, int *day, long days);

#endif
