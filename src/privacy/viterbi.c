/* viterbi.c: constrained BIOES Viterbi decoding and BIOES span grouping (see viterbi.h). */
#include "privacy/viterbi.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define OM_VITERBI_FORBIDDEN (-1e9) /* OpenMed's _NEG_INF: finite on purpose */

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void om_bioes_scheme_free(om_bioes_scheme *s) {
    if (!s) return;
    free(s->tag);
    free(s->span);
    if (s->span_names)
        for (int i = 0; i < s->n_spans; i++) free(s->span_names[i]);
    free(s->span_names);
    memset(s, 0, sizeof *s);
}

openmed_status om_bioes_scheme_init(om_bioes_scheme *s, const char *const *id2label, int n_labels,
                                    openmed_error *err) {
    memset(s, 0, sizeof *s);
    if (n_labels <= 0 || !id2label)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "BIOES labels: no labels (num_labels = %d)", n_labels);
    s->n_labels = n_labels;
    s->tag = calloc((size_t)n_labels, sizeof *s->tag);
    s->span = calloc((size_t)n_labels, sizeof *s->span);
    s->span_names = calloc((size_t)n_labels + 1, sizeof *s->span_names);
    if (!s->tag || !s->span || !s->span_names) {
        om_bioes_scheme_free(s);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "BIOES labels: out of memory for %d labels", n_labels);
    }
    s->span_names[0] = dup_string("O");
    s->n_spans = 1;
    if (!s->span_names[0]) goto oom;
    for (int i = 0; i < n_labels; i++) {
        const char *label = id2label[i];
        if (!label) {
            om_bioes_scheme_free(s);
            return om_fail(err, OPENMED_ERR_FORMAT, "BIOES labels: label id %d has no name", i);
        }
        if (strcmp(label, "O") == 0) {
            s->background = i;
            s->tag[i] = OM_TAG_O;
            s->span[i] = 0;
            continue;
        }
        const char *base = label;
        s->tag[i] = OM_TAG_B; /* a label without a boundary prefix can only start a span */
        if (strlen(label) > 2 && label[1] == '-' && strchr("BIES", label[0])) {
            static const om_bioes_tag tags[] = {OM_TAG_B, OM_TAG_I, OM_TAG_E, OM_TAG_S};
            s->tag[i] = tags[strchr("BIES", label[0]) - "BIES"];
            base = label + 2;
        }
        int found = -1;
        for (int k = 0; k < s->n_spans; k++)
            if (strcmp(s->span_names[k], base) == 0) found = k;
        if (found < 0) {
            found = s->n_spans;
            s->span_names[s->n_spans] = dup_string(base);
            if (!s->span_names[s->n_spans]) goto oom;
            s->n_spans++;
        }
        s->span[i] = found;
    }
    return OPENMED_OK;
oom:
    om_bioes_scheme_free(s);
    return om_fail(err, OPENMED_ERR_NO_MEMORY, "BIOES labels: out of memory");
}

openmed_status om_viterbi_biases_parse(const cJSON *obj, const char *where, om_viterbi_biases *out,
                                       openmed_error *err) {
    memset(out, 0, sizeof *out);
    if (!obj || cJSON_IsNull(obj)) return OPENMED_OK;
    if (!cJSON_IsObject(obj))
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: Viterbi biases must be an object of transition_bias_* numbers",
                       where ? where : "config");
    static const char *const keys[6] = {
        "transition_bias_background_stay",    "transition_bias_background_to_start",
        "transition_bias_inside_to_continue", "transition_bias_inside_to_end",
        "transition_bias_end_to_background",  "transition_bias_end_to_start"};
    double *fields[6] = {&out->background_stay,    &out->background_to_start, &out->inside_to_continue,
                         &out->inside_to_end,      &out->end_to_background,   &out->end_to_start};
    for (int k = 0; k < 6; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, keys[k]);
        if (!v) continue;
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            memset(out, 0, sizeof *out);
            return om_fail(err, OPENMED_ERR_FORMAT, "%s: Viterbi bias \"%s\" must be a finite number",
                           where ? where : "config", keys[k]);
        }
        *fields[k] = v->valuedouble;
    }
    return OPENMED_OK;
}

void om_log_softmax_rows(const float *logits, int64_t T, int n, double *log_probs) {
    for (int64_t t = 0; t < T; t++) {
        const float *row = logits + t * n;
        double *out = log_probs + t * n;
        double mx = -INFINITY;
        for (int j = 0; j < n; j++)
            if (row[j] > mx) mx = row[j];
        double sum = 0.0;
        for (int j = 0; j < n; j++) sum += exp((double)row[j] - mx);
        double lse = mx + log(sum);
        for (int j = 0; j < n; j++) out[j] = (double)row[j] - lse;
    }
}

static int is_start_tag(om_bioes_tag t) { return t == OM_TAG_B || t == OM_TAG_S; }

/* Whether label j counts as background when it is the next state (OpenMed checks the span class
 * or the "O" id). */
static int next_is_background(const om_bioes_scheme *s, int j) { return s->span[j] == 0 || j == s->background; }

static int transition_allowed(const om_bioes_scheme *s, int i, int j) {
    om_bioes_tag ti = s->tag[i];
    if (ti == OM_TAG_O || s->span[i] == 0 || ti == OM_TAG_E || ti == OM_TAG_S)
        return next_is_background(s, j) || is_start_tag(s->tag[j]);
    /* B or I: only I or E of the same span */
    return s->span[i] == s->span[j] && (s->tag[j] == OM_TAG_I || s->tag[j] == OM_TAG_E);
}

static double transition_bias(const om_bioes_scheme *s, const om_viterbi_biases *b, int i, int j) {
    om_bioes_tag ti = s->tag[i], tj = s->tag[j];
    if (s->span[i] == 0 || i == s->background) {
        if (next_is_background(s, j)) return b->background_stay;
        return is_start_tag(tj) ? b->background_to_start : 0.0;
    }
    if (ti == OM_TAG_B || ti == OM_TAG_I) {
        if (tj == OM_TAG_I && s->span[i] == s->span[j]) return b->inside_to_continue;
        if (tj == OM_TAG_E && s->span[i] == s->span[j]) return b->inside_to_end;
        return 0.0;
    }
    if (ti == OM_TAG_E || ti == OM_TAG_S) {
        if (next_is_background(s, j)) return b->end_to_background;
        return is_start_tag(tj) ? b->end_to_start : 0.0;
    }
    return 0.0;
}

openmed_status om_viterbi_decode(const om_bioes_scheme *s, const om_viterbi_biases *biases,
                                 const double *log_probs, int64_t T, int32_t *labels, openmed_error *err) {
    if (T <= 0) return OPENMED_OK;
    const int n = s->n_labels;
    if (n > INT16_MAX)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "Viterbi: %d labels (at most %d)", n, INT16_MAX);
    om_viterbi_biases zero = {0};
    if (!biases) biases = &zero;

    double *trans = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double *start = malloc(sizeof(double) * (size_t)n * 4);
    int16_t *back = malloc(sizeof(int16_t) * (size_t)n * (size_t)T);
    if (!trans || !start || !back) {
        free(trans), free(start), free(back);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "Viterbi: out of memory for %lld tokens x %d labels",
                       (long long)T, n);
    }
    double *end = start + n, *score = start + 2 * n, *next = start + 3 * n;
    for (int i = 0; i < n; i++) {
        start[i] = (is_start_tag(s->tag[i]) || i == s->background) ? 0.0 : OM_VITERBI_FORBIDDEN;
        end[i] = (s->tag[i] == OM_TAG_E || s->tag[i] == OM_TAG_S || i == s->background) ? 0.0 : OM_VITERBI_FORBIDDEN;
        for (int j = 0; j < n; j++)
            trans[i * n + j] = transition_allowed(s, i, j) ? transition_bias(s, biases, i, j) : OM_VITERBI_FORBIDDEN;
    }

    for (int j = 0; j < n; j++) score[j] = log_probs[j] + start[j];
    for (int64_t t = 1; t < T; t++) {
        const double *lp = log_probs + t * n;
        int16_t *bp = back + t * n;
        for (int j = 0; j < n; j++) {
            double best = -INFINITY;
            int best_i = 0;
            for (int i = 0; i < n; i++) {
                double v = score[i] + trans[i * n + j];
                if (v > best) best = v, best_i = i; /* strict: the lowest id wins ties */
            }
            next[j] = best + lp[j];
            bp[j] = (int16_t)best_i;
        }
        memcpy(score, next, sizeof(double) * (size_t)n);
    }

    int any_finite = 0, last = 0;
    double best = -INFINITY;
    for (int j = 0; j < n; j++) {
        double v = score[j] + end[j];
        if (isfinite(v)) any_finite = 1;
        if (v > best) best = v, last = j;
    }
    if (!any_finite) { /* no usable path (NaN scores): per-token argmax, like OpenMed */
        for (int64_t t = 0; t < T; t++) {
            const double *lp = log_probs + t * n;
            int arg = 0;
            for (int j = 1; j < n; j++)
                if (lp[j] > lp[arg]) arg = j;
            labels[t] = arg;
        }
    } else {
        labels[T - 1] = last;
        for (int64_t t = T - 1; t > 0; t--) labels[t - 1] = back[t * n + labels[t]];
    }
    free(trans), free(start), free(back);
    return OPENMED_OK;
}

int64_t om_bioes_token_spans(const om_bioes_scheme *s, const int32_t *labels, int64_t T, om_token_span *out) {
    int64_t n = 0;
    int cur = -1; /* open span class, -1 = none */
    int64_t cur_start = 0;
#define EMIT(sp, a, b) (out[n].span = (sp), out[n].start = (a), out[n].end = (b), n++)
    for (int64_t t = 0; t < T; t++) {
        int id = labels[t];
        if (id < 0 || id >= s->n_labels) { /* not a label: a hard break */
            if (cur >= 0) EMIT(cur, cur_start, t);
            cur = -1;
            continue;
        }
        int span = s->span[id];
        om_bioes_tag tag = s->tag[id];
        if (span == 0) {
            if (cur >= 0) EMIT(cur, cur_start, t);
            cur = -1;
        } else if (tag == OM_TAG_S) {
            if (cur >= 0) EMIT(cur, cur_start, t);
            EMIT(span, t, t + 1);
            cur = -1;
        } else if (tag == OM_TAG_B) {
            if (cur >= 0) EMIT(cur, cur_start, t);
            cur = span, cur_start = t;
        } else if (tag == OM_TAG_I) {
            if (cur != span) {
                if (cur >= 0) EMIT(cur, cur_start, t);
                cur = span, cur_start = t;
            }
        } else { /* E */
            if (cur == span) {
                EMIT(span, cur_start, t + 1);
            } else {
                if (cur >= 0) EMIT(cur, cur_start, t);
                EMIT(span, t, t + 1);
            }
            cur = -1;
        }
    }
    if (cur >= 0) EMIT(cur, cur_start, T);
#undef EMIT
    return n;
}
