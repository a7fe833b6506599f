/* test_privacy_routing.c: which names and folders take the privacy-filter route, look-alikes
 * rejected, and MLX-only names replaced by their PyTorch checkpoints with one warning per name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hub/privacy_routing.h"

static int warnings;
static char last_warning[1024];

static void on_log(openmed_log_level level, const char *message, void *user) {
    if (level == OPENMED_LOG_WARN) {
        warnings++;
        snprintf(last_warning, sizeof last_warning, "%s", message);
    }
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const char *resolve(const char *name, int *substituted) {
    static char out[256];
    openmed_error err;
    if (om_privacy_filter_resolve(name, out, sizeof out, substituted, &err) != OPENMED_OK) return "error";
    return out;
}

int main(void) {
    /* names OpenMed routes to the privacy filter */
    const char *yes[] = {"openai/privacy-filter", "OpenAI/Privacy_Filter", "  privacy-filter  ", "privacy_filter",
                         "openai-privacy-filter", "OPENAI_PRIVACY_FILTER", "openmed/privacy-filter",
                         "OpenMed/privacy-filter-multilingual", "OpenMed/privacy-filter-nemotron-v2",
                         "OpenMed/privacy-filter-mlx-8bit", "openai/privacy-filter-mlx"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) CHECK_MSG(om_privacy_filter_name(yes[i]), "%s", yes[i]);
    /* look-alikes (third parties, near misses) are rejected */
    const char *no[] = {"acme/privacy-filter", "openmed/privacy-filterx", "evil/openai/privacy-filter",
                        "privacy-filter-evil", "openmed/privacy", "huggingface/openmed-privacy-filter",
                        "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1", "", "privacy filter", "openai/privacy"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) CHECK_MSG(!om_privacy_filter_name(no[i]), "%s", no[i]);
    CHECK(!om_privacy_filter_name(NULL));

    /* local folders decide by their metadata */
    CHECK(om_privacy_filter_folder(OM_FIXTURES "/hf/models/privacy-filter"));
    CHECK(om_privacy_filter_route(OM_FIXTURES "/hf/models/privacy-filter"));
    CHECK(!om_privacy_filter_folder(OM_FIXTURES "/hf/models/bert-cased"));
    char dir[] = "/tmp/om_pf_routing_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "config.json", "{\"model_type\": \"bert\", \"_name_or_path\": \"acme/privacy-filter\"}");
    CHECK(!om_privacy_filter_folder(dir));
    write_file(dir, "config.json", "{\"model_type\": \"bert\", \"source_model_id\": \"OpenMed/privacy-filter-nemotron\"}");
    CHECK(om_privacy_filter_folder(dir));
    write_file(dir, "config.json", "{not json");
    CHECK(!om_privacy_filter_folder(dir));
    CHECK(!om_privacy_filter_is_mlx(dir)); /* an existing folder is judged by its files, not its name */
    write_file(dir, "openmed-mlx.json", "{\"family\": \"openai-privacy-filter\"}");
    CHECK(om_privacy_filter_folder(dir));
    CHECK(om_privacy_filter_is_mlx(dir));
    CHECK(!om_privacy_filter_folder("/nonexistent/dir"));

    /* MLX names fall back to the PyTorch checkpoints, with one warning per name */
    openmed_log_set(on_log, NULL);
    int sub = -1;
    CHECK_STR(resolve("openai/privacy-filter", &sub), "openai/privacy-filter");
    CHECK_INT(sub, 0);
    CHECK_INT(warnings, 0);
    CHECK_STR(resolve("OpenMed/privacy-filter-mlx-8bit", &sub), "openai/privacy-filter");
    CHECK_INT(sub, 1);
    CHECK_INT(warnings, 1);
    CHECK(strstr(last_warning, "OpenMed/privacy-filter-mlx-8bit") && strstr(last_warning, "openai/privacy-filter"));
    CHECK_STR(resolve("OpenMed/privacy-filter-mlx-8bit", &sub), "openai/privacy-filter");
    CHECK_INT(warnings, 1); /* once per name */
    CHECK_STR(resolve("OpenMed/privacy-filter-multilingual-mlx", &sub), "OpenMed/privacy-filter-multilingual");
    CHECK_STR(resolve("OpenMed/privacy-filter-nemotron-v2-mlx-8bit", &sub), "OpenMed/privacy-filter-nemotron");
    CHECK_INT(warnings, 3);
    CHECK_STR(resolve(dir, &sub), "openai/privacy-filter"); /* a local MLX artifact */
    CHECK_INT(sub, 1);
    char hf_dir[] = "/tmp/om_pf_mlx_named_XXXXXX"; /* a PyTorch folder with "mlx" in its path stays */
    CHECK(mkdtemp(hf_dir) != NULL);
    write_file(hf_dir, "config.json", "{\"model_type\": \"openai_privacy_filter\"}");
    CHECK_STR(resolve(hf_dir, &sub), hf_dir);
    CHECK_INT(sub, 0);
    openmed_error err;
    char tiny[4];
    CHECK(om_privacy_filter_resolve("openai/privacy-filter", tiny, sizeof tiny, &sub, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(om_privacy_filter_resolve("", tiny, sizeof tiny, &sub, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    /* the public wrappers */
    CHECK(openmed_is_privacy_filter("openai/privacy-filter"));
    CHECK(!openmed_is_privacy_filter("acme/privacy-filter"));
    CHECK(openmed_is_privacy_filter(OM_FIXTURES "/hf/models/privacy-filter"));
    char out[128];
    CHECK(openmed_privacy_filter_resolve("OpenMed/privacy-filter-nemotron-mlx", out, sizeof out, &err) == OPENMED_OK);
    CHECK_STR(out, "OpenMed/privacy-filter-nemotron");
    openmed_label_decoder dec;
    CHECK(openmed_label_decoder_parse("Viterbi", &dec, &err) == OPENMED_OK && dec == OPENMED_DECODER_VITERBI);
    CHECK(openmed_label_decoder_parse("argmax", &dec, &err) == OPENMED_OK && dec == OPENMED_DECODER_ARGMAX);
    CHECK(openmed_label_decoder_parse("beam", &dec, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "beam") != NULL);
    CHECK_STR(openmed_label_decoder_name(OPENMED_DECODER_VITERBI), "viterbi");
    CHECK_INT(openmed_model_default_decoder(NULL), OPENMED_DECODER_ARGMAX);
    openmed_log_set(NULL, NULL);

    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir), unlink(path);
    snprintf(path, sizeof path, "%s/openmed-mlx.json", dir), unlink(path);
    rmdir(dir);
    snprintf(path, sizeof path, "%s/config.json", hf_dir), unlink(path);
    rmdir(hf_dir);
    return check_finish("test_privacy_routing");
}
