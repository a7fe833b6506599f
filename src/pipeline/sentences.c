/* sentences.c: rule-based sentence segmentation (lines, terminal punctuation, abbreviation guards). */
#include "pipeline/sentences.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "pipeline/text_chars.h"

/* Words that end in '.' without ending a sentence: titles, Latin and general abbreviations, months
 * and days, and the clinical short forms of notes (dosing, routes, units). Lower case, no final '.'. */
static const char *const abbreviations[] = {
    "dr", "mr", "mrs", "ms", "mx", "prof", "rev", "hon", "st", "sr", "jr", "gen", "col", "capt", "lt", "sgt",
    "fr", "mt", "ft", "sen", "rep", "gov", "pres", "supt", "messrs", "vs", "etc", "al", "approx", "appt",
    "apt", "dept", "est", "fig", "figs", "inc", "ltd", "co", "corp", "no", "nos", "vol", "pp", "ca", "cf",
    "ie", "eg", "ex", "incl", "max", "min", "misc", "mo", "mos", "yr", "yrs", "wk", "wks", "hr", "hrs",
    "sec", "tel", "ext", "univ", "assn", "bros", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "pt", "pts", "hx", "dx", "tx", "rx", "sx", "fx", "abd", "bid", "tid", "qid", "qd", "qod", "qhs", "hs",
    "po", "pr", "prn", "iv", "im", "sc", "sq", "subq", "mg", "mcg", "ml", "cc", "kg", "lb", "lbs", "oz",
    "cm", "mm", "dl", "meq", "mmol", "resp", "temp", "wt", "ht", "neg", "pos", "amt", "disp", "tab", "tabs",
    "cap", "caps", "inj", "susp", "soln", "sol", "oint", "liq", "cath", "lat", "med", "meds",
};

int om_hard_break_at(const uint32_t *cp, int64_t n, int64_t i) {
    if (i < 0 || i >= n) return 0;
    uint32_t c = cp[i];
    if (c == '\r') return i + 1 < n && cp[i + 1] == '\n' ? 2 : 1;
    return c == '\n' || c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029;
}

static int is_closer(uint32_t c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0x201D || c == 0x2019 ||
           c == 0xBB || c == 0x300D || c == 0x300F || c == 0xFF09;
}

static int is_terminator(uint32_t c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }

/* Full stops that end a sentence with no space after them (CJK, Devanagari danda). */
static int is_full_stop(uint32_t c) {
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF61 || c == 0x0964 || c == 0x0965;
}

static int is_abbreviation(const uint32_t *w, int64_t len) {
    char lower[16];
    if (len <= 0 || len >= (int64_t)sizeof lower) return 0;
    for (int64_t i = 0; i < len; i++) {
        if (w[i] >= 0x80) return 0;
        lower[i] = (char)(w[i] | 32);
    }
    lower[len] = '\0';
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0]; i++)
        if (!strcmp(lower, abbreviations[i])) return 1;
    return 0;
}

/* Does the '.' at cp[dot] end a sentence, given the line starts at line_start? (The caller has
 * checked that white space and a sentence start follow.) */
static int period_ends_sentence(const uint32_t *cp, int64_t line_start, int64_t dot) {
    int64_t ws = dot;
    while (ws > line_start && om_char_is_letter(cp[ws - 1])) ws--;
    if (ws == dot) {
        /* "1. Asthma": a short number opening the line is a list marker. */
        int64_t ds = dot;
        while (ds > line_start && om_char_is_digit(cp[ds - 1])) ds--;
        if (ds == dot || dot - ds > 3) return 1;
        for (int64_t i = line_start; i < ds; i++)
            if (!om_char_is_space(cp[i]) && cp[i] != '(' && cp[i] != '#') return 1;
        return 0;
    }
    if (ws > line_start && cp[ws - 1] == '.') return 0; /* "e.g.", "b.i.d.", "U.S." */
    if (ws > line_start && (om_char_is_digit(cp[ws - 1]) || cp[ws - 1] == '-')) {
        /* "5mg." or "x-ray." : only a unit abbreviation glued to a number keeps going */
        return !is_abbreviation(cp + ws, dot - ws);
    }
    if (dot - ws == 1) return 0; /* an initial: "John F. Kennedy" */
    return !is_abbreviation(cp + ws, dot - ws);
}

/* Append [s, e) trimmed, when not empty; *paragraph marks it as a paragraph start (then clears). */
static int push(om_sentence **v, size_t *n, size_t *cap, const uint32_t *cp, int64_t s, int64_t e, int *paragraph) {
    while (s < e && om_char_is_space(cp[s])) s++;
    while (e > s && om_char_is_space(cp[e - 1])) e--;
    if (s >= e) return 1;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        om_sentence *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return 0;
        *v = nv;
        *cap = nc;
    }
    int suppressed = 1;
    for (int64_t i = s; i < e && suppressed; i++)
        if (om_char_is_alnum(cp[i]) || cp[i] == '_') suppressed = 0;
    (*v)[(*n)++] = (om_sentence){s, e, *paragraph, suppressed};
    *paragraph = 0;
    return 1;
}

/* Where the sentence that contains the terminator at cp[i] ends (the first code point after its
 * closing punctuation), or -1 when the terminator does not end a sentence. `line` and `end` bound
 * the line. */
static int64_t sentence_end(const uint32_t *cp, int64_t line, int64_t end, int64_t i) {
    int64_t j = i + 1;
    if (is_full_stop(cp[i])) {
        while (j < end && (is_closer(cp[j]) || is_full_stop(cp[j]))) j++;
        return j;
    }
    while (j < end && is_terminator(cp[j])) j++;
    int64_t run_end = j;
    while (j < end && is_closer(cp[j])) j++;
    if (j >= end || !om_char_is_space(cp[j])) return -1;
    int64_t k = j;
    while (k < end && om_char_is_space(cp[k])) k++;
    if (k >= end || om_char_is_lower(cp[k])) return -1;
    if (cp[i] == '.' && run_end == i + 1 && !period_ends_sentence(cp, line, i)) return -1;
    return j;
}

openmed_status om_sentences_split(const uint32_t *cp, int64_t n, om_sentence **out, size_t *n_out,
                                  openmed_error *err) {
    om_sentence *v = NULL;
    size_t count = 0, cap = 0;
    int paragraph = 1; /* the next sentence starts a paragraph (the text start, or after a blank line) */
    int64_t line = 0;
    while (line < n) {
        int64_t end = line;
        while (end < n && !om_hard_break_at(cp, n, end)) end++;
        int64_t start = line;
        for (int64_t i = line; i < end; i++) {
            if (!is_terminator(cp[i]) && !is_full_stop(cp[i])) continue;
            int64_t j = sentence_end(cp, line, end, i);
            if (j < 0) continue;
            if (!push(&v, &count, &cap, cp, start, j, &paragraph)) goto oom;
            start = j;
            i = j - 1;
        }
        if (!push(&v, &count, &cap, cp, start, end, &paragraph)) goto oom;
        if (end >= n) break;
        /* Step over the line break; a line of white space only makes a paragraph break. */
        line = end + om_hard_break_at(cp, n, end);
        int64_t k = line;
        while (k < n && om_char_is_space(cp[k]) && !om_hard_break_at(cp, n, k)) k++;
        if (k < n && om_hard_break_at(cp, n, k)) paragraph = 1;
    }
    *out = v;
    *n_out = count;
    return OPENMED_OK;
oom:
    free(v);
    *out = NULL;
    *n_out = 0;
    return om_fail(err, OPENMED_ERR_NO_MEMORY, "sentences: out of memory for %zu sentences", count);
}
