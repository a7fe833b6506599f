/* test_pipeline_aggregation.c: HF post-processing on hand-made windows: the five strategies,
 * subword detection (prefix-aware and the fallback heuristic), the unknown token, ignore_labels,
 * non-BIO labels, stride-window merging and the threshold. The decoder here joins token strings
 * with "|" so the test sees exactly which tokens each entity holds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/aggregation.h"

enum { L = 6 };
static const char *const labels[L] = {"O", "B-LOC", "I-LOC", "B-PER", "I-PER", "E-PER"};
static const char *const vocab[] = {"[CLS]", "[SEP]", "new", "york", "is", "bi", "##g", "[UNK]", "g"};

static const char *token(void *ctx, int32_t id) {
    return id >= 0 && id < (int32_t)(sizeof vocab / sizeof vocab[0]) ? vocab[id] : NULL;
}

static openmed_status join(void *ctx, const char *const *tokens, size_t n, char **out, openmed_error *err) {
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(tokens[i]) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(s, "|");
        strcat(s, tokens[i]);
    }
    *out = s;
    return OPENMED_OK;
}

/* Logits row: `label` gets `strength`, label `second` gets `second_strength`, the rest 0. */
static void row(float *logits, int t, int label, float strength, int second, float second_strength) {
    for (int j = 0; j < L; j++) logits[t * L + j] = 0.0f;
    logits[t * L + label] = strength;
    if (second >= 0) logits[t * L + second] = second_strength;
}

static float prob(float strength, float second_strength) {
    /* softmax probability of `strength` among L labels where one other has second_strength */
    return expf(strength) / (expf(strength) + expf(second_strength) + (L - 2));
}

typedef struct fixture {
    const char *text;
    int32_t ids[8];
    size_t offsets[16];
    uint8_t special[8];
    float logits[8 * L];
    int n;
} fixture;

static om_entity_list run(fixture *f, openmed_aggregation strategy, int word_aware, const char *const *ignore,
                          size_t n_ignore, float threshold) {
    om_label_decoder dec;
    openmed_error err = {0};
    CHECK(om_label_decoder_init(&dec, OPENMED_DECODER_ARGMAX, labels, L, &err) == OPENMED_OK);
    om_agg_params p = {strategy, labels, L, ignore, n_ignore, threshold, &dec};
    om_token_strings tok = {NULL, token, join, 7, word_aware};
    om_text_index ix;
    CHECK(om_text_index_init(&ix, f->text, strlen(f->text), "text", &err) == OPENMED_OK);
    om_window_logits w = {f->ids, f->offsets, f->special, f->logits, f->n, 0};
    om_entity_list out = {0};
    openmed_status st = om_aggregate_text(&p, &tok, &ix, &w, 1, &out, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    om_text_index_free(&ix);
    om_label_decoder_free(&dec);
    return out;
}

static void check_entity(const om_entity_list *l, size_t i, const char *label, const char *word, int64_t start,
                         int64_t end, double score, int64_t index) {
    CHECK_MSG(i < l->n, "entity %zu missing (have %zu)", i, l->n);
    if (i >= l->n) return;
    CHECK_STR(l->v[i].label, label);
    CHECK_STR(l->v[i].word, word);
    CHECK_INT(l->v[i].start, start);
    CHECK_INT(l->v[i].end, end);
    CHECK_NEAR(l->v[i].score, score, 1e-6);
    CHECK_INT(l->v[i].index, index);
}

static fixture new_york(void) {
    /* "New York is big": [CLS] new york is bi ##g [SEP] */
    fixture f = {.text = "New York is big",
                 .ids = {0, 2, 3, 4, 5, 6, 1},
                 .offsets = {0, 0, 0, 3, 4, 8, 9, 11, 12, 14, 14, 15, 0, 0},
                 .special = {1, 0, 0, 0, 0, 0, 1},
                 .n = 7};
    row(f.logits, 0, 0, 9, -1, 0);
    row(f.logits, 1, 1, 5, -1, 0); /* new: B-LOC */
    row(f.logits, 2, 2, 4, -1, 0); /* york: I-LOC */
    row(f.logits, 3, 0, 6, -1, 0); /* is: O */
    row(f.logits, 4, 3, 3, 2, 2);  /* bi: B-PER, I-LOC second */
    row(f.logits, 5, 2, 6, 3, 1);  /* ##g: I-LOC, B-PER second */
    row(f.logits, 6, 0, 9, -1, 0);
    return f;
}

int main(void) {
    static const char *const O[] = {"O"};
    fixture f = new_york();
    float p_new = prob(5, 0), p_york = prob(4, 0), p_bi = prob(3, 2), p_g = prob(6, 1);

    om_entity_list l = run(&f, OPENMED_AGGREGATION_NONE, 1, O, 1, 0);
    CHECK_INT(l.n, 4);
    check_entity(&l, 0, "B-LOC", "new", 0, 3, p_new, 1);
    check_entity(&l, 1, "I-LOC", "york", 4, 8, p_york, 2);
    check_entity(&l, 2, "B-PER", "bi", 12, 14, p_bi, 4);
    check_entity(&l, 3, "I-LOC", "##g", 14, 15, p_g, 5);
    om_entity_list_free(&l);

    l = run(&f, OPENMED_AGGREGATION_SIMPLE, 1, O, 1, 0);
    CHECK_INT(l.n, 3);
    check_entity(&l, 0, "LOC", "new|york", 0, 8, (p_new + p_york) / 2, -1);
    check_entity(&l, 1, "PER", "bi", 12, 14, p_bi, -1);
    check_entity(&l, 2, "LOC", "##g", 14, 15, p_g, -1);
    om_entity_list_free(&l);

    /* first: "big" takes bi's label; the word string is decoded, then decoded again in its group. */
    l = run(&f, OPENMED_AGGREGATION_FIRST, 1, O, 1, 0);
    CHECK_INT(l.n, 2);
    check_entity(&l, 0, "LOC", "new|york", 0, 8, (p_new + p_york) / 2, -1);
    check_entity(&l, 1, "PER", "bi|##g", 12, 15, p_bi, -1);
    om_entity_list_free(&l);

    /* max: ##g is the more confident token, so the word is I-LOC and joins nothing (O before it). */
    l = run(&f, OPENMED_AGGREGATION_MAX, 1, O, 1, 0);
    CHECK_INT(l.n, 2);
    check_entity(&l, 1, "LOC", "bi|##g", 12, 15, p_g, -1);
    om_entity_list_free(&l);

    /* average: mean of the two probability vectors; I-LOC wins. */
    float avg_iloc = (prob(2, 3) + p_g) / 2;
    l = run(&f, OPENMED_AGGREGATION_AVERAGE, 1, O, 1, 0);
    CHECK_INT(l.n, 2);
    check_entity(&l, 1, "LOC", "bi|##g", 12, 15, avg_iloc, -1);
    om_entity_list_free(&l);

    /* No ignore list: O tokens appear, grouped like any other tag. */
    l = run(&f, OPENMED_AGGREGATION_SIMPLE, 1, NULL, 0, 0);
    CHECK_INT(l.n, 4);
    check_entity(&l, 1, "O", "is", 9, 11, prob(6, 0), -1);
    om_entity_list_free(&l);
    static const char *const LOC[] = {"O", "LOC"};
    l = run(&f, OPENMED_AGGREGATION_SIMPLE, 1, LOC, 2, 0);
    CHECK_INT(l.n, 1);
    check_entity(&l, 0, "PER", "bi", 12, 14, p_bi, -1);
    om_entity_list_free(&l);

    /* Threshold drops entities scoring below it. */
    l = run(&f, OPENMED_AGGREGATION_SIMPLE, 1, O, 1, 0.97f);
    CHECK_INT(l.n, 1);
    check_entity(&l, 0, "LOC", "##g", 14, 15, p_g, -1);
    om_entity_list_free(&l);

    /* Fallback heuristic (no continuing-subword prefix): a token is a subword when neither the
     * character before it nor its first character is a space. "g" after "bi" is one; so is a token
     * after a newline (only U+0020 counts). */
    fixture h = new_york();
    h.text = "New York\nis big";
    h.ids[5] = 8; /* "g": same length as its slice, so only the heuristic can call it a subword */
    l = run(&h, OPENMED_AGGREGATION_FIRST, 0, O, 1, 0);
    CHECK_INT(l.n, 2); /* "is" follows "\n", not a space: it joins "york"'s word */
    check_entity(&l, 0, "LOC", "new|york|is", 0, 11, (p_new + p_york) / 2, -1);
    check_entity(&l, 1, "PER", "bi|g", 12, 15, p_bi, -1);
    om_entity_list_free(&l);
    /* With a prefix-aware tokenizer "g" has its slice's length: a word of its own. */
    l = run(&h, OPENMED_AGGREGATION_FIRST, 1, O, 1, 0);
    CHECK_INT(l.n, 3);
    check_entity(&l, 2, "LOC", "g", 14, 15, p_g, -1);
    om_entity_list_free(&l);

    /* The unknown token's word is its text slice and it is never a subword. */
    fixture u = new_york();
    u.text = "New York is b\xc3\xa9g";
    u.ids[5] = 7;
    u.offsets[9] = 13;  /* bi: [12, 13) */
    u.offsets[10] = 13; /* [UNK]: [13, 15) = "\xc3\xa9g" */
    l = run(&u, OPENMED_AGGREGATION_NONE, 1, O, 1, 0);
    check_entity(&l, 3, "I-LOC", "\xc3\xa9g", 13, 15, p_g, 5);
    om_entity_list_free(&l);
    l = run(&u, OPENMED_AGGREGATION_FIRST, 1, O, 1, 0);
    CHECK_INT(l.n, 2); /* "bi" is longer than its slice "b": a subword of "is" (O) */
    check_entity(&l, 1, "LOC", "\xc3\xa9g", 13, 15, p_g, -1);
    om_entity_list_free(&l);

    /* Non-BIO labels group as I- of the whole label; the group label is what follows the first "-". */
    fixture e = new_york();
    row(e.logits, 1, 3, 5, -1, 0); /* B-PER */
    row(e.logits, 2, 5, 4, -1, 0); /* E-PER: tag "E-PER", a new group named "PER" */
    l = run(&e, OPENMED_AGGREGATION_SIMPLE, 1, O, 1, 0);
    check_entity(&l, 0, "PER", "new", 0, 3, p_new, -1);
    check_entity(&l, 1, "PER", "york", 4, 8, p_york, -1);
    om_entity_list_free(&l);

    /* Two overlapping windows: the longer entity wins, at equal length the higher score, ties keep
     * the earlier; entities come out sorted by start. */
    {
        om_label_decoder dec;
        openmed_error err = {0};
        om_label_decoder_init(&dec, OPENMED_DECODER_ARGMAX, labels, L, &err);
        om_agg_params p = {OPENMED_AGGREGATION_SIMPLE, labels, L, O, 1, 0, &dec};
        om_token_strings tok = {NULL, token, join, 7, 1};
        om_text_index ix;
        om_text_index_init(&ix, f.text, strlen(f.text), "text", &err);
        fixture a = new_york(), b = new_york();
        /* window b: only "york is bi ##g", york now B-PER (stronger), ##g now B-PER */
        int32_t ids_b[] = {0, 3, 4, 5, 6, 1};
        size_t off_b[] = {0, 0, 4, 8, 9, 11, 12, 14, 14, 15, 0, 0};
        uint8_t sp_b[] = {1, 0, 0, 0, 0, 1};
        float lg_b[6 * L];
        row(lg_b, 0, 0, 9, -1, 0);
        row(lg_b, 1, 3, 7, -1, 0);
        row(lg_b, 2, 0, 6, -1, 0);
        row(lg_b, 3, 3, 3, 2, 2);
        row(lg_b, 4, 3, 1, -1, 0);
        row(lg_b, 5, 0, 9, -1, 0);
        (void)b;
        om_window_logits w[2] = {{a.ids, a.offsets, a.special, a.logits, a.n, 0},
                                 {ids_b, off_b, sp_b, lg_b, 6, 1}};
        om_entity_list out = {0};
        CHECK(om_aggregate_text(&p, &tok, &ix, w, 2, &out, &err) == OPENMED_OK);
        /* window a: LOC new|york [0,8), PER bi [12,14), LOC ##g [14,15)
         * window b: PER york [4,8), PER bi [12,14), PER ##g [14,15) (B-PER, weak)
         * sorted: [0,8) a, [4,8) b (inside, shorter: dropped), [12,14) a, [12,14) b (same: equal
         * score, first kept), [14,15) a (0.9..), [14,15) b (lower: dropped). */
        CHECK_INT(out.n, 3);
        check_entity(&out, 0, "LOC", "new|york", 0, 8, (p_new + p_york) / 2, -1);
        check_entity(&out, 1, "PER", "bi", 12, 14, p_bi, -1);
        check_entity(&out, 2, "LOC", "##g", 14, 15, p_g, -1);
        om_entity_list_free(&out);
        om_text_index_free(&ix);
    }
    return check_finish("test_pipeline_aggregation");
}
