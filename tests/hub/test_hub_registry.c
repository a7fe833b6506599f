/* test_hub_registry.c: the registry built from OpenMed's manifest (every key OpenMed derives,
 * checked against tests/fixtures/hub/registry-keys.txt, which an independent Python rendering of
 * OpenMed's _build_registry produced), name resolution as spec §3.2, bad manifests, and offline
 * behaviour that never touches the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hub/hub.h"
#include "hub/registry.h"
#include "openmed.h"

static char tmp_root[256];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Every "key repo" line of the expected table resolves to that repo, and nothing else exists. */
static void test_all_keys(void) {
    FILE *f = fopen(OM_FIXTURES "/hub/registry-keys.txt", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[1024];
    size_t n = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *space = strchr(line, ' ');
        if (!space) continue;
        *space = 0;
        const openmed_model_info *m = om_registry_lookup(line);
        if (!m || strcmp(m->repo_id, space + 1) != 0) {
            if (wrong++ < 5)
                fprintf(stderr, "key %s -> %s, expected %s\n", line, m ? m->repo_id : "(none)", space + 1);
        }
        n++;
    }
    fclose(f);
    CHECK_INT(wrong, 0);
    CHECK_INT(n, 3309);
    CHECK_INT(om_registry_key_count(), 3309);
    CHECK_INT(om_registry_count(), 2266);
}

static void test_entries(void) {
    openmed_model_info m;
    openmed_error err;
    CHECK_INT(openmed_registry_find("disease_detection_tiny", &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M");
    CHECK_STR(m.key, "disease_detection_tinymed_135m");
    CHECK(strstr(m.aliases, "disease_detection_tiny") != NULL);
    CHECK_STR(m.family, "NER");
    CHECK_STR(m.category, "Disease");
    CHECK_STR(m.task, "token-classification");
    CHECK_STR(m.languages, "en");
    CHECK_STR(m.license, "apache-2.0");
    CHECK_STR(m.size_category, "Tiny");
    CHECK_STR(m.architecture, "distilbert");
    CHECK_INT(m.param_count, 135000000);
    CHECK_STR(m.reproducibility_hash, "sha256:ad0ca8ca9ec8d0e6975092fb677a96afdcaf12deb14e83ad1a263795218b807d");

    /* an exact repo id finds the same row */
    openmed_model_info by_repo;
    CHECK_INT(openmed_registry_find("OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M", &by_repo, &err), OPENMED_OK);
    CHECK_STR(by_repo.key, m.key);

    CHECK_INT(openmed_registry_find("pii_detection", &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1");
    CHECK_STR(m.category, "Privacy");
    CHECK_STR(m.base_model, "microsoft/deberta-v3-small");
    CHECK_INT(openmed_registry_find("pii_latest", &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1-mlx");
    CHECK_INT(openmed_registry_find("pii_privacy_filter_multilingual_pytorch", &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/privacy-filter-multilingual-v2");
    CHECK_INT(openmed_registry_find("pii_de_privacy_filter_multilingual", &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/privacy-filter-multilingual");
    CHECK(strchr(m.languages, ',') != NULL);
    CHECK_INT(openmed_registry_find("disease_detection_superclinical", &m, &err), OPENMED_OK);
    CHECK_STR(m.size_category, "Large");

    CHECK_INT(openmed_registry_find("no_such_model", &m, &err), OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "no_such_model") != NULL);

    size_t count = 0;
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_OK);
    CHECK_INT(count, 2266);
    CHECK_INT(openmed_registry_at(0, &m, &err), OPENMED_OK);
    CHECK_STR(m.repo_id, "OpenMed/laneformer-2b-it-q4-mlx");
    CHECK_INT(openmed_registry_at(count, &m, &err), OPENMED_ERR_INVALID_ARGUMENT);
}

static void test_resolution(void) {
    char out[OPENMED_PATH_MAX];
    openmed_error err;
    openmed_config cfg;
    memset(&cfg, 0, sizeof cfg);

    CHECK_INT(openmed_model_resolve_name("disease_detection_tiny", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M");
    CHECK_INT(openmed_model_resolve_name("OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1", NULL, out, sizeof out, &err),
              OPENMED_OK);
    CHECK_STR(out, "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1");
    CHECK_INT(openmed_model_resolve_name("test-model", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "OpenMed/test-model");
    snprintf(cfg.default_org, sizeof cfg.default_org, "MyOrg");
    CHECK_INT(openmed_model_resolve_name("test-model", &cfg, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "MyOrg/test-model");
    /* a registry key wins over default_org */
    CHECK_INT(openmed_model_resolve_name("pii_detection", &cfg, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1");
    CHECK_INT(openmed_model_resolve_name("someone/else-model", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "someone/else-model");

    /* an existing local path comes first, even when it looks like a registry key */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pii_detection", tmp_root);
    mkdir(dir, 0755);
    CHECK_INT(chdir(tmp_root), 0);
    CHECK_INT(openmed_model_resolve_name("pii_detection", NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, "pii_detection");
    CHECK_INT(openmed_model_resolve_name(dir, NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, dir);
    CHECK_INT(chdir("/"), 0);

    /* names that are no repo id and could escape the cache */
    CHECK_INT(openmed_model_resolve_name("../../etc/passwd-x", NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    CHECK_INT(openmed_model_resolve_name("a/b/c", NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    CHECK_INT(openmed_model_resolve_name("org/..", NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    CHECK_INT(openmed_model_resolve_name("", NULL, out, sizeof out, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK_INT(openmed_model_resolve_name("x", NULL, out, 4, &err), OPENMED_ERR_INVALID_ARGUMENT);
}

/* Offline never touches the network: the endpoint is a port nobody listens on, so any request
 * would turn into a network error instead of the "not in the cache" answer. */
static void test_offline(void) {
    char cache[512], hf[512], out[OPENMED_PATH_MAX];
    snprintf(cache, sizeof cache, "%s/cache", tmp_root);
    snprintf(hf, sizeof hf, "%s/hf", tmp_root);
    openmed_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", cache);
    setenv("HF_HUB_CACHE", hf, 1);
    setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
    setenv("OPENMED_HUB_RETRIES", "0", 1); /* the dead endpoint is not worth retrying here */
    openmed_error err;
    const char *flags[] = {"local_only", "OPENMED_OFFLINE", "HF_HUB_OFFLINE"};
    for (int i = 0; i < 3; i++) {
        cfg.local_only = i == 0;
        if (i == 1) setenv("OPENMED_OFFLINE", "1", 1);
        if (i == 2) setenv("HF_HUB_OFFLINE", "1", 1);
        memset(&err, 0, sizeof err);
        openmed_status st = openmed_model_fetch("disease_detection_tiny", NULL, &cfg, NULL, NULL, out, sizeof out, &err);
        CHECK_MSG(st == OPENMED_ERR_NOT_FOUND, "%s: %s", flags[i], err.message);
        CHECK(strstr(err.message, "openmed models pull disease_detection_tiny") != NULL);
        CHECK(strstr(err.message, "/cache/models--OpenMed--OpenMed-NER-DiseaseDetect-TinyMed-135M") != NULL);
        CHECK(strstr(err.message, "/hf/models--OpenMed--OpenMed-NER-DiseaseDetect-TinyMed-135M") != NULL);
        unsetenv("OPENMED_OFFLINE");
        unsetenv("HF_HUB_OFFLINE");
    }
    /* OPENMED_OFFLINE=0 / off are "not offline": the same call now tries the (dead) network */
    setenv("OPENMED_OFFLINE", "off", 1);
    cfg.local_only = 0;
    CHECK_INT(openmed_model_fetch("disease_detection_tiny", NULL, &cfg, NULL, NULL, out, sizeof out, &err),
              OPENMED_ERR_NETWORK);
    CHECK(strstr(err.message, "127.0.0.1:9") != NULL);
    unsetenv("OPENMED_OFFLINE");

    /* offline with a snapshot present in the Hugging Face cache: found without the network */
    char snap[768], refs[768];
    snprintf(snap, sizeof snap, "%s/models--OpenMed--test-model/snapshots/0123456789abcdef0123456789abcdef01234567", hf);
    snprintf(refs, sizeof refs, "%s/models--OpenMed--test-model/refs", hf);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", snap, refs);
    CHECK_INT(system(cmd), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/main", refs);
    write_file(path, "0123456789abcdef0123456789abcdef01234567");
    snprintf(path, sizeof path, "%s/config.json", snap);
    write_file(path, "{}");
    cfg.local_only = 1;
    /* config.json without weights is not a usable snapshot */
    CHECK_INT(openmed_model_fetch("test-model", NULL, &cfg, NULL, NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/model.safetensors", snap);
    write_file(path, "x");
    CHECK_INT(openmed_model_fetch("test-model", NULL, &cfg, NULL, NULL, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, snap);
    CHECK_INT(om_hub_resolve_model("test-model", &cfg, out, sizeof out, &err), OPENMED_OK);
    CHECK_STR(out, snap);
    /* a commit revision works offline, an unknown branch does not */
    CHECK_INT(openmed_model_fetch("test-model", "0123456789abcdef0123456789abcdef01234567", &cfg, NULL, NULL, out,
                                  sizeof out, &err),
              OPENMED_OK);
    CHECK_INT(openmed_model_fetch("test-model", "dev", &cfg, NULL, NULL, out, sizeof out, &err), OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "revision dev") != NULL);
    CHECK_INT(openmed_model_fetch("test-model", "../x", &cfg, NULL, NULL, out, sizeof out, &err),
              OPENMED_ERR_INVALID_ARGUMENT);
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_ENDPOINT");
}

/* Broken manifests fail with the file and line; the registry recovers once the cause is gone. */
static void test_bad_manifests(void) {
    char path[512];
    openmed_error err;
    size_t count;
    snprintf(path, sizeof path, "%s/bad.jsonl", tmp_root);
    write_file(path, "{\"repo_id\": \"A/b\", \"family\": \"NER\"}\n\n[1, 2]\n");
    setenv("OPENMED_MODELS_MANIFEST", path, 1);
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "bad.jsonl:3") != NULL);
    write_file(path, "{\"repo_id\": \"A/b\", \"family\": \"NER\"\n");
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "bad.jsonl:1") != NULL);
    /* garbage bytes */
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 7919) & 0xFF, f);
    fclose(f);
    om_registry_reset();
    CHECK(openmed_registry_count(&count, &err) != OPENMED_OK);
    /* rows without repo_id are skipped, odd field types are tolerated */
    write_file(path, "{\"family\": \"NER\"}\n{\"repo_id\": \"Org/X-DiseaseDetect-Tiny-1M\", \"family\": \"NER\", "
                     "\"languages\": \"en\", \"formats\": [1, \"pytorch\"], \"param_count\": \"many\"}\n");
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_OK);
    CHECK_INT(count, 1);
    openmed_model_info m;
    CHECK_INT(openmed_registry_find("x_diseasedetect_tiny_1m", &m, &err), OPENMED_OK);
    CHECK_STR(m.formats, "pytorch");
    CHECK_INT(m.param_count, 0);
    /* an extra manifest adds rows after the main one */
    char extra[512];
    snprintf(extra, sizeof extra, "%s/extra.jsonl", tmp_root);
    write_file(extra, "{\"repo_id\": \"Org/Y-PharmaDetect-Small-2M\", \"family\": \"NER\"}\n");
    setenv("OPENMED_EXTRA_MODELS", extra, 1);
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_OK);
    CHECK_INT(count, 2);
    CHECK_INT(openmed_registry_find("y_pharmadetect_small_2m", &m, &err), OPENMED_OK);
    CHECK_STR(m.category, "Pharmaceutical");
    unsetenv("OPENMED_EXTRA_MODELS");
    setenv("OPENMED_MODELS_MANIFEST", "/nonexistent/models.jsonl", 1);
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "/nonexistent/models.jsonl") != NULL);
    unsetenv("OPENMED_MODELS_MANIFEST");
    om_registry_reset();
    CHECK_INT(openmed_registry_count(&count, &err), OPENMED_OK);
    CHECK_INT(count, 2266);
}

int main(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/om_hub_registry_XXXXXX");
    if (!mkdtemp(tmp_root)) return 1;
    unsetenv("OPENMED_MODELS_MANIFEST");
    unsetenv("OPENMED_EXTRA_MODELS");
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_SKIP_MODEL_VERIFY");
    openmed_error err;
    CHECK_INT(om_registry_load(&err), OPENMED_OK);
    test_all_keys();
    test_entries();
    test_resolution();
    test_offline();
    test_bad_manifests();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
    return check_finish("test_hub_registry");
}
