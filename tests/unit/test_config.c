/* test_config.c: the OpenMed config file (path order, values, OpenMed's other keys, the '#'-in-quotes
 * fix) and the clear errors for bad files, with the environment overrides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "openmed.h"

static char dir[256];

static const char *write_file(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return path;
}

static void clear_env(void) {
    unsetenv("OPENMED_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HF_TOKEN");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_NUM_THREADS");
}

static void test_defaults_and_env(void) {
    openmed_config cfg;
    clear_env();
    setenv("HOME", "/home/tester", 1);
    openmed_config_init(&cfg);
    CHECK_STR(cfg.backend, "hf");
    CHECK_STR(cfg.cache_dir, "/home/tester/.cache/openmed");
    CHECK_STR(cfg.default_org, "OpenMed");
    CHECK_STR(cfg.device, "");
    CHECK_INT(cfg.local_only, 0);
    CHECK_INT(cfg.dtype, OPENMED_DTYPE_AUTO);
    CHECK_INT(cfg.num_threads, 0);

    setenv("HF_TOKEN", "hf_secret", 1);
    setenv("OPENMED_OFFLINE", "off", 1); /* env_flag_enabled: "off" is false */
    setenv("OPENMED_NUM_THREADS", "3", 1);
    openmed_config_init(&cfg);
    CHECK_STR(cfg.hf_token, "hf_secret");
    CHECK_INT(cfg.local_only, 0);
    CHECK_INT(cfg.num_threads, 3);
    setenv("OPENMED_OFFLINE", " Yes ", 1);
    openmed_config_init(&cfg);
    CHECK_INT(cfg.local_only, 1);
    clear_env();
}

static void test_path_order(void) {
    char out[OPENMED_PATH_MAX];
    openmed_error err;
    clear_env();
    setenv("HOME", "/home/tester", 1);
    CHECK_INT(openmed_config_path(NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "/home/tester/.config/openmed/config.toml");
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    openmed_config_path(NULL, out, sizeof out, &err);
    CHECK_STR(out, "/xdg/openmed/config.toml");
    setenv("OPENMED_CONFIG", "/env/c.toml", 1);
    openmed_config_path(NULL, out, sizeof out, &err);
    CHECK_STR(out, "/env/c.toml");
    openmed_config_path("/explicit.toml", out, sizeof out, &err);
    CHECK_STR(out, "/explicit.toml");
    clear_env();

    /* No file at the default location is not an error; a missing explicit file is. */
    openmed_config cfg;
    setenv("XDG_CONFIG_HOME", dir, 1);
    openmed_config_init(&cfg);
    CHECK_INT(openmed_config_load_file(&cfg, NULL, &err), OPENMED_OK);
    CHECK_STR(cfg.config_path, "");
    CHECK_INT(openmed_config_load_file(&cfg, "/nonexistent/openmed.toml", &err), OPENMED_ERR_CONFIG);
    CHECK(strstr(err.message, "/nonexistent/openmed.toml") != NULL);
    setenv("OPENMED_CONFIG", "/nonexistent/env.toml", 1);
    CHECK_INT(openmed_config_load_file(&cfg, NULL, &err), OPENMED_ERR_CONFIG);
    CHECK(strstr(err.message, "OPENMED_CONFIG") != NULL);
    clear_env();
}

static void test_openmed_file_keeps_working(void) {
    /* A config written by OpenMed's `openmed config set`, with its other keys. */
    const char *path = write_file("openmed.toml",
                                  "# OpenMed configuration\n"
                                  "default_org = \"MyOrg\"\n"
                                  "cache_dir = \"~/models\"\n"
                                  "device = \"CPU\"\n"
                                  "hf_token = null\n"
                                  "log_level = \"INFO\"\n"
                                  "timeout = 300\n"
                                  "use_medical_tokenizer = true\n"
                                  "backend = \"hf\"\n"
                                  "onnx_variant = \"auto\"\n"
                                  "indic_name_similarity_threshold = 0.8\n"
                                  "local_only = false\n"
                                  "\n"
                                  "dtype = \"float32\"   # ours\n"
                                  "num_threads = 2\n");
    openmed_config cfg;
    openmed_error err;
    clear_env();
    setenv("HOME", "/home/tester", 1);
    setenv("HF_TOKEN", "hf_from_env", 1);
    setenv("OPENMED_NUM_THREADS", "7", 1);
    openmed_config_init(&cfg);
    CHECK_INT(openmed_config_load_file(&cfg, path, &err), OPENMED_OK);
    CHECK_STR(cfg.default_org, "MyOrg");
    CHECK_STR(cfg.cache_dir, "/home/tester/models");
    CHECK_STR(cfg.device, "CPU"); /* normalized by the resolver, not here */
    CHECK_STR(cfg.hf_token, "hf_from_env"); /* null -> HF_TOKEN */
    CHECK_INT(cfg.dtype, OPENMED_DTYPE_FLOAT32);
    CHECK_INT(cfg.num_threads, 2); /* the file beats OPENMED_NUM_THREADS */
    CHECK_STR(cfg.config_path, path);
    CHECK(strstr(cfg.unused_keys, "log_level") != NULL);
    CHECK(strstr(cfg.unused_keys, "timeout") != NULL);
    CHECK(strstr(cfg.unused_keys, "indic_name_similarity_threshold") != NULL);
    CHECK(strstr(cfg.unused_keys, "device") == NULL);

    /* The file's device beats both environment variables. */
    openmed_device_choice c;
    setenv("OPENMED_TORCH_DEVICE", "cuda", 1);
    setenv("OPENMED_DEVICE", "mps", 1);
    CHECK_INT(openmed_device_resolve(NULL, &cfg, &c, &err), OPENMED_OK);
    CHECK_STR(c.resolved, "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_CONFIG);
    unsetenv("OPENMED_TORCH_DEVICE");
    unsetenv("OPENMED_DEVICE");

    /* OPENMED_OFFLINE is or-ed after the file. */
    setenv("OPENMED_OFFLINE", "1", 1);
    openmed_config_init(&cfg);
    CHECK_INT(openmed_config_load_file(&cfg, path, &err), OPENMED_OK);
    CHECK_INT(cfg.local_only, 1);
    clear_env();
}

static void test_hash_inside_quotes(void) {
    const char *path = write_file("hash.toml", "hf_token = \"abc#def\" # a comment\ndefault_org = 'a#b'\n");
    openmed_config cfg;
    openmed_error err;
    clear_env();
    openmed_config_init(&cfg);
    CHECK_INT(openmed_config_load_file(&cfg, path, &err), OPENMED_OK);
    CHECK_STR(cfg.hf_token, "abc#def");
    CHECK_STR(cfg.default_org, "a#b");
}

/* Each bad file fails with the file, the line and the key, and leaves cfg unchanged. */
static void expect_error(const char *text, int line, const char *key, const char *phrase) {
    const char *path = write_file("bad.toml", text);
    openmed_config cfg, before;
    openmed_error err;
    openmed_config_init(&cfg);
    strcpy(cfg.device, "untouched");
    before = cfg;
    CHECK_INT(openmed_config_load_file(&cfg, path, &err), OPENMED_ERR_CONFIG);
    char where[600];
    snprintf(where, sizeof where, "%s:%d:", path, line);
    CHECK_MSG(strstr(err.message, where) != NULL, "'%s' lacks '%s'", err.message, where);
    if (key) CHECK_MSG(strstr(err.message, key) != NULL, "'%s' lacks key '%s'", err.message, key);
    CHECK_MSG(strstr(err.message, phrase) != NULL, "'%s' lacks '%s'", err.message, phrase);
    CHECK(memcmp(&cfg, &before, sizeof cfg) == 0);
}

static void test_bad_files(void) {
    clear_env();
    expect_error("device = \"cpu\"\nbogus_key = 1\n", 2, "bogus_key", "unknown key");
    expect_error("\n\nthis line has no equals sign\n", 3, NULL, "malformed line");
    expect_error("= 3\n", 1, NULL, "missing key");
    expect_error("batch_size = 0\n", 1, "batch_size", "integer > 0");
    expect_error("local_only = maybe\n", 1, "local_only", "true or false");
    expect_error("dtype = \"float64\"\n", 1, "dtype", "bad value");
    expect_error("backend = \"tensorflow\"\n", 1, "backend", "bad value");
    expect_error("num_threads = -1\n", 1, "num_threads", "integer >= 0");
    expect_error("indic_name_similarity_threshold = 2\n", 1, "indic_name_similarity_threshold", "[0.5, 1.0]");
    expect_error("hf_token = \"unterminated\n", 1, "hf_token", "unterminated");
    expect_error("[section]\n", 1, NULL, "malformed line");
}

static void test_dtype_parse(void) {
    openmed_dtype dt;
    openmed_error err;
    CHECK_INT(openmed_dtype_parse(" BF16 ", &dt, &err), OPENMED_OK);
    CHECK_INT(dt, OPENMED_DTYPE_BFLOAT16);
    CHECK_INT(openmed_dtype_parse("float16", &dt, &err), OPENMED_OK);
    CHECK_INT(dt, OPENMED_DTYPE_FLOAT16);
    CHECK_INT(openmed_dtype_parse("int8", &dt, &err), OPENMED_OK);
    CHECK_INT(dt, OPENMED_DTYPE_INT8);
    CHECK_STR(openmed_dtype_name(OPENMED_DTYPE_INT8), "int8");
    CHECK_INT(openmed_dtype_parse("int4", &dt, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "int4") != NULL && strstr(err.message, "int8") != NULL);
    CHECK_STR(openmed_dtype_name(OPENMED_DTYPE_FLOAT32), "float32");
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/om_test_config_XXXXXX");
    if (!mkdtemp(dir)) return 2;
    test_defaults_and_env();
    test_path_order();
    test_openmed_file_keeps_working();
    test_hash_inside_quotes();
    test_bad_files();
    test_dtype_parse();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 2;
    return check_finish("test_config");
}
