/* bench_synthetic.c: `openmed bench --synthetic BxS`: forward-pass throughput of a model on a fixed
 * batch of B windows of S real tokens (no tokenizer, no post-processing), median of repeated runs. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_synthetic.h"
#include "clock.h"
#include "cli.h"

int cli_parse_synthetic(const char *spec, int *windows, int *seq) {
    char *end = NULL;
    long b = strtol(spec, &end, 10);
    if (end == spec || (*end != 'x' && *end != 'X') || b < 1 || b > 4096) return -1;
    const char *s = end + 1;
    long l = strtol(s, &end, 10);
    if (end == s || *end || l < 1 || l > 65536) return -1;
    *windows = (int)b;
    *seq = (int)l;
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Token ids of plain clinical words through the model's own tokenizer: every id is one the model
 * knows and the mix is a realistic one; windows draw from it with a fixed seed. */
static openmed_status id_pool(const openmed_model *model, int32_t **pool, size_t *n, openmed_error *err) {
    static const char text[] =
        "The patient is a 64 year old woman with type 2 diabetes mellitus, hypertension and chronic kidney "
        "disease stage 3, admitted with fever, productive cough and shortness of breath. Chest radiograph "
        "showed a right lower lobe consolidation consistent with community acquired pneumonia. She was started "
        "on ceftriaxone and azithromycin; metformin was held because of acute kidney injury. Family history "
        "of breast cancer and cystic fibrosis. No known drug allergies. Follow up with cardiology in two weeks.";
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    openmed_status s = openmed_tokenizer_encode(openmed_model_tokenizer(model), text, strlen(text), 0, &enc, err);
    *pool = NULL;
    *n = 0;
    if (s == OPENMED_OK && enc.count == 0) s = cli_fail(err, OPENMED_ERR_INTERNAL, "the tokenizer gave no tokens");
    if (s == OPENMED_OK && !(*pool = malloc(enc.count * sizeof **pool)))
        s = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    if (s == OPENMED_OK) {
        memcpy(*pool, enc.ids, enc.count * sizeof **pool);
        *n = enc.count;
    }
    openmed_encoding_free(&enc);
    return s;
}

int cli_bench_synthetic(const char *model_path, const char *model_name, const openmed_model_options *mo, int windows,
                        int seq, int runs, int json, FILE *out) {
    openmed_error err = {0};
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    int32_t *pool = NULL, *ids = NULL;
    float *logits = NULL;
    double *times = NULL;
    size_t n_pool = 0, T = (size_t)windows * (size_t)seq;
    int rc = 0;
    double t0 = cli_now_seconds();
    if (openmed_model_load(model_path, mo, &model, &err) != OPENMED_OK ||
        openmed_pipeline_create(model, NULL, &pipe, &err) != OPENMED_OK || id_pool(model, &pool, &n_pool, &err)) {
        rc = cli_report(&err);
        goto done;
    }
    double load_s = cli_now_seconds() - t0;
    if (seq > openmed_model_max_length(model)) {
        fprintf(stderr, "openmed bench: --synthetic windows of %d tokens exceed the model's %d\n", seq,
                openmed_model_max_length(model));
        rc = 2;
        goto done;
    }
    ids = malloc(T * sizeof *ids);
    logits = malloc(T * (size_t)openmed_model_num_labels(model) * sizeof *logits);
    times = malloc((size_t)runs * sizeof *times);
    if (!ids || !logits || !times) {
        fprintf(stderr, "openmed bench: out of memory for %zu tokens\n", T);
        rc = 1;
        goto done;
    }
    unsigned seed = 1;
    for (size_t i = 0; i < T; i++) {
        seed = seed * 1103515245u + 12345u;
        ids[i] = pool[(seed >> 8) % n_pool];
    }
    /* one warm-up pass (working memory, kernel selection), then the timed runs */
    if (openmed_pipeline_forward(pipe, ids, (size_t)windows, (size_t)seq, logits, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    for (int r = 0; r < runs; r++) {
        t0 = cli_now_seconds();
        if (openmed_pipeline_forward(pipe, ids, (size_t)windows, (size_t)seq, logits, &err) != OPENMED_OK) {
            rc = cli_report(&err);
            goto done;
        }
        times[r] = cli_now_seconds() - t0;
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    double median = runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    const char *dtype = openmed_dtype_name(mo->dtype);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", model_name);
        cJSON_AddStringToObject(o, "device", openmed_model_device(model));
        cJSON_AddStringToObject(o, "mode", "synthetic");
        cJSON_AddStringToObject(o, "dtype", dtype);
        cJSON_AddNumberToObject(o, "threads", mo->num_threads);
        cJSON_AddNumberToObject(o, "windows", windows);
        cJSON_AddNumberToObject(o, "seq", seq);
        cJSON_AddNumberToObject(o, "runs", runs);
        cJSON_AddNumberToObject(o, "load_seconds", load_s);
        cJSON_AddNumberToObject(o, "forward_ms_median", 1e3 * median);
        cJSON_AddNumberToObject(o, "forward_ms_best", 1e3 * times[0]);
        cJSON_AddNumberToObject(o, "tokens_per_s", (double)T / median);
        cJSON_AddNumberToObject(o, "tokens_per_s_best", (double)T / times[0]);
        cJSON_AddNumberToObject(o, "peak_rss_mb", rss_mb);
        char *s = cJSON_PrintUnformatted(o);
        fprintf(out, "%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        fprintf(out, "model      %s (%s, %s)\n", model_name, openmed_model_device(model), dtype);
        fprintf(out, "batch      %d windows x %d tokens, %d runs after a warm-up\n", windows, seq, runs);
        fprintf(out, "load       %.3f s\n", load_s);
        fprintf(out, "forward    %.1f ms median, %.1f ms best\n", 1e3 * median, 1e3 * times[0]);
        fprintf(out, "throughput %.0f tokens/s median, %.0f best\n", (double)T / median, (double)T / times[0]);
        fprintf(out, "peak RSS   %.1f MB\n", rss_mb);
    }
done:
    free(pool);
    free(ids);
    free(logits);
    free(times);
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    return rc;
}
