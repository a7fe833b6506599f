/* cmd_bench.c: `openmed bench` — model load time, pipeline throughput (texts/s, tokens/s) and peak
 * memory on a file of texts, as text or JSON. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_synthetic.h"
#include "clock.h"
#include "cli.h"
#include "inputs.h"
#include "output_file.h"
#include "progress.h"

#define MAX_INPUTS 4096


static const char *bench_usage =
    "usage: openmed bench [--model NAME|PATH] (TEXT... | - | --input FILE|FOLDER|-...) [--lines]\n"
    "                     [--text-field NAME] [--id-field NAME] [--batch-size N] [--threads N] [--json]\n"
    "                     [--raw [--all-windows]] [--aggregation-strategy S] [--stride N] [--device D]\n"
    "                     [--config-path P] [--dtype float32|bfloat16|int8] [--quiet] [--output FILE]\n"
    "       openmed bench [--model NAME|PATH] --synthetic BxS [--runs N] [--threads N] [--dtype D] [--json]\n"
    "                     [--output FILE]\n"
    "\n"
    "Loads the model (default: the bundled disease model), analyzes every document of the input\n"
    "once as `openmed analyze` does (--raw: Hugging Face's pipeline alone) and reports load time,\n"
    "texts/s, tokens/s (tokens the model read) and peak resident memory. Inputs are read as by\n"
    "`openmed analyze` (any number of them): TEXT, - (standard input), a .txt/.md file is one\n"
    "document (--lines: one per line), .jsonl and .csv one per record (--text-field names the key or\n"
    "column, default \"text\"), a folder each file. A terminal shows progress with rate and ETA\n"
    "(--quiet: none); documents go to the model in groups of max(64, 8 x --batch-size).\n"
    "--synthetic BxS: the forward pass alone on B windows of S real tokens (no padding), one\n"
    "warm-up then --runs timed passes (default 5); reports tokens_per_s (median) and peak RSS.\n"
    "--dtype: the compute dtype (cpu: int8 and bfloat16 for the encoder's linear layers).\n"
    "--output FILE: write the report there (whole or not at all) instead of standard output.\n";

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
    const char *model_path = NULL, *device = NULL, *config_path = NULL, *output = NULL;
    static cli_input inputs[MAX_INPUTS];
    size_t n_inputs = 0;
    int json = 0, threads = 0, raw = 0, synth_windows = 0, synth_seq = 0, runs = 5, quiet = 0;
    openmed_dtype dtype = OPENMED_DTYPE_AUTO;
    cli_input_options in = {0};
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
        if (!strcmp(a, "--raw")) {
            raw = 1;
            continue;
        }
        if (!strcmp(a, "--lines")) {
            in.lines = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (a[0] != '-' || !strcmp(a, "-")) { /* a TEXT, or "-" for standard input */
            if (n_inputs == MAX_INPUTS) {
                fprintf(stderr, "openmed bench: more than %d inputs\n", MAX_INPUTS);
                return 2;
            }
            inputs[n_inputs++] = (cli_input){a, strcmp(a, "-") != 0};
            continue;
        }
        if (!v) {
            fprintf(stderr, "openmed bench: %s needs a value\n\n%s", a, bench_usage);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--input") || !strcmp(a, "--input-file") || !strcmp(a, "--text")) {
            if (n_inputs == MAX_INPUTS) {
                fprintf(stderr, "openmed bench: more than %d inputs\n", MAX_INPUTS);
                return 2;
            }
            inputs[n_inputs++] = (cli_input){v, a[2] == 't'};
        }
        else if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--output")) output = v;
        else if (!strcmp(a, "--config-path")) config_path = v;
        else if (!strcmp(a, "--text-field") || !strcmp(a, "--field")) in.text_field = v;
        else if (!strcmp(a, "--id-field")) in.id_field = v;
        else if (!strcmp(a, "--dtype")) {
            if (openmed_dtype_parse(v, &dtype, &err) != OPENMED_OK) return cli_report(&err) + 1;
        } else if (!strcmp(a, "--synthetic")) {
            if (cli_parse_synthetic(v, &synth_windows, &synth_seq)) {
                fprintf(stderr, "openmed bench: --synthetic expects BxS (e.g. 8x128), got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--runs")) {
            if (parse_int(a, v, 1, 10000, &runs)) return 2;
        } else if (!strcmp(a, "--batch-size")) {
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
    if (!n_inputs && !synth_windows) {
        fprintf(stderr, "openmed bench: give TEXT, -, --input FILE|FOLDER or --synthetic BxS\n\n%s", bench_usage);
        return 2;
    }
    if (n_inputs && synth_windows) {
        fprintf(stderr, "openmed bench: give --input or --synthetic, not both\n");
        return 2;
    }
    char bundled[OPENMED_PATH_MAX], bundled_name[OPENMED_PATH_MAX];
    const char *model_name = model_path; /* what outputs call it: the name or path given */
    if (!model_path) {
        model_path = cli_bundled_model("disease", bundled, sizeof bundled);
        if (model_path) model_name = cli_bundled_model_name(model_path, bundled_name, sizeof bundled_name);
        if (!model_path) {
            fprintf(stderr, "openmed bench: no --model given and this build has no bundled disease model; "
                            "pass --model PATH\n");
            return 2;
        }
    }
    if (synth_windows) {
        openmed_config scfg;
        openmed_config_init(&scfg);
        openmed_model_options smo;
        openmed_model_options_init(&smo);
        smo.device = device;
        smo.config = &scfg;
        smo.num_threads = threads;
        smo.dtype = dtype;
        if (openmed_config_load_file(&scfg, config_path, &err) != OPENMED_OK) return cli_report(&err);
        cli_output dest; /* opened before the model loads, so a path that cannot be written fails at once */
        if (!cli_output_open(&dest, output)) return 1;
        int src = cli_bench_synthetic(model_path, model_name, &smo, synth_windows, synth_seq, runs, json, dest.f);
        if (!cli_output_close(&dest, src == 0) && src == 0) src = 1;
        return src;
    }
    cli_reader *reader = NULL;
    cli_docs docs = {0};
    if (cli_reader_open(&reader, inputs, n_inputs, &in, &err) != OPENMED_OK ||
        cli_reader_next(reader, &docs, cli_reader_total(reader), &err) != OPENMED_OK) {
        cli_reader_close(reader);
        cli_docs_free(&docs);
        return cli_report(&err);
    }
    cli_reader_close(reader);
    cli_output dest; /* opened before the model loads, so a path that cannot be written fails at once */
    if (!cli_output_open(&dest, output)) {
        cli_docs_free(&docs);
        return 1;
    }
    /* what the report calls the input: the paths given, a TEXT by its id (never its text) */
    char input[1024] = "";
    size_t n_texts = 0;
    for (size_t i = 0; i < n_inputs; i++) n_texts += inputs[i].is_text;
    for (size_t i = 0, k = 0; i < n_inputs; i++) {
        char name[32] = "text"; /* as the documents are named: "text:1", "text:2" when several */
        if (inputs[i].is_text && n_texts > 1) snprintf(name, sizeof name, "text:%zu", ++k);
        size_t used = strlen(input);
        snprintf(input + used, sizeof input - used, "%s%s", used ? " " : "", inputs[i].is_text ? name : inputs[i].value);
    }
    const char **texts = calloc(docs.n ? docs.n : 1, sizeof *texts);
    for (size_t i = 0; texts && i < docs.n; i++) texts[i] = docs.v[i].text;
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    int rc = 0;
    double t0 = cli_now_seconds();
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    mo.config = &cfg;
    mo.num_threads = threads;
    mo.dtype = dtype;
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK ||
        openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK ||
        openmed_pipeline_create(model, &po, &pipe, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    double load_s = cli_now_seconds() - t0;
    if (!texts) {
        fprintf(stderr, "openmed bench: out of memory\n");
        rc = 1;
        goto done;
    }
    /* documents in groups, so a terminal can show progress; each group's results freed at once */
    size_t group = (size_t)po.batch_size * 8 > 64 ? (size_t)po.batch_size * 8 : 64;
    long long tokens = 0, windows = 0, entities = 0;
    double run_s = 0;
    cli_progress progress;
    cli_progress_start(&progress, quiet ? 0 : docs.n, "documents");
    for (size_t at = 0; at < docs.n && rc == 0; at += group) {
        size_t n = docs.n - at < group ? docs.n - at : group;
        openmed_analysis *an = NULL;
        openmed_result *res = NULL;
        t0 = cli_now_seconds();
        if ((raw ? openmed_pipeline_run(pipe, texts + at, n, &res, &err)
                 : openmed_analyze(pipe, texts + at, n, NULL, &an, &err)) != OPENMED_OK) {
            cli_progress_hide(&progress);
            rc = cli_report(&err);
            break;
        }
        run_s += cli_now_seconds() - t0;
        for (size_t i = 0; i < n; i++) {
            tokens += raw ? res[i].n_tokens : an[i].n_tokens;
            windows += raw ? res[i].n_windows : an[i].n_windows;
            entities += (long long)(raw ? res[i].n_entities : an[i].n_entities);
        }
        openmed_results_free(res, res ? n : 0);
        openmed_analyses_free(an, an ? n : 0);
        cli_progress_add(&progress, n);
    }
    cli_progress_end(&progress);
    if (rc != 0) goto done;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    double texts_s = run_s > 0 ? (double)docs.n / run_s : 0, tokens_s = run_s > 0 ? (double)tokens / run_s : 0;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", model_name);
        cJSON_AddStringToObject(o, "device", openmed_model_device(model));
        cJSON_AddStringToObject(o, "input", input);
        cJSON_AddStringToObject(o, "mode", raw ? "raw" : "analyze");
        cJSON_AddNumberToObject(o, "texts", (double)docs.n);
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
        fprintf(dest.f, "%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        fprintf(dest.f, "model      %s (%s)\n", model_name, openmed_model_device(model));
        fprintf(dest.f, "mode       %s\n", raw ? "raw (Hugging Face's pipeline)" : "analyze (OpenMed's analyze_text)");
        fprintf(dest.f, "input      %s: %zu texts, %lld tokens in %lld windows, %lld entities\n", input, docs.n, tokens,
               windows, entities);
        fprintf(dest.f, "load       %.3f s\n", load_s);
        fprintf(dest.f, "run        %.3f s (batch size %d)\n", run_s, po.batch_size);
        fprintf(dest.f, "throughput %.1f texts/s, %.0f tokens/s\n", texts_s, tokens_s);
        fprintf(dest.f, "peak RSS   %.1f MB\n", rss_mb);
    }
done:
    if (!cli_output_close(&dest, rc == 0) && rc == 0) rc = 1;
    free(texts);
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    cli_docs_free(&docs);
    return rc;
}
