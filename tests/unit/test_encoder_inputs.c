/* test_encoder_inputs.c: the encoder families on inputs the goldens do not cover: F16/BF16 checkpoints
 * (written by bench/random_deberta) give bit-identical logits to F32 ones holding the same values, and
 * bad configs or checkpoints fail with a typed error naming the field or tensor, never a crash. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/file.h"
#include "models/model.h"

static char tmpdir[256];

static openmed_status load(const char *dir, openmed_model **m, openmed_error *err) {
    om_backend *be = NULL;
    *m = NULL;
    memset(err, 0, sizeof *err);
    openmed_status s = om_backend_create("cpu", 1, &be, err);
    if (s) return s;
    s = om_model_load_dir(dir, be, 1, 0, m, err);
    if (s) om_backend_destroy(be);
    return s;
}

/* Logits of a fixed two-sequence batch (lengths 37 and 9) from the model in dir; NULL on failure. */
static float *logits_of(const char *dir, int *n_values) {
    openmed_model *m;
    openmed_error err;
    openmed_status s = load(dir, &m, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: %s", dir, err.message);
    if (s) return NULL;
    int32_t ids[46], cu[3] = {0, 37, 46};
    for (int i = 0; i < 46; i++) ids[i] = (i * 7919 + 13) % m->cfg.vocab_size;
    om_batch batch = {ids, cu, 2, 46};
    *n_values = 46 * m->cfg.num_labels;
    float *logits = malloc((size_t)*n_values * sizeof *logits);
    s = om_model_forward(m, NULL, &batch, logits, NULL, &err);
    CHECK_MSG(s == OPENMED_OK, "%s forward: %s", dir, err.message);
    openmed_model_free(m);
    if (s) {
        free(logits);
        return NULL;
    }
    return logits;
}

static void random_model(const char *name, const char *options) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/%s' --hidden 32 --layers 2 --heads 2 --intermediate 48 --vocab 300 --buckets 8 "
             "--max-pos 64 --labels 5 --seed 7 %s > /dev/null",
             RANDOM_DEBERTA, tmpdir, name, options);
    CHECK_MSG(system(cmd) == 0, "%s failed", cmd);
}

/* F16 and BF16 checkpoints hold exactly the values of an F32 one written with --round: same logits. */
static void check_dtypes(void) {
    static const char *kinds[2] = {"F16", "BF16"};
    float *previous = NULL;
    int n_previous = 0;
    for (int k = 0; k < 2; k++) {
        char half[64], full[64], opt[64], dir[512];
        snprintf(half, sizeof half, "half_%s", kinds[k]);
        snprintf(full, sizeof full, "full_%s", kinds[k]);
        snprintf(opt, sizeof opt, "--dtype %s", kinds[k]);
        random_model(half, opt);
        snprintf(opt, sizeof opt, "--round %s", kinds[k]);
        random_model(full, opt);
        int n1 = 0, n2 = 0;
        snprintf(dir, sizeof dir, "%s/%s", tmpdir, half);
        float *a = logits_of(dir, &n1);
        snprintf(dir, sizeof dir, "%s/%s", tmpdir, full);
        float *b = logits_of(dir, &n2);
        CHECK(a && b && n1 == n2 && n1 > 0);
        if (a && b && n1 == n2) {
            CHECK_MSG(memcmp(a, b, (size_t)n1 * sizeof *a) == 0, "%s checkpoint: logits differ from F32", kinds[k]);
            int finite = 1, nonzero = 0;
            for (int i = 0; i < n1; i++) {
                finite &= a[i] == a[i] && a[i] - a[i] == 0;
                nonzero |= a[i] != 0;
            }
            CHECK(finite && nonzero);
        }
        /* and the comparison is sensitive: F16 and BF16 roundings of the same weights differ */
        if (previous && a && n_previous == n1)
            CHECK_MSG(memcmp(previous, a, (size_t)n1 * sizeof *a) != 0, "F16 and BF16 logits are identical");
        free(previous);
        previous = a;
        n_previous = n1;
        free(b);
    }
    free(previous);
}

/* A copy of fixture `model` in tmpdir/case with config.json edited by `edit`; returns the load status. */
static openmed_status load_edited(const char *model, void (*edit)(cJSON *), openmed_error *err) {
    char src[512], dir[512], path[600], st_src[600], st_dst[600];
    snprintf(src, sizeof src, "%s/hf/models/%s", OM_FIXTURES, model);
    snprintf(dir, sizeof dir, "%s/case", tmpdir);
    snprintf(path, sizeof path, "%s/config.json", src);
    char *text = NULL;
    size_t size;
    CHECK(om_read_file(path, 0, &text, &size, err) == OPENMED_OK);
    cJSON *cfg = cJSON_Parse(text);
    free(text);
    edit(cfg);
    text = cJSON_Print(cfg);
    cJSON_Delete(cfg);
    snprintf(path, sizeof path, "mkdir -p '%s'", dir);
    CHECK(system(path) == 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    snprintf(st_src, sizeof st_src, "%s/model.safetensors", src);
    snprintf(st_dst, sizeof st_dst, "%s/model.safetensors", dir);
    unlink(st_dst);
    CHECK(symlink(st_src, st_dst) == 0);
    openmed_model *m = NULL;
    openmed_status s = load(dir, &m, err);
    if (s == OPENMED_OK) { /* a config that loads also runs */
        int32_t ids[12] = {1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 2}, cu[3] = {0, 5, 12};
        om_batch batch = {ids, cu, 2, 12};
        float *logits = malloc((size_t)12 * m->cfg.num_labels * sizeof *logits);
        s = om_model_forward(m, NULL, &batch, logits, NULL, err);
        free(logits);
    }
    openmed_model_free(m);
    unlink(st_dst);
    unlink(path);
    return s;
}

static void set(cJSON *cfg, const char *key, cJSON *value) {
    if (cJSON_GetObjectItemCaseSensitive(cfg, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, value);
    else
        cJSON_AddItemToObject(cfg, key, value);
}

static void conv_layer(cJSON *c) { set(c, "conv_kernel_size", cJSON_CreateNumber(3)); }
static void more_layers(cJSON *c) { set(c, "num_hidden_layers", cJSON_CreateNumber(3)); }
static void bad_buckets(cJSON *c) { set(c, "position_buckets", cJSON_CreateString("many")); }
static void bad_act(cJSON *c) { set(c, "hidden_act", cJSON_CreateString("swishy")); }
static void no_c2p(cJSON *c) { set(c, "pos_att_type", cJSON_CreateString("p2c")); }
static void odd_window(cJSON *c) { set(c, "attention_window", cJSON_CreateNumber(7)); }
static void short_windows(cJSON *c) {
    cJSON *w = cJSON_CreateArray();
    cJSON_AddItemToArray(w, cJSON_CreateNumber(8));
    set(c, "attention_window", w);
}
static void bad_layer_type(cJSON *c) {
    cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "layer_types");
    cJSON_ReplaceItemInArray(t, 1, cJSON_CreateString("chunked_attention"));
}
static void yarn_rope(cJSON *c) {
    cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "rope_parameters"),
                                                "sliding_attention");
    cJSON_ReplaceItemInObjectCaseSensitive(p, "rope_type", cJSON_CreateString("yarn"));
}
static void bad_theta(cJSON *c) {
    cJSON_DeleteItemFromObjectCaseSensitive(c, "rope_parameters");
    set(c, "local_rope_theta", cJSON_CreateNumber(-1));
}
static void with_bias(cJSON *c) { set(c, "attention_bias", cJSON_CreateTrue()); }
static void abs_positions(cJSON *c) { set(c, "position_biased_input", cJSON_CreateTrue()); }
static void no_relative(cJSON *c) { set(c, "relative_attention", cJSON_CreateFalse()); }
static void huge_buckets(cJSON *c) { set(c, "position_buckets", cJSON_CreateNumber(1e9)); }
/* found by fuzz_config_json: one bucket divides by zero, and log((max_relative - 1) / half) = 0 too */
static void one_bucket(cJSON *c) { set(c, "position_buckets", cJSON_CreateNumber(1)); }
static void flat_log_ratio(cJSON *c) { set(c, "max_relative_positions", cJSON_CreateNumber(9)); }

static void expect(const char *model, void (*edit)(cJSON *), openmed_status want, const char *needle) {
    openmed_error err;
    openmed_status s = load_edited(model, edit, &err);
    CHECK_MSG(s == want, "%s: status %d, expected %d (%s)", model, (int)s, (int)want, err.message);
    CHECK_MSG(strstr(err.message, needle) != NULL, "%s: message \"%s\" does not name \"%s\"", model, err.message,
              needle);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/om_encoder_inputsXXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    check_dtypes();

    expect("deberta-v3", conv_layer, OPENMED_ERR_UNSUPPORTED, "conv_kernel_size");
    expect("deberta-v3", more_layers, OPENMED_ERR_FORMAT, "deberta.encoder.layer.2.");
    expect("deberta-v3", bad_buckets, OPENMED_ERR_CONFIG, "position_buckets");
    expect("deberta-v3", bad_act, OPENMED_ERR_UNSUPPORTED, "swishy");
    expect("deberta-v2-nobucket", no_c2p, OPENMED_OK, "");
    expect("deberta-v3", no_relative, OPENMED_OK, "");
    expect("deberta-v3", abs_positions, OPENMED_ERR_FORMAT, "deberta.embeddings.position_embeddings.weight");
    expect("deberta-v3", huge_buckets, OPENMED_ERR_CONFIG, "relative attention");
    expect("deberta-v3", one_bucket, OPENMED_ERR_CONFIG, "position_buckets 1 needs at least 2 buckets");
    expect("deberta-v3", flat_log_ratio, OPENMED_ERR_CONFIG, "max_relative_positions above 9");
    expect("longformer", odd_window, OPENMED_ERR_CONFIG, "attention_window");
    expect("longformer", short_windows, OPENMED_ERR_CONFIG, "attention_window");
    expect("modernbert", bad_layer_type, OPENMED_ERR_CONFIG, "layer_types[1]");
    expect("modernbert", yarn_rope, OPENMED_ERR_UNSUPPORTED, "yarn");
    expect("modernbert", bad_theta, OPENMED_ERR_CONFIG, "rope theta");
    expect("modernbert", with_bias, OPENMED_ERR_FORMAT, "model.layers.0.attn.Wqkv.bias");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
    return check_finish("test_encoder_inputs");
}
