/* clinical.c: clinical-term protection: a span taken for a name, place or organisation that is a
 * disease or drug term ("metformin", "Lipitor"), or lies inside one in the text ("Crohn" of "Crohn's
 * disease"), or one word before an eponym's head noun ("Phalen test", "Hashimoto thyroiditis"), is
 * dropped, so de-identification keeps the clinical content; so is such a term taken for an e-mail
 * address without '@' or a URL without '.'. Terms: clinical_terms.inc
 * (BC5CDR and NCBI-disease mentions, public domain; names a person may bear left out). */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "deid/clinical_terms.inc"
#include "deid/deid.h"
#include "deid/detector.h"
#include "deid/labels.h"
#include "deid/strmap.h"

#define WINDOW_BYTES 160 /* text looked at on each side of a span */
#define MAX_WORDS 24
#define MAX_TERM 64

static om_strmap terms;
static int terms_ok;
static pthread_once_t terms_once = PTHREAD_ONCE_INIT;

static void load_terms(void) {
    terms_ok = 1;
    for (size_t i = 0; i < sizeof clinical_terms / sizeof clinical_terms[0] && terms_ok; i++)
        terms_ok = om_strmap_put(&terms, clinical_terms[i], strlen(clinical_terms[i]), i);
}

static int is_term(const char *s, size_t n) {
    size_t ignored;
    return om_strmap_get(&terms, s, n, &ignored);
}

int om_clinical_is_term(const char *lower, size_t n) {
    pthread_once(&terms_once, load_terms);
    return terms_ok && is_term(lower, n); /* out of memory: no term, so nothing more is kept */
}

/* The words [from, to) of `text` joined by single spaces, lower case, edge punctuation dropped. */
static size_t words_key(const char *text, const size_t (*w)[2], size_t from, size_t to, char *out) {
    size_t n = 0;
    for (size_t k = from; k < to; k++) {
        size_t a = w[k][0], b = w[k][1];
        if (n + (b - a) + 1 > MAX_TERM) return 0;
        if (k > from) out[n++] = ' ';
        for (size_t i = a; i < b; i++) out[n++] = (char)tolower((unsigned char)text[i]);
    }
    return n;
}

static int is_edge_punct(char c) { return strchr(",.;:!?()[]{}\"", c) != NULL; }

/* Is [s0, s1) a clinical term, or inside one written around it? */
static int clinical(const char *text, size_t n, size_t s0, size_t s1) {
    size_t lo = s0 > WINDOW_BYTES ? s0 - WINDOW_BYTES : 0, hi = s1 + WINDOW_BYTES < n ? s1 + WINDOW_BYTES : n;
    while (lo > 0 && lo < s0 && !isspace((unsigned char)text[lo - 1])) lo++; /* start on a word */
    size_t w[MAX_WORDS][2], nw = 0, first = MAX_WORDS, last = MAX_WORDS;
    for (size_t i = lo; i < hi && nw < MAX_WORDS;) {
        if (isspace((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < hi && !isspace((unsigned char)text[i])) i++;
        size_t b = i;
        while (a < b && is_edge_punct(text[a])) a++;
        while (b > a && is_edge_punct(text[b - 1])) b--;
        if (a == b) continue;
        if (b <= s0 && nw == MAX_WORDS / 2) { /* keep the last words before the span */
            memmove(w, w + 1, (nw - 1) * sizeof w[0]);
            nw--;
        }
        if (b > s0 && a < s1) {
            if (first == MAX_WORDS) first = nw;
            last = nw;
        }
        w[nw][0] = a;
        w[nw][1] = b;
        nw++;
    }
    if (first == MAX_WORDS) return 0;
    char key[MAX_TERM];
    size_t from0 = first > 6 ? first - 6 : 0;
    for (size_t from = from0; from <= first; from++)
        for (size_t to = last + 1; to <= nw && to - from <= 8; to++) {
            size_t k = words_key(text, (const size_t (*)[2])w, from, to, key);
            if (k && is_term(key, k)) return 1;
        }
    return 0;
}

/* Is [s0, s1) one word written before an eponym's head noun ("Hashimoto thyroiditis", "Phalen
 * test", "Bell's palsy"), with no title before it ("Mr. Bell's disease" is a person)? */
static int eponym(const char *text, size_t n, size_t s0, size_t s1) {
    for (size_t i = s0; i < s1; i++)
        if (isspace((unsigned char)text[i])) return 0;
    size_t i = s1;
    if (i + 2 <= n && text[i] == '\'' && text[i + 1] == 's') i += 2;
    else if (i + 4 <= n && !memcmp(text + i, "\xE2\x80\x99s", 4)) i += 4;
    if (i >= n || text[i] != ' ') return 0;
    size_t a = ++i;
    while (i < n && isalpha((unsigned char)text[i])) i++;
    if (i < n && ((unsigned char)text[i] >= 0x80 || isdigit((unsigned char)text[i]))) return 0;
    if (!om_names_is_eponym_head(text + a, i - a)) return 0;
    size_t b = s0; /* the word before: not a title */
    while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '.')) b--;
    size_t w = b;
    while (w > 0 && isalpha((unsigned char)text[w - 1])) w--;
    return !(b > w && om_names_is_title(text + w, b - w));
}

void om_spans_protect_clinical(const char *text, size_t n, om_span_list *spans, const openmed_deid_options *o) {
    if (!o->protect_clinical_terms) return;
    pthread_once(&terms_once, load_terms);
    if (!terms_ok) return; /* out of memory: protect nothing, so nothing more is kept */
    size_t kept = 0;
    for (size_t k = 0; k < spans->n; k++) {
        const om_pii_span *s = &spans->items[k];
        om_phi_class c = om_label_class(s->label);
        /* a word the model took for an e-mail without '@' or a URL without '.' is no such thing */
        int misread = (c == OM_PHI_EMAIL && !memchr(text + s->start, '@', s->end - s->start)) ||
                      (c == OM_PHI_URL && !memchr(text + s->start, '.', s->end - s->start));
        int drop = (c == OM_PHI_NAME || c == OM_PHI_GEOGRAPHIC || c == OM_PHI_ORGANIZATION || misread) &&
                   !(s->source & OM_SRC_DENY) &&
                   (clinical(text, n, s->start, s->end) || eponym(text, n, s->start, s->end));
        if (!drop) spans->items[kept++] = *s;
    }
    spans->n = kept;
}
