/* detect_account.c: payment card numbers (13 to 19 digits, grouped by spaces or dashes or not,
 * Luhn-valid) and IBANs (a registry country, its length, any spacing, mod-97 valid), found by a
 * linear scan and kept only when their check digits hold. */
#include <ctype.h>
#include <string.h>

#include "deid/detector.h"
#include "deid/validators.h"

#define MAX_GROUPS 64

static int alnum_at(const char *t, size_t n, size_t i) { return i < n && isalnum((unsigned char)t[i]); }

/* A letter of any script before position i (a UTF-8 continuation or lead byte counts as a letter,
 * so "Ä1234..." is not a free-standing number). */
static int word_byte(unsigned char c) { return isalnum(c) || c >= 0x80 || c == '_'; }

/* Cards: runs of digit groups joined by one space or dash; within a run, the longest window of whole
 * groups starting at each group that holds 13..19 digits and passes Luhn. */
static openmed_status cards(const char *t, size_t n, om_span_list *out, openmed_error *err) {
    size_t i = 0;
    while (i < n) {
        if (!isdigit((unsigned char)t[i]) || (i > 0 && (word_byte((unsigned char)t[i - 1]) ||
                                                       (strchr(".,", t[i - 1]) && i > 1 && isdigit((unsigned char)t[i - 2]))))) {
            /* skip to the end of this alphanumeric token */
            if (isalnum((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80)
                while (i < n && word_byte((unsigned char)t[i])) i++;
            else
                i++;
            continue;
        }
        size_t gs[MAX_GROUPS], ge[MAX_GROUPS], gd[MAX_GROUPS];
        size_t ng = 0, j = i;
        for (;;) {
            size_t s = j;
            while (j < n && isdigit((unsigned char)t[j])) j++;
            if (ng < MAX_GROUPS) gs[ng] = s, ge[ng] = j, gd[ng] = j - s, ng++;
            if (j + 1 < n && (t[j] == ' ' || t[j] == '-') && isdigit((unsigned char)t[j + 1])) {
                j++;
                continue;
            }
            break;
        }
        /* a number glued to letters or a decimal point at its end is no card ("...1234kg", "12.5") */
        int glued = alnum_at(t, n, j) || (j + 1 < n && strchr(".,", t[j]) && isdigit((unsigned char)t[j + 1]));
        for (size_t g = 0; g < ng && !glued;) {
            size_t digits = 0, best = 0;
            for (size_t h = g; h < ng && digits + gd[h] <= 19; h++) {
                digits += gd[h];
                if (digits >= 13 && om_valid_card(t + gs[g], ge[h] - gs[g])) best = h + 1;
            }
            if (best) {
                openmed_status st = om_detect_push(out, gs[g], ge[best - 1], "CREDIT_CARD", 1.0f, err);
                if (st != OPENMED_OK) return st;
                g = best;
            } else {
                g++;
            }
        }
        i = j;
    }
    return OPENMED_OK;
}

/* IBANs: two letters and two digits at the start of a word, then the country's length in letters
 * and digits with single spaces or dashes anywhere between them. */
static openmed_status ibans(const char *t, size_t n, om_span_list *out, openmed_error *err) {
    for (size_t i = 0; i + 4 <= n; i++) {
        if (!isalpha((unsigned char)t[i]) || !isalpha((unsigned char)t[i + 1]) || !isdigit((unsigned char)t[i + 2]) ||
            !isdigit((unsigned char)t[i + 3]) || (i > 0 && word_byte((unsigned char)t[i - 1])))
            continue;
        int len = om_iban_length(t + i);
        if (!len) continue;
        size_t j = i, count = 0;
        while (j < n && count < (size_t)len) {
            if (isalnum((unsigned char)t[j])) {
                count++;
                j++;
            } else if ((t[j] == ' ' || t[j] == '-') && j > i && isalnum((unsigned char)t[j - 1]) &&
                       alnum_at(t, n, j + 1)) {
                j++;
            } else {
                break;
            }
        }
        if (count != (size_t)len || alnum_at(t, n, j) || (j < n && (unsigned char)t[j] >= 0x80)) continue;
        if (!om_valid_iban(t + i, j - i)) continue;
        openmed_status st = om_detect_push(out, i, j, "IBAN", 1.0f, err);
        if (st != OPENMED_OK) return st;
        i = j - 1;
    }
    return OPENMED_OK;
}

openmed_status om_detect_account(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    openmed_status st = cards(in->view->text, in->view->len, out, err);
    if (st == OPENMED_OK) st = ibans(in->view->text, in->view->len, out, err);
    return st;
}
