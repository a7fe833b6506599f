/* threads_bench.c: throughput of one loaded model shared by P pipelines in P threads, on short texts
 * (one sentence per call, as a service sees them) or long batches (4 notes of ~150 words per call),
 * for bench/threads_bench.sh. A client of the public API only (links libopenmed).
 * Usage: threads_bench MODEL short|long PIPELINES SECONDS [NUM_THREADS]
 *   MODEL: a model folder, or "disease" / "pii" for a bundled model; NUM_THREADS: the model option
 *   (0, the default, = OMP_NUM_THREADS, else every core).
 * Prints one line: mode, pipelines, threads, texts/s, tokens/s, calls. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openmed.h"

static const char *sentences[] = {
    "The patient was diagnosed with type 2 diabetes mellitus and hypertension.",
    "She has a history of chronic kidney disease and was started on lisinopril.",
    "Metformin was stopped after an episode of lactic acidosis last spring.",
    "He denies chest pain but reports shortness of breath on exertion.",
    "MRI of the brain showed no evidence of acute stroke or hemorrhage.",
    "Family history is notable for breast cancer in her mother and sister.",
    "Asthma is well controlled on an inhaled corticosteroid and albuterol as needed.",
    "Labs were consistent with iron deficiency anemia; oral iron was prescribed.",
};
#define N_SENTENCES (sizeof sentences / sizeof sentences[0])
#define LONG_BATCH 4
#define LONG_SENTENCES 12 /* ~150 words, ~190 tokens per note */

typedef struct worker {
    const openmed_model *model;
    int long_mode;
    double seconds;
    const char *long_texts[LONG_BATCH];
    long calls, texts, tokens;
    double elapsed; /* seconds measured, after the warm-up call */
    int failed;
    char message[OPENMED_ERROR_MESSAGE_MAX];
} worker;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One call: a short sentence, or the batch of long notes; counts texts and tokens read. */
static int one_call(worker *w, openmed_pipeline *p, long i, openmed_error *err) {
    const char *const *texts = w->long_mode ? w->long_texts : &sentences[i % N_SENTENCES];
    size_t n = w->long_mode ? LONG_BATCH : 1;
    openmed_result *r = NULL;
    if (openmed_pipeline_run(p, texts, n, &r, err) != OPENMED_OK) return -1;
    for (size_t k = 0; k < n; k++) w->tokens += r[k].n_tokens;
    w->texts += (long)n;
    openmed_results_free(r, n);
    return 0;
}

static void *run_worker(void *arg) {
    worker *w = arg;
    openmed_error err;
    openmed_pipeline *p = NULL;
    if (openmed_pipeline_create(w->model, NULL, &p, &err) != OPENMED_OK || one_call(w, p, 0, &err) != 0) {
        w->failed = 1;
        snprintf(w->message, sizeof w->message, "%s", err.message);
        openmed_pipeline_free(p);
        return NULL;
    }
    w->texts = w->tokens = 0; /* the first call warms up (workspace, OpenMP team) */
    double start = now(), end = start + w->seconds;
    for (long i = 1; now() < end; i++) {
        if (one_call(w, p, i, &err) != 0) {
            w->failed = 1;
            snprintf(w->message, sizeof w->message, "%s", err.message);
            break;
        }
        w->calls++;
    }
    w->elapsed = now() - start;
    openmed_pipeline_free(p);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5 || (strcmp(argv[2], "short") && strcmp(argv[2], "long"))) {
        fprintf(stderr, "usage: threads_bench MODEL short|long PIPELINES SECONDS [NUM_THREADS]\n");
        return 2;
    }
    int pipelines = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (pipelines < 1 || pipelines > 64 || seconds <= 0) {
        fprintf(stderr, "threads_bench: PIPELINES must be 1..64 and SECONDS > 0\n");
        return 2;
    }
    openmed_error err;
    char path[OPENMED_PATH_MAX];
    const char *model_path = argv[1];
    if (!strcmp(argv[1], "disease") || !strcmp(argv[1], "pii")) {
        if (openmed_bundled_model_path(argv[1], path, sizeof path, &err) != OPENMED_OK) {
            fprintf(stderr, "threads_bench: %s\n", err.message);
            return 1;
        }
        model_path = path;
    }
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    mo.num_threads = argc > 5 ? atoi(argv[5]) : 0;
    openmed_model *model = NULL;
    if (openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK) {
        fprintf(stderr, "threads_bench: %s\n", err.message);
        return 1;
    }

    /* The long notes: every note different (rotated sentences), so no call repeats another's text. */
    char *notes[LONG_BATCH];
    for (int k = 0; k < LONG_BATCH; k++) {
        size_t size = 1;
        for (int s = 0; s < LONG_SENTENCES; s++) size += strlen(sentences[(k + s) % N_SENTENCES]) + 1;
        notes[k] = malloc(size);
        notes[k][0] = 0;
        for (int s = 0; s < LONG_SENTENCES; s++) {
            strcat(notes[k], sentences[(k + s) % N_SENTENCES]);
            strcat(notes[k], " ");
        }
    }

    worker *w = calloc((size_t)pipelines, sizeof *w);
    pthread_t *tid = calloc((size_t)pipelines, sizeof *tid);
    for (int i = 0; i < pipelines; i++) {
        w[i].model = model;
        w[i].long_mode = !strcmp(argv[2], "long");
        w[i].seconds = seconds;
        for (int k = 0; k < LONG_BATCH; k++) w[i].long_texts[k] = notes[k];
        pthread_create(&tid[i], NULL, run_worker, &w[i]);
    }
    double texts = 0, tokens = 0; /* per second, summed over the pipelines running side by side */
    long calls = 0;
    int failed = 0;
    for (int i = 0; i < pipelines; i++) {
        pthread_join(tid[i], NULL);
        if (w[i].failed) {
            fprintf(stderr, "threads_bench: pipeline %d: %s\n", i, w[i].message);
            failed = 1;
        }
        if (w[i].elapsed > 0) texts += w[i].texts / w[i].elapsed, tokens += w[i].tokens / w[i].elapsed;
        calls += w[i].calls;
    }
    if (!failed)
        printf("%-5s pipelines=%d threads=%d texts/s=%.1f tokens/s=%.0f calls=%ld\n", argv[2], pipelines, mo.num_threads,
               texts, tokens, calls);
    for (int k = 0; k < LONG_BATCH; k++) free(notes[k]);
    free(w);
    free(tid);
    openmed_model_free(model);
    return failed;
}
