/* test_analyze_stages.c: the stages of analyze_text without a model: sentence segmentation,
 * chunk packing, medical tokens, the remap of fragments onto whole words, cuts at line and
 * sentence boundaries, the threshold, widening to words and group_entities. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/chunks.h"
#include "pipeline/entity_spans.h"
#include "pipeline/sentences.h"
#include "pipeline/text_index.h"
#include "pipeline/word_tokens.h"

/* Code points of a UTF-8 string; the index is kept for slicing. */
typedef struct text {
    om_text_index ix;
    uint32_t cp[4096];
    int64_t n;
} text;

static void load(text *t, const char *s) {
    openmed_error err = {0};
    CHECK(om_text_index_init(&t->ix, s, strlen(s), "text", &err) == OPENMED_OK);
    t->n = t->ix.n_cp;
    for (int64_t i = 0; i < t->n; i++) t->cp[i] = (uint32_t)om_text_codepoint(&t->ix, i);
}

/* The slice [s, e) as a NUL-terminated string (static buffer). */
static const char *slice(const text *t, int64_t s, int64_t e) {
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    size_t b0, blen;
    om_text_slice(&t->ix, s, e, &b0, &blen);
    if (blen >= 512) blen = 511;
    memcpy(b, t->ix.text + b0, blen);
    b[blen] = '\0';
    return b;
}

/* Sentences of s joined with "|" (paragraph starts marked "¶"). */
static const char *sentences(const char *s) {
    static char out[4096];
    text t;
    load(&t, s);
    om_sentence *v = NULL;
    size_t n = 0;
    openmed_error err = {0};
    CHECK(om_sentences_split(t.cp, t.n, &v, &n, &err) == OPENMED_OK);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, "|");
        if (v[i].paragraph_start && i) strcat(out, "\xc2\xb6");
        strcat(out, slice(&t, v[i].start, v[i].end));
    }
    free(v);
    om_text_index_free(&t.ix);
    return out;
}

static void test_sentences(void) {
    CHECK_STR(sentences("The patient has asthma. She uses an inhaler!  Is it working? Yes."),
              "The patient has asthma.|She uses an inhaler!|Is it working?|Yes.");
    /* abbreviations, initials, decimals, list numbers, lower-case continuations */
    CHECK_STR(sentences("Seen by Dr. Smith and John F. Kennedy today. Temp 39.8 C. Aspirin 81 mg. Daily."),
              "Seen by Dr. Smith and John F. Kennedy today.|Temp 39.8 C. Aspirin 81 mg. Daily.");
    CHECK_STR(sentences("Take 1 tab p.o. b.i.d. Follow up e.g. Monday. Pain vs. fever."),
              "Take 1 tab p.o. b.i.d. Follow up e.g. Monday.|Pain vs. fever.");
    CHECK_STR(sentences("1. Hypertension. Continue lisinopril.\n2. Diabetes."),
              "1. Hypertension.|Continue lisinopril.|2. Diabetes.");
    CHECK_STR(sentences("He said \"stop.\" Then he left. it was late."), "He said \"stop.\"|Then he left. it was late.");
    CHECK_STR(sentences("Wait... What? Really?! Yes"), "Wait...|What?|Really?!|Yes");
    CHECK_STR(sentences("See www.example.com now. Done."), "See www.example.com now.|Done.");
    /* lines, blank lines and paragraphs, CRLF, trimmed */
    CHECK_STR(sentences("  CHIEF COMPLAINT\r\n\r\nFollow-up.  \nNo fever\n\n\n  Plan: rest.  "),
              "CHIEF COMPLAINT|\xc2\xb6" "Follow-up.|No fever|\xc2\xb6Plan: rest.");
    CHECK_STR(sentences("a\x0b" "b\xe2\x80\xa8" "c"), "a|b|c");
    /* CJK and Devanagari full stops need no space */
    CHECK_STR(sentences("\xe6\x82\xa3\xe8\x80\x85\xe5\x8f\x91\xe7\x83\xa7\xe3\x80\x82\xe6\x97\xa0\xe5\x92\xb3\xe5\x97\xbd\xe3\x80\x82"),
              "\xe6\x82\xa3\xe8\x80\x85\xe5\x8f\x91\xe7\x83\xa7\xe3\x80\x82|\xe6\x97\xa0\xe5\x92\xb3\xe5\x97\xbd\xe3\x80\x82");
    CHECK_STR(sentences(""), "");
    CHECK_STR(sentences(" \n\t \n"), "");
    /* a sentence of punctuation alone is suppressed */
    text t;
    load(&t, "Fever.\n---\n___ has flu.");
    om_sentence *v = NULL;
    size_t n = 0;
    openmed_error err = {0};
    CHECK(om_sentences_split(t.cp, t.n, &v, &n, &err) == OPENMED_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK(!v[0].suppressed && v[1].suppressed && !v[2].suppressed);
    }
    free(v);
    om_text_index_free(&t.ix);
}

static void test_chunks(void) {
    om_sentence s[9];
    for (int i = 0; i < 9; i++) s[i] = (om_sentence){i * 10, i * 10 + 8, i == 0 || i == 7, 0};
    om_chunk *c = NULL;
    size_t n = 0;
    openmed_error err = {0};
    /* 6 sentences at most; a paragraph start (sentence 7) opens a chunk */
    om_chunk_limits lim = {6, 10000, 0};
    CHECK(om_chunks_plan(s, 9, NULL, &lim, &c, &n, &err) == OPENMED_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK(c[0].first == 0 && c[0].count == 6 && c[0].start == 0 && c[0].end == 58);
        CHECK(c[1].first == 6 && c[1].count == 1);
        CHECK(c[2].first == 7 && c[2].count == 2 && c[2].start == 70 && c[2].end == 88);
    }
    free(c);
    /* the character limit: a chunk spans at most 25 code points */
    lim = (om_chunk_limits){6, 25, 0};
    CHECK(om_chunks_plan(s, 7, NULL, &lim, &c, &n, &err) == OPENMED_OK);
    CHECK_INT(n, 4); /* {0,1} {2,3} {4,5} {6} */
    free(c);
    /* the token limit */
    int64_t tokens[9] = {5, 5, 5, 5, 30, 5, 5, 5, 5};
    lim = (om_chunk_limits){6, 10000, 12};
    CHECK(om_chunks_plan(s, 7, tokens, &lim, &c, &n, &err) == OPENMED_OK);
    CHECK_INT(n, 4); /* {0,1} {2,3} {4} {5,6} */
    if (n == 4) CHECK(c[2].first == 4 && c[2].count == 1 && c[3].count == 2);
    free(c);
}

static const char *tokens(const char *s) {
    static char out[2048];
    text t;
    load(&t, s);
    om_word_token *v = NULL;
    size_t n = 0;
    openmed_error err = {0};
    CHECK(om_word_tokens(t.cp, t.n, &v, &n, &err) == OPENMED_OK);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, "|");
        strcat(out, slice(&t, v[i].start, v[i].end));
    }
    free(v);
    om_text_index_free(&t.ix);
    return out;
}

static void test_word_tokens(void) {
    CHECK_STR(tokens("IL-6-mediated COVID-19, t(8;21) and 39.8C fever"),
              "IL-6-mediated|COVID-19|,|t(8;21)|and|39.8C|fever");
    CHECK_STR(tokens("HbA1c 5mg mg/kg M\xc3\xbcller's"), "HbA1c|5|mg|mg|/|kg|M\xc3\xbcller|'|s");
    CHECK_STR(tokens("37.2\xc2\xb0" "F x-ray -5"), "37.2\xc2\xb0" "F|x-ray|-|5");
    /* Han characters one by one; Devanagari words whole (with their vowel signs) */
    CHECK_STR(tokens("\xe8\x82\xba\xe7\x82\x8e \xe0\xa4\xae\xe0\xa4\xb0\xe0\xa5\x80\xe0\xa4\x9c"),
              "\xe8\x82\xba|\xe7\x82\x8e|\xe0\xa4\xae\xe0\xa4\xb0\xe0\xa5\x80\xe0\xa4\x9c");
}

/* Run the post-model stages on spans given as (start, end, score, label); return "label:text" list. */
static const char *post(const char *s, const om_text_span *in, size_t n_in, int remap, float thr, int group) {
    static char out[2048];
    text t;
    load(&t, s);
    om_sentence *sent = NULL;
    size_t n_sent = 0;
    openmed_error err = {0};
    CHECK(om_sentences_split(t.cp, t.n, &sent, &n_sent, &err) == OPENMED_OK);
    om_text_span_list l = {0};
    for (size_t i = 0; i < n_in; i++) CHECK(om_spans_split(t.cp, t.n, in[i], sent, 0, n_sent, &l));
    om_text_spans_sort(&l);
    if (remap) CHECK(om_spans_remap_to_words(t.cp, t.n, &l, &err) == OPENMED_OK);
    om_spans_threshold(&l, thr);
    om_spans_extend_to_words(t.cp, t.n, &l);
    if (group) om_spans_group(t.cp, t.n, &l);
    out[0] = '\0';
    for (size_t i = 0; i < l.n; i++) {
        char item[256];
        snprintf(item, sizeof item, "%s%d:%s@%lld", i ? "|" : "", l.v[i].label, slice(&t, l.v[i].start, l.v[i].end),
                 (long long)l.v[i].sentence);
        strcat(out, item);
        if (i) CHECK(l.v[i].start >= l.v[i - 1].end); /* sorted, no overlaps */
    }
    om_text_spans_free(&l);
    free(sent);
    om_text_index_free(&t.ix);
    return out;
}

static void test_post(void) {
    /* fragments become whole words: "Ap" of "Apixaban", "ted" of "herniated", "iab" of "diabetes" */
    const char *s1 = "Started Apixaban for a herniated disc and diabetes.";
    om_text_span f1[] = {{8, 10, 0.9f, 0, -1}, {29, 32, 0.8f, 1, -1}, {34, 37, 0.7f, 1, -1}, {43, 46, 0.6f, 1, -1}};
    CHECK_STR(post(s1, f1, 4, 1, 0.0f, 0), "0:Apixaban@0|1:herniated disc@0|1:diabetes@0");
    /* without the remap, starts and ends still move to word edges */
    CHECK_STR(post(s1, f1, 4, 0, 0.0f, 0), "0:Apixaban@0|1:herniated@0|1:disc@0|1:diabetes@0");
    /* the best-scoring span labels a word; the threshold applies to the remapped mean */
    om_text_span f2[] = {{0, 9, 0.4f, 0, -1}, {9, 12, 0.9f, 1, -1}};
    CHECK_STR(post("Metformin500 daily", f2, 2, 1, 0.0f, 0), "1:Metformin500@0");
    CHECK_STR(post("Metformin500 daily", f2, 2, 1, 0.95f, 0), "");
    /* never widened into a neighbour: "JohnSmith" as two names */
    om_text_span f3[] = {{0, 3, 0.9f, 0, -1}, {4, 7, 0.9f, 1, -1}};
    CHECK_STR(post("JohnSmith", f3, 2, 0, 0.0f, 0), "0:John@0|1:Smith@0");
    /* spans are cut at line breaks and sentence ends; same-label words two spaces apart stay apart,
     * one space apart they join (OpenMed's gap of one) */
    const char *s4 = "Chest pain\nShortness of breath. Renal  failure.";
    om_text_span f4[] = {{0, 15, 0.9f, 0, -1}, {15, 29, 0.8f, 0, -1}, {32, 45, 0.7f, 0, -1}};
    CHECK_STR(post(s4, f4, 3, 1, 0.0f, 0), "0:Chest pain@0|0:Shortness of breath@1|0:Renal@2|0:failure@2");
    CHECK_STR(post(s4, f4, 3, 1, 0.0f, 1), "0:Chest pain@0|0:Shortness of breath@1|0:Renal  failure@2");
    /* placeholders dropped; other entities of their sentence kept */
    const char *s5 = "Mr. ___ has flu. Dose ___ given.";
    om_text_span f5[] = {{4, 7, 0.9f, 0, -1}, {12, 15, 0.9f, 1, -1}, {22, 25, 0.9f, 2, -1}, {15, 16, 0.9f, 1, -1}};
    CHECK_STR(post(s5, f5, 4, 1, 0.0f, 0), "1:flu@0");
    /* a suppressed sentence (punctuation only) keeps nothing */
    om_text_span f6[] = {{5, 8, 0.9f, 0, -1}};
    CHECK_STR(post("Flu.\n---\n", f6, 1, 0, 0.0f, 0), "");
    /* Han text: no widening over a script written without spaces */
    const char *s7 = "\xe6\x82\xa3\xe8\x80\x85\xe8\x82\xba\xe7\x82\x8e\xe5\x8a\xa0\xe9\x87\x8d";
    om_text_span f7[] = {{2, 4, 0.9f, 0, -1}};
    CHECK_STR(post(s7, f7, 1, 1, 0.0f, 0), "0:\xe8\x82\xba\xe7\x82\x8e@0");
    /* group_entities widens outward over letters and digits */
    om_text_span f8[] = {{0, 4, 0.9f, 0, -1}, {5, 7, 0.5f, 0, -1}};
    CHECK_STR(post("Type 2 diabetes", f8, 2, 0, 0.0f, 1), "0:Type 2@0");
    /* out-of-range spans are ignored */
    om_text_span f9[] = {{-1, 3, 0.9f, 0, -1}, {2, 99, 0.9f, 0, -1}, {3, 3, 0.9f, 0, -1}};
    CHECK_STR(post("short", f9, 3, 1, 0.0f, 0), "");
}

int main(void) {
    test_sentences();
    test_chunks();
    test_word_tokens();
    test_post();
    return check_finish("test_analyze_stages");
}
