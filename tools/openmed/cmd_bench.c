/* cmd_bench.c: `openmed bench` — model load time, pipeline throughput (texts/s, tokens/s) and peak
 * memory on a file of texts, as text or JSON. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "cli.h"
#include "text_inputs.h"


static const char *bench_usage =
    "usage: openmed bench [--model PATH] --input FILE [--batch-size N] [--threads N] [--json]\n"
    "                     [--aggregation-strategy S] [--stride N] [--all-windows] [--field NAME]\n"
    "                     [--device D] [--config-path P]\n"
    "\n"
    "Loads the model (default: the bundled disease model), runs the pipeline once over every text\n"
    "of FILE (.txt, .jsonl or .csv; --field names the JSON key or CSV column, default \"text\") and\n"
    "reports load time, texts/s, tokens/s (tokens the model read) and peak resident memory.\n";

static int parse_int(const char *flag, const char *v, long min, long max, int *out) {
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < min || n > max) {
        fprintf(stderr, "openmed bench: %s expects an integer in [%ld, %ld], got '%s'\n", flag, min, max, v ? v : "");
        return -1;
    }
    *out = (int)n;
    return 0;
}

int cmd_bench(int argc, char **argv) {
    const char *model_path = NULL, *input = NULL, *device = NULL, *config_path = NULL, *field = NULL;
    int json = 0, threads = 0;
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    openmed_error err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(bench_usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(a, "--all-windows")) {
            po.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS;
            continue;
        }
        if (!v) {
            fprintf(stderr, "openmed bench: %s needs a value\n\n%s", a, bench_usage);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--config-path")) config_path = v;
        else if (!strcmp(a, "--field")) field = v;
        else if (!strcmp(a, "--batch-size")) {
            if (parse_int(a, v, 1, 1 << 20, &po.batch_size)) return 2;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(a, v, 0, 4096, &threads)) return 2;
        } else if (!strcmp(a, "--stride")) {
            if (parse_int(a, v, 0, 1 << 30, &po.stride)) return 2;
        } else if (!strcmp(a, "--aggregation-strategy")) {
            if (openmed_aggregation_parse(v, &po.aggregation, &err) != OPENMED_OK) return cli_report(&err) + 1;
        } else {
            fprintf(stderr, "openmed bench: unknown option %s\n\n%s", a, bench_usage);
            return 2;
        }
    }
    if (!input) {
        fprintf(stderr, "openmed bench: --input FILE is required\n\n%s", bench_usage);
        return 2;
    }
    char bundled[OPENMED_PATH_MAX];
    if (!model_path) {
        model_path = cli_bundled_model("disease", bundled, sizeof bundled);
        if (!model_path) {
            fprintf(stderr, "openmed bench: no --model given and this build has no bundled disease model; "
                            "pass --model PATH\n");
            return 2;
        }
    }
    om_text_list texts = {0};
    if (om_read_texts(input, field, &texts, &err) != OPENMED_OK) return cli_report(&err);
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    openmed_result *res = NULL;
    int rc = 0;
    double t0 = cli_now_seconds();
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    mo.config = &cfg;
    mo.num_threads = threads;
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK ||
        openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK ||
        openmed_pipeline_create(model, &po, &pipe, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    double load_s = cli_now_seconds() - t0;
    t0 = cli_now_seconds();
    if (openmed_pipeline_run(pipe, (const char *const *)texts.texts, texts.n, &res, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    double run_s = cli_now_seconds() - t0;
    long long tokens = 0, windows = 0, entities = 0;
    for (size_t i = 0; i < texts.n; i++) {
        tokens += res[i].n_tokens;
        windows += res[i].n_windows;
        entities += (long long)res[i].n_entities;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    double texts_s = run_s > 0 ? (double)texts.n / run_s : 0, tokens_s = run_s > 0 ? (double)tokens / run_s : 0;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", model_path);
        cJSON_AddStringToObject(o, "device", openmed_model_device(model));
        cJSON_AddStringToObject(o, "input", input);
        cJSON_AddNumberToObject(o, "texts", (double)texts.n);
        cJSON_AddNumberToObject(o, "tokens", (double)tokens);
        cJSON_AddNumberToObject(o, "windows", (double)windows);
        cJSON_AddNumberToObject(o, "entities", (double)entities);
        cJSON_AddNumberToObject(o, "batch_size", po.batch_size);
        cJSON_AddNumberToObject(o, "threads", threads);
        cJSON_AddNumberToObject(o, "load_seconds", load_s);
        cJSON_AddNumberToObject(o, "run_seconds", run_s);
        cJSON_AddNumberToObject(o, "texts_per_second", texts_s);
        cJSON_AddNumberToObject(o, "tokens_per_second", tokens_s);
        cJSON_AddNumberToObject(o, "peak_rss_mb", rss_mb);
        char *s = cJSON_Print(o);
        puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("model      %s (%s)\n", model_path, openmed_model_device(model));
        printf("input      %s: %zu texts, %lld tokens in %lld windows, %lld entities\n", input, texts.n, tokens,
               windows, entities);
        printf("load       %.3f s\n", load_s);
        printf("run        %.3f s (batch size %d)\n", run_s, po.batch_size);
        printf("throughput %.1f texts/s, %.0f tokens/s\n", texts_s, tokens_s);
        printf("peak RSS   %.1f MB\n", rss_mb);
    }
done:
    openmed_results_free(res, res ? texts.n : 0);
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    om_text_list_free(&texts);
    return rc;
}
