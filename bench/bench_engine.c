/* bench_engine.c: forward-pass throughput of the CPU engine on a model folder: B windows of S
 * random tokens packed into one batch, T threads; prints load time and tokens/s (median of runs).
 * Usage: bench_engine MODEL_DIR [threads=2 windows=8 seq=128 runs=5] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "backend/backend.h"
#include "models/model.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* GFLOP/s of plain dnnl_sgemm on the FFN-up shape [T, H] x [I, H]^T: the ceiling the engine is
 * measured against in the same run (the machine is shared, so absolute numbers move). */
static double sgemm_ceiling(int64_t M, int64_t N, int64_t K, int runs) {
    float *a = calloc((size_t)(M * K), 4), *b = calloc((size_t)(N * K), 4), *c = calloc((size_t)(M * N), 4);
    for (int64_t i = 0; i < M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (int64_t i = 0; i < N * K; i++) b[i] = (float)(i % 5) * 0.1f;
    dnnl_sgemm('N', 'T', M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        dnnl_sgemm('N', 'T', M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
        double t = now() - t0;
        if (t < best) best = t;
    }
    free(a), free(b), free(c);
    return 2.0 * (double)M * (double)N * (double)K / best / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL_DIR [threads windows seq runs]\n", argv[0]);
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2, B = argc > 3 ? atoi(argv[3]) : 8, S = argc > 4 ? atoi(argv[4]) : 128;
    int runs = argc > 5 ? atoi(argv[5]) : 5;
    openmed_error err;
    om_backend *be = NULL;
    if (om_backend_create("cpu", threads, &be, &err) != OPENMED_OK) { /* also sets oneDNN's threads */
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double t0 = now();
    openmed_model *m = NULL;
    if (om_model_load_dir(argv[1], be, 0, 0, &m, &err) != OPENMED_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double load = now() - t0;
    int64_t T = (int64_t)B * S;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)T), *cu = malloc(sizeof(int32_t) * (size_t)(B + 1));
    srand(1);
    for (int64_t i = 0; i < T; i++) ids[i] = 1000 + rand() % 20000;
    for (int b = 0; b <= B; b++) cu[b] = b * S;
    float *logits = malloc(sizeof(float) * (size_t)T * (size_t)m->cfg.num_labels);
    om_batch batch = {ids, cu, B, T};
    om_workspace ws; /* one workspace for every pass, as a pipeline has */
    om_workspace_init(&ws);
    if (om_model_forward(m, &ws, &batch, logits, NULL, &err) != OPENMED_OK) { /* warm-up */
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double *times = malloc(sizeof(double) * (size_t)runs);
    for (int r = 0; r < runs; r++) {
        t0 = now();
        om_model_forward(m, &ws, &batch, logits, NULL, &err);
        times[r] = now() - t0;
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    double med = times[runs / 2];
    const om_model_config *c = &m->cfg;
    double H = c->hidden_size, I = c->intermediate_size, Lyr = c->num_layers;
    double flops = (double)T * (2.0 * (4 * H * H + 2 * H * I) * Lyr + 4.0 * S * H * Lyr);
    double ceiling = sgemm_ceiling(T, c->intermediate_size, c->hidden_size, 3);
    printf("{\"threads\": %d, \"windows\": %d, \"seq\": %d, \"load_s\": %.3f, \"forward_ms_median\": %.1f, "
           "\"forward_ms_best\": %.1f, \"tokens_per_s\": %.0f, \"tokens_per_s_best\": %.0f, "
           "\"engine_gflops_best\": %.1f, \"sgemm_ceiling_gflops\": %.1f, \"fraction_of_ceiling\": %.2f}\n",
           threads, B, S, load, 1e3 * med, 1e3 * times[0], (double)T / med, (double)T / times[0],
           flops / times[0] / 1e9, ceiling, flops / times[0] / 1e9 / ceiling);
    om_workspace_release(&ws);
    openmed_model_free(m);
    om_backend_destroy(be);
    free(ids), free(cu), free(logits), free(times);
    return 0;
}
