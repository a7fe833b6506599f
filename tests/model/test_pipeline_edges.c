/* test_pipeline_edges.c: the pipeline on texts the goldens do not cover: empty, whitespace-only,
 * far longer than a window (HF truncation, HF stride, whole-text windows), a 1 MB text, batch
 * size 1 versus 8, two threads sharing one model, and the errors for bad options and bad text. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "openmed.h"

static openmed_model *load(const char *name) {
    char dir[OPENMED_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/hf/models/%s", OM_FIXTURES, name);
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    mo.num_threads = 1;
    openmed_model *m = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_model_load(dir, &mo, &m, &err) == OPENMED_OK, "%s", err.message);
    return m;
}

static openmed_pipeline *make(openmed_model *m, openmed_aggregation agg, int stride, int batch, openmed_long_text lt) {
    openmed_pipeline_options o;
    openmed_pipeline_options_init(&o);
    o.aggregation = agg;
    o.stride = stride;
    o.batch_size = batch;
    o.long_text = lt;
    openmed_pipeline *p = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_OK, "%s", err.message);
    return p;
}

static openmed_result *run(openmed_pipeline *p, const char *const *texts, size_t n) {
    openmed_result *r = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_pipeline_run(p, texts, n, &r, &err) == OPENMED_OK, "%s", err.message);
    return r;
}

static int same_results(const openmed_result *a, const openmed_result *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i].n_entities != b[i].n_entities || a[i].n_tokens != b[i].n_tokens) return 0;
        for (size_t k = 0; k < a[i].n_entities; k++) {
            const openmed_entity *x = &a[i].entities[k], *y = &b[i].entities[k];
            if (strcmp(x->label, y->label) || strcmp(x->word, y->word) || x->start != y->start || x->end != y->end ||
                x->index != y->index || fabsf(x->score - y->score) > 1e-5f)
                return 0;
        }
    }
    return 1;
}

/* Entities in order, inside the text, non-empty for a whitespace-free ASCII text. */
static int well_formed(const openmed_result *r, int64_t n_cp) {
    for (size_t k = 0; k < r->n_entities; k++) {
        const openmed_entity *e = &r->entities[k];
        if (e->start < 0 || e->end > n_cp || e->start > e->end) return 0;
        if (k && e->start < r->entities[k - 1].end) return 0;
    }
    return 1;
}

static int64_t last_end(const openmed_result *r) {
    return r->n_entities ? r->entities[r->n_entities - 1].end : 0;
}

typedef struct thread_job {
    openmed_model *model;
    const char *const *texts;
    size_t n;
    openmed_result *results;
} thread_job;

static void *thread_main(void *arg) {
    thread_job *j = arg;
    openmed_pipeline *p = make(j->model, OPENMED_AGGREGATION_FIRST, 32, 3, OPENMED_LONG_TEXT_ALL_WINDOWS);
    openmed_error err = {0};
    if (p && openmed_pipeline_run(p, j->texts, j->n, &j->results, &err) != OPENMED_OK) j->results = NULL;
    openmed_pipeline_free(p);
    return NULL;
}

/* Cancellation callback: stop at the tenth question (6 texts, then passes of 4 windows). */
static int stop_at_tenth(void *ctx) {
    int *asked = ctx;
    return ++*asked >= 10;
}

int main(void) {
    const char *sentence = "The patient was diagnosed with type 2 diabetes mellitus and hypertension. ";
    size_t slen = strlen(sentence);
    /* ~40 windows of 128 tokens. */
    size_t long_len = slen * 400;
    char *long_text = malloc(long_len + 1);
    for (size_t i = 0; i < 400; i++) memcpy(long_text + i * slen, sentence, slen);
    long_text[long_len] = '\0';

    const char *names[] = {"bert-uncased", "roberta"};
    for (int mi = 0; mi < 2; mi++) {
        openmed_model *m = load(names[mi]);
        if (!m) continue;
        const char *texts[] = {"", "   \n\t  ", "x", long_text, "Metformin for diabetes.", "  "};
        const size_t n = sizeof texts / sizeof texts[0];

        /* Empty and whitespace-only texts: no entities, one window of special tokens. */
        openmed_pipeline *p = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 8, OPENMED_LONG_TEXT_HF);
        openmed_result *r = run(p, texts, n);
        if (r) {
            CHECK_INT(r[0].n_entities, 0);
            CHECK_INT(r[0].n_windows, 1);
            /* WordPiece drops whitespace; byte-level BPE keeps it as tokens (HF labels those too). */
            if (mi == 0) CHECK_INT(r[1].n_entities, 0);
            if (mi == 0) CHECK_INT(r[5].n_entities, 0);
            CHECK(well_formed(&r[1], 7));
            CHECK(r[2].n_entities <= 1);
            /* HF without stride reads the first window only. */
            CHECK_INT(r[3].n_windows, 1);
            CHECK(r[3].n_tokens == openmed_model_max_length(m));
            CHECK(last_end(&r[3]) < 800);
            CHECK(well_formed(&r[3], (int64_t)long_len));
        }
        openmed_results_free(r, n);
        openmed_pipeline_free(p);

        /* The defaults (options NULL, or openmed_pipeline_options_init) read the whole long text,
         * exactly as the explicit whole-text mode; HF's opt-in mode stops after its first window. */
        {
            openmed_pipeline_options dflt;
            openmed_pipeline_options_init(&dflt);
            CHECK_INT(dflt.long_text, OPENMED_LONG_TEXT_ALL_WINDOWS);
            openmed_pipeline *pd = NULL;
            openmed_error err = {0};
            CHECK_MSG(openmed_pipeline_create(m, NULL, &pd, &err) == OPENMED_OK, "%s", err.message);
            openmed_pipeline *pa = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 8, OPENMED_LONG_TEXT_ALL_WINDOWS);
            openmed_pipeline *ph = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 8, OPENMED_LONG_TEXT_HF);
            const char *one[] = {long_text};
            openmed_result *rd = pd ? run(pd, one, 1) : NULL, *ra = run(pa, one, 1), *rh = run(ph, one, 1);
            if (rd && ra && rh) {
                CHECK(rd[0].n_windows > 10);
                CHECK(last_end(&rd[0]) > (int64_t)(long_len - slen));
                CHECK(same_results(rd, ra, 1));
                CHECK(rh[0].n_entities > 0 && rd[0].n_entities > 10 * rh[0].n_entities);
            }
            openmed_results_free(rd, rd ? 1 : 0);
            openmed_results_free(ra, ra ? 1 : 0);
            openmed_results_free(rh, rh ? 1 : 0);
            openmed_pipeline_free(pd);
            openmed_pipeline_free(pa);
            openmed_pipeline_free(ph);
        }

        /* HF stride: overlapping windows over the first model_max_length tokens only. */
        p = make(m, OPENMED_AGGREGATION_SIMPLE, 32, 8, OPENMED_LONG_TEXT_HF);
        r = run(p, texts, n);
        if (r) {
            CHECK_INT(r[3].n_windows, 2);
            CHECK(well_formed(&r[3], (int64_t)long_len));
            CHECK_INT(r[0].n_entities, 0);
        }
        openmed_results_free(r, n);
        openmed_pipeline_free(p);

        /* Whole-text windows: entities reach the end of the text; batch size 1 and 8 agree. */
        openmed_result *by_batch[2] = {NULL, NULL};
        int batches[2] = {1, 8};
        for (int b = 0; b < 2; b++) {
            p = make(m, OPENMED_AGGREGATION_FIRST, 32, batches[b], OPENMED_LONG_TEXT_ALL_WINDOWS);
            by_batch[b] = run(p, texts, n);
            openmed_pipeline_free(p);
        }
        if (by_batch[0] && by_batch[1]) {
            CHECK(same_results(by_batch[0], by_batch[1], n));
            CHECK(by_batch[0][3].n_windows > 30);
            CHECK(last_end(&by_batch[0][3]) > (int64_t)long_len - 80);
            CHECK(well_formed(&by_batch[0][3], (int64_t)long_len));
        }
        /* HF runs agree across batch sizes too (stride, several texts per pass). */
        for (int b = 0; b < 2; b++) {
            p = make(m, OPENMED_AGGREGATION_AVERAGE, 16, batches[b], OPENMED_LONG_TEXT_HF);
            openmed_results_free(by_batch[b], n);
            by_batch[b] = run(p, texts, n);
            openmed_pipeline_free(p);
        }
        if (by_batch[0] && by_batch[1]) CHECK(same_results(by_batch[0], by_batch[1], n));

        /* Two threads, one model, a pipeline each: the same results as one thread. */
        thread_job jobs[2] = {{m, texts, n, NULL}, {m, texts, n, NULL}};
        pthread_t th[2];
        for (int t = 0; t < 2; t++) pthread_create(&th[t], NULL, thread_main, &jobs[t]);
        for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
        openmed_result *single = NULL;
        p = make(m, OPENMED_AGGREGATION_FIRST, 32, 3, OPENMED_LONG_TEXT_ALL_WINDOWS);
        single = run(p, texts, n);
        openmed_pipeline_free(p);
        for (int t = 0; t < 2; t++) {
            CHECK(jobs[t].results != NULL);
            if (jobs[t].results && single) CHECK(same_results(jobs[t].results, single, n));
            openmed_results_free(jobs[t].results, n);
        }
        openmed_results_free(single, n);
        for (int b = 0; b < 2; b++) openmed_results_free(by_batch[b], n);

        /* Errors: clear, named, nothing half-done. */
        openmed_error err = {0};
        openmed_pipeline_options o;
        openmed_pipeline_options_init(&o);
        o.stride = 128;
        p = NULL;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_ERR_INVALID_ARGUMENT && p == NULL);
        CHECK(strstr(err.message, "stride 128") != NULL);
        o.stride = 8;
        o.aggregation = OPENMED_AGGREGATION_NONE;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "none") != NULL);
        openmed_pipeline_options_init(&o);
        o.batch_size = 0;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        openmed_pipeline_options_init(&o);
        o.threshold = 1.5f;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        openmed_pipeline_options_init(&o);
        o.decoder = (openmed_label_decoder)7;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        p = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 8, OPENMED_LONG_TEXT_HF);
        const char *bad[] = {"fine", "caf\xc3 bad"};
        r = (openmed_result *)1;
        CHECK(openmed_pipeline_run(p, bad, 2, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT && r == NULL);
        CHECK_MSG(strstr(err.message, "text 1") && strstr(err.message, "byte 3"), "%s", err.message);
        const char *null_text[] = {NULL};
        CHECK(openmed_pipeline_run(p, null_text, 1, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        r = run(p, NULL, 0); /* nothing to do is not an error */
        openmed_results_free(r, 0);
        openmed_pipeline_free(p);

        /* Cancellation between windows: the run stops with CANCELLED and nothing half-made; the
         * pipeline runs normally again once the callback is removed. */
        p = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 4, OPENMED_LONG_TEXT_ALL_WINDOWS);
        int asked = 0;
        openmed_pipeline_set_cancel(p, stop_at_tenth, &asked);
        r = (openmed_result *)1;
        CHECK_INT(openmed_pipeline_run(p, texts, n, &r, &err), OPENMED_ERR_CANCELLED);
        CHECK(r == NULL && asked == 10);
        CHECK_STR(openmed_status_name(OPENMED_ERR_CANCELLED), "cancelled");
        openmed_pipeline_set_cancel(p, NULL, NULL);
        r = run(p, texts, n);
        if (r) CHECK(r[3].n_windows > 30);
        openmed_results_free(r, n);
        openmed_pipeline_free(p);

        /* Ignore nothing: "O" groups come back too. */
        openmed_pipeline_options_init(&o);
        o.ignore_labels = (const char *const[]){"NOTHING"};
        o.n_ignore_labels = 1;
        p = NULL;
        CHECK(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_OK);
        r = p ? run(p, texts + 4, 1) : NULL;
        if (r) CHECK(r[0].n_entities >= 1);
        openmed_results_free(r, 1);
        openmed_pipeline_free(p);
        openmed_model_free(m);
    }

    /* A 1 MB text: HF mode reads its first window; whole-text mode reads all of it. */
    size_t mb = 1 << 20;
    char *big = malloc(mb + 1);
    for (size_t i = 0; i < mb; i++) big[i] = sentence[i % slen];
    big[mb] = '\0';
    openmed_model *m = load("bert-uncased");
    if (m) {
        const char *texts[] = {big};
        openmed_pipeline *p = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 8, OPENMED_LONG_TEXT_HF);
        openmed_result *r = run(p, texts, 1);
        if (r) {
            CHECK_INT(r[0].n_windows, 1);
            CHECK(r[0].n_entities > 0);
        }
        openmed_results_free(r, 1);
        openmed_pipeline_free(p);
        p = make(m, OPENMED_AGGREGATION_SIMPLE, -1, 64, OPENMED_LONG_TEXT_ALL_WINDOWS);
        r = run(p, texts, 1);
        if (r) {
            CHECK(r[0].n_windows > 1000);
            CHECK(last_end(&r[0]) > (int64_t)mb - 80);
            CHECK(well_formed(&r[0], (int64_t)mb));
        }
        openmed_results_free(r, 1);
        openmed_pipeline_free(p);
        openmed_model_free(m);
    }
    free(big);
    free(long_text);
    return check_finish("test_pipeline_edges");
}
