/* test_privacy_viterbi.c: the constrained BIOES Viterbi decoder on hand-made score tables, checked
 * against the rules and against brute force over every path. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "privacy/viterbi.h"

static const char *const LABELS[] = {"O", "B-X", "I-X", "E-X", "S-X", "B-Y", "I-Y", "E-Y", "S-Y"};
enum { O, BX, IX, EX, SX, BY, IY, EY, SY, NL };

#define NEG (-1e9)

static int is_start(const om_bioes_scheme *s, int j) { return s->tag[j] == OM_TAG_B || s->tag[j] == OM_TAG_S; }
static int is_bg(const om_bioes_scheme *s, int j) { return s->span[j] == 0; }

/* The rules of viterbi.h written out independently: score of one transition. */
static double edge(const om_bioes_scheme *s, const om_viterbi_biases *b, int i, int j) {
    om_bioes_tag ti = s->tag[i], tj = s->tag[j];
    if (is_bg(s, i)) return is_bg(s, j) ? b->background_stay : is_start(s, j) ? b->background_to_start : NEG;
    if (ti == OM_TAG_E || ti == OM_TAG_S) return is_bg(s, j) ? b->end_to_background : is_start(s, j) ? b->end_to_start : NEG;
    if (s->span[i] != s->span[j]) return NEG;
    return tj == OM_TAG_I ? b->inside_to_continue : tj == OM_TAG_E ? b->inside_to_end : NEG;
}

static double path_score(const om_bioes_scheme *s, const om_viterbi_biases *b, const double *lp, int T, const int32_t *p) {
    double v = lp[p[0]] + ((is_start(s, p[0]) || is_bg(s, p[0])) ? 0.0 : NEG);
    for (int t = 1; t < T; t++) v += edge(s, b, p[t - 1], p[t]) + lp[t * s->n_labels + p[t]];
    om_bioes_tag last = s->tag[p[T - 1]];
    return v + ((last == OM_TAG_E || last == OM_TAG_S || is_bg(s, p[T - 1])) ? 0.0 : NEG);
}

/* The best score over all n^T paths. */
static double brute_best(const om_bioes_scheme *s, const om_viterbi_biases *b, const double *lp, int T) {
    int32_t p[8] = {0};
    double best = -INFINITY;
    for (;;) {
        double v = path_score(s, b, lp, T, p);
        if (v > best) best = v;
        int t = 0;
        while (t < T && ++p[t] == s->n_labels) p[t++] = 0;
        if (t == T) break;
    }
    return best;
}

static int decode(const om_bioes_scheme *s, const om_viterbi_biases *b, const double *lp, int T, int32_t *out) {
    openmed_error err;
    return om_viterbi_decode(s, b, lp, T, out, &err) == OPENMED_OK;
}

/* A table where each token prefers `want` by `margin` over the rest (uniform). */
static void prefer(double *lp, int t, int want, double margin) {
    for (int j = 0; j < NL; j++) lp[t * NL + j] = -5.0;
    lp[t * NL + want] = -5.0 + margin;
}

static unsigned rng_state = 12345u;
static double rnd(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return ((rng_state >> 8) & 0xFFFF) / 65536.0;
}

int main(void) {
    om_bioes_scheme s;
    openmed_error err;
    CHECK(om_bioes_scheme_init(&s, LABELS, NL, &err) == OPENMED_OK);
    CHECK_INT(s.n_spans, 3);
    CHECK_STR(s.span_names[0], "O");
    CHECK_STR(s.span_names[1], "X");
    CHECK_STR(s.span_names[2], "Y");
    CHECK_INT(s.tag[EX], OM_TAG_E);
    CHECK_INT(s.span[SY], 2);
    CHECK_INT(s.background, O);
    om_viterbi_biases zero = {0};
    int32_t path[8];
    double lp[8 * NL];

    /* forbidden transitions: argmax says I-X I-X I-X; a span must open with B and close with E */
    prefer(lp, 0, IX, 3.0), prefer(lp, 1, IX, 3.0), prefer(lp, 2, IX, 3.0);
    lp[0 * NL + BX] = -3.0, lp[2 * NL + EX] = -3.0;
    CHECK(decode(&s, &zero, lp, 3, path));
    CHECK_INT(path[0], BX); CHECK_INT(path[1], IX); CHECK_INT(path[2], EX);

    /* B-X then E-Y is not a span: the decoder must not emit it */
    prefer(lp, 0, BX, 4.0), prefer(lp, 1, EY, 4.0);
    CHECK(decode(&s, &zero, lp, 2, path));
    CHECK(!(path[0] == BX && path[1] == EY));
    CHECK_NEAR(path_score(&s, &zero, lp, 2, path), brute_best(&s, &zero, lp, 2), 1e-9);

    /* one token: B-X cannot end a text, so the best allowed label wins (O over S-X here) */
    prefer(lp, 0, BX, 4.0);
    lp[0 * NL + O] = -2.0, lp[0 * NL + SX] = -3.0;
    CHECK(decode(&s, &zero, lp, 1, path));
    CHECK_INT(path[0], O);
    lp[0 * NL + SX] = -1.0;
    CHECK(decode(&s, &zero, lp, 1, path));
    CHECK_INT(path[0], SX);

    /* all O */
    for (int t = 0; t < 5; t++) prefer(lp, t, O, 2.0);
    CHECK(decode(&s, &zero, lp, 5, path));
    int all_o = 1;
    for (int t = 0; t < 5; t++) all_o &= path[t] == O;
    CHECK(all_o);
    om_token_span spans[16];
    CHECK_INT(om_bioes_token_spans(&s, path, 5, spans), 0);

    /* ties: every score equal -> the lowest label id at every step (O O O) */
    for (int j = 0; j < 3 * NL; j++) lp[j] = -1.0;
    CHECK(decode(&s, &zero, lp, 3, path));
    CHECK_INT(path[0], O); CHECK_INT(path[1], O); CHECK_INT(path[2], O);
    /* a tie between S-X (id 1) and O (id 2) in another label order goes to S-X */
    {
        const char *const order[] = {"B-X", "S-X", "O", "E-X"};
        om_bioes_scheme s2;
        CHECK(om_bioes_scheme_init(&s2, order, 4, &err) == OPENMED_OK);
        CHECK_INT(s2.background, 2);
        double one[4] = {-9.0, -0.5, -0.5, -9.0};
        int32_t p1[1];
        CHECK(om_viterbi_decode(&s2, NULL, one, 1, p1, &err) == OPENMED_OK);
        CHECK_INT(p1[0], 1);
        om_bioes_scheme_free(&s2);
    }

    /* biases: O O preferred slightly; a background_to_start bias turns the second token into S-X,
     * a background_stay penalty does the same; inside_to_end pulls B-X I-X E-X over B-X E-X S-X */
    prefer(lp, 0, O, 1.0), prefer(lp, 1, O, 1.0);
    lp[1 * NL + SX] = -4.5;
    CHECK(decode(&s, &zero, lp, 2, path));
    CHECK_INT(path[1], O);
    om_viterbi_biases b = {0};
    b.background_to_start = 1.0;
    CHECK(decode(&s, &b, lp, 2, path));
    CHECK_INT(path[1], SX);
    b = zero, b.background_stay = -1.0;
    CHECK(decode(&s, &b, lp, 2, path));
    CHECK_INT(path[1], SX);
    b = zero, b.end_to_start = -2.0;
    prefer(lp, 0, SX, 2.0), prefer(lp, 1, SX, 2.0);
    lp[1 * NL + O] = -4.0;
    CHECK(decode(&s, &b, lp, 2, path));
    CHECK_INT(path[0], SX); CHECK_INT(path[1], O);
    b = zero, b.end_to_background = -3.0;
    CHECK(decode(&s, &b, lp, 2, path));
    CHECK_INT(path[1], SX);

    /* random tables and random biases: the decoded path is allowed and as good as the best of
     * all 9^4 paths */
    int agree = 0, allowed = 0;
    for (int trial = 0; trial < 200; trial++) {
        int T = 1 + trial % 4;
        for (int j = 0; j < T * NL; j++) lp[j] = -6.0 * rnd();
        om_viterbi_biases rb = {rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, rnd() - 0.5};
        if (trial % 3 == 0) rb = zero;
        CHECK(decode(&s, &rb, lp, T, path));
        double got = path_score(&s, &rb, lp, T, path), best = brute_best(&s, &rb, lp, T);
        agree += fabs(got - best) < 1e-9;
        allowed += got > -1e8;
    }
    CHECK_INT(agree, 200);
    CHECK_INT(allowed, 200);

    /* log-softmax rows */
    float logits[3] = {1.0f, 2.0f, 3.0f};
    double out[3];
    om_log_softmax_rows(logits, 1, 3, out);
    CHECK_NEAR(exp(out[0]) + exp(out[1]) + exp(out[2]), 1.0, 1e-12);
    CHECK_NEAR(out[2] - out[1], 1.0, 1e-12);

    /* NaN scores: no crash, every label in range */
    for (int j = 0; j < 2 * NL; j++) lp[j] = NAN;
    CHECK(decode(&s, &zero, lp, 2, path));
    CHECK(path[0] >= 0 && path[0] < NL && path[1] >= 0 && path[1] < NL);
    CHECK(decode(&s, &zero, lp, 0, path)); /* zero tokens */

    /* token spans: BIOES grouping */
    {
        int32_t l1[] = {BX, IX, EX, O, SX, SY, BY, IY, O, IX, IX, EX, BX, EY, EX, BX};
        int64_t n = om_bioes_token_spans(&s, l1, 16, spans);
        CHECK_INT(n, 9);
        int64_t want[9][3] = {{1, 0, 3}, {1, 4, 5}, {2, 5, 6}, {2, 6, 8}, {1, 9, 12},
                              {1, 12, 13}, {2, 13, 14}, {1, 14, 15}, {1, 15, 16}};
        for (int i = 0; i < 9 && i < n; i++) {
            CHECK_INT(spans[i].span, want[i][0]);
            CHECK_INT(spans[i].start, want[i][1]);
            CHECK_INT(spans[i].end, want[i][2]);
        }
    }

    /* labels without a prefix start spans; a missing name is an error */
    {
        const char *const plain[] = {"O", "DISEASE", "I-DISEASE"};
        om_bioes_scheme s3;
        CHECK(om_bioes_scheme_init(&s3, plain, 3, &err) == OPENMED_OK);
        CHECK_INT(s3.tag[1], OM_TAG_B);
        CHECK_INT(s3.span[1], s3.span[2]);
        om_bioes_scheme_free(&s3);
        const char *const holes[] = {"O", NULL};
        CHECK(om_bioes_scheme_init(&s3, holes, 2, &err) == OPENMED_ERR_FORMAT);
        CHECK(om_bioes_scheme_init(&s3, plain, 0, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    }

    /* biases from JSON */
    {
        om_viterbi_biases pb;
        cJSON *j = cJSON_Parse("{\"transition_bias_background_stay\": 0.5, \"transition_bias_end_to_start\": -1,"
                               " \"other\": \"ignored\"}");
        CHECK(om_viterbi_biases_parse(j, "config.json", &pb, &err) == OPENMED_OK);
        CHECK_NEAR(pb.background_stay, 0.5, 0); CHECK_NEAR(pb.end_to_start, -1.0, 0);
        CHECK_NEAR(pb.inside_to_end, 0.0, 0);
        cJSON_Delete(j);
        j = cJSON_Parse("{\"transition_bias_inside_to_end\": \"big\"}");
        CHECK(om_viterbi_biases_parse(j, "config.json", &pb, &err) == OPENMED_ERR_FORMAT);
        CHECK(strstr(err.message, "transition_bias_inside_to_end") != NULL);
        cJSON_Delete(j);
        j = cJSON_Parse("[1, 2]");
        CHECK(om_viterbi_biases_parse(j, "config.json", &pb, &err) == OPENMED_ERR_FORMAT);
        cJSON_Delete(j);
        CHECK(om_viterbi_biases_parse(NULL, "config.json", &pb, &err) == OPENMED_OK);
    }
    om_bioes_scheme_free(&s);
    return check_finish("test_privacy_viterbi");
}
