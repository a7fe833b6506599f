/* analyze_text.c: OpenMed's analyze_text over a pipeline: sentences -> chunks -> the pipeline's
 * entities -> cuts at line and sentence boundaries -> medical-token remap -> threshold -> whole
 * words -> grouping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "openmed.h"
#include "pipeline/analyze.h"
#include "pipeline/chunks.h"
#include "pipeline/entity_spans.h"
#include "pipeline/sentences.h"
#include "pipeline/text_index.h"
#include "pipeline/word_tokens.h"

#define MAX_CHUNK_SENTENCES 6 /* OpenMed's max_chunk_sentences */
#define MIN_CHUNK_CHARS 480   /* OpenMed: max(480, 4 * max_length) code points */

void openmed_analyze_options_init(openmed_analyze_options *o) {
    memset(o, 0, sizeof *o);
    o->confidence_threshold = 0.0f;
    o->sentence_detection = 1;
    o->medical_tokens = 1;
    o->group_entities = 0;
    o->max_chunk_sentences = MAX_CHUNK_SENTENCES;
    o->max_chunk_chars = 0;
}

/* One text's plan: its code points, sentences and chunks. */
typedef struct text_plan {
    om_text_index ix;
    uint32_t *cp;
    om_sentence *sent;
    size_t n_sent;
    om_chunk *chunks;
    size_t n_chunks;
    int detect;
} text_plan;

static void plan_free(text_plan *t) {
    om_text_index_free(&t->ix);
    free(t->cp);
    free(t->sent);
    free(t->chunks);
}

static int64_t window_capacity(const om_analyzer *a) {
    return a->max_length > 0 ? a->max_length - (int64_t)om_tokenizer_num_special_tokens(a->tok) : 0;
}

static openmed_status plan_text(const om_analyzer *a, const char *text, size_t index, const openmed_analyze_options *o,
                                om_encoding *scratch, text_plan *t, openmed_error *err) {
    char what[64];
    snprintf(what, sizeof what, "text %zu", index);
    openmed_status st = om_text_index_init(&t->ix, text, strlen(text), what, err);
    if (st != OPENMED_OK) return st;
    int64_t n = t->ix.n_cp;
    t->cp = malloc((size_t)(n ? n : 1) * sizeof *t->cp);
    if (!t->cp) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
    for (int64_t i = 0; i < n; i++) t->cp[i] = (uint32_t)om_text_codepoint(&t->ix, i);
    t->detect = o->sentence_detection;
    if (t->detect) {
        st = om_sentences_split(t->cp, n, &t->sent, &t->n_sent, err);
        if (st != OPENMED_OK) return st;
        t->detect = t->n_sent > 0;
    }
    if (!t->detect) {
        t->chunks = malloc(sizeof *t->chunks);
        if (!t->chunks) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
        t->chunks[0] = (om_chunk){0, n, 0, 0};
        t->n_chunks = 1;
        return OPENMED_OK;
    }
    int64_t *tokens = malloc(t->n_sent * sizeof *tokens);
    if (!tokens) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", what);
    for (size_t i = 0; i < t->n_sent && st == OPENMED_OK; i++) {
        size_t b0, blen;
        om_text_slice(&t->ix, t->sent[i].start, t->sent[i].end, &b0, &blen);
        st = om_tokenizer_encode(a->tok, text + b0, blen, 0, scratch, err);
        tokens[i] = (int64_t)scratch->count;
    }
    if (st == OPENMED_OK) {
        int64_t max_len = a->max_length > 0 ? a->max_length : 256;
        om_chunk_limits lim = {o->max_chunk_sentences,
                               o->max_chunk_chars > 0 ? o->max_chunk_chars
                                                      : (4 * max_len > MIN_CHUNK_CHARS ? 4 * max_len : MIN_CHUNK_CHARS),
                               window_capacity(a)};
        st = om_chunks_plan(t->sent, t->n_sent, tokens, &lim, &t->chunks, &t->n_chunks, err);
    } else {
        om_fail_prefix(err, st, "%s", what);
    }
    free(tokens);
    return st;
}

/* Labels without their B-/I-/E-/S-/L-/U- tag, each stored once per call. */
typedef struct label_table {
    char **v;
    size_t n, cap;
} label_table;

static int label_index(label_table *t, const char *label) {
    const char *l = label;
    if ((l[0] == 'B' || l[0] == 'I' || l[0] == 'E' || l[0] == 'S' || l[0] == 'L' || l[0] == 'U') && l[1] == '-' && l[2])
        l += 2;
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i], l)) return (int)i;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        char **nv = realloc(t->v, nc * sizeof *nv);
        if (!nv) return -1;
        t->v = nv;
        t->cap = nc;
    }
    if (!(t->v[t->n] = strdup(l))) return -1;
    return (int)t->n++;
}

static void label_table_free(label_table *t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i]);
    free(t->v);
}

static void analysis_clear(openmed_analysis *r) {
    for (size_t i = 0; i < r->n_entities; i++) {
        free((char *)r->entities[i].text);
        free((char *)r->entities[i].label);
    }
    free(r->entities);
    free(r->sentences);
    free(r->chunks);
    memset(r, 0, sizeof *r);
}

void openmed_analyses_free(openmed_analysis *analyses, size_t n) {
    if (!analyses) return;
    for (size_t i = 0; i < n; i++) analysis_clear(&analyses[i]);
    free(analyses);
}

/* The entities of one text from its chunks' pipeline results. */
static openmed_status finish_text(const text_plan *t, const openmed_result *res, const openmed_analyze_options *o,
                                  label_table *labels, int64_t max_length, openmed_analysis *r, openmed_error *err) {
    int64_t n = t->ix.n_cp;
    om_text_span_list spans = {0};
    openmed_status st = OPENMED_OK;
    for (size_t c = 0; c < t->n_chunks; c++) {
        const om_chunk *ch = &t->chunks[c];
        r->n_tokens += res[c].n_tokens;
        r->n_windows += res[c].n_windows;
        for (size_t k = 0; k < res[c].n_entities; k++) {
            const openmed_entity *e = &res[c].entities[k];
            int label = label_index(labels, e->label);
            if (label < 0) goto oom;
            om_text_span s = {e->start + ch->start, e->end + ch->start, e->score, label, -1};
            if (!om_spans_split(t->cp, n, s, t->detect ? t->sent : NULL, ch->first, ch->count, &spans)) goto oom;
        }
    }
    om_text_spans_sort(&spans);
    if (o->medical_tokens && (st = om_spans_remap_to_words(t->cp, n, &spans, err)) != OPENMED_OK) goto fail;
    om_spans_threshold(&spans, o->confidence_threshold);
    om_spans_extend_to_words(t->cp, n, &spans);
    if (o->group_entities) om_spans_group(t->cp, n, &spans);

    r->entities = calloc(spans.n ? spans.n : 1, sizeof *r->entities);
    r->sentences = malloc((t->n_sent ? t->n_sent : 1) * sizeof *r->sentences);
    r->chunks = malloc(t->n_chunks * sizeof *r->chunks);
    if (!r->entities || !r->sentences || !r->chunks) goto oom;
    for (size_t i = 0; i < spans.n; i++) {
        const om_text_span *s = &spans.v[i];
        size_t b0, blen;
        om_text_slice(&t->ix, s->start, s->end, &b0, &blen);
        openmed_text_entity *e = &r->entities[r->n_entities];
        e->text = strndup(t->ix.text + b0, blen);
        e->label = strdup(labels->v[s->label]);
        r->n_entities++;
        if (!e->text || !e->label) goto oom;
        e->confidence = s->score;
        e->start = s->start;
        e->end = s->end;
        e->sentence = s->sentence;
    }
    if (t->detect) {
        for (size_t i = 0; i < t->n_sent; i++) r->sentences[i] = (openmed_text_span){t->sent[i].start, t->sent[i].end};
        r->n_sentences = t->n_sent;
    }
    for (size_t i = 0; i < t->n_chunks; i++) r->chunks[i] = (openmed_text_span){t->chunks[i].start, t->chunks[i].end};
    r->n_chunks = t->n_chunks;
    r->sentence_detection = t->detect;
    r->medical_tokens = o->medical_tokens;
    r->max_length = max_length;
    om_text_spans_free(&spans);
    return OPENMED_OK;
oom:
    st = om_fail(err, OPENMED_ERR_NO_MEMORY, "analyze: out of memory");
fail:
    om_text_spans_free(&spans);
    return st;
}

openmed_status openmed_analyze(openmed_pipeline *pipeline, const char *const *texts, size_t n_texts,
                               const openmed_analyze_options *options, openmed_analysis **out, openmed_error *err) {
    *out = NULL;
    if (!pipeline) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: pipeline is NULL");
    if (n_texts > 0 && !texts) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: texts is NULL");
    openmed_analyze_options defaults;
    if (!options) {
        openmed_analyze_options_init(&defaults);
        options = &defaults;
    }
    if (!(options->confidence_threshold >= 0.0f && options->confidence_threshold <= 1.0f))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: confidence_threshold %g: must be between 0 and 1",
                       (double)options->confidence_threshold);
    if (options->max_chunk_sentences < 1)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: max_chunk_sentences %d: must be at least 1",
                       options->max_chunk_sentences);
    if (options->max_chunk_chars < 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: max_chunk_chars %d: must be 0 (automatic) or more",
                       options->max_chunk_chars);
    for (size_t i = 0; i < n_texts; i++)
        if (!texts[i]) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "analyze: text %zu is NULL", i);

    /* Whole texts, in windows that overlap where a chunk outgrows one window. */
    om_analyzer a = *om_pipeline_analyzer(pipeline);
    a.mode = OM_WINDOWS_ALL;
    int64_t capacity = window_capacity(&a);
    if (a.agg.strategy != OPENMED_AGGREGATION_NONE && a.stride < 0 && capacity >= 8) a.stride = (int)(capacity / 4);

    openmed_status st = OPENMED_OK;
    text_plan *plans = calloc(n_texts ? n_texts : 1, sizeof *plans);
    openmed_analysis *analyses = calloc(n_texts ? n_texts : 1, sizeof *analyses);
    char **chunk_texts = NULL;
    openmed_result *results = NULL;
    size_t n_chunks = 0;
    label_table labels = {0};
    om_encoding scratch;
    om_encoding_init(&scratch);
    if (!plans || !analyses) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "analyze: out of memory for %zu texts", n_texts);
        goto done;
    }
    for (size_t i = 0; i < n_texts && st == OPENMED_OK; i++) {
        st = plan_text(&a, texts[i], i, options, &scratch, &plans[i], err);
        n_chunks += plans[i].n_chunks;
    }
    if (st != OPENMED_OK) goto done;
    chunk_texts = calloc(n_chunks ? n_chunks : 1, sizeof *chunk_texts);
    results = calloc(n_chunks ? n_chunks : 1, sizeof *results);
    if (!chunk_texts || !results) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "analyze: out of memory for %zu chunks", n_chunks);
        goto done;
    }
    for (size_t i = 0, k = 0; i < n_texts; i++)
        for (size_t c = 0; c < plans[i].n_chunks; c++, k++) {
            size_t b0, blen;
            om_text_slice(&plans[i].ix, plans[i].chunks[c].start, plans[i].chunks[c].end, &b0, &blen);
            if (!(chunk_texts[k] = strndup(texts[i] + b0, blen))) {
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "analyze: out of memory for chunk %zu", k);
                goto done;
            }
        }
    st = om_analyze_texts(&a, (const char *const *)chunk_texts, n_chunks, results, err);
    if (st != OPENMED_OK) goto done;
    for (size_t i = 0, k = 0; i < n_texts && st == OPENMED_OK; k += plans[i].n_chunks, i++) {
        st = finish_text(&plans[i], results + k, options, &labels, a.max_length, &analyses[i], err);
        if (st != OPENMED_OK) om_fail_prefix(err, st, "text %zu", i);
    }
    if (st == OPENMED_OK) {
        *out = analyses;
        analyses = NULL;
    }
done:
    if (analyses) openmed_analyses_free(analyses, n_texts);
    if (results) {
        for (size_t k = 0; k < n_chunks; k++) om_result_clear(&results[k]);
        free(results);
    }
    for (size_t k = 0; chunk_texts && k < n_chunks; k++) free(chunk_texts[k]);
    free(chunk_texts);
    for (size_t i = 0; plans && i < n_texts; i++) plan_free(&plans[i]);
    free(plans);
    label_table_free(&labels);
    om_encoding_free(&scratch);
    return st;
}
