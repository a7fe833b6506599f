/* test_registry_honesty.c: what the registry says about each model: whether this engine runs it
 * (and why not), whether it is cached and its size, "did you mean" for mistyped names (offline:
 * the hub endpoint here is a closed port, so any network use would fail differently), and the
 * `openmed models list/info` rows and filters built on them. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "openmed.h"

static const openmed_model_info *find(const char *repo, openmed_model_info *m) {
    openmed_error err;
    return openmed_registry_find(repo, m, &err) == OPENMED_OK ? m : NULL;
}

static void expect_runnable(const char *repo, int runnable, const char *reason_part) {
    openmed_model_info m;
    char reason[256] = "unset";
    CHECK_MSG(find(repo, &m) != NULL, "%s not in the registry", repo);
    if (!find(repo, &m)) return;
    CHECK_MSG(openmed_registry_runnable(&m, reason, sizeof reason) == runnable, "%s: %s", repo, reason);
    if (runnable) CHECK_STR(reason, "");
    else CHECK_MSG(strstr(reason, reason_part) != NULL, "%s: '%s' lacks '%s'", repo, reason, reason_part);
}

static void test_runnable(void) {
    expect_runnable("OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M", 1, NULL);
    expect_runnable("OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1", 1, NULL);
    expect_runnable("OpenMed/privacy-filter-multilingual", 1, NULL);
    expect_runnable("OpenMed/OpenMed-ClinicalNER-SuperClinical-Large-434M-v1-onnx-android", 0, "ONNX");
    expect_runnable("OpenMed/maple-preview-4bit-onnx-android", 0, "task text-generation");
    /* rows without an architecture take their model line's: PubMed lines are BERT, EuroMed EuroBERT */
    expect_runnable("OpenMed/OpenMed-NER-ProteinDetect-PubMed-v2-109M", 1, NULL);
    expect_runnable("OpenMed/OpenMed-NER-ChemicalDetect-EuroMed-212M", 0, "eurobert");
    /* every row: a reason exactly when it cannot run; GLiNER, EuroBERT, Qwen and ONNX-only rows never run */
    size_t n = 0, runnable = 0, gliner = 0, onnx = 0;
    openmed_error err;
    CHECK(openmed_registry_count(&n, &err) == OPENMED_OK);
    for (size_t i = 0; i < n; i++) {
        openmed_model_info m;
        char reason[256];
        CHECK(openmed_registry_at(i, &m, &err) == OPENMED_OK);
        int r = openmed_registry_runnable(&m, reason, sizeof reason);
        runnable += r;
        CHECK_MSG(r == (reason[0] == '\0'), "%s: runnable %d, reason '%s'", m.repo_id, r, reason);
        if (!strcmp(m.architecture, "gliner") || !strcmp(m.family, "ZeroShot")) gliner += !r;
        if (!strcmp(m.formats, "onnx")) onnx += !r;
        if (!strcmp(m.architecture, "gliner") || !strcmp(m.family, "ZeroShot") || !strcmp(m.architecture, "eurobert") ||
            !strcmp(m.architecture, "qwen") ||
            !strcmp(m.formats, "onnx"))
            CHECK_MSG(!r, "%s runs?", m.repo_id);
    }
    CHECK_INT(gliner, 143);
    CHECK_INT(onnx, 753);
    CHECK(runnable > 1300 && runnable < 1500);
    openmed_model_info m;
    if (find("OpenMed/maple-preview-4bit-onnx-android", &m)) CHECK(openmed_registry_runnable(&m, NULL, 0) == 0);
}

static void expect_suggest(const char *name, const char *first) {
    const char *s[5];
    size_t n = 99;
    openmed_error err;
    CHECK(openmed_registry_suggest(name, s, 5, &n, &err) == OPENMED_OK);
    if (!first) {
        CHECK_MSG(n == 0, "%s: %zu suggestions, first %s", name, n, n ? s[0] : "");
        return;
    }
    CHECK_MSG(n > 0, "%s: no suggestion", name);
    if (n > 0) CHECK_STR(s[0], first);
}

static void test_suggest(void) {
    expect_suggest("disease_detection_tyni", "disease_detection_tiny");
    expect_suggest("Disease-Detection-Tiny", "disease_detection_tiny");
    expect_suggest("pii_detecton", "pii_detection");
    expect_suggest("OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-13M", "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M");
    expect_suggest("OpenMed-NER-PharmaDetect-SuperClinical-434", "OpenMed/OpenMed-NER-PharmaDetect-SuperClinical-434M");
    expect_suggest("disease_detection", "disease_detection_tiny"); /* a word prefix: the shortest names first */
    expect_suggest("xyzzy", NULL);
    expect_suggest("test-model", NULL);

    /* resolution: a bare typo fails with suggestions and no network; other names resolve as OpenMed */
    char out[512];
    openmed_error err = {0};
    CHECK_INT(openmed_model_resolve_name("disease_detection_tyni", NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "did you mean disease_detection_tiny") != NULL);
    CHECK_INT(openmed_model_resolve_name("test-model", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "OpenMed/test-model");
    CHECK_INT(openmed_model_resolve_name("OpenMed/disease_detection_tyni", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_INT(openmed_model_resolve_name("OpenMed-NER-DiseaseDetect-TinyMed-135M", NULL, out, sizeof out, &err),
              OPENMED_OK);
    CHECK_STR(out, "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M");
}

static char tmp[] = "/tmp/om_registry_honesty_XXXXXX";

/* Run `ENV openmed ARGS` with the hub endpoint on a closed port and no Hugging Face cache. */
static int run_offline(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "HF_ENDPOINT=http://127.0.0.1:9 HF_HUB_CACHE=/nonexistent %s/bin/openmed %s 2>&1",
             OM_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, p);
    out_buf[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cache_and_cli(void) {
    CHECK(mkdtemp(tmp) != NULL);
    /* a pulled model in the huggingface_hub layout: refs/main, a snapshot linking into blobs/ */
    const char *commit = "0123456789abcdef0123456789abcdef01234567";
    char repo[512], path[1024];
    snprintf(repo, sizeof repo, "%s/cache/models--OpenMed--OpenMed-NER-DiseaseDetect-TinyMed-135M", tmp);
    const char *dirs[] = {"", "/refs", "/blobs", "/snapshots", "/snapshots/0123456789abcdef0123456789abcdef01234567"};
    snprintf(path, sizeof path, "%s/cache", tmp);
    mkdir(path, 0755);
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s%s", repo, dirs[i]);
        CHECK(mkdir(path, 0755) == 0);
    }
    snprintf(path, sizeof path, "%s/refs/main", repo);
    write_file(path, commit);
    snprintf(path, sizeof path, "%s/blobs/aaaa", repo);
    write_file(path, "{\"model_type\": \"bert\"}"); /* 22 bytes */
    snprintf(path, sizeof path, "%s/blobs/bbbb", repo);
    write_file(path, "0123456789");
    snprintf(path, sizeof path, "%s/snapshots/%s/config.json", repo, commit);
    CHECK(symlink("../../blobs/aaaa", path) == 0);
    snprintf(path, sizeof path, "%s/snapshots/%s/model.safetensors", repo, commit);
    CHECK(symlink("../../blobs/bbbb", path) == 0);

    openmed_config cfg;
    openmed_config_init(&cfg);
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s/cache", tmp);
    openmed_cache_status st;
    openmed_error err = {0};
    CHECK(openmed_model_cache_status("disease_detection_tiny", &cfg, &st, &err) == OPENMED_OK);
    CHECK(st.cached && st.size_bytes == 32);
    CHECK(strstr(st.path, commit) != NULL);
    CHECK(openmed_model_cache_status("pii_detection", &cfg, &st, &err) == OPENMED_OK);
    CHECK(!st.cached && st.path[0] == '\0');

    /* the CLI: columns, filters, JSON fields, info's reasons and suggestions; offline and no hub */
    char conf[1100], args[2048], text[1200];
    snprintf(conf, sizeof conf, "%s/config.toml", tmp);
    snprintf(text, sizeof text, "cache_dir = \"%s/cache\"\n", tmp);
    write_file(conf, text);
    snprintf(args, sizeof args, "models list --cached --json --config-path %s", conf);
    CHECK_INT(run_offline(args), 0);
    char *json = strchr(out_buf, '['); /* the count line goes to stderr, after the JSON */
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    CHECK_MSG(cJSON_GetArraySize(j) == 1, "%s", out_buf);
    const cJSON *row = cJSON_GetArrayItem(j, 0);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(row, "cached")) && cJSON_IsTrue(cJSON_GetObjectItem(row, "runnable")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(row, "unsupported_reason")));
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(row, "size_bytes")), 32);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(row, "key")), "disease_detection_tinymed_135m");
    cJSON_Delete(j);
    snprintf(args, sizeof args, "models list --runnable --json --config-path %s", conf);
    CHECK_INT(run_offline(args), 0);
    j = cJSON_Parse(out_buf);
    CHECK(cJSON_GetArraySize(j) > 600);
    const cJSON *it;
    cJSON_ArrayForEach(it, j) CHECK(cJSON_IsTrue(cJSON_GetObjectItem(it, "runnable")));
    cJSON_Delete(j);
    snprintf(args, sizeof args, "models list --all --family ZeroShot --json --config-path %s", conf);
    CHECK_INT(run_offline(args), 0);
    j = cJSON_Parse(out_buf);
    size_t no = 0;
    cJSON_ArrayForEach(it, j) {
        int r = cJSON_IsTrue(cJSON_GetObjectItem(it, "runnable"));
        no += !r;
        CHECK(r == cJSON_IsNull(cJSON_GetObjectItem(it, "unsupported_reason")));
    }
    CHECK(no > 100 && no == (size_t)cJSON_GetArraySize(j)); /* GLiNER span models: none runs */
    cJSON_Delete(j);
    snprintf(args, sizeof args, "models list --config-path %s", conf);
    CHECK_INT(run_offline(args), 0);
    CHECK(strstr(out_buf, "RUNS") && strstr(out_buf, "CACHED") && strstr(out_buf, "of them run here, 1 cached"));
    char *line = strstr(out_buf, "\ndisease_detection_tinymed_135m ");
    CHECK_MSG(line && !strncmp(line + 50, "yes  0.0 kB", 11), "%.80s", line ? line : "(none)");
    CHECK_INT(run("models info OpenMed/OpenMed-ClinicalNER-SuperClinical-Large-434M-v1-onnx-android"), 0);
    CHECK(strstr(out_buf, "runs here       no: published as ONNX only") != NULL);
    CHECK(strstr(out_buf, "cached          no") != NULL);
    CHECK(run_offline("models info disease_detection_tyni") != 0);
    CHECK_MSG(strstr(out_buf, "did you mean disease_detection_tiny") && !strstr(out_buf, "127.0.0.1"), "%s", out_buf);
    /* a mistyped model to analyze: suggestions at once, never the hub */
    CHECK(run_offline("analyze --model disease_detction_tiny 'x'") != 0);
    CHECK_MSG(strstr(out_buf, "did you mean disease_detection_tiny") && !strstr(out_buf, "127.0.0.1"), "%s", out_buf);
    char rm[1200];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    CHECK(system(rm) == 0);
}

int main(void) {
    setenv("OPENMED_MODELS_MANIFEST", OM_SOURCE_DIR "/data/registry/models.jsonl", 1);
    unsetenv("OPENMED_EXTRA_MODELS");
    test_runnable();
    test_suggest();
    test_cache_and_cli();
    return check_finish("test_registry_honesty");
}
