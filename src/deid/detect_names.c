/* detect_names.c: the person-name detector: name contexts (titles, form fields and table cells,
 * signatures and credentials, "patient X", relatives, "X is a 45-year-old", "my name is X",
 * "Name? X", "X lives/said/had given", "X is very ...", "Producer X", "maiden name X"), names the
 * words around them give away ("the X family", "a X concert", "X's address", "X, can you ...",
 * "Dear X", "gave X his ...", "X as guardian", "I'm X", two unlisted words after "with" in a text
 * without case, a block's name line in any case), middle initials ("Keira E. Forster"), names next
 * to names already found (initials, particles, a nickname in quotes, "X and Y", "said X to Y", a
 * dialogue's speakers, a line that is only a name), a compiled-in name list (person_names.inc) for
 * names without a context (after "to", "from", "in" only when it is no listed place), and every
 * other occurrence in the document of a name found, in any case.
 *
 * The text is read as words: runs of letters and marks, joined across an apostrophe or hyphen
 * followed by a letter ("O'Brien", "Smith-Jones"). A word's kind decides what a context may take:
 *   - a function word ("the", "and", "he"), a title, a credential ("MD") is never a name;
 *   - a listed name that is not a common English word ("maria", "kowalski") is a name anywhere,
 *     in any case, unless an eponym's head noun follows ("Parkinson disease", "Foley catheter");
 *   - a listed name that is a common word ("will", "grant", "brown") is a name only in a context;
 *   - any other word is a name only in a context, and only when it is not a common word, or it is
 *     written as a name (capitalised, or in capitals on a line that has lower case) after a strong
 *     context (a title, a form field).
 * Linear in the text: each rule looks at a bounded number of words around one word. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include <pthread.h>

#include "core/error.h"
#include "deid/deid.h"
#include "deid/detector.h"
#include "deid/labels.h"
#include "deid/person_names.inc"
#include "deid/strmap.h"

#define MAX_KEY 64    /* bytes of a lower-cased word looked up in the lists */
#define MAX_NAME 4    /* words a context takes after it (initials and particles not counted) */

/* ---------------------------------------------------------------- the lists */

enum { LIST_FIRST = 1, LIST_LAST = 2, LIST_COMMON = 4, LIST_KNOWN = 8, LIST_PLACE = 16 };

static om_strmap lists; /* lower-case word -> LIST_* bits */
static int lists_ok;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static int add_list(const char *const *words, size_t n, size_t bit) {
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]), v = 0;
        om_strmap_get(&lists, words[i], len, &v);
        if (!om_strmap_put(&lists, words[i], len, v | bit)) return 0;
    }
    return 1;
}

static void load_lists(void) {
#define N(a) (sizeof a / sizeof a[0])
    lists_ok = add_list(person_first_names, N(person_first_names), LIST_FIRST) &&
               add_list(person_last_names, N(person_last_names), LIST_LAST) &&
               add_list(common_words, N(common_words), LIST_COMMON) && add_list(known_words, N(known_words), LIST_KNOWN) &&
               add_list(place_words, N(place_words), LIST_PLACE);
#undef N
}

static int in_set(const char *const *set, const char *key, size_t n) {
    for (; *set; set++)
        if (strlen(*set) == n && !memcmp(*set, key, n)) return 1;
    return 0;
}

/* Words that are never names, though a name list may hold some of them. */
static const char *const function_words[] = {
    "a", "an", "the", "and", "or", "nor", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "into",
    "onto", "as", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does", "did",
    "he", "she", "it", "they", "we", "you", "i", "me", "him", "her", "his", "hers", "its", "their", "them", "our",
    "us", "your", "my", "mine", "this", "that", "these", "those", "who", "whom", "whose", "which", "what", "not",
    "no", "yes", "if", "then", "than", "so", "per", "via", "re", "cc", "about", "after", "before", "over", "under",
    "up", "out", "off", "all", "any", "some", "each", "both", "also", "today", "here", "there", "when", "where",
    "while", "because", "would", "can", "could", "should", "might", "must", "shall", "patient",
    "patients", "pt", "name", "names", "dob", "mrn", "ssn", "date", "age", "sex", "male", "female", "man", "woman",
    "year", "years", "old", "yo", "day", "days", "week", "weeks", "month", "months", "unknown", "none", "na", "ii",
    "iii", "iv", "mother", "father", "son", "daughter", "wife", "husband", "brother", "sister", "child", "baby",
    "infant", "boy", "girl", "gentleman", "lady", "currently", "now", "still", "again", "who", "she's", "he's",
    "presents", "reports", "states", "denies", "i'm", "i've", "i'd", "i'll", "it's", "that's", "we're",
    "you're", "they're", "we've", "you've", NULL};
/* Months and days: names too ("April", "June"), but only in a context, never before a number. */
static const char *const calendar_words[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", NULL};
static const char *const titles[] = {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "doctor", "sir",
                                     "dame", "rev", "mister", "madam", "mme", "mlle", "herr", "frau", "sr", "sra",
                                     "srta", "dra", NULL};
static const char *const credentials[] = {
    "md", "do", "rn", "np", "pa", "pac", "ma", "phd", "dds", "dmd", "lpn", "cna", "crna", "mph", "msn", "bsn",
    "dpm", "od", "pharmd", "aprn", "fnp", "dnp", "mbbs", "frcp", "facp", "facs", "lcsw", "pt", "dpt", "ot", "otr",
    "slp", "rd", "cnm", "cns", "mba", "jr", "sr", "ii", "iii", "iv", "esq", NULL};
/* Name particles: inside a name ("Ludwig van Beethoven"), never a name alone. */
static const char *const particles[] = {"de", "del", "della", "der", "den", "des", "di", "da", "das", "do", "dos",
                                        "du", "la", "le", "van", "von", "ten", "ter", "bin", "binti", "al", "el",
                                        "ibn", "y", NULL};
/* Head nouns that make the word before them an eponym ("Crohn disease", "Foley catheter"). */
static const char *const eponym_heads[] = {
    "disease", "diseases", "syndrome", "syndromes", "sign", "signs", "test", "tests", "testing", "maneuver",
    "maneuvers", "manoeuvre", "catheter", "catheters", "palsy", "phenomenon", "lymphoma", "thyroiditis",
    "fracture", "fractures", "criteria", "score", "scale", "classification", "procedure", "operation", "repair",
    "tube", "stockings", "ulcer", "ulcers", "node", "nodes", "reflex", "reflexes", "law", "sarcoma", "tumor",
    "tumour", "anemia", "anaemia", "disorder", "ataxia", "dystrophy", "chorea", "contracture", "cyst", "hernia",
    "incision", "position", "technique", "method", "solution", "stain", "body", "bodies", "cell", "cells", "duct",
    "canal", "space", "triad", "pouch", "equation", "formula", "index", "staging", "gland", "glands", "angle",
    "line", "point", "effect", "bag", "view", "rule", "rules", "dementia", "encephalopathy", "esophagus", "loop",
    "tear", "lesion", "lesions", "nodule", "nodules", "murmur", "ratio", "variant", "type", "neuroma",
    "neuralgia", "deformity", "contraction", "contractions", "block", "pump", "device", "valve", "shunt", NULL};
/* Words before which the next words are a person's name (a form label, at a line's start, before
 * ':', a tab or a table cell's '|'); several words are joined by one space. */
static const char *const strong_labels[] = {
    "name", "patient", "patient name", "pt", "pt name", "re", "client", "client name", "full name", "member",
    "member name", "subject", "resident", "guarantor", "insured", "policy holder", "legal name",
    "preferred name", "emergency contact", "contact", "contact name", "next of kin", "nok", "spouse", "guardian",
    "parent", "caregiver", "provider", "physician", "attending", "attending physician", "referring physician",
    "referring provider", "referred by", "pcp", "primary care physician", "primary care provider", "surgeon",
    "doctor", "nurse", "author", "signed", "signed by", "electronically signed by", "dictated by",
    "transcribed by", "reviewed by", "cc", "interpreter", "attn", "attention", "to", "from", "sender",
    "recipient", "responsible party", "family member", "witness", "scribe", "resident physician", "fellow",
    "np", "pa", "rn", "md", "consultant", "consulting physician", "ordering physician", "ordering provider",
    "performed by", "seen by", "mother name", "father name", "mother", "father", NULL};
/* Phrases after which, on one line, a person's name follows (no ':' needed): signatures first (a
 * name written as one is taken even when it is a common word: "Transcribed by Ants Sarap"). */
static const char *const signed_by[] = {
    "signed by", "electronically signed by", "dictated by", "transcribed by", "reviewed by", "examined by",
    "referred by", "taken by", "performed by", "interpreted by", "cc", "attn", NULL};
static const char *const name_before[] = {
    "seen by", "seen with", "accompanied by", "discussed with", "spoke with", "spoke to", "called", "told", "asked", "advised", "instructed", "informed",
    "shouted at", "yelled at", "screamed at", "said to", "talked to", "talking to", "married to",
    "reminded", "counseled", "counselled", "patient", "pt", "daughter", "son", "husband", "wife", "mother",
    "father", "brother", "sister", "spouse", "partner", "friend", "caregiver", "guardian", "niece", "nephew",
    "grandson", "granddaughter", "grandmother", "grandfather", "aunt", "uncle", "cousin", "fiance", "fiancee",
    "boyfriend", "girlfriend", "contact", "interpreter", "cc", "attn", "name is", "names are", "call me",
    "calls me", "called me", "known as", "named", "named him", "named her", "goes by", "says", "said",
    "starring", "featuring", "directed by", "written by", "assistant to", "kid", "colleague", "neighbor",
    "neighbour", "roommate", "coworker", "player", "commenter", "songwriter", "singer", "actor", "actress",
    "author", "writer", "therapist", "coordinator", "case manager", "social worker", "dear", "hi", "hello",
    "hey", "thanks", "thank you", "goodbye", "bye", "producer", "director", "manager", "editor", "photographer",
    "reporter", "journalist", "lawyer", "attorney", "teacher", "coach", "captain", "officer", "detective",
    "agent", "president", "ceo", "founder", "chef", "artist", "musician", "drummer", "guitarist", "composer",
    "poet", "novelist", "painter", "designer", "engineer", "scientist", "senator", "governor", "mayor",
    "minister", "judge", "sergeant", "maiden name", "last name", "first name", "family name", "middle name",
    "partner name", NULL};

static int in_set_nocase(const char *const *set, const char *word, size_t n) {
    char key[MAX_KEY];
    if (n == 0 || n >= MAX_KEY) return 0;
    for (size_t i = 0; i < n; i++) key[i] = (char)((unsigned char)word[i] < 0x80 ? tolower((unsigned char)word[i]) : word[i]);
    return in_set(set, key, n);
}

int om_names_is_eponym_head(const char *word, size_t n) { return in_set_nocase(eponym_heads, word, n); }
int om_names_is_title(const char *word, size_t n) { return in_set_nocase(titles, word, n); }

/* ---------------------------------------------------------------- words */

/* SH_CASELESS: letters of a script without case (Chinese, Japanese, Korean, Arabic, Thai, ...): no
 * case says whether it is a name, so it counts as written as one. */
enum { SH_LOWER, SH_CAP, SH_UPPER, SH_INITIAL, SH_OTHER, SH_CASELESS };
enum {
    W_FUNCTION = 1 << 0, W_TITLE = 1 << 1, W_CRED = 1 << 2, W_PARTICLE = 1 << 3, W_EPONYM = 1 << 4,
    W_DIGIT = 1 << 5,   /* touches a digit ("MR1234") */
    W_SIGNAL = 1 << 6,  /* written as a name: capitalised, or in capitals on a line with lower case */
    W_NAME = 1 << 7,    /* taken for a name */
    W_CALENDAR = 1 << 8, /* a month or a day */
    W_CASED = 1 << 9,    /* its case says something: the text is in mixed case and so is its line */
    W_FOUND = 1 << 10,   /* inside a span of a detector before this one (already redacted) */
    W_OPENS = 1 << 11    /* the first word of its line or sentence (capitalised whatever it is) */
};

typedef struct word {
    size_t b, e;         /* bytes of the view */
    unsigned char poss;  /* bytes of a possessive "'s" ending it (not part of the name) */
    unsigned char shape;
    unsigned char list;  /* LIST_* bits of its lower-case form */
    unsigned short kind; /* W_* bits */
    size_t line;         /* index of its line */
} word;

typedef struct names_ctx {
    const char *t;
    size_t n;
    word *w;
    size_t nw;
    om_strmap found; /* lower-case words found as names -> 1 when also a common word */
    int cased;       /* the text is in mixed case (not lower-cased or in capitals) */
    char (*keys)[MAX_KEY]; /* lower-case forms without a possessive "'s"; "" when too long */
    unsigned char *key_len;
} names_ctx;

static utf8proc_int32_t cp_at(const char *s, size_t n, size_t i, size_t *len) {
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
    *len = k > 0 ? (size_t)k : 1;
    return k > 0 ? c : -1;
}

static int is_letter(utf8proc_int32_t c) {
    if (c < 0) return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ME;
}

static int is_digit_cp(utf8proc_int32_t c) { return c >= '0' && c <= '9'; }

static int is_apostrophe(utf8proc_int32_t c) { return c == '\'' || c == 0x2019; }

/* The lower-case form of [b, e) into key; its length, 0 when it does not fit. */
static size_t lower_key(const char *t, size_t b, size_t e, char *key) {
    size_t o = 0, len;
    for (size_t i = b; i < e; i += len) {
        utf8proc_int32_t c = cp_at(t, e, i, &len);
        if (c == 0x2019) c = '\'';
        utf8proc_uint8_t buf[4];
        utf8proc_ssize_t k = utf8proc_encode_char(utf8proc_tolower(c), buf);
        if (k <= 0 || o + (size_t)k >= MAX_KEY) return 0;
        memcpy(key + o, buf, (size_t)k);
        o += (size_t)k;
    }
    key[o] = 0;
    return o;
}

static unsigned lookup(const char *key, size_t n) {
    size_t v = 0;
    if (n && om_strmap_get(&lists, key, n, &v)) return (unsigned)v;
    return 0;
}

/* List bits of a word: the whole word, else without a possessive "'s", else its hyphenated parts
 * (a name, or common, only if every part is: "Garcia-Lopez", not "Smith-Magenis"). */
static unsigned word_list(const char *key, size_t n) {
    unsigned v = lookup(key, n);
    if (v) return v;
    if (n > 2 && key[n - 2] == '\'' && key[n - 1] == 's') return lookup(key, n - 2);
    if (!memchr(key, '-', n)) return 0;
    unsigned names = LIST_FIRST | LIST_LAST, common = LIST_COMMON;
    for (size_t i = 0; i < n;) {
        const char *dash = memchr(key + i, '-', n - i);
        size_t j = dash ? (size_t)(dash - key) : n;
        unsigned p = lookup(key + i, j - i);
        if (!(p & (LIST_FIRST | LIST_LAST))) names = 0;
        if (!(p & LIST_COMMON)) common = 0;
        i = j + 1;
    }
    return names | common;
}

static openmed_status read_words(names_ctx *c, openmed_error *err) {
    const char *t = c->t;
    size_t n = c->n, cap = 0, len, line = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t ch = cp_at(t, n, i, &len);
        if (ch == '\n') line++;
        if (!is_letter(ch)) {
            i += len;
            continue;
        }
        size_t b = i, letters = 0, upper = 0, lower = 0, first_upper = 0;
        for (;;) {
            ch = cp_at(t, n, i, &len);
            if (is_letter(ch)) {
                utf8proc_category_t k = utf8proc_category(ch);
                if (letters == 0) first_upper = k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
                upper += k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
                lower += k == UTF8PROC_CATEGORY_LL;
                letters += k <= UTF8PROC_CATEGORY_LO;
                i += len;
                continue;
            }
            if ((is_apostrophe(ch) || ch == '-') && i + len < n) { /* joined only before a letter */
                size_t l2;
                if (is_letter(cp_at(t, n, i + len, &l2))) {
                    i += len;
                    continue;
                }
            }
            break;
        }
        if (c->nw == cap) {
            cap = cap ? cap * 2 : 256;
            word *w = realloc(c->w, cap * sizeof *w);
            char(*keys)[MAX_KEY] = realloc(c->keys, cap * sizeof *keys);
            unsigned char *kl = realloc(c->key_len, cap);
            if (w) c->w = w;
            if (keys) c->keys = keys;
            if (kl) c->key_len = kl;
            if (!w || !keys || !kl) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii names: out of memory");
        }
        word *w = &c->w[c->nw];
        memset(w, 0, sizeof *w);
        w->b = b;
        w->e = i;
        w->line = line;
        w->shape = letters > 0 && upper == 0 && lower == 0 ? SH_CASELESS
                   : letters == 1 ? SH_INITIAL
                   : upper == letters ? SH_UPPER
                   : lower == letters ? SH_LOWER
                   : first_upper ? SH_CAP
                                 : SH_OTHER;
        size_t dl;
        if ((b > 0 && is_digit_cp(t[b - 1])) || (i < n && is_digit_cp(cp_at(t, n, i, &dl)))) w->kind |= W_DIGIT;
        size_t before = b;
        while (before > 0 && strchr(" \t\"'(>*#|-", t[before - 1])) before--;
        if (before == 0 || strchr("\n.!?:", t[before - 1])) w->kind |= W_OPENS;
        char *key = c->keys[c->nw];
        size_t kn = lower_key(t, b, i, key);
        if (kn > 2 && key[kn - 2] == '\'' && key[kn - 1] == 's') { /* "Smith's": the name is "Smith" */
            w->poss = (unsigned char)(t[i - 2] == '\'' ? 2 : 4);
            key[kn -= 2] = 0;
        }
        c->key_len[c->nw] = (unsigned char)kn;
        if (kn) {
            w->list = (unsigned char)word_list(key, kn);
            if (in_set(function_words, key, kn)) w->kind |= W_FUNCTION;
            if (in_set(titles, key, kn)) w->kind |= W_TITLE;
            if (in_set(credentials, key, kn)) w->kind |= W_CRED;
            if (in_set(particles, key, kn)) w->kind |= W_PARTICLE;
            if (in_set(eponym_heads, key, kn)) w->kind |= W_EPONYM;
            if (in_set(calendar_words, key, kn)) w->kind |= W_CALENDAR;
        }
        c->nw++;
    }
    /* case means something in a text in mixed case (not one lower-cased or in capitals), on a
       line with lower case (not a header in capitals) */
    size_t caps = 0, lowers = 0;
    for (size_t k = 0; k < c->nw; k++) {
        caps += c->w[k].shape == SH_CAP;
        lowers += c->w[k].shape == SH_LOWER;
    }
    int cased = c->cased = caps * 20 >= c->nw && lowers * 4 >= c->nw; /* sentences start with capitals */
    for (size_t k = 0; k < c->nw;) {
        size_t end = k, has_lower = 0;
        while (end < c->nw && c->w[end].line == c->w[k].line) has_lower |= c->w[end++].shape == SH_LOWER;
        for (size_t j = k; j < end; j++) {
            word *w = &c->w[j];
            if (w->shape == SH_CAP || w->shape == SH_CASELESS || (w->shape == SH_UPPER && has_lower)) w->kind |= W_SIGNAL;
            if (cased && has_lower) w->kind |= W_CASED;
        }
        k = end;
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- what lies between words */

/* The bytes between word k - 1 and word k (k >= 1). */
static const char *gap(const names_ctx *c, size_t k, size_t *len) {
    *len = c->w[k].b - c->w[k - 1].e;
    return c->t + c->w[k - 1].e;
}

/* Can words k - 1 and k belong to one name? One or two spaces between them ("John Smith"), a period
 * after an initial or a title ("J. Smith"), or with `comma` a comma ("Smith, John"). */
static int joins(const names_ctx *c, size_t k, int comma) {
    if (k == 0 || k >= c->nw || c->w[k].line != c->w[k - 1].line) return 0;
    size_t n;
    const char *g = gap(c, k, &n);
    size_t i = 0;
    if (i < n && g[i] == '.' && (c->w[k - 1].shape == SH_INITIAL || (c->w[k - 1].kind & W_TITLE))) i++;
    else if (comma && i < n && g[i] == ',') i++;
    size_t spaces = 0;
    while (i < n && g[i] == ' ') i++, spaces++;
    return i == n && spaces >= 1 && spaces <= (n == spaces ? 1 : 2);
}

/* Is word k the first of its line, with only spaces, bullets or a table's '|' before it? */
static int line_start(const names_ctx *c, size_t k) {
    size_t i = c->w[k].b;
    while (i > 0) {
        char ch = c->t[i - 1];
        if (ch == '\n') return 1;
        if (!strchr(" \t|*-#>", ch) && (unsigned char)ch < 0x80) return 0;
        if ((unsigned char)ch >= 0x80) { /* a bullet "•" (E2 80 A2) */
            if (i >= 3 && !memcmp(c->t + i - 3, "\xE2\x80\xA2", 3)) {
                i -= 3;
                continue;
            }
            return 0;
        }
        i--;
    }
    return 1;
}

/* Does the phrase (words joined by one space) end at word `last` (so it starts at last - words + 1)? */
static size_t phrase_at(const names_ctx *c, size_t last, const char *const *set) {
    size_t best = 0;
    for (const char *const *p = set; *p; p++) {
        size_t words = 1;
        for (const char *q = *p; *q; q++) words += *q == ' ';
        if (words > last + 1) continue;
        size_t first = last + 1 - words, at = 0, ok = 1;
        for (size_t k = first; k <= last && ok; k++) {
            if (k > first && (c->w[k].line != c->w[k - 1].line || c->w[k].b - c->w[k - 1].e != 1)) ok = 0;
            size_t kl = c->key_len[k];
            if (!kl || strncmp(*p + at, c->keys[k], kl) != 0) ok = 0;
            at += kl;
            if (ok && k < last) ok = (*p)[at++] == ' ';
        }
        if (ok && (*p)[at] == 0 && words > best) best = words;
    }
    return best;
}

/* ---------------------------------------------------------------- which words may be names */

/* What a context says of the words after (or before) it:
 *   CTX_WEAK    "patient X", "his wife, X", "X is a 45-year-old": a name if not a common word, or a
 *               listed name written as one;
 *   CTX_SIGNED  "signed by X": as CTX_WEAK, and common words written as names;
 *   CTX_STRONG  a title, a credential, a form label: the first word is a name whatever it is (not a
 *               function word); the next ones as for CTX_WEAK, or common words written as names;
 *   CTX_FIELD   the value of a name field ("Patient Name: will brown"): every word to the field's end. */
enum { CTX_WEAK, CTX_SIGNED, CTX_STRONG, CTX_FIELD };

static int never_name(const word *w) {
    return (w->kind & (W_FUNCTION | W_TITLE | W_DIGIT | W_CRED)) || w->shape == SH_OTHER;
}

static int is_common(const word *w) { return (w->list & LIST_COMMON) || (w->kind & W_CALENDAR); }

/* A listed name that is not a common word: a name wherever it stands (length 3 or more), but in
 * mixed-case text only written as a name and not as an acronym ("GERD"), in a script without case
 * only of two characters or more; one that is a rarer
 * English word ("amine", "lobar") only capitalised inside a sentence of mixed-case text. */
static int sure_name(const word *w) {
    if (w->shape == SH_CASELESS) /* two characters or more: one Chinese character is also a word */
        return (w->list & (LIST_FIRST | LIST_LAST)) && !is_common(w) && !never_name(w) && w->e - w->b >= 4;
    if (!(w->list & (LIST_FIRST | LIST_LAST)) || is_common(w) || never_name(w) || w->e - w->b < 3 ||
        w->shape == SH_INITIAL)
        return 0;
    if (w->list & LIST_KNOWN) return (w->kind & W_CASED) && w->shape == SH_CAP && !(w->kind & W_OPENS);
    if (!(w->kind & W_CASED)) return 1;
    return w->shape == SH_CAP || (w->shape == SH_UPPER && w->e - w->b > 4);
}

/* May word w, the pos-th of a name, be a name after a context of this strength? */
static int may_be_name(const word *w, size_t pos, int strength) {
    if (never_name(w)) return 0;
    if (w->shape == SH_INITIAL) return strength != CTX_WEAK || (pos > 0 && (w->kind & W_SIGNAL));
    if (strength == CTX_FIELD || (strength == CTX_STRONG && pos == 0)) return 1;
    if (sure_name(w)) return 1;
    /* in mixed-case text a name is written as one */
    if (!is_common(w)) {
        if (w->kind & W_SIGNAL) return 1;
        if (w->kind & W_CASED) return 0;   /* lower case in mixed-case text */
        return !(w->list & LIST_KNOWN);    /* caseless text: not a rarer English word */
    }
    /* a common word: a name only when written as one, and in capitals only when a listed name */
    if (!(w->kind & W_SIGNAL)) return 0;
    int listed = (w->list & (LIST_FIRST | LIST_LAST)) != 0;
    if (w->shape == SH_UPPER && !listed) return 0;
    return strength != CTX_WEAK || listed;
}

static int key_is(const names_ctx *c, size_t k, const char *s) {
    size_t n = strlen(s);
    return c->key_len[k] == n && !memcmp(c->keys[k], s, n);
}

/* Do words a and b (a < b) lie in one phrase: on one line, with no punctuation but an apostrophe or
 * hyphen between them ("Crohn disease", not "Sebastjan Likar\nScale Unlimited")? */
static int one_phrase(const names_ctx *c, size_t a, size_t b) {
    if (c->w[a].line != c->w[b].line) return 0;
    for (size_t i = c->w[a].e; i < c->w[b].b; i++)
        if (strchr(".,;:!?()[]|\t", c->t[i])) return 0;
    return 1;
}

/* Is word k an eponym: an eponym's head noun follows in its phrase, maybe after "and X" ("Apley and
 * McMurray tests")? */
static int eponym(const names_ctx *c, size_t k) {
    if (k + 1 >= c->nw) return 0;
    if ((c->w[k + 1].kind & W_EPONYM) && one_phrase(c, k, k + 1)) return 1;
    return (key_is(c, k + 1, "and") || key_is(c, k + 1, "or")) && k + 3 < c->nw && (c->w[k + 3].kind & W_EPONYM) &&
           one_phrase(c, k, k + 3);
}

/* Is word k an initial in capitals ("J", "J." of "J. Smith")? */
static int upper_initial(const names_ctx *c, size_t k) {
    if (c->w[k].shape != SH_INITIAL) return 0;
    size_t len;
    utf8proc_category_t cat = utf8proc_category(cp_at(c->t, c->n, c->w[k].b, &len));
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}

/* Does a dose follow word k ("ultram 50 mg", "Lasix 20mg")? A drug, not a name. */
static int dose_follows(const names_ctx *c, size_t k) {
    static const char *const units[] = {"mg", "mcg", "g", "ml", "units", "unit", "iu", "meq", "mmol", "tablet",
                                        "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "puffs", NULL};
    size_t i = c->w[k].e;
    while (i < c->n && c->t[i] == ' ') i++;
    size_t d = i;
    while (i < c->n && (is_digit_cp(c->t[i]) || ((c->t[i] == '.' || c->t[i] == ',') && i > d))) i++;
    if (i == d) return 0;
    while (i < c->n && c->t[i] == ' ') i++;
    size_t u = i;
    while (i < c->n && (unsigned char)c->t[i] < 0x80 && isalpha((unsigned char)c->t[i])) i++;
    return in_set_nocase(units, c->t + u, i - u) && !(i < c->n && isalnum((unsigned char)c->t[i]));
}

/* In text without case (a lower-case or all-capitals note), are words a and a + 1 a listed first
 * name and a listed family name, though common words ("dr. richard miller", "john cordova, np",
 * "RICKY WELLS")? Called beside a name context only; "dr. smith will" is not one. */
static int first_and_last(const names_ctx *c, size_t a, size_t b) {
    static const char *const verbs[] = {"will", "may", "can", "might", "shall", "must", "could", "would", "should",
                                        "did", "does", "said", "says", "saw", "sees", "seen", "felt", "feels", NULL};
    const word *f = &c->w[a], *l = &c->w[b];
    return !(f->kind & W_CASED) && !(l->kind & W_CASED) && (f->list & LIST_FIRST) && (l->list & LIST_LAST) &&
           !never_name(f) && !never_name(l) && !(f->kind & W_CALENDAR) && !(l->kind & W_CALENDAR) &&
           f->shape != SH_INITIAL && l->shape != SH_INITIAL && !in_set(verbs, c->keys[b], c->key_len[b]) &&
           !in_set(verbs, c->keys[a], c->key_len[a]) && !eponym(c, b);
}

/* Take the name that starts at word k: up to MAX_NAME words that may be names, joined as a name is
 * (titles, initials and particles inside it pass); `comma` lets one comma in ("Smith, John").
 * Returns the number of words marked. */
static size_t take_forward(names_ctx *c, size_t k, int strength, int comma) {
    size_t taken = 0, marked = 0;
    while (k < c->nw && (c->w[k].kind & W_TITLE)) { /* "Name: Dr. Jane Doe" */
        if (k + 1 >= c->nw || !joins(c, k + 1, 0)) return 0;
        k++;
    }
    for (size_t j = k; j < c->nw && taken < MAX_NAME; j++) {
        word *w = &c->w[j];
        if (j > k && !joins(c, j, comma)) break;
        if (j > k && c->t[c->w[j - 1].e] == ',') {
            if (w->kind & W_CRED) break; /* "Smith, MD" */
            comma = 0;                   /* one comma at most */
        }
        if ((w->kind & W_PARTICLE) && w->shape != SH_CAP && j > k && j + 1 < c->nw && joins(c, j + 1, 0) &&
            may_be_name(&c->w[j + 1], taken, strength)) {
            w->kind |= W_NAME; /* "van" of "Ludwig van Beethoven" */
            continue;
        }
        if ((w->kind & W_PARTICLE) && w->shape == SH_LOWER && j > k && j + 1 < c->nw && joins(c, j + 1, 0) &&
            c->w[j + 1].shape == SH_CAP && (c->w[j + 1].kind & W_CASED) && !never_name(&c->w[j + 1]) &&
            !eponym(c, j + 1)) {
            w->kind |= W_NAME; /* a family name that is an English word: "Willemine ten Pas" */
            c->w[++j].kind |= W_NAME;
            marked += 2;
            taken++;
            continue;
        }
        if ((w->kind & W_CALENDAR) && j + 1 < c->nw && is_digit_cp(c->t[w->e + (c->t[w->e] == ' ')])) break;
        if (w->shape == SH_INITIAL && taken > 0 && (upper_initial(c, j) || !(w->kind & W_CASED)) &&
            j + 1 < c->nw && joins(c, j + 1, 0) && may_be_name(&c->w[j + 1], taken, strength)) {
            w->kind |= W_NAME; /* a middle initial: "patient ilze k. ozolina" */
            marked++;
            continue;
        }
        if ((!may_be_name(w, taken, strength) && !(taken > 0 && first_and_last(c, j - 1, j))) || dose_follows(c, j))
            break;
        w->kind |= W_NAME;
        marked++;
        if (w->shape != SH_INITIAL) taken++;
    }
    return marked;
}

/* Take the name that ends at word k, going back (signatures "John Smith, MD", "X is a 45-year-old"). */
static size_t take_backward(names_ctx *c, size_t k, int strength) {
    size_t taken = 0, marked = 0;
    for (size_t j = k + 1; j-- > 0 && taken < 3;) {
        word *w = &c->w[j];
        if (j < k && !joins(c, j + 1, 0)) break;
        if (!may_be_name(w, taken, strength) && !(j < k && first_and_last(c, j, j + 1))) break;
        w->kind |= W_NAME;
        marked++;
        if (w->shape != SH_INITIAL) taken++;
    }
    return marked;
}

/* ---------------------------------------------------------------- the rules */

/* Does `word` look like "NN-year-old", "NN year old", "NN yo" starting right after word k? */
static int age_follows(const names_ctx *c, size_t k) {
    size_t i = c->w[k].e;
    while (i < c->n && c->t[i] == ' ') i++;
    if (i >= c->n || !is_digit_cp(c->t[i])) return 0;
    for (size_t j = k + 1; j < c->nw && j <= k + 2; j++) {
        size_t kl = c->key_len[j];
        if ((kl == 4 && !memcmp(c->keys[j], "year", 4)) || (kl == 2 && !memcmp(c->keys[j], "yo", 2)) ||
            (kl == 8 && !memcmp(c->keys[j], "year-old", 8)) || (kl == 5 && !memcmp(c->keys[j], "month", 5)))
            return 1;
    }
    return 0;
}

/* Labels whose value is a name and nothing else: their field is taken whole (CTX_FIELD). */
static const char *const name_fields[] = {
    "name", "patient", "patient name", "pt", "pt name", "re", "full name", "client name", "member name",
    "legal name", "contact name", "signed by", "electronically signed by", "emergency contact",
    "next of kin", "nok", "spouse", "guardian", "parent", "caregiver", "interpreter", "attending",
    "attending physician", "referring physician", "referring provider", "pcp", "primary care physician",
    "dictated by", "transcribed by", "reviewed by", "mother name", "father name", NULL};

/* Verbs of people: the capitalised word before them is a name when it is no English word, or a
 * listed name ("Dexter lives on ..."). */
static const char *const person_verbs[] = {
    "lives", "lived", "said", "says", "shouted", "told", "asked", "replied", "answered", "spent", "works",
    "worked", "wrote", "married", "was born", "had given", "has given", "gave", "reports", "reported", "denies",
    "denied", "complains", "presents", "presented", "returns", "returned", "will be talking", "speaks", "spoke",
    /* what is said of a person: "X is very reliable", "X was my neighbour" */
    "is very", "was very", "is so", "was so", "is always", "was always", "is really", "was really", "is never",
    "was never", "is quite", "is my", "was my", "is your", "was your", "is our", "was our", NULL};

/* Does one of the phrases of set start at word k? */
static int phrase_starts(const names_ctx *c, size_t k, const char *const *set) {
    for (const char *const *p = set; *p; p++) {
        size_t words = 1;
        for (const char *q = *p; *q; q++) words += *q == ' ';
        const char *one[] = {*p, NULL};
        if (k + words - 1 < c->nw && phrase_at(c, k + words - 1, one) == words) return 1;
    }
    return 0;
}

/* Does one of the phrases of set start at word k + 1, on k's line, after one space? */
static int phrase_after(const names_ctx *c, size_t k, const char *const *set) {
    if (k + 1 >= c->nw || c->w[k + 1].line != c->w[k].line || c->w[k + 1].b - c->w[k].e != 1) return 0;
    return phrase_starts(c, k + 1, set);
}

/* Is word k a word no English list holds, no place, written as a name in mixed-case text? */
static int unknown_capitalised(const names_ctx *c, size_t k) {
    const word *w = &c->w[k];
    return w->shape == SH_CAP && !is_common(w) &&
           !(w->list & (LIST_KNOWN | LIST_PLACE)) && !never_name(w) && !(w->kind & W_PARTICLE) && !eponym(c, k);
}

/* Speakers of a dialogue: "Nicole: Remember ...", "Ubul: What a wife." at a line's start. When one
 * speaker is a name (found or listed), or two that are no English word each start a sentence, the
 * speakers written as names and no English word are names. */
static int speaker_at(const names_ctx *c, size_t k) {
    if (!line_start(c, k) || c->t[c->w[k].e] != ':' || k + 1 >= c->nw || c->w[k + 1].line != c->w[k].line ||
        c->w[k].poss)
        return 0;
    size_t i = c->w[k].e + 1;
    return i < c->n && c->t[i] == ' ' && c->w[k + 1].b == i + 1 && phrase_at(c, k, strong_labels) == 0;
}

static void speakers(names_ctx *c) {
    int named = 0;
    for (size_t k = 0; k < c->nw && !named; k++)
        named = speaker_at(c, k) && ((c->w[k].kind & W_NAME) || sure_name(&c->w[k]));
    if (!named) { /* two speakers that are no English word, each saying a sentence ("Dzenis: What a ...") */
        size_t first = c->nw;
        for (size_t k = 0; k < c->nw && !named; k++) {
            size_t l;
            utf8proc_category_t cat;
            if (!speaker_at(c, k) || !unknown_capitalised(c, k)) continue;
            cat = utf8proc_category(cp_at(c->t, c->n, c->w[k + 1].b, &l));
            if (cat != UTF8PROC_CATEGORY_LU) continue;
            if (first == c->nw) first = k;
            else named = strcmp(c->keys[first], c->keys[k]) != 0;
        }
    }
    if (!named) return;
    for (size_t k = 0; k < c->nw; k++) {
        const word *w = &c->w[k];
        /* a speaker written as a name that is no English word, a place's name too ("Kalan") */
        int place_name = w->shape == SH_CAP && (w->list & LIST_PLACE) && !is_common(w) && !(w->list & LIST_KNOWN) &&
                         !never_name(w);
        /* a listed name though an English word ("Moss: What a wife.") */
        place_name |= w->shape == SH_CAP && (w->list & (LIST_FIRST | LIST_LAST)) && !never_name(w) &&
                      !(w->kind & W_CALENDAR);
        if (speaker_at(c, k) && (sure_name(w) || unknown_capitalised(c, k) || place_name)) c->w[k].kind |= W_NAME;
    }
}

/* Is word k written as a name and no English word: unknown, or a listed name that is no common word? */
static int name_like(const names_ctx *c, size_t k) {
    const word *w = &c->w[k];
    return unknown_capitalised(c, k) ||
           (w->shape == SH_CAP && (w->list & (LIST_FIRST | LIST_LAST)) && !is_common(w) && !never_name(w) && !eponym(c, k));
}

/* May word k of a list whose other items are names be one: no English word, written as a name
 * unless the text has no case (a place's name too: "Slamet")? */
static int list_item_name(const names_ctx *c, size_t k) {
    const word *w = &c->w[k];
    if (never_name(w) || eponym(c, k) || (w->kind & (W_PARTICLE | W_CALENDAR)) || w->shape == SH_INITIAL) return 0;
    return (w->shape == SH_CAP || !c->cased) && !is_common(w) && !(w->list & LIST_KNOWN); /* places too */
}

/* Names beside names, each of them no English word:
 *   - "Torpy and Salinas": a word joined by "and" to a name; "said Kocjancic to Jozef", "Damanik
 *     shouted at Priede": a word after a name and "to" or "at";
 *   - "Vorobjov Polis", "Bite R. Käärik": two or three such words in a row (an initial between), not
 *     all listed (the gazetteer has those);
 *   - "They had 6: Poljakov, Jüri, Dufie and Tajus": the items of a list of single words, half of
 *     which or more are names. */
static void names_beside_names(names_ctx *c) {
    for (size_t k = 0; k + 2 < c->nw; k++) {
        int and = key_is(c, k + 1, "and"), to = key_is(c, k + 1, "to") || key_is(c, k + 1, "at");
        if ((!and && !to) || c->w[k].line != c->w[k + 2].line || c->w[k + 1].b - c->w[k].e != 1 ||
            c->w[k + 2].b - c->w[k + 1].e != 1)
            continue;
        if (and && (c->w[k + 2].kind & W_NAME) && unknown_capitalised(c, k)) c->w[k].kind |= W_NAME;
        /* "Torpy and Salinas"; "said Kocjancic to Jozef", "Damanik shouted at Priede" */
        if ((c->w[k].kind & W_NAME) && unknown_capitalised(c, k + 2))
            c->w[k + 2].kind |= W_NAME;
    }
    for (size_t k = 0; k < c->nw; k++) {
        if (!name_like(c, k) || (k > 0 && joins(c, k, 0) && name_like(c, k - 1))) continue;
        size_t j = k + 1, words = 1, listed = sure_name(&c->w[k]);
        while (j < c->nw && words < 3 && joins(c, j, 0)) {
            if (name_like(c, j)) {
                words++;
                listed += sure_name(&c->w[j]);
            } else if (!(upper_initial(c, j) && j + 1 < c->nw && joins(c, j + 1, 0) && name_like(c, j + 1))) {
                break;
            }
            j++;
        }
        if (words >= 2 && listed < words)
            for (size_t i = k; i < j; i++) c->w[i].kind |= W_NAME;
    }
    /* lists: items of one word, between ", " or " and " / " or " */
    for (size_t k = 0; k < c->nw;) {
        size_t items[64], n = 0, j = k;
        items[n++] = j;
        while (n < 64 && j + 1 < c->nw && c->w[j + 1].line == c->w[j].line) {
            size_t g;
            const char *gp = gap(c, j + 1, &g);
            if (g == 2 && gp[0] == ',' && gp[1] == ' ') {
                j++;
            } else if (g == 1 && gp[0] == ' ' && (key_is(c, j + 1, "and") || key_is(c, j + 1, "or")) && j + 2 < c->nw &&
                       c->w[j + 2].line == c->w[j].line && c->w[j + 2].b - c->w[j + 1].e == 1) {
                j += 2;
            } else {
                break;
            }
            /* the item must end there: a single word */
            if (j + 1 < c->nw && joins(c, j + 1, 0) && !key_is(c, j + 1, "and") && !key_is(c, j + 1, "or")) break;
            items[n++] = j;
        }
        if (n >= 3) {
            size_t names = 0;
            for (size_t i = 0; i < n; i++) /* names, or what an earlier detector found (the model's "LOCATION") */
                names += (c->w[items[i]].kind & (W_NAME | W_FOUND)) || sure_name(&c->w[items[i]]);
            if (names * 2 >= n)
                for (size_t i = 0; i < n; i++)
                    if (list_item_name(c, items[i])) c->w[items[i]].kind |= W_NAME;
        }
        k = j + 1;
    }
}

/* Nouns before which "the X" names a family ("the Dratchev novel", "the Kaur family"). */
static const char *const family_heads[] = {"family", "families", "household", "residence", "home", "house",
                                           "estate", "novel", "novels", "book", "books", "film", "films", "movie",
                                           "movies", "album", "twins", "kids", "children", "brothers", "sisters",
                                           "concert", "concerts", "show", "song", "songs", "tour", "fans",
                                           "biography", "interview", "lecture", "wedding", "funeral", NULL};
/* Nouns a person's possessive stands before ("Cīrulis's address", "Tamm's wife"). */
static const char *const possessed[] = {
    "address", "phone", "number", "email", "e-mail", "wife", "husband", "mother", "father", "mom", "dad", "son",
    "daughter", "brother", "sister", "parents", "children", "kids", "family", "house", "home", "car", "birthday",
    "office", "partner", "boyfriend", "girlfriend", "friend", "friends", "room", "account", "name", NULL};
/* What is said to a person named before a comma: "Warrane, can I ...", "X, please ...". */
static const char *const addressed[] = {"can i", "can you", "can we", "could i", "could you", "could we",
                                        "would you", "will you", "do you", "did you", "are you", "have you",
                                        "may i", "please", "thank you", "thanks", "let me", "let's", "how are",
                                        "what do", "where are", "when will", "why did", NULL};

/* Does word k end as the adjectives of peoples and periods do ("Italian", "Chilean", "Japanese",
 * "Turkish", "Gothic", "Western"), which the word lists leave out? */
static int proper_adjective(const names_ctx *c, size_t k) {
    static const char *const endings[] = {"ian", "ean", "ese", "ish", "ic", "ern", NULL};
    size_t n = c->key_len[k];
    for (const char *const *e = endings; *e; e++) {
        size_t m = strlen(*e);
        if (n > m + 2 && !memcmp(c->keys[k] + n - m, *e, m)) return 1;
    }
    return 0;
}

/* Is word k, of the words of a line of its own, a name's word there: a listed name that is no common
 * word, or a word no list holds (no English word, no place)? */
static int block_line_word(const names_ctx *c, size_t k) {
    const word *w = &c->w[k];
    if (never_name(w) || (w->kind & (W_PARTICLE | W_CALENDAR)) || w->shape == SH_INITIAL || c->key_len[k] < 2 ||
        !(w->shape == SH_LOWER || w->shape == SH_CAP || w->shape == SH_UPPER))
        return 0;
    if (w->list & (LIST_FIRST | LIST_LAST)) return !is_common(w) && !(w->list & LIST_PLACE);
    return w->list == 0;
}

/* Does the block that word k opens (at byte `from` once blanks before it are skipped) lie under a
 * section's heading ("CURRENT MEDICATIONS:\n\nMiraLax", "PLAN\n\n...")? */
static int under_heading(const names_ctx *c, size_t k, size_t from) {
    if (k == 0) return 0;
    size_t p = from;
    while (p > 0 && strchr(" \t\r\n>", c->t[p - 1])) p--;
    if (p > 0 && c->t[p - 1] == ':') return 1;
    size_t line = c->w[k - 1].line, lower = 0;
    for (size_t m = k; m-- > 0 && c->w[m].line == line;) lower += c->w[m].shape == SH_LOWER;
    return lower == 0;
}

/* Is the line of word m, at most one blank line below word k's, a title in words with lower case and
 * no digit ("Local transit bus driver")? */
static int title_below(const names_ctx *c, size_t k, size_t m) {
    if (m >= c->nw || c->w[m].line - c->w[k].line > 2) return 0;
    size_t line = c->w[m].line, words = 0, lower = 0;
    for (; m < c->nw && c->w[m].line == line; m++) {
        if (c->w[m].kind & W_DIGIT) return 0;
        words++;
        lower += c->w[m].shape == SH_LOWER;
    }
    return words >= 2 && lower > 0;
}

/* A block's first line that is one word, k, starting at byte `from`: a name when no list holds the
 * word and it is capitalised in a text in mixed case, under no heading, above a title
 * ("Karataev\n\nLocal transit bus driver"). */
static int lone_name_line(const names_ctx *c, size_t k, size_t from) {
    const word *w = &c->w[k];
    if (!c->cased || w->shape != SH_CAP || w->list || !block_line_word(c, k) || c->key_len[k] < 3 ||
        proper_adjective(c, k))
        return 0;
    return !under_heading(c, k, from) && title_below(c, k, k + 1);
}

/* A block's first line that is a listed first name and a listed family name, capitalised, though
 * English words ("Autumn Brunet", "Justice Good"), under no heading, above a title or a line that
 * starts with a house number ("Newton Chambers\n\n233 Erzsébet tér 19."). */
static int listed_name_line(const names_ctx *c, size_t k, size_t from) {
    const word *f = &c->w[k], *l = &c->w[k + 1];
    if (!c->cased || f->shape != SH_CAP || l->shape != SH_CAP || !(f->list & LIST_FIRST) || !(l->list & LIST_LAST) ||
        never_name(f) || never_name(l) || ((f->kind | l->kind) & (W_CALENDAR | W_PARTICLE)) || eponym(c, k + 1) ||
        !joins(c, k + 1, 0) || under_heading(c, k, from) || k + 2 >= c->nw || c->w[k + 2].line - f->line > 2)
        return 0;
    size_t b = c->w[k + 2].b, a = b;
    while (a > 0 && c->t[a - 1] != '\n') a--;
    while (a < b && strchr(" \t>", c->t[a])) a++;
    return title_below(c, k, k + 2) || (a < c->n && is_digit_cp(c->t[a]));
}

/* The first line of a block (the text's first line, or one after a blank line, quoted or not) that is
 * two or three words of a name and nothing else, followed by more lines: a letter's or a card's name
 * line, whatever its case ("andrejka babič\nstillwater supercomputing inc"); one word when no list
 * holds it (lone_name_line); a listed first and family name though English words (listed_name_line). */
static void block_name_line(names_ctx *c, size_t k) {
    size_t i = c->w[k].b, nl = 0;
    while (i > 0 && strchr(" \t\r\n>", c->t[i - 1])) nl += c->t[--i] == '\n';
    if (i > 0 && nl < 2) return; /* not a block's first line */
    size_t j = k;
    while (j < c->nw && c->w[j].line == c->w[k].line) j++;
    if (j - k == 1 && !lone_name_line(c, k, i)) {
        return;
    } else if (j - k > 4) {
        return;
    } else if (j - k == 2 && listed_name_line(c, k, i)) {
        c->w[k].kind |= W_NAME;
        c->w[k + 1].kind |= W_NAME;
        return;
    }
    size_t initials = 0;
    for (size_t m = k; m < j; m++) {
        int middle = m > k && m + 1 < j && c->w[m].shape == SH_INITIAL; /* "leidy t muris" */
        initials += middle;
        if ((!middle && !block_line_word(c, m)) || (m > k && !joins(c, m, 0))) return;
    }
    if (j - k - initials > 3 || initials > 1) return;
    size_t e = c->w[j - 1].e;
    while (e < c->n && (c->t[e] == ' ' || c->t[e] == '\t' || c->t[e] == '\r')) e++;
    if (e >= c->n || c->t[e] != '\n' || j >= c->nw) return; /* more lines follow */
    for (size_t m = k; m < j; m++) c->w[m].kind |= W_NAME;
}

/* Verbs of giving whose indirect object is a person ("had given Usamah his address"). */
static const char *const giving[] = {"given", "gave", "give", "gives", "sent", "handed", "showed", "shown",
                                     "offered", "owes", "owed", "paid", NULL};
static const char *const possessive_pronouns[] = {"his", "her", "their", "my", "our", "your", NULL};
/* Roles a person is named to ("add Dratchev as guardian", "listed Kaur as emergency contact"). */
static const char *const named_as[] = {"as guardian", "as beneficiary", "as executor", "as contact",
                                       "as emergency contact", "as caregiver", "as proxy", "as health care proxy",
                                       "as healthcare proxy", "as trustee", "as witness", "as next of kin",
                                       "as power of attorney", "as dependent", "as dependant", "as a beneficiary",
                                       "as a guardian", "as an executor", "as a contact", "as an emergency contact",
                                       "as a caregiver", "as a proxy", "as a trustee", "as a witness",
                                       "as a dependent", "as the beneficiary", "as the guardian", "as the executor",
                                       "as my beneficiary", "as my emergency contact", NULL};
/* Heads after which "the X" is a family even when X is an English word ("the Brown family"). */
static const char *const family_only[] = {"family", "families", "household", "twins", "novel", "novels", NULL};

/* Is word k a person spoken to at a sentence's start ("Warrane, can I ...")? */
static int vocative(const names_ctx *c, size_t k) {
    size_t after = c->w[k].e;
    return (c->w[k].kind & W_OPENS) && after + 1 < c->n && c->t[after] == ',' && c->t[after + 1] == ' ' &&
           k + 1 < c->nw && c->w[k + 1].b == after + 2 && phrase_starts(c, k + 1, addressed);
}

/* Is word k a person spoken to at a question's or exclamation's end ("Remember me, Toomas?")? */
static int spoken_to_last(const names_ctx *c, size_t k) {
    size_t after = c->w[k].e, b = c->w[k].b;
    return k > 0 && after < c->n && (c->t[after] == '?' || c->t[after] == '!') && b >= 2 && c->t[b - 2] == ',' &&
           c->t[b - 1] == ' ' && c->w[k - 1].e == b - 2;
}

/* Names known by the words around them alone: "the X novel", "X's address", "X, can I ...",
 * "Remember me, X?", "gave X his ...", a block's name line. X is no English word and no place
 * (unknown_capitalised), except in the block line. */
static void cued_names(names_ctx *c) {
    for (size_t k = 0; k < c->nw; k++) {
        word *w = &c->w[k];
        if (line_start(c, k) && c->w[k].line != (k ? c->w[k - 1].line : (size_t)-1)) block_name_line(c, k);
        if ((w->kind & W_CASED) && w->shape == SH_CAP && !(w->kind & W_CALENDAR) && !never_name(w) && !eponym(c, k)) {
            /* a name in capitals, though an English word, in a role ("add Theta Stiller as a beneficiary") */
            if (phrase_after(c, k, named_as)) take_backward(c, k, CTX_SIGNED);
            /* a listed name though an English word: "Key, can I ...", "Remember me, Lance?", "the Arena
               novel", "the Brown family" */
            if (w->list & (LIST_FIRST | LIST_LAST)) {
                if (vocative(c, k) || spoken_to_last(c, k)) w->kind |= W_NAME;
                if (k > 0 && k + 1 < c->nw && key_is(c, k - 1, "the") && joins(c, k, 0) && joins(c, k + 1, 0) &&
                    !(w->kind & W_OPENS) && in_set(family_only, c->keys[k + 1], c->key_len[k + 1]))
                    w->kind |= W_NAME;
            }
        }
        if (!(w->kind & W_CASED) || !unknown_capitalised(c, k)) continue;
        if (k > 0 && k + 1 < c->nw && (key_is(c, k - 1, "the") || key_is(c, k - 1, "a")) && joins(c, k, 0) &&
            joins(c, k + 1, 0) &&
            in_set(family_heads, c->keys[k + 1], c->key_len[k + 1]) && !proper_adjective(c, k))
            w->kind |= W_NAME;
        if (w->poss && k + 1 < c->nw && joins(c, k + 1, 0) && in_set(possessed, c->keys[k + 1], c->key_len[k + 1]))
            w->kind |= W_NAME;
        if (vocative(c, k)) w->kind |= W_NAME;
        if (spoken_to_last(c, k)) w->kind |= W_NAME;
        if (k > 0 && key_is(c, k - 1, "i'm") && joins(c, k, 0) && !proper_adjective(c, k))
            w->kind |= W_NAME; /* "I'm Gerth, originally from ..." (not "I'm Hispanic") */
        if (phrase_after(c, k, named_as)) w->kind |= W_NAME;
    }
    /* a text without case: two words no list holds after "with", "by", "met", ... ("follow up with
       liepa sakalauskas"), no disease or drug term ("with lisinopril hctz") */
    for (size_t k = 1; !c->cased && k + 1 < c->nw; k++) {
        static const char *const before[] = {"with", "by", "heard", "met", "meet", "called", "named", "thank",
                                             "dear", "hi", "hello", "visit", "visited", "says", "said", NULL};
        const word *a = &c->w[k], *b = &c->w[k + 1];
        if (a->shape == SH_LOWER && b->shape == SH_LOWER && !a->list && !b->list && c->key_len[k] >= 3 &&
            c->key_len[k + 1] >= 3 && !never_name(a) && !never_name(b) && !(a->kind & W_PARTICLE) && joins(c, k, 0) &&
            joins(c, k + 1, 0) && in_set(before, c->keys[k - 1], c->key_len[k - 1]) &&
            !(k + 2 < c->nw && joins(c, k + 2, 0) && !c->w[k + 2].list) &&
            !om_clinical_is_term(c->keys[k], c->key_len[k]) &&
            !om_clinical_is_term(c->keys[k + 1], c->key_len[k + 1])) {
            c->w[k].kind |= W_NAME;
            c->w[k + 1].kind |= W_NAME;
        }
    }
    /* "had given Usamah his address", "had given Key his address": after a verb of giving, before a
       possessive, a word written as a name inside a sentence, no English word or a listed name */
    for (size_t k = 1; k + 1 < c->nw; k++) {
        word *w = &c->w[k];
        if ((w->kind & W_CASED) && w->shape == SH_CAP && !(w->kind & W_OPENS) && !never_name(w) && !eponym(c, k) &&
            (unknown_capitalised(c, k) || (w->list & (LIST_FIRST | LIST_LAST))) &&
            joins(c, k, 0) && joins(c, k + 1, 0) && in_set(giving, c->keys[k - 1], c->key_len[k - 1]) &&
            in_set(possessive_pronouns, c->keys[k + 1], c->key_len[k + 1]))
            w->kind |= W_NAME;
    }
}

static void context_rules(names_ctx *c) {
    for (size_t k = 0; k < c->nw; k++) {
        word *w = &c->w[k];
        /* titles: "Dr. Smith", "MRS. JONES", "dr smith"; without a period, "doctor", "miss" and a
           title in capitals in mixed-case text ("MS flare") only before a word that may be a name */
        if ((w->kind & W_TITLE) && k + 1 < c->nw && joins(c, k + 1, 0)) {
            int dotted = c->t[w->e] == '.';
            int plain = w->e - w->b <= 3 && !(w->shape == SH_UPPER && (w->kind & W_CASED));
            take_forward(c, k + 1, dotted || plain ? CTX_STRONG : CTX_WEAK, 0);
        }
        /* form fields and table cells: "Patient Name: X", "| Patient | X |", "Patient\tX", "RE: X" */
        size_t label = phrase_at(c, k, strong_labels);
        if (label && line_start(c, k + 1 - label) && k + 1 < c->nw && c->w[k + 1].line == w->line) {
            size_t i = w->e, end = c->w[k + 1].b;
            int sep = 0, bar = 0;
            for (; i < end; i++) {
                char ch = c->t[i];
                if (ch == ':' || ch == '\t' || ch == '#') sep = 1;
                else if (ch == '|') bar++, sep = 1;
                else if (ch != ' ') break;
            }
            int field = phrase_at(c, k, name_fields) == label;
            if (i == end && sep && bar <= 1) take_forward(c, k + 1, field ? CTX_FIELD : CTX_STRONG, 1);
        }
        /* phrases before a name on the same line: "signed by X", "patient X", "his wife, X" */
        int signed_phrase = phrase_at(c, k, signed_by) != 0;
        if ((signed_phrase || phrase_at(c, k, name_before)) && k + 1 < c->nw && c->w[k + 1].line == w->line) {
            size_t i = w->e, end = c->w[k + 1].b;
            while (i < end && (c->t[i] == ' ' || c->t[i] == ',' || c->t[i] == ':')) i++;
            if (i == end && end - w->e <= 3) take_forward(c, k + 1, signed_phrase ? CTX_SIGNED : CTX_WEAK, 0);
        }
        /* a question and its answer: "What's your name? X", "Last name? X" */
        if (key_is(c, k, "name") && k + 1 < c->nw && c->w[k + 1].line == w->line && c->t[w->e] == '?') {
            size_t i = w->e + 1;
            while (i < c->w[k + 1].b && c->t[i] == ' ') i++;
            if (i == c->w[k + 1].b && i - w->e <= 3) take_forward(c, k + 1, CTX_WEAK, 0);
        }
        /* a middle initial between words written as names: "Keira E. Forster", "Leena O Sasi" */
        if (upper_initial(c, k) && k > 0 && k + 1 < c->nw && joins(c, k, 0) && joins(c, k + 1, 0) &&
            (c->w[k - 1].kind & c->w[k + 1].kind & W_SIGNAL) && !eponym(c, k + 1) && !never_name(&c->w[k + 1]) &&
            may_be_name(&c->w[k - 1], 1, CTX_WEAK) &&
            (may_be_name(&c->w[k + 1], 1, CTX_WEAK) || c->w[k + 1].shape == SH_CAP)) {
            c->w[k - 1].kind |= W_NAME;
            w->kind |= W_NAME;
            c->w[k + 1].kind |= W_NAME;
        }
        /* credentials: "John Smith, MD", "ade santoso, rn." (not "Boston, MA 02118") */
        if ((w->kind & W_CRED) && k > 0 && c->w[k - 1].line == w->line && !(w->kind & W_DIGIT)) {
            size_t n;
            const char *g = gap(c, k, &n);
            size_t after = w->e;
            while (after < c->n && c->t[after] == ' ') after++;
            int zip_next = after < c->n && is_digit_cp(c->t[after]);
            if (n >= 2 && n <= 3 && g[0] == ',' && g[n - 1] == ' ' && !zip_next) take_backward(c, k - 1, CTX_STRONG);
        }
        /* "X is a 45-year-old", "X is a pleasant 45-year-old" */
        if (key_is(c, k, "is") && k > 0 && k + 2 < c->nw && (key_is(c, k + 1, "a") || key_is(c, k + 1, "an")) &&
            c->w[k - 1].line == w->line && w->b - c->w[k - 1].e == 1) {
            size_t j = k + 1;
            if (!age_follows(c, j) && age_follows(c, j + 1)) j++;
            if (age_follows(c, j)) take_backward(c, k - 1, CTX_STRONG);
        }
        /* a name before what people do: "Asya spent a year", "Timotea lives on", "Gerth had given" */
        if ((w->kind & W_SIGNAL) && w->shape == SH_CAP && (w->kind & W_CASED) && phrase_after(c, k, person_verbs) &&
            !eponym(c, k) && !(w->list & LIST_PLACE) &&
            ((w->list & (LIST_FIRST | LIST_LAST)) || !(is_common(w) || (w->list & LIST_KNOWN))))
            take_backward(c, k, CTX_WEAK);
        /* a family name with a particle, whatever word it is: "Willemine ten Pas will be talking" */
        else if (w->shape == SH_CAP && (w->kind & W_CASED) && !never_name(w) && phrase_after(c, k, person_verbs) &&
                 k >= 2 && (c->w[k - 1].kind & W_PARTICLE) && c->w[k - 1].shape == SH_LOWER && joins(c, k, 0) &&
                 joins(c, k - 1, 0) && name_like(c, k - 2)) {
            c->w[k - 2].kind |= W_NAME;
            c->w[k - 1].kind |= W_NAME;
            w->kind |= W_NAME;
        }
        /* a signature line: "— Jane Doe", "-- Jane Doe" */
        if (line_start(c, k)) {
            size_t i = w->b;
            while (i > 0 && c->t[i - 1] == ' ') i--;
            int dash = (i >= 3 && !memcmp(c->t + i - 3, "\xE2\x80\x94", 3)) || (i >= 2 && !memcmp(c->t + i - 2, "--", 2));
            if (dash) take_forward(c, k, CTX_STRONG, 0);
        }
    }
}

static int in_found(const names_ctx *c, size_t k, size_t *common) {
    return c->key_len[k] && om_strmap_get(&c->found, c->keys[k], c->key_len[k], common);
}

/* Names next to names: a word joined to a name found (by the model or a rule) that is a listed
 * name, a name found elsewhere in the text, or a word that may be a name written as one. */
static void neighbours(names_ctx *c) {
    for (int pass = 0; pass < 2; pass++) /* forward, then backward */
        for (size_t s = 0; s < c->nw; s++) {
            size_t k = pass ? c->nw - 1 - s : s, common;
            if (!(c->w[k].kind & W_NAME)) continue;
            size_t j = pass ? k - 1 : k + 1;
            if (pass ? k == 0 : j >= c->nw) continue;
            if (!joins(c, pass ? k : j, 0) || (c->w[j].kind & W_NAME)) continue;
            word *x = &c->w[j];
            if (never_name(x) || eponym(c, j)) continue;
            /* an initial: in capitals beside a name ("J. Smith", "Smith J"), in any case between
               two names ("bertram m. jorgensen") */
            int between = x->shape == SH_INITIAL && (pass ? j > 0 && joins(c, j, 0) && (c->w[j - 1].kind & W_NAME)
                                                          : j + 1 < c->nw && joins(c, j + 1, 0) && (c->w[j + 1].kind & W_NAME));
            /* after "First I." a family name written as one, even a common word ("Jildau S. Bouts") */
            int after_middle = !pass && c->w[k].shape == SH_INITIAL && k > 0 && joins(c, k, 0) &&
                               (c->w[k - 1].kind & W_NAME) && c->w[k - 1].shape != SH_INITIAL &&
                               (x->kind & W_SIGNAL) && x->shape == SH_CAP;
            if (sure_name(x) || in_found(c, j, &common) || after_middle ||
                (may_be_name(x, 1, CTX_WEAK) && (x->kind & (W_SIGNAL | W_CASED)) != W_CASED) ||
                (x->shape == SH_INITIAL && (upper_initial(c, j) || between)))
                x->kind |= W_NAME;
        }
    /* a nickname in quotes after a first name, and the family name after it: Kipras "Kip" Povilonis */
    for (size_t k = 1; k < c->nw; k++) {
        word *m = &c->w[k];
        if (!(c->w[k - 1].kind & W_NAME) || c->w[k - 1].line != m->line || never_name(m) ||
            (m->kind & (W_SIGNAL | W_CASED)) == W_CASED) /* written as a name, or caseless text */
            continue;
        size_t n;
        const char *g = gap(c, k, &n);
        int open2 = n == 2 && g[0] == ' ' && g[1] == '"', open4 = n == 4 && g[0] == ' ' && !memcmp(g + 1, "\xE2\x80\x9C", 3);
        if (!open2 && !open4) continue;
        const char *close = open2 ? "\" " : "\xE2\x80\x9D ";
        size_t cl = strlen(close);
        if (m->e + cl > c->n || memcmp(c->t + m->e, close, cl)) continue;
        m->kind |= W_NAME;
        if (k + 1 < c->nw && c->w[k + 1].b == m->e + cl && c->w[k + 1].line == m->line) {
            word *x = &c->w[k + 1];
            if (!never_name(x) && !eponym(c, k + 1) &&
                (sure_name(x) || (may_be_name(x, 1, CTX_WEAK) && (x->kind & (W_SIGNAL | W_CASED)) != W_CASED)))
                x->kind |= W_NAME;
        }
    }
    /* particles between two names: "Maika van de Noort" */
    for (size_t k = 1; k + 1 < c->nw; k++) {
        if (!(c->w[k - 1].kind & W_NAME) || (c->w[k].kind & W_NAME) || !(c->w[k].kind & W_PARTICLE) ||
            c->w[k].shape == SH_CAP || !joins(c, k, 0))
            continue;
        size_t j = k;
        while (j < c->nw && j < k + 3 && (c->w[j].kind & W_PARTICLE) && joins(c, j, 0)) j++;
        if (j < c->nw && joins(c, j, 0) && (c->w[j].kind & W_NAME))
            for (size_t i = k; i < j; i++) c->w[i].kind |= W_NAME;
    }
}

enum { FOUND_COMMON = 1, FOUND_BEFORE = 2 };

/* Is word k a listed place after a preposition of place ("moved to Jackson", "lives in Florence") or
 * after a place and a comma ("Dallas, Georgia")? A listed name there without a name context is more
 * likely the place. */
static int place_before(const names_ctx *c, size_t k) {
    static const char *const prepositions[] = {"in", "to", "from", "near", "at", "of", NULL};
    if (!(c->w[k].list & LIST_PLACE) || c->w[k - 1].line != c->w[k].line) return 0;
    size_t n;
    const char *g = gap(c, k, &n);
    if (n == 2 && g[0] == ',' && g[1] == ' ' && (c->w[k - 1].list & LIST_PLACE)) return 1; /* "Dallas, Georgia" */
    return n == 1 && in_set(prepositions, c->keys[k - 1], c->key_len[k - 1]);
}

/* Every other occurrence of a name found, in any case (a common word only where written as a name),
 * and listed names anywhere; never an eponym. A name only earlier detectors found is left to
 * repeats.c where it finds it (as written, capitalised, in capitals): only its lower-case
 * occurrences are added here. */
static openmed_status gazetteer_and_repeats(names_ctx *c, openmed_error *err) {
    for (size_t k = 0; k < c->nw; k++) {
        const word *w = &c->w[k];
        if (!(w->kind & W_NAME) || w->shape == SH_INITIAL || never_name(w) || !c->key_len[k] || w->e - w->b < 3 ||
            (w->kind & W_PARTICLE))
            continue;
        size_t v = 0;
        in_found(c, k, &v);
        if ((w->kind & W_FOUND) && w->shape != SH_LOWER) v |= FOUND_BEFORE; /* repeats.c needs a capital */
        v = (v & ~(size_t)FOUND_COMMON) | (is_common(w) ? FOUND_COMMON : 0);
        if (!om_strmap_put(&c->found, c->keys[k], c->key_len[k], v))
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii names: out of memory");
    }
    for (size_t k = 0; k < c->nw; k++) {
        word *w = &c->w[k];
        size_t v;
        if ((w->kind & (W_NAME | W_FOUND)) || never_name(w) || eponym(c, k)) continue;
        if (in_found(c, k, &v)) {
            if ((v & FOUND_BEFORE) && w->shape != SH_LOWER) continue;
            if (!(v & FOUND_COMMON) || (w->kind & W_SIGNAL)) w->kind |= W_NAME;
        } else if (sure_name(w) && !(k > 0 && place_before(c, k)) && !dose_follows(c, k)) {
            w->kind |= W_NAME;
        }
    }
    return OPENMED_OK;
}

/* Mark the words inside spans found before as found, and those of name spans (the model's
 * FIRST_NAME, LAST_NAME, ...) as names. */
static void mark_found(names_ctx *c, const om_span_list *found) {
    if (!found) return;
    for (size_t s = 0; s < found->n; s++) {
        const om_pii_span *sp = &found->items[s];
        int name = om_label_class(sp->label) == OM_PHI_NAME && !(sp->source & OM_SRC_DENY);
        /* the words inside the span: binary search for the first word ending after its start */
        size_t lo = 0, hi = c->nw;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (c->w[mid].e <= sp->start) lo = mid + 1;
            else hi = mid;
        }
        for (size_t k = lo; k < c->nw && c->w[k].b < sp->end; k++) {
            /* a hyphenated name only partly inside ("Wilhelm" of "Hans-Wilhelm") is not found: this
               detector gives the whole word, and merging joins the two (not "Well-nourished") */
            if ((c->w[k].b >= sp->start && c->w[k].e <= sp->end) || !memchr(c->t + c->w[k].b, '-', c->w[k].e - c->w[k].b) ||
                !(c->w[k].list & (LIST_FIRST | LIST_LAST)) || (c->w[k].list & LIST_COMMON))
                c->w[k].kind |= W_FOUND;
            if (name && !never_name(&c->w[k])) c->w[k].kind |= W_NAME;
        }
    }
}

openmed_status om_detect_names(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    pthread_once(&lists_once, load_lists);
    if (!lists_ok) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii names: out of memory loading the name list");
    names_ctx c = {in->view->text, in->view->len, NULL, 0, {0}, 0, NULL, NULL};
    openmed_status st = read_words(&c, err);
    if (st == OPENMED_OK) {
        mark_found(&c, in->found);
        context_rules(&c);
        cued_names(&c);
        neighbours(&c);
        st = gazetteer_and_repeats(&c, err);
    }
    if (st == OPENMED_OK) {
        speakers(&c);
        names_beside_names(&c);
        neighbours(&c);
    }
    /* one span per run of name words joined as a name is, but not over what is found already */
    for (size_t k = 0; k < c.nw && st == OPENMED_OK;) {
        if ((c.w[k].kind & (W_NAME | W_FOUND)) != W_NAME) {
            k++;
            continue;
        }
        size_t j = k + 1;
        while (j < c.nw && (c.w[j].kind & (W_NAME | W_FOUND)) == W_NAME && !c.w[j - 1].poss && joins(&c, j, 1)) j++;
        size_t v;
        if (j == k + 1 && c.w[k].shape != SH_LOWER && in_found(&c, k, &v) && (v & FOUND_BEFORE)) {
            k = j; /* repeats.c finds it with the earlier detector's label */
            continue;
        }
        om_pii_span s = {c.w[k].b, c.w[j - 1].e - c.w[j - 1].poss, "PERSON", 0.9f, OM_SRC_NAMES};
        st = om_span_list_push(out, &s, err);
        k = j;
    }
    om_strmap_free(&c.found);
    free(c.w);
    free(c.keys);
    free(c.key_len);
    return st;
}
