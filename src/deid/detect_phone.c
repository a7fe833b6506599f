/* detect_phone.c: telephone and fax numbers in the shapes of many countries: "+CC" or "00CC"
 * prefixes, trunk zeros ("(0)", "0151 ..."), area codes in brackets, groups split by spaces, dashes,
 * dots or a slash, extensions; and any number of 7 to 15 digits after a word for a phone.
 * Numbers are read as chunks of digit groups in one linear scan; dates, ratios, decimals and
 * ranges are left alone. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "deid/detector.h"
#include "deid/regex.h"

#define MAX_GROUPS 10

static int word_byte(unsigned char c) { return isalnum(c) || c >= 0x80 || c == '_'; }
static int digit_at(const char *t, size_t n, size_t i) { return i < n && isdigit((unsigned char)t[i]); }

typedef struct chunk {
    size_t start, end;            /* bytes, the whole number with its extension */
    int plus;                     /* starts with '+' */
    int groups, digits;
    int len[MAX_GROUPS];
    int paren_group;              /* a group of 1..5 digits in brackets */
    char seps[MAX_GROUPS];        /* the one of - . / between group k and k+1, or ' ' */
    int first_zero, double_zero;  /* the first group starts with 0 / with 00 */
} chunk;

/* Can a number start at i? Not inside a word, a decimal, a ratio, a time or a range. */
static int may_start(const char *t, size_t i) {
    if (i == 0) return 1;
    unsigned char p = (unsigned char)t[i - 1];
    if (word_byte(p)) return 0;
    if (strchr(".,/:-", (char)p) && i > 1 && isdigit((unsigned char)t[i - 2])) return 0;
    return 1;
}

/* Read the chunk starting at i (a '+', '(' or digit that may start); 0 when there is none. */
static int read_chunk(const char *t, size_t n, size_t i, chunk *c) {
    memset(c, 0, sizeof *c);
    c->start = i;
    size_t j = i;
    int open = 0;
    if (t[j] == '+') c->plus = 1, j++;
    if (j < n && t[j] == '(') open = 1, j++;
    if (j < n && t[j] == '+' && !c->plus) c->plus = 1, j++;
    if (!digit_at(t, n, j)) return 0;
    size_t last_end = j;
    for (;;) {
        size_t s = j;
        while (j < n && isdigit((unsigned char)t[j])) j++;
        int len = (int)(j - s);
        if (c->groups == MAX_GROUPS || c->digits + len > 20) return 0;
        if (c->groups == 0) c->first_zero = t[s] == '0', c->double_zero = len > 1 && t[s] == '0' && t[s + 1] == '0';
        c->len[c->groups++] = len;
        c->digits += len;
        last_end = j;
        if (open && !(j < n && t[j] == ')')) return 0; /* a bracket holds one group: "(0)", "(617)" */
        if (open && j < n && t[j] == ')') {
            if (len <= 5) c->paren_group = 1;
            open = 0;
            last_end = ++j;
            if (digit_at(t, n, j)) { /* "(0)8 70 ...", "(825)979-1907" */
                c->seps[c->groups - 1] = ' ';
                continue;
            }
        }
        /* a separator: up to three of " -./()" with one dash, dot or slash at most, one space
         * on each side of it at most, a bracket opening before a digit */
        size_t k = j;
        int spaces = 0, marks = 0, opens = 0;
        char mark = ' ';
        while (k < n && k - j < 4 && strchr(" -./()", t[k])) {
            char ch = t[k];
            if (ch == ' ') spaces++;
            else if (ch == '(') opens++;
            else if (ch == ')') {
                if (!open) break;
                open = 0;
            } else marks++, mark = ch;
            k++;
        }
        if (k == j || !digit_at(t, n, k) || spaces > 2 || marks > 1 || opens > 1 || (opens && open)) break;
        if (mark == '.' && spaces) break; /* "...0142. 12 more" is a sentence end */
        if (opens) open = 1;
        c->seps[c->groups - 1] = mark;
        j = k;
    }
    if (open) return 0;
    c->end = last_end;
    /* an extension: "x123", "ext. 123", "extension 123", "#123" */
    size_t k = c->end;
    while (k < n && t[k] == ' ') k++;
    static const char *const ext[] = {"extension", "ext.", "ext", "x", "#"};
    for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
        size_t l = strlen(ext[e]);
        if (k + l <= n && !strncasecmp(t + k, ext[e], l)) {
            size_t d = k + l;
            while (d < n && t[d] == ' ') d++;
            size_t d0 = d;
            while (d < n && isdigit((unsigned char)t[d]) && d - d0 < 6) d++;
            if (d > d0 && !digit_at(t, n, d) && !(d < n && word_byte((unsigned char)t[d]))) c->end = d;
            break;
        }
    }
    return 1;
}

/* d/m/y, m/d/y or y/m/d with one kind of separator: a date, not a phone */
static int date_like(const chunk *c) {
    if (c->groups != 3 || c->seps[0] != c->seps[1] || c->seps[0] == ' ') return 0;
    const int *l = c->len;
    return (l[0] <= 2 && l[1] <= 2 && (l[2] == 2 || l[2] == 4)) || (l[0] == 4 && l[1] <= 2 && l[2] <= 2);
}

static om_regex cue_re = {
    "(?:phone|ph|tel|tele|telephone|t[ée]l[ée]phone|tel[ée]fono|telefone|telefon|telefoon|mobile?|mob|cell|"
    "cellphone|cellular|celular|cellulare|handy|portable|m[óo]vil|telem[óo]vel|mobiel|kom[óo]rka|puhelin|tlf|"
    "fax|telefax|pager|beeper|hotline|landline|call|called|contact|contacted|reach|reached|number|no|nr|"
    "whats\\s?app|sms|text|home|work|office|daytime|evening|телефон|тел|电话|手机)\\b\\.?[^\\n\\d]{0,24}$",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

static openmed_status cue_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)t, (void)n, (void)m, (void)err;
    *(int *)ctx = 1;
    return OPENMED_OK;
}

static openmed_status has_cue(const char *t, size_t at, int *found, openmed_error *err) {
    size_t from = at > 48 ? at - 48 : 0;
    while (from < at && ((unsigned char)t[from] & 0xC0) == 0x80) from++;
    *found = 0;
    return om_regex_each(&cue_re, "phone cue", t + from, at - from, cue_hit, found, err);
}

/* "fax" (any case) in the 24 bytes before `at`, on its line: the number is a fax number. */
static int fax_before(const char *t, size_t at) {
    for (size_t k = at; k-- > 0 && at - k <= 24 && t[k] != '\n';)
        if (k + 3 <= at && !strncasecmp(t + k, "fax", 3)) return 1;
    return 0;
}

/* Is the chunk a phone number (cue: a phone word comes before it)? */
static int is_phone(const chunk *c, int cue) {
    if (c->digits < 7 || c->digits > 15) return 0;
    if (c->plus) return c->digits >= 8;
    if (c->double_zero && c->digits >= 10 && c->groups >= 2) return 1;
    if (date_like(c)) return 0;
    /* ddd-dd-dddd is a social security number (the sweep's), 5-4 a ZIP+4 code */
    if (!cue && ((c->groups == 3 && c->len[0] == 3 && c->len[1] == 2 && c->len[2] == 4) ||
                 (c->groups == 2 && c->len[0] == 5 && c->len[1] == 4 && c->seps[0] == '-')))
        return 0;
    if (cue) return 1;
    int min = 99, max = 0, years = 0, all_two = 1;
    for (int g = 0; g < c->groups; g++) {
        if (c->len[g] < min) min = c->len[g];
        if (c->len[g] > max) max = c->len[g];
        all_two &= c->len[g] == 2;
        years += c->len[g] == 4;
    }
    int slash = 0;
    for (int g = 0; g + 1 < c->groups; g++) slash |= c->seps[g] == '/';
    if (c->paren_group && c->digits >= 9) return 1;
    /* an area code in brackets and two groups of 3 or more: "(37) 788-063" */
    if (c->paren_group && c->digits == 8 && c->groups == 3 && c->len[0] <= 3 && c->len[1] >= 3 && c->len[2] >= 3)
        return 1;
    if (c->first_zero && c->digits >= 9 && c->digits <= 13 && c->groups >= 2) {
        int rest_ok = 1;
        for (int g = 1; g < c->groups; g++) rest_ok &= c->len[g] >= 2;
        if (rest_ok) return 1;
    }
    if (slash) return 0;
    if (c->groups >= 3 && c->digits >= 9 && c->digits <= 13 && max <= 4 && min >= 2 && years < c->groups) return 1;
    if (c->groups == 4 && all_two) return 1;
    if (c->groups == 2 && c->digits >= 10 && c->len[0] >= 3) return 1;
    if (c->groups >= 3 && c->len[0] == 1 && c->digits == 11) return 1; /* "1-860-129-0404" */
    return 0;
}

openmed_status om_detect_phone(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    const char *t = in->view->text;
    size_t n = in->view->len, i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)t[i];
        chunk c;
        if (!(isdigit(ch) || ch == '+' || ch == '(') || !may_start(t, i) || !read_chunk(t, n, i, &c)) {
            if (isdigit(ch)) /* skip the rest of this number */
                while (i < n && isdigit((unsigned char)t[i])) i++;
            else
                i++;
            continue;
        }
        /* a number glued to letters ("12345mg") or a decimal tail ("...12.5") is not a phone */
        size_t e = c.end;
        int glued = (e < n && isalpha((unsigned char)t[e])) ||
                    (e + 1 < n && strchr(".,", t[e]) && isdigit((unsigned char)t[e + 1]));
        int cue = 0;
        if (!glued && c.digits >= 7 && c.digits <= 15) {
            openmed_status st = has_cue(t, c.start, &cue, err);
            if (st != OPENMED_OK) return st;
        }
        if (!glued && is_phone(&c, cue)) {
            openmed_status st = om_detect_push(out, c.start, c.end, fax_before(t, c.start) ? "FAX" : "PHONE", 0.95f, err);
            if (st != OPENMED_OK) return st;
            i = c.end;
            continue;
        }
        i = c.end > i ? c.end : i + 1;
        while (i < n && isdigit((unsigned char)t[i])) i++;
    }
    return OPENMED_OK;
}
