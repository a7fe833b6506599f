/* test_encoders.c: DeBERTa-v2/v3, ModernBERT and Longformer against the Hugging Face goldens: first-window
 * logits of every text and all hidden states of the first texts within 1e-4, a packed batch equal to one
 * sequence at a time, and ModernBERT's older config style. Usage: test_encoders [MODEL...] (folders under
 * fixtures/hf/models; default: all four). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "golden.h"
#include "core/file.h"
#include "models/model.h"

static double max_err;

/* Compare n floats with a JSON nested array flattened row by row; returns mismatches. */
static int compare_rows(const float *got, const cJSON *rows, int n_rows, int n_cols, const char *what, int text) {
    int bad = 0;
    CHECK_INT(cJSON_GetArraySize(rows), n_rows);
    for (int i = 0; i < n_rows; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        CHECK_INT(cJSON_GetArraySize(row), n_cols);
        for (int j = 0; j < n_cols; j++) {
            double want = cJSON_GetArrayItem(row, j)->valuedouble, have = got[(size_t)i * n_cols + j];
            double d = fabs(want - have);
            if (d > max_err) max_err = d;
            if (!golden_close(have, want, 1e-4)) {
                if (bad < 3)
                    fprintf(stderr, "text %d %s[%d][%d]: got %.7g want %.7g\n", text, what, i, j, have, want);
                bad++;
            }
        }
    }
    CHECK_MSG(bad == 0, "text %d: %d %s values differ", text, bad, what);
    return bad;
}

/* Write cfg_json as dir/config.json and return the logits of text t's first window from the folder. */
static int run_with_config(const char *dir, const cJSON *cfg_json, const cJSON *texts, int t, float *logits) {
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = cJSON_Print(cfg_json);
    FILE *f = fopen(path, "w");
    CHECK(f && text);
    if (!f || !text) return 0;
    fputs(text, f);
    fclose(f);
    free(text);
    om_backend *be = NULL;
    openmed_model *m = NULL;
    openmed_error err = {0};
    int n, ok = 0;
    int32_t *ids = golden_ids(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(texts, t), "window_ids"), &n);
    int32_t cu[2] = {0, n};
    om_batch batch = {ids, cu, 1, n};
    if (!om_backend_create("cpu", 0, &be, &err) && !om_model_load_dir(dir, be, 1, 0, &m, &err)) {
        be = NULL; /* the model owns it now */
        ok = om_model_forward(m, NULL, &batch, logits, NULL, &err) == OPENMED_OK;
    }
    CHECK_MSG(ok, "older-style config: %s", err.message);
    openmed_model_free(m);
    om_backend_destroy(be);
    unlink(path);
    free(ids);
    return ok;
}

/* ModernBERT's older config style (global_attn_every_n_layers, global/local_rope_theta instead of
 * layer_types and rope_parameters) gives the same logits; changing those older fields changes them. */
static void check_modernbert_legacy(const char *dir, const cJSON *cfg_json, const cJSON *texts, int t,
                                    const float *want, int n_values) {
    char tmp[] = "/tmp/om_modernbert_legacyXXXXXX", link_path[600], src[600];
    if (!mkdtemp(tmp)) {
        CHECK(0);
        return;
    }
    snprintf(link_path, sizeof link_path, "%s/model.safetensors", tmp);
    snprintf(src, sizeof src, "%s/model.safetensors", dir);
    CHECK_INT(symlink(src, link_path), 0);
    cJSON *legacy = cJSON_Duplicate(cfg_json, 1);
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(cfg_json, "layer_types");
    int every = 0; /* the period of full_attention layers in layer_types */
    for (int l = 1; l < cJSON_GetArraySize(types) && !every; l++)
        if (strcmp(cJSON_GetArrayItem(types, l)->valuestring, "full_attention") == 0) every = l;
    const cJSON *rope = cJSON_GetObjectItemCaseSensitive(cfg_json, "rope_parameters");
    double global_theta = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rope, "full_attention"),
                                                           "rope_theta")->valuedouble;
    double local_theta = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rope, "sliding_attention"),
                                                          "rope_theta")->valuedouble;
    cJSON_DeleteItemFromObjectCaseSensitive(legacy, "layer_types");
    cJSON_DeleteItemFromObjectCaseSensitive(legacy, "rope_parameters");
    cJSON_DeleteItemFromObjectCaseSensitive(legacy, "global_attn_every_n_layers");
    cJSON_AddNumberToObject(legacy, "global_attn_every_n_layers", every ? every : 1);
    cJSON_AddNumberToObject(legacy, "global_rope_theta", global_theta);
    cJSON_AddNumberToObject(legacy, "local_rope_theta", local_theta);
    float *got = malloc((size_t)n_values * sizeof *got);
    if (run_with_config(tmp, legacy, texts, t, got)) {
        int same = memcmp(got, want, (size_t)n_values * sizeof *got) == 0;
        CHECK_MSG(same, "older-style ModernBERT config gives different logits");
    }
    /* the older fields are really read: all-global layers, or swapped thetas, change the logits */
    cJSON_ReplaceItemInObjectCaseSensitive(legacy, "global_attn_every_n_layers", cJSON_CreateNumber(1));
    if (run_with_config(tmp, legacy, texts, t, got))
        CHECK_MSG(memcmp(got, want, (size_t)n_values * sizeof *got) != 0, "global_attn_every_n_layers is ignored");
    cJSON_ReplaceItemInObjectCaseSensitive(legacy, "global_attn_every_n_layers", cJSON_CreateNumber(every));
    cJSON_ReplaceItemInObjectCaseSensitive(legacy, "global_rope_theta", cJSON_CreateNumber(local_theta));
    cJSON_ReplaceItemInObjectCaseSensitive(legacy, "local_rope_theta", cJSON_CreateNumber(global_theta));
    if (run_with_config(tmp, legacy, texts, t, got))
        CHECK_MSG(memcmp(got, want, (size_t)n_values * sizeof *got) != 0, "global/local_rope_theta are ignored");
    free(got);
    cJSON_Delete(legacy);
    unlink(link_path);
    rmdir(tmp);
}

static void test_model(const char *name) {
    char dir[512], cfg_path[600];
    max_err = 0;
    cJSON *golden = golden_load(name, dir, sizeof dir);
    if (!golden) return;
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    openmed_error err = {0};

    /* the real loading path: config.json -> om_model_config -> this family's load */
    om_backend *be = NULL;
    openmed_model *model = NULL;
    CHECK_INT(om_backend_create("cpu", 0, &be, &err), OPENMED_OK);
    openmed_status s = be ? om_model_load_dir(dir, be, 1, 0, &model, &err) : OPENMED_ERR_DEVICE;
    CHECK_MSG(s == OPENMED_OK, "load %s: %s", name, err.message);
    if (s) {
        om_backend_destroy(be);
        cJSON_Delete(golden);
        return;
    }
    const om_model_config cfg = model->cfg;
    const cJSON *cfg_json = cfg.json;
    const cJSON *texts = cJSON_GetObjectItemCaseSensitive(golden, "texts");
    const int n_texts = cJSON_GetArraySize(texts), L = cfg.num_labels, D = cfg.hidden_size;
    /* one at a time: logits of every text, hidden states where the golden has them */
    float **single = calloc((size_t)n_texts, sizeof *single);
    int total = 0;
    for (int t = 0; t < n_texts; t++) {
        const cJSON *item = cJSON_GetArrayItem(texts, t);
        int n;
        int32_t *ids = golden_ids(cJSON_GetObjectItemCaseSensitive(item, "window_ids"), &n);
        int32_t cu[2] = {0, n};
        om_batch batch = {ids, cu, 1, n};
        const cJSON *hs = cJSON_GetObjectItemCaseSensitive(item, "hidden_states");
        int n_hidden = cJSON_IsArray(hs) ? cJSON_GetArraySize(hs) : 0;
        float *hidden = n_hidden ? malloc((size_t)n_hidden * n * D * sizeof *hidden) : NULL;
        single[t] = malloc((size_t)n * L * sizeof(float));
        s = om_model_forward(model, NULL, &batch, single[t], hidden, &err);
        CHECK_MSG(s == OPENMED_OK, "forward text %d: %s", t, err.message);
        if (s == OPENMED_OK) {
            compare_rows(single[t], cJSON_GetObjectItemCaseSensitive(item, "logits"), n, L, "logits", t);
            if (hidden) CHECK_INT(n_hidden, cfg.num_layers + 1);
            for (int l = 0; l < n_hidden && l <= cfg.num_layers; l++) {
                char what[32];
                snprintf(what, sizeof what, "hidden[%d]", l);
                compare_rows(hidden + (size_t)l * n * D, cJSON_GetArrayItem(hs, l), n, D, what, t);
            }
        }
        total += n;
        free(hidden);
        free(ids);
    }
    printf("%s: max |logit/hidden - golden| = %.3g\n", name, max_err);

    /* every window packed into one batch gives the same logits as one at a time */
    int32_t *all = malloc((size_t)total * sizeof *all), *cu = malloc((size_t)(n_texts + 1) * sizeof *cu);
    cu[0] = 0;
    for (int t = 0; t < n_texts; t++) {
        int n;
        int32_t *ids = golden_ids(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(texts, t), "window_ids"), &n);
        memcpy(all + cu[t], ids, (size_t)n * sizeof *ids);
        cu[t + 1] = cu[t] + n;
        free(ids);
    }
    float *packed = malloc((size_t)total * L * sizeof *packed);
    om_batch batch = {all, cu, n_texts, total};
    s = om_model_forward(model, NULL, &batch, packed, NULL, &err);
    CHECK_MSG(s == OPENMED_OK, "packed forward: %s", err.message);
    /* (GEMM blocking changes with the row count, so equal means within the golden tolerance) */
    double packed_err = 0;
    int packed_bad = 0;
    for (int t = 0; s == OPENMED_OK && t < n_texts; t++)
        for (int i = 0; i < (cu[t + 1] - cu[t]) * L; i++) {
            double a = packed[(size_t)cu[t] * L + i], b = single[t][i];
            packed_err = fmax(packed_err, fabs(a - b));
            packed_bad += !golden_close(a, b, 1e-4);
        }
    CHECK_MSG(packed_bad == 0, "packed batch: %d logits differ from one at a time (max %g)", packed_bad, packed_err);
    printf("%s: packed batch of %d sequences (%d tokens), max diff %.3g\n", name, n_texts, total, packed_err);

    if (strcmp(cfg.model_type, "modernbert") == 0) {
        /* the longest first window, so sliding layers really cut attention */
        int longest = 0;
        for (int t = 1; t < n_texts; t++)
            if (cu[t + 1] - cu[t] > cu[longest + 1] - cu[longest]) longest = t;
        check_modernbert_legacy(dir, cfg_json, texts, longest, single[longest], (cu[longest + 1] - cu[longest]) * L);
    }

    for (int t = 0; t < n_texts; t++) free(single[t]);
    free(single);
    free(packed);
    free(all);
    free(cu);
    openmed_model_free(model);
    cJSON_Delete(golden);
}

int main(int argc, char **argv) {
    static const char *models[] = {"deberta-v3", "deberta-v2-nobucket", "modernbert", "longformer"};
    if (argc > 1)
        for (int i = 1; i < argc; i++) test_model(argv[i]);
    else
        for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) test_model(models[i]);
    return check_finish("test_encoders");
}
