/* fuzz_config_json.c: config.json on hostile bytes, then, when it parses and names a family, the
 * whole model load against the real weights of a fixture model of that family (so every size
 * and flag a config can state is checked against tensors), and one forward pass over five
 * tokens when it loads. Errors must be proper records; nothing may crash, leak or overflow. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "fuzz_util.h"
#include "models/model.h"

#define MAX_FIXTURES 32

static struct {
    char dir[700];
    char model_type[64];
} fixtures[MAX_FIXTURES];
static int n_fixtures;
static om_backend *backend;
static char scratch_config[400];

static void add_fixture(const char *src_dir, const char *name) {
    if (n_fixtures == MAX_FIXTURES) return;
    char src_config[700], src_weights[700];
    snprintf(src_config, sizeof src_config, "%s/%s/config.json", src_dir, name);
    snprintf(src_weights, sizeof src_weights, "%s/%s/model.safetensors", src_dir, name);
    if (access(src_config, R_OK) || access(src_weights, R_OK)) return;
    om_model_config cfg;
    struct cJSON *json;
    openmed_error err;
    if (om_model_config_parse(src_config, &cfg, &json, &err)) return;
    snprintf(fixtures[n_fixtures].model_type, sizeof fixtures[n_fixtures].model_type, "%s", cfg.model_type);
    om_model_config_free(&cfg, json);
    char dir[700], link[800];
    snprintf(dir, sizeof dir, "%s/%s", fuzz_dir(), name);
    mkdir(dir, 0755);
    snprintf(link, sizeof link, "%s/model.safetensors", dir);
    if (symlink(src_weights, link) != 0) return;
    snprintf(fixtures[n_fixtures].dir, sizeof fixtures[n_fixtures].dir, "%s", dir);
    n_fixtures++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *roots[] = {OM_FIXTURES "/hf/models", OM_SOURCE_DIR "/models"};
    for (int r = 0; r < 2; r++) {
        DIR *d = opendir(roots[r]);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.') add_fixture(roots[r], e->d_name);
        if (d) closedir(d);
    }
    openmed_error err;
    if (n_fixtures == 0 || om_backend_create("cpu", 1, &backend, &err)) {
        fprintf(stderr, "fuzz_config_json: no fixture models or no cpu backend\n");
        abort();
    }
    fuzz_path(scratch_config, sizeof scratch_config, "config.json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write(scratch_config, data, size);
    om_model_config cfg;
    struct cJSON *json = NULL;
    openmed_error err;
    memset(&err, 0, sizeof err);
    openmed_status s = om_model_config_parse(scratch_config, &cfg, &json, &err);
    FUZZ_CHECK_ERROR(s, err);
    if (s) return 0;
    FUZZ_ASSERT(cfg.num_labels >= 0 && cfg.num_labels <= OM_MAX_LABELS, "num_labels %d", cfg.num_labels);
    for (int i = 0; i < cfg.num_labels; i++) FUZZ_ASSERT(cfg.id2label && cfg.id2label[i], "label %d missing", i);
    char model_type[64];
    snprintf(model_type, sizeof model_type, "%s", cfg.model_type);
    om_model_config_free(&cfg, json);
    if (!om_arch_find(model_type)) return 0;

    /* the fixtures of this family, one picked by the input's length */
    int same[MAX_FIXTURES], n_same = 0;
    for (int i = 0; i < n_fixtures; i++)
        if (!strcmp(fixtures[i].model_type, model_type)) same[n_same++] = i;
    if (!n_same) return 0;
    const char *dir = fixtures[same[size % (size_t)n_same]].dir;
    char path[800];
    snprintf(path, sizeof path, "%s/config.json", dir);
    fuzz_write(path, data, size);
    openmed_model *m = NULL;
    s = om_model_load_dir(dir, backend, 0, 0, &m, &err);
    FUZZ_CHECK_ERROR(s, err);
    if (s) {
        FUZZ_ASSERT(m == NULL, "failed load left a model");
        return 0;
    }
    int vocab = m->cfg.vocab_size > 0 ? m->cfg.vocab_size : 1;
    int32_t ids[5], cu[2] = {0, 5};
    for (int i = 0; i < 5; i++) ids[i] = (int32_t)((i * 7 + 1) % (vocab < 100 ? vocab : 100));
    om_batch batch = {ids, cu, 1, 5};
    size_t n_logits = (size_t)5 * (size_t)(m->cfg.num_labels > 0 ? m->cfg.num_labels : 1);
    float *logits = calloc(n_logits, sizeof *logits);
    if (logits) {
        s = om_model_forward(m, NULL, &batch, logits, NULL, &err);
        FUZZ_CHECK_ERROR(s, err);
        free(logits);
    }
    openmed_model_free(m);
    return 0;
}
