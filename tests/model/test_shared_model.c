/* test_shared_model.c: one loaded model shared by several threads, each running its own pipeline
 * (so its own workspace) at the same time, for every model family in the fixtures: every thread's
 * results equal the single-threaded ones. Texts of different lengths and small batches make each
 * workspace grow while the others run. Built with OPENMED_TSAN=ON, ThreadSanitizer checks that the
 * shared model is only read (scripts/tsan.sh). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "openmed.h"

#define N_THREADS 4
#define N_TEXTS 5
#define REPS 3

static const char *const families[] = {"bert-cased", "distilbert-uncased", "electra-cased", "roberta", "xlm-roberta",
                                       "deberta-v3", "deberta-v2-nobucket", "modernbert", "longformer",
                                       "privacy-filter"};

static char *texts[N_TEXTS];

/* Clinical-looking texts from a few words to several windows long. */
static void make_texts(void) {
    static const char *const sentences[] = {
        "Patient John Smith, 54, was seen at Mercy Hospital on 03/14/2021 for type 2 diabetes mellitus. ",
        "He reports chest pain and shortness of breath; troponin was negative. ",
        "Started metformin 500 mg twice daily and lisinopril for hypertension. ",
        "Family history of breast cancer and Huntington's disease. ",
        "Contact: 555-0142, jsmith@example.org, MRN 00417723. "};
    static const int repeats[N_TEXTS] = {1, 3, 9, 25, 60};
    for (int i = 0; i < N_TEXTS; i++) {
        size_t cap = 1;
        for (int r = 0; r < repeats[i]; r++) cap += strlen(sentences[(i + r) % 5]);
        texts[i] = calloc(cap, 1);
        for (int r = 0; r < repeats[i]; r++) strcat(texts[i], sentences[(i + r) % 5]);
    }
}

static openmed_pipeline *make_pipeline(const openmed_model *m) {
    openmed_pipeline_options o;
    openmed_pipeline_options_init(&o);
    o.aggregation = OPENMED_AGGREGATION_NONE; /* every token's label and score is compared */
    static const char *const keep_all[] = {""};
    o.ignore_labels = keep_all;
    o.n_ignore_labels = 0;
    o.batch_size = 2;
    o.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS;
    openmed_pipeline *p = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_pipeline_create(m, &o, &p, &err) == OPENMED_OK, "%s", err.message);
    return p;
}

/* 0 when equal; else the index of the first differing text + 1. */
static int compare(const openmed_result *want, const openmed_result *got) {
    for (int i = 0; i < N_TEXTS; i++) {
        if (want[i].n_entities != got[i].n_entities || want[i].n_tokens != got[i].n_tokens) return i + 1;
        for (size_t k = 0; k < want[i].n_entities; k++) {
            const openmed_entity *x = &want[i].entities[k], *y = &got[i].entities[k];
            if (strcmp(x->label, y->label) || strcmp(x->word, y->word) || x->start != y->start || x->end != y->end ||
                x->index != y->index || x->score != y->score)
                return i + 1;
        }
    }
    return 0;
}

typedef struct worker {
    const openmed_model *model;
    const openmed_result *want; /* [N_TEXTS] */
    int id;
    int failures;
    char message[OPENMED_ERROR_MESSAGE_MAX + 64];
} worker;

static void *run_worker(void *arg) {
    worker *w = arg;
    openmed_pipeline *p = make_pipeline(w->model);
    if (!p) {
        w->failures++;
        return NULL;
    }
    for (int rep = 0; rep < REPS; rep++) {
        /* each thread its own order, so short and long batches overlap across threads */
        const char *order[N_TEXTS];
        for (int i = 0; i < N_TEXTS; i++) order[i] = texts[(i + w->id + rep) % N_TEXTS];
        openmed_result *got = NULL;
        openmed_error err = {0};
        if (openmed_pipeline_run(p, order, N_TEXTS, &got, &err) != OPENMED_OK) {
            w->failures++;
            snprintf(w->message, sizeof w->message, "%s", err.message);
            continue;
        }
        openmed_result reordered[N_TEXTS];
        for (int i = 0; i < N_TEXTS; i++) reordered[(i + w->id + rep) % N_TEXTS] = got[i];
        int bad = compare(w->want, reordered);
        if (bad) {
            w->failures++;
            snprintf(w->message, sizeof w->message, "text %d differs from the single-thread run", bad - 1);
        }
        openmed_results_free(got, N_TEXTS);
    }
    openmed_pipeline_free(p);
    return NULL;
}

static void check_family(const char *name) {
    char dir[OPENMED_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/hf/models/%s", OM_FIXTURES, name);
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    mo.num_threads = 2;
    openmed_model *m = NULL;
    openmed_error err = {0};
    if (openmed_model_load(dir, &mo, &m, &err) != OPENMED_OK) {
        CHECK_MSG(0, "%s: %s", name, err.message);
        return;
    }
    openmed_pipeline *p = make_pipeline(m);
    openmed_result *want = NULL;
    CHECK_MSG(p && openmed_pipeline_run(p, (const char *const *)texts, N_TEXTS, &want, &err) == OPENMED_OK, "%s: %s",
              name, err.message);
    openmed_pipeline_free(p);
    if (!want) {
        openmed_model_free(m);
        return;
    }
    size_t tokens = 0, entities = 0;
    for (int i = 0; i < N_TEXTS; i++) tokens += (size_t)want[i].n_tokens, entities += want[i].n_entities;
    CHECK_MSG(entities > 0, "%s: the reference run found no token entities", name);

    worker w[N_THREADS];
    pthread_t th[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        w[t] = (worker){.model = m, .want = want, .id = t};
        CHECK_INT(pthread_create(&th[t], NULL, run_worker, &w[t]), 0);
    }
    int failures = 0;
    for (int t = 0; t < N_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_MSG(w[t].failures == 0, "%s, thread %d: %d runs failed or differed (%s)", name, t, w[t].failures,
                  w[t].message);
        failures += w[t].failures;
    }
    printf("%s: %d threads x %d runs of %d texts (%zu tokens, %zu token entities), %d differing\n", name, N_THREADS,
           REPS, N_TEXTS, tokens, entities, failures);
    openmed_results_free(want, N_TEXTS);
    openmed_model_free(m);
}

int main(void) {
    make_texts();
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) check_family(families[i]);
    for (int i = 0; i < N_TEXTS; i++) free(texts[i]);
    return check_finish("test_shared_model");
}
