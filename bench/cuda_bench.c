/* cuda_bench.c: OpenMed-C on a CUDA device: end-to-end pipeline throughput on a JSONL file of notes
 * (aggregation "simple", the same first-window reading as the Hugging Face pipeline; median of three
 * runs after a warm-up) and bare forward throughput on 16 x 512 packed windows (mean of 10), in
 * float32, float16 and bfloat16 compute.
 * One JSON object per configuration on stdout. With "forward" as the last argument only the bare
 * forward runs (for a profiler).
 *
 *   openmed_cuda_bench MODEL_DIR NOTES.jsonl [device=cuda] [batch_size=16] [dtypes=f32,f16,bf16] [forward]
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "models/model.h"
#include "openmed.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The "text" (or "note") field of each JSON line. */
static char **read_notes(const char *path, int *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char **out = NULL;
    int count = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *t = j ? cJSON_GetObjectItem(j, "text") : NULL;
        if (!t) t = j ? cJSON_GetObjectItem(j, "note") : NULL;
        if (cJSON_IsString(t)) {
            if (count == cap) out = realloc(out, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *out);
            out[count++] = strdup(t->valuestring);
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    *n = count;
    return out;
}

static int run(const char *model_dir, char **notes, int n_notes, const char *device, int batch_size, om_dtype dt,
               const char *dt_name, int forward_only) {
    openmed_error err;
    om_backend *be = NULL;
    double t0 = now();
    if (om_backend_create(device, 0, &be, &err) != OPENMED_OK) {
        printf("{\"dtype\":\"%s\",\"error\":\"%s\"}\n", dt_name, err.message);
        return 1;
    }
    if (dt != OM_F32) {
        if (!be->set_precision || be->set_precision(be, dt, &err) != OPENMED_OK) {
            printf("{\"dtype\":\"%s\",\"error\":\"%s has no %s compute\"}\n", dt_name, be->name, dt_name);
            om_backend_destroy(be);
            return 1;
        }
    }
    openmed_model *m = NULL;
    if (om_model_load_dir(model_dir, be, 1, 1, &m, &err) != OPENMED_OK) {
        printf("{\"dtype\":\"%s\",\"error\":\"load: %s\"}\n", dt_name, err.message);
        om_backend_destroy(be);
        return 1;
    }
    double load_s = now() - t0;

    /* Tokens as the Hugging Face baseline counts them: every note encoded whole. */
    int64_t hf_tokens = 0;
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    for (int i = 0; i < n_notes; i++)
        if (openmed_tokenizer_encode(openmed_model_tokenizer(m), notes[i], strlen(notes[i]), 1, &enc, &err) == OPENMED_OK)
            hf_tokens += (int64_t)enc.count;
    openmed_encoding_free(&enc);

    /* End to end: the pipeline over all notes (one warm-up call on two notes first, like HF). */
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.aggregation = OPENMED_AGGREGATION_SIMPLE;
    po.batch_size = batch_size;
    openmed_pipeline *p = NULL;
    double e2e_s = -1;
    int64_t read_tokens = 0, entities = 0;
    if (forward_only) {
        e2e_s = 0;
    } else if (openmed_pipeline_create(m, &po, &p, &err) == OPENMED_OK) {
        openmed_result *r = NULL;
        if (openmed_pipeline_run(p, (const char *const *)notes, n_notes < 2 ? (size_t)n_notes : 2, &r, &err) == OPENMED_OK)
            openmed_results_free(r, n_notes < 2 ? (size_t)n_notes : 2);
        /* the median of three timed runs */
        double runs[3];
        int done = 0;
        for (; done < 3; done++) {
            be->synchronize(be, &err);
            double t = now();
            if (openmed_pipeline_run(p, (const char *const *)notes, (size_t)n_notes, &r, &err) != OPENMED_OK) {
                fprintf(stderr, "pipeline: %s\n", err.message);
                break;
            }
            be->synchronize(be, &err);
            runs[done] = now() - t;
            read_tokens = entities = 0;
            for (int i = 0; i < n_notes; i++) read_tokens += r[i].n_tokens, entities += (int64_t)r[i].n_entities;
            openmed_results_free(r, (size_t)n_notes);
        }
        if (done == 3) {
            double lo = runs[0] < runs[1] ? runs[0] : runs[1], hi = runs[0] < runs[1] ? runs[1] : runs[0];
            e2e_s = runs[2] < lo ? lo : runs[2] > hi ? hi : runs[2];
        }
        openmed_pipeline_free(p);
    } else {
        fprintf(stderr, "pipeline_create: %s\n", err.message);
    }

    /* Bare forward: 16 windows of 512 random ids, packed. */
    const int S = 16, L = 512 < m->max_length || m->max_length <= 0 ? 512 : m->max_length;
    int32_t *ids = malloc((size_t)S * L * sizeof *ids), cu[17];
    uint64_t rng = 12345;
    for (int i = 0; i < S * L; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = 1000 + (int32_t)((rng >> 33) % 29000);
    }
    for (int s = 0; s <= S; s++) cu[s] = s * L;
    float *logits = malloc((size_t)S * L * (size_t)m->cfg.num_labels * sizeof(float));
    om_batch b = {ids, cu, S, (int64_t)S * L};
    om_workspace ws; /* one workspace for every pass, as a pipeline has */
    om_workspace_init(&ws);
    double fwd_s = -1;
    int ok = om_model_forward(m, &ws, &b, logits, NULL, &err) == OPENMED_OK;
    if (ok) ok = om_model_forward(m, &ws, &b, logits, NULL, &err) == OPENMED_OK;
    if (ok) {
        const int reps = 10;
        double t = now();
        for (int i = 0; i < reps && ok; i++) ok = om_model_forward(m, &ws, &b, logits, NULL, &err) == OPENMED_OK;
        fwd_s = (now() - t) / reps;
    }
    om_workspace_release(&ws);
    if (!ok) fprintf(stderr, "forward: %s\n", err.message);
    printf("{\"engine\":\"openmed-c\",\"device\":\"%s\",\"dtype\":\"%s\",\"batch_size\":%d,\"notes\":%d,"
           "\"hf_count_tokens\":%lld,\"tokens_read\":%lld,\"entities\":%lld,\"load_seconds\":%.3f,\"seconds\":%.4f,"
           "\"notes_per_s\":%.2f,\"tokens_per_s\":%.1f,\"forward_16x%d_seconds\":%.5f,\"forward_16x512_tokens_per_s\":%.1f}\n",
           be->name, dt_name, batch_size, n_notes, (long long)hf_tokens, (long long)read_tokens, (long long)entities,
           load_s, e2e_s, e2e_s > 0 ? n_notes / e2e_s : 0.0, e2e_s > 0 ? (double)hf_tokens / e2e_s : 0.0, L, fwd_s,
           fwd_s > 0 ? (double)S * L / fwd_s : 0.0);
    fflush(stdout);
    free(ids);
    free(logits);
    openmed_model_free(m); /* owns the backend */
    return e2e_s >= 0 && ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL_DIR NOTES.jsonl [device=cuda] [batch_size=16] [dtypes=f32,f16,bf16] [forward]\n",
                argv[0]);
        return 2;
    }
    const char *device = argc > 3 ? argv[3] : "cuda";
    int batch = argc > 4 ? atoi(argv[4]) : 16;
    char dtypes[64];
    snprintf(dtypes, sizeof dtypes, "%s", argc > 5 ? argv[5] : "f32,f16,bf16");
    int n = 0;
    char **notes = read_notes(argv[2], &n);
    if (!notes || n == 0) {
        fprintf(stderr, "%s: no notes\n", argv[2]);
        return 1;
    }
    int rc = 0;
    for (char *tok = strtok(dtypes, ","); tok; tok = strtok(NULL, ",")) {
        om_dtype dt = strcmp(tok, "f16") == 0 ? OM_F16 : strcmp(tok, "bf16") == 0 ? OM_BF16 : OM_F32;
        rc |= run(argv[1], notes, n, device, batch, dt, dt == OM_F16 ? "float16" : dt == OM_BF16 ? "bfloat16" : "float32",
                  argc > 6 && strcmp(argv[6], "forward") == 0);
    }
    for (int i = 0; i < n; i++) free(notes[i]);
    free(notes);
    return rc;
}
