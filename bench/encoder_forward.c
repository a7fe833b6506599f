/* encoder_forward.c: times model load and packed forward passes of any model folder on the CPU with
 * random token ids, and reports peak resident memory against the checkpoint's weight bytes.
 *
 * usage: bench_encoder_forward MODEL_DIR [--seq-len 512] [--seqs 8] [--iters 3] [--threads 0]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/safetensors.h"
#include "models/model.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A kB field of /proc/self/status ("VmHWM", "RssAnon", "RssFile"), in MB. */
static double status_mb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double mb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') mb = atof(line + n + 1) / 1024.0;
    if (f) fclose(f);
    return mb;
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    int seq_len = 512, seqs = 8, iters = 3, threads = 0;
    for (int i = 1; i < argc; i++) {
        int *opt = !strcmp(argv[i], "--seq-len") ? &seq_len : !strcmp(argv[i], "--seqs") ? &seqs
                   : !strcmp(argv[i], "--iters") ? &iters : !strcmp(argv[i], "--threads") ? &threads : NULL;
        if (opt && i + 1 < argc)
            *opt = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            return fprintf(stderr, "usage: bench_encoder_forward MODEL_DIR [--seq-len N] [--seqs N] [--iters N] "
                                   "[--threads N]\n"), 2;
    }
    if (!dir || seq_len <= 0 || seqs <= 0 || iters <= 0) return fprintf(stderr, "bench_encoder_forward: bad arguments\n"), 2;
    openmed_error err = {0};
    double base_mb = status_mb("VmRSS");
    double t0 = now();
    om_backend *be = NULL;
    openmed_model *m = NULL;
    if (om_backend_create("cpu", threads, &be, &err) || om_model_load_dir(dir, be, 1, 0, &m, &err)) {
        fprintf(stderr, "bench_encoder_forward: %s\n", err.message);
        return 1;
    }
    double load_s = now() - t0;
    double weight_mb = 0;
    for (size_t i = 0; i < om_safetensors_count(m->st); i++) weight_mb += om_safetensors_at(m->st, i)->nbytes / 1048576.0;

    const int64_t T = (int64_t)seq_len * seqs;
    int32_t *ids = malloc((size_t)T * sizeof *ids), *cu = malloc((size_t)(seqs + 1) * sizeof *cu);
    float *logits = malloc((size_t)T * m->cfg.num_labels * sizeof *logits);
    unsigned rng = 12345;
    for (int64_t t = 0; t < T; t++) {
        rng = rng * 1103515245u + 12345u;
        ids[t] = (int32_t)((rng >> 8) % (unsigned)(m->cfg.vocab_size > 0 ? m->cfg.vocab_size : 1000));
    }
    for (int s = 0; s <= seqs; s++) cu[s] = s * seq_len;
    om_batch batch = {ids, cu, seqs, T};
    om_workspace ws; /* one workspace for every pass, as a pipeline has */
    om_workspace_init(&ws);
    double best = 1e30, total = 0;
    for (int it = 0; it < iters; it++) {
        double t1 = now();
        if (om_model_forward(m, &ws, &batch, logits, NULL, &err)) {
            fprintf(stderr, "bench_encoder_forward: %s\n", err.message);
            return 1;
        }
        double dt = now() - t1;
        total += dt;
        if (dt < best) best = dt;
    }
    printf("model %s (%s, %d layers, hidden %d, vocab %d)\n", dir, m->cfg.model_type, m->cfg.num_layers,
           m->cfg.hidden_size, m->cfg.vocab_size);
    printf("threads %d, batch %d x %d tokens, %d iterations\n", threads, seqs, seq_len, iters);
    printf("load %.3f s; forward best %.3f s, mean %.3f s; %.0f tokens/s (best), %.2f sequences/s\n", load_s, best,
           total / iters, (double)T / best, seqs / best);
    printf("weights %.1f MB; peak RSS %.1f MB (process baseline before load %.1f MB); ratio peak/weights %.3f\n",
           weight_mb, status_mb("VmHWM"), base_mb, status_mb("VmHWM") / weight_mb);
    printf("now: RssFile %.1f MB (mapped weights touched), RssAnon %.1f MB (heap: activations, copies, tables)\n",
           status_mb("RssFile"), status_mb("RssAnon"));
    om_workspace_release(&ws);
    free(ids);
    free(cu);
    free(logits);
    openmed_model_free(m);
    return 0;
}
