/* test_model_errors.c: bad config.json fields, label maps that do not match the head, tensors with
 * the wrong shape or missing, unknown architectures and unavailable devices each fail with a clear
 * error naming the field, tensor, file or device. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "check.h"
#include "io/safetensors.h"
#include "models/model.h"

#define SRC OM_FIXTURES "/hf/models/bert-uncased"

static char tmpdir[256];
static char base_config[1 << 16];
static om_backend *be;

static void write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
}

/* A model folder with the fixture's weights and `config` as config.json. */
static void make_folder(const char *name, const char *config, char *dir, size_t size) {
    snprintf(dir, size, "%s/%s", tmpdir, name);
    mkdir(dir, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/config.json", dir);
    write_file(p, config, strlen(config));
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (access(p, F_OK) != 0 && symlink(SRC "/model.safetensors", p) != 0) perror("symlink");
}

/* The fixture config with one top-level key replaced (value = JSON text) or removed (value NULL). */
static char *config_with(const char *key, const char *value) {
    cJSON *j = cJSON_Parse(base_config);
    cJSON_DeleteItemFromObjectCaseSensitive(j, key);
    if (value) cJSON_AddItemToObject(j, key, cJSON_Parse(value));
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

static openmed_status load(const char *config, openmed_error *err) {
    char dir[512];
    static int counter;
    char name[32];
    snprintf(name, sizeof name, "m%d", counter++);
    make_folder(name, config, dir, sizeof dir);
    openmed_model *m = NULL;
    memset(err, 0, sizeof *err);
    openmed_status s = om_model_load_dir(dir, be, 0, 0, &m, err);
    openmed_model_free(m);
    return s;
}

#define EXPECT_FAIL(config, status, needle)                                                                 \
    do {                                                                                                    \
        openmed_error e_;                                                                                   \
        openmed_status s_ = load(config, &e_);                                                              \
        CHECK_MSG(s_ == (status), "got status %d (%s), want %d", (int)s_, e_.message, (int)(status));        \
        CHECK_MSG(strstr(e_.message, needle) != NULL, "message \"%s\" lacks \"%s\"", e_.message, needle);    \
    } while (0)

static void test_config_fields(void) {
    char *c;
    openmed_error err;
    CHECK_INT(load(base_config, &err), OPENMED_OK);
    EXPECT_FAIL((c = config_with("hidden_size", NULL)), OPENMED_ERR_CONFIG, "hidden_size");
    free(c);
    EXPECT_FAIL((c = config_with("hidden_size", "\"32\"")), OPENMED_ERR_CONFIG, "\"hidden_size\" must be an integer");
    free(c);
    EXPECT_FAIL((c = config_with("num_hidden_layers", "2.5")), OPENMED_ERR_CONFIG, "num_hidden_layers");
    free(c);
    EXPECT_FAIL((c = config_with("num_hidden_layers", "-2")), OPENMED_ERR_CONFIG, "num_hidden_layers");
    free(c);
    EXPECT_FAIL((c = config_with("vocab_size", "null")), OPENMED_ERR_CONFIG, "vocab_size");
    free(c);
    EXPECT_FAIL((c = config_with("num_attention_heads", "3")), OPENMED_ERR_CONFIG, "not a multiple");
    free(c);
    EXPECT_FAIL((c = config_with("hidden_act", "\"gelu_weird\"")), OPENMED_ERR_UNSUPPORTED, "gelu_weird");
    free(c);
    EXPECT_FAIL((c = config_with("model_type", "\"gpt2\"")), OPENMED_ERR_UNSUPPORTED, "gpt2");
    free(c);
    EXPECT_FAIL((c = config_with("model_type", "7")), OPENMED_ERR_CONFIG, "model_type");
    free(c);
    EXPECT_FAIL((c = config_with("layer_norm_eps", "\"1e-12\"")), OPENMED_ERR_CONFIG, "layer_norm_eps");
    free(c);
    EXPECT_FAIL((c = config_with("position_embedding_type", "\"relative_key\"")), OPENMED_ERR_UNSUPPORTED,
                "relative_key");
    free(c);
    c = config_with("position_embedding_type", "\"absolute\"");
    CHECK_INT(load(c, &err), OPENMED_OK);
    free(c);
    /* Without model_type, architectures[0] decides. */
    c = config_with("model_type", NULL);
    CHECK_INT(load(c, &err), OPENMED_OK);
    free(c);
    EXPECT_FAIL("{\"hidden_size\": 32", OPENMED_ERR_CONFIG, "config.json");
    EXPECT_FAIL("[1, 2]", OPENMED_ERR_CONFIG, "config.json");
    EXPECT_FAIL("{\"model_type\": \"bert\", \"model_type\": \"bert\"}", OPENMED_ERR_CONFIG, "appears twice");
    /* Deep nesting. */
    char deep[400];
    size_t at = (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 100; i++) deep[at++] = '[';
    for (int i = 0; i < 100; i++) deep[at++] = ']';
    snprintf(deep + at, sizeof deep - at, "}");
    EXPECT_FAIL(deep, OPENMED_ERR_CONFIG, "nests deeper");
    /* A BOM is fine. */
    char bom[sizeof base_config + 4];
    snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", base_config);
    CHECK_INT(load(bom, &err), OPENMED_OK);
    /* Over 1 MiB. */
    size_t big = (1u << 20) + 16;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    memcpy(huge, base_config, strlen(base_config));
    huge[big] = '\0';
    EXPECT_FAIL(huge, OPENMED_ERR_FORMAT, "larger than");
    free(huge);
}

/* Heads sized by an explicit head_dim (the real openai/privacy-filter: hidden 640 = 14 heads x 64
 * does not hold) parse; without head_dim the same sizes are the usual error. A config with only
 * architectures[0] finds its family. */
static void test_explicit_head_dim(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/head-dim-config.json", tmpdir);
    const char *with = "{\"architectures\": [\"OpenAIPrivacyFilterForTokenClassification\"], \"vocab_size\": 100,"
                       " \"hidden_size\": 640, \"num_attention_heads\": 14, \"head_dim\": 64,"
                       " \"num_hidden_layers\": 1, \"intermediate_size\": 64, \"id2label\": {\"0\": \"O\"}}";
    om_model_config cfg;
    struct cJSON *json = NULL;
    openmed_error err;
    write_file(path, with, strlen(with));
    CHECK_INT(om_model_config_parse(path, &cfg, &json, &err), OPENMED_OK);
    CHECK_STR(cfg.model_type, "openai_privacy_filter");
    CHECK(om_arch_find(cfg.model_type) != NULL);
    om_model_config_free(&cfg, json);
    const char *without = "{\"model_type\": \"bert\", \"vocab_size\": 100, \"hidden_size\": 640,"
                          " \"num_attention_heads\": 14, \"num_hidden_layers\": 1, \"intermediate_size\": 64,"
                          " \"id2label\": {\"0\": \"O\"}}";
    write_file(path, without, strlen(without));
    CHECK_INT(om_model_config_parse(path, &cfg, &json, &err), OPENMED_ERR_CONFIG);
    CHECK(strstr(err.message, "not a multiple of num_attention_heads") != NULL);
}

/* config.json cut at every byte and with random corruptions: a clear status, never a crash. */
static void test_config_garbage(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/garbage-config.json", tmpdir);
    size_t n = strlen(base_config);
    om_model_config cfg;
    struct cJSON *json = NULL;
    openmed_error err;
    int failures = 0, cases = 0;
    size_t body = n;
    while (body > 0 && (base_config[body - 1] == '\n' || base_config[body - 1] == ' ')) body--;
    for (size_t len = 0; len < body; len += 3, cases++) { /* prefixes that stop before the closing brace */
        write_file(path, base_config, len);
        openmed_status s = om_model_config_parse(path, &cfg, &json, &err);
        if (s == OPENMED_OK) om_model_config_free(&cfg, json);
        else failures++;
    }
    CHECK_INT(failures, cases); /* every strict prefix is malformed JSON */
    srand(11);
    char *copy = malloc(n + 1);
    for (int iter = 0; iter < 1000; iter++) {
        memcpy(copy, base_config, n + 1);
        for (int k = 0; k < 1 + rand() % 6; k++) copy[rand() % (int)n] = (char)(rand() % 256);
        write_file(path, copy, n);
        openmed_status s = om_model_config_parse(path, &cfg, &json, &err);
        if (s == OPENMED_OK) {
            CHECK(cfg.num_labels >= 1 && cfg.id2label != NULL);
            om_model_config_free(&cfg, json);
        } else {
            CHECK(err.message[0] != '\0');
        }
    }
    free(copy);
}

static void test_labels(void) {
    char *c;
    EXPECT_FAIL((c = config_with("num_labels", "5")), OPENMED_ERR_CONFIG, "num_labels is 5");
    free(c);
    EXPECT_FAIL((c = config_with("id2label", "{\"0\": \"O\", \"x\": \"B-X\"}")), OPENMED_ERR_CONFIG, "id2label key");
    free(c);
    EXPECT_FAIL((c = config_with("id2label", "{\"0\": \"O\", \"2\": \"B-X\"}")), OPENMED_ERR_CONFIG, "dense");
    free(c);
    EXPECT_FAIL((c = config_with("id2label", "{\"0\": \"O\", \"-1\": \"B-X\"}")), OPENMED_ERR_CONFIG, "id2label key");
    free(c);
    EXPECT_FAIL((c = config_with("id2label", "{\"0\": \"O\", \"1\": 3}")), OPENMED_ERR_CONFIG, "must be a string");
    free(c);
    EXPECT_FAIL((c = config_with("id2label", "[\"O\"]")), OPENMED_ERR_CONFIG, "id2label");
    free(c);
    /* 3 labels in the config, 9 in the classifier head. */
    EXPECT_FAIL((c = config_with("id2label", "{\"0\": \"O\", \"1\": \"B-X\", \"2\": \"I-X\"}")), OPENMED_ERR_FORMAT,
                "classifier.weight");
    free(c);
}

static void test_shapes(void) {
    char *c;
    EXPECT_FAIL((c = config_with("intermediate_size", "65")), OPENMED_ERR_FORMAT,
                "bert.encoder.layer.0.intermediate.dense.weight\" has shape [64, 32]");
    free(c);
    EXPECT_FAIL((c = config_with("vocab_size", "100")), OPENMED_ERR_FORMAT, "bert.embeddings.word_embeddings.weight");
    free(c);
    EXPECT_FAIL((c = config_with("num_hidden_layers", "3")), OPENMED_ERR_FORMAT, "bert.encoder.layer.2.");
    free(c);
    EXPECT_FAIL((c = config_with("max_position_embeddings", "64")), OPENMED_ERR_FORMAT, "position_embeddings");
    free(c);
    EXPECT_FAIL((c = config_with("type_vocab_size", "3")), OPENMED_ERR_FORMAT, "token_type_embeddings");
    free(c);
}

/* A checkpoint without one tensor (rewritten here from the fixture) fails naming it. */
static void test_missing_tensor(void) {
    om_safetensors *st = NULL;
    openmed_error err;
    CHECK_INT(om_safetensors_open(SRC, &st, &err), OPENMED_OK);
    if (!st) return;
    const char *drop = "bert.encoder.layer.1.output.LayerNorm.bias";
    cJSON *h = cJSON_CreateObject();
    size_t offset = 0;
    for (size_t i = 0; i < om_safetensors_count(st); i++) {
        const om_st_tensor *t = om_safetensors_at(st, i);
        if (strcmp(t->name, drop) == 0) continue;
        cJSON *e = cJSON_AddObjectToObject(h, t->name);
        cJSON_AddStringToObject(e, "dtype", t->dtype_name);
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(offset + t->nbytes)));
        offset += t->nbytes;
    }
    char *header = cJSON_PrintUnformatted(h);
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/missing", tmpdir);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    FILE *f = fopen(p, "wb");
    uint64_t n = strlen(header);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, n, f);
    for (size_t i = 0; i < om_safetensors_count(st); i++) {
        const om_st_tensor *t = om_safetensors_at(st, i);
        if (strcmp(t->name, drop) != 0) fwrite(t->data, 1, t->nbytes, f);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/config.json", dir);
    write_file(p, base_config, strlen(base_config));
    openmed_model *m = NULL;
    CHECK_INT(om_model_load_dir(dir, be, 0, 0, &m, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, drop) != NULL, "message: %s", err.message);
    free(header);
    cJSON_Delete(h);
    om_safetensors_close(st);
}

static void test_folders_and_devices(void) {
    openmed_error err;
    openmed_model *m = NULL;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    mkdir(dir, 0755);
    CHECK_INT(om_model_load_dir(dir, be, 0, 0, &m, &err), OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "config.json") != NULL);
    /* A pickle-only folder is refused with the conversion hint. */
    snprintf(dir, sizeof dir, "%s/pickle", tmpdir);
    mkdir(dir, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/config.json", dir);
    write_file(p, base_config, strlen(base_config));
    snprintf(p, sizeof p, "%s/pytorch_model.bin", dir);
    write_file(p, "PK", 2);
    CHECK_INT(om_model_load_dir(dir, be, 0, 0, &m, &err), OPENMED_ERR_UNSUPPORTED);
    CHECK(strstr(err.message, "safetensors") != NULL);

    openmed_model_options opt;
    openmed_model_options_init(&opt);
    opt.device = "mps";
    CHECK(openmed_model_load(SRC, &opt, &m, &err) == OPENMED_ERR_DEVICE);
    CHECK_MSG(strstr(err.message, "mps") != NULL, "message: %s", err.message);
    CHECK(m == NULL);
    opt.device = "cuda:7"; /* no such GPU on the test machines (or GPU 7 of a real one) */
    CHECK(openmed_model_load(SRC, &opt, &m, &err) == OPENMED_ERR_DEVICE);
    CHECK_MSG(strstr(err.message, "cuda") != NULL, "message: %s", err.message);
    /* Without an error record the status is the same: a missing device is DEVICE, not INTERNAL. */
    CHECK_INT(openmed_model_load(SRC, &opt, &m, NULL), OPENMED_ERR_DEVICE);
    opt.device = "mps";
    CHECK_INT(openmed_model_load(SRC, &opt, &m, NULL), OPENMED_ERR_DEVICE);
    CHECK(m == NULL);
    om_backend *b = NULL;
    CHECK_INT(om_backend_create("mps", 1, &b, &err), OPENMED_ERR_DEVICE);
    CHECK(strstr(err.message, "Metal") != NULL);
    CHECK_INT(om_backend_create("tpu", 1, &b, &err), OPENMED_ERR_DEVICE);
    CHECK(strstr(err.message, "tpu") != NULL);
    opt.device = "cpu";
    openmed_status s = openmed_model_load("/nonexistent/model/dir", &opt, &m, &err);
    CHECK(s != OPENMED_OK && m == NULL);
    CHECK(openmed_model_load(NULL, NULL, &m, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    /* The public loader on the CPU: weights, tokenizer and window length. */
    opt.num_threads = 1;
    const char *folders[] = {SRC, OM_FIXTURES "/hf/models/roberta"};
    for (int i = 0; i < 2; i++) {
        s = openmed_model_load(folders[i], &opt, &m, &err);
        CHECK_MSG(s == OPENMED_OK, "%s: %s", folders[i], err.message);
        if (s != OPENMED_OK) continue;
        CHECK_STR(openmed_model_device(m), "cpu");
        CHECK(openmed_model_tokenizer(m) != NULL);
        CHECK_INT(openmed_model_max_length(m), 128);
        CHECK_STR(openmed_model_path(m), folders[i]);
        openmed_model_free(m);
        m = NULL;
    }
}

static void test_forward_checks(void) {
    openmed_model *m = NULL;
    openmed_error err;
    CHECK_INT(om_model_load_dir(SRC, be, 0, 0, &m, &err), OPENMED_OK);
    if (!m) return;
    int32_t ids[130];
    for (int i = 0; i < 130; i++) ids[i] = 100 + i;
    int32_t cu[2] = {0, 2};
    float logits[130 * 9];
    ids[1] = 30522; /* one past the vocabulary */
    om_batch b = {ids, cu, 1, 2};
    CHECK_INT(om_model_forward(m, NULL, &b, logits, NULL, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "vocabulary") != NULL);
    ids[1] = -1;
    CHECK_INT(om_model_forward(m, NULL, &b, logits, NULL, &err), OPENMED_ERR_INVALID_ARGUMENT);
    ids[1] = 101;
    cu[1] = 130; /* more tokens than positions */
    b.n_tokens = 130;
    CHECK_INT(om_model_forward(m, NULL, &b, logits, NULL, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "positions") != NULL);
    cu[1] = 0; /* an empty batch is fine */
    b.n_tokens = 0;
    CHECK_INT(om_model_forward(m, NULL, &b, logits, NULL, &err), OPENMED_OK);
    CHECK_INT(openmed_model_num_labels(m), 9);
    CHECK_STR(openmed_model_label(m, 1), "B-DISEASE");
    CHECK(openmed_model_label(m, 9) == NULL);
    CHECK_STR(openmed_model_type(m), "bert");
    openmed_model_free(m);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/om_test_model_errors_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    FILE *f = fopen(SRC "/config.json", "rb");
    size_t n = fread(base_config, 1, sizeof base_config - 1, f);
    fclose(f);
    base_config[n] = '\0';
    openmed_error err;
    if (om_backend_create("cpu", 1, &be, &err) != OPENMED_OK) return 1;
    test_config_fields();
    test_config_garbage();
    test_explicit_head_dim();
    test_labels();
    test_shapes();
    test_missing_tensor();
    test_folders_and_devices();
    test_forward_checks();
    om_backend_destroy(be);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_finish("test_model_errors");
}
