/* cmd_analyze.c: `openmed analyze` — entities in texts with a token-classification model, as
 * OpenMed's AnalyzeResult JSON, JSON lines, CSV, HTML or Hugging Face's raw list of dicts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "text_inputs.h"
#include "writers.h"


static const char *analyze_usage =
    "usage: openmed analyze [--model PATH] [--aggregation-strategy S] [--stride N] [--batch-size N]\n"
    "                       [--threshold X] [--format json|jsonl|csv|html] [--raw]\n"
    "                       [--all-windows | --hf-windows]\n"
    "                       [--device D] [--config-path P] [--threads N] [--field NAME]\n"
    "                       [--decoder argmax|viterbi]\n"
    "                       [TEXT | --input FILE] [--output FILE]\n"
    "\n"
    "Finds entities with Hugging Face TokenClassificationPipeline semantics.\n"
    "  --model PATH             model folder (default: the bundled disease model)\n"
    "  --aggregation-strategy S none, simple (default), first, average, max\n"
    "  --decoder D              argmax (HF) or viterbi (BIOES spans; the default for privacy-filter models)\n"
    "  --stride N               overlapping windows of model_max_length tokens (HF semantics)\n"
    "  --all-windows            read the whole of long texts (the default, except with --raw)\n"
    "  --hf-windows             read long texts exactly as HF 5.x does: only the first\n"
    "                           model_max_length tokens (the default with --raw)\n"
    "  --batch-size N           windows per forward pass (default 8)\n"
    "  --threshold X            drop entities scoring below X (0..1)\n"
    "  --format F               json: OpenMed's AnalyzeResult (default); jsonl: one line per text;\n"
    "                           csv: one row per entity; html: highlighted text\n"
    "  --raw                    one JSON line per text: HF's list of dicts\n"
    "  --input FILE             .txt (one text per line), .jsonl ({\"text\": ...}) or .csv (--field)\n"
    "  --field NAME             JSON key / CSV column holding the text (default \"text\")\n"
    "  --output FILE            write there instead of standard output\n";

static int parse_int(const char *flag, const char *v, long min, long max, int *out) {
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < min || n > max) {
        fprintf(stderr, "openmed analyze: %s expects an integer in [%ld, %ld], got '%s'\n", flag, min, max,
                v ? v : "");
        return -1;
    }
    *out = (int)n;
    return 0;
}

static void progress(size_t done, size_t total) {
    int width = 30, filled = total ? (int)((double)done / (double)total * width) : width;
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++) fputc(i < filled ? '#' : ' ', stderr);
    fprintf(stderr, "] %zu/%zu texts", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

typedef enum format { FORMAT_JSON, FORMAT_JSONL, FORMAT_CSV, FORMAT_HTML } format;

int cmd_analyze(int argc, char **argv) {
    const char *model_path = NULL, *input = NULL, *output = NULL, *device = NULL, *config_path = NULL;
    const char *field = NULL, *text = NULL;
    int raw = 0, threads = 0, decoder_given = 0, long_text_given = 0;
    format fmt = FORMAT_JSON;
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    openmed_error err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(analyze_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--raw")) {
            raw = 1;
            takes = 0;
        } else if (!strcmp(a, "--all-windows") || !strcmp(a, "--hf-windows")) {
            po.long_text = a[2] == 'a' ? OPENMED_LONG_TEXT_ALL_WINDOWS : OPENMED_LONG_TEXT_HF;
            long_text_given = 1;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            fprintf(stderr, "openmed analyze: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--model")) {
            model_path = v;
        } else if (!strcmp(a, "--aggregation-strategy")) {
            if (openmed_aggregation_parse(v, &po.aggregation, &err) != OPENMED_OK) return cli_report(&err) + 1;
        } else if (!strcmp(a, "--decoder")) { /* privacy filter */
            if (openmed_label_decoder_parse(v, &po.decoder, &err) != OPENMED_OK) return cli_report(&err) + 1;
            decoder_given = 1;
        } else if (!strcmp(a, "--stride")) {
            if (parse_int(a, v, 0, 1 << 30, &po.stride)) return 2;
        } else if (!strcmp(a, "--batch-size")) {
            if (parse_int(a, v, 1, 1 << 20, &po.batch_size)) return 2;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(a, v, 0, 4096, &threads)) return 2;
        } else if (!strcmp(a, "--threshold")) {
            char *end = NULL;
            double x = strtod(v, &end);
            if (*end || end == v || !(x >= 0.0 && x <= 1.0)) {
                fprintf(stderr, "openmed analyze: --threshold expects a number in [0, 1], got '%s'\n", v);
                return 2;
            }
            po.threshold = (float)x;
        } else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "json")) fmt = FORMAT_JSON;
            else if (!strcmp(v, "jsonl")) fmt = FORMAT_JSONL;
            else if (!strcmp(v, "csv")) fmt = FORMAT_CSV;
            else if (!strcmp(v, "html")) fmt = FORMAT_HTML;
            else {
                fprintf(stderr, "openmed analyze: --format expects json, jsonl, csv or html, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--input")) {
            input = v;
        } else if (!strcmp(a, "--output")) {
            output = v;
        } else if (!strcmp(a, "--device")) {
            device = v;
        } else if (!strcmp(a, "--config-path")) {
            config_path = v;
        } else if (!strcmp(a, "--field")) {
            field = v;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "openmed analyze: unknown option %s\n\n%s", a, analyze_usage);
            return 2;
        } else {
            if (text) {
                fprintf(stderr, "openmed analyze: give one TEXT (quote it) or --input FILE\n");
                return 2;
            }
            text = a;
            takes = 0;
        }
        i += takes;
    }
    /* HF 5.x reads only the first model_max_length tokens of a text (OpenMed avoids the loss by
     * chunking sentences first). Dropping the rest of a clinical note silently is a bug, so the
     * OpenMed-shaped outputs read the whole text; --raw keeps HF's exact list of dicts. */
    if (!long_text_given) po.long_text = raw ? OPENMED_LONG_TEXT_HF : OPENMED_LONG_TEXT_ALL_WINDOWS;
    if ((text != NULL) == (input != NULL)) {
        fprintf(stderr, "openmed analyze: give a TEXT or --input FILE (exactly one)\n\n%s", analyze_usage);
        return 2;
    }

    char bundled[OPENMED_PATH_MAX];
    if (!model_path) {
        model_path = cli_bundled_model("disease", bundled, sizeof bundled);
        if (!model_path) {
            fprintf(stderr, "openmed analyze: no --model given and this build has no bundled disease model; "
                            "pass --model PATH (a Hugging Face model folder)\n");
            return 2;
        }
    }

    om_text_list texts = {0};
    if (input) {
        if (om_read_texts(input, field, &texts, &err) != OPENMED_OK) return cli_report(&err);
    } else {
        texts.texts = malloc(sizeof *texts.texts);
        texts.texts[0] = strdup(text);
        texts.n = 1;
    }

    openmed_config cfg;
    openmed_config_init(&cfg);
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK) {
        om_text_list_free(&texts);
        return cli_report(&err);
    }
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    mo.config = &cfg;
    mo.num_threads = threads;
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    FILE *out = stdout;
    int rc = 0;
    /* privacy filter: MLX-only privacy-filter names run as their PyTorch checkpoints */
    char resolved[OPENMED_PATH_MAX];
    if (openmed_is_privacy_filter(model_path) &&
        openmed_privacy_filter_resolve(model_path, resolved, sizeof resolved, &err) == OPENMED_OK &&
        strcmp(resolved, model_path) != 0) {
        fprintf(stderr, "openmed analyze: %s is an MLX-only artifact; using %s\n", model_path, resolved);
        model_path = resolved;
    }
    if (openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (!decoder_given) po.decoder = openmed_model_default_decoder(model); /* privacy: viterbi for BIOES models */
    if (openmed_pipeline_create(model, &po, &pipe, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (output && !(out = fopen(output, "wb"))) {
        fprintf(stderr, "openmed analyze: cannot write %s: %s\n", output, strerror(errno));
        out = stdout;
        rc = 1;
        goto done;
    }

    om_result_info info = {model_path, "", 0.0, po.stride};
    char stamp[64];
    int show_progress = input && texts.n > 1 && isatty(STDERR_FILENO);
    size_t chunk = (size_t)po.batch_size * 4;
    om_strbuf buf;
    om_strbuf_init(&buf);
    if (!raw && fmt == FORMAT_HTML) om_write_html_begin(&buf);
    if (!raw && fmt == FORMAT_CSV) om_write_csv_header(&buf);
    if (!raw && fmt == FORMAT_JSON && texts.n != 1) om_strbuf_puts(&buf, "[\n");
    for (size_t first = 0; first < texts.n && rc == 0; first += chunk) {
        size_t n = texts.n - first < chunk ? texts.n - first : chunk;
        openmed_result *res = NULL;
        double t0 = cli_now_seconds();
        if (openmed_pipeline_run(pipe, (const char *const *)texts.texts + first, n, &res, &err) != OPENMED_OK) {
            rc = cli_report(&err);
            break;
        }
        info.processing_time = (cli_now_seconds() - t0) / (double)n;
        cli_iso_timestamp(stamp, sizeof stamp);
        info.timestamp = stamp;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const char *t = texts.texts[first + i];
            openmed_status st = OPENMED_OK;
            if (raw) om_write_raw(&buf, &res[i]);
            else if (fmt == FORMAT_JSON) {
                if (first + i > 0) om_strbuf_puts(&buf, ",\n");
                st = om_write_analyze_json(&buf, t, &res[i], &info, 2, &err);
                if (st == OPENMED_OK && texts.n != 1 && buf.len) buf.data[--buf.len] = '\0'; /* newline */
            } else if (fmt == FORMAT_JSONL) st = om_write_analyze_json(&buf, t, &res[i], &info, 0, &err);
            else if (fmt == FORMAT_CSV) st = om_write_csv_rows(&buf, first + i, t, &res[i], &info, &err);
            else st = om_write_html_result(&buf, t, &res[i], &info, &err);
            if (st != OPENMED_OK) rc = cli_report(&err);
        }
        openmed_results_free(res, n);
        if (buf.failed) {
            fprintf(stderr, "openmed analyze: out of memory\n");
            rc = 1;
        }
        if (buf.len && fwrite(buf.data, 1, buf.len, out) != buf.len) {
            fprintf(stderr, "openmed analyze: write failed: %s\n", strerror(errno));
            rc = 1;
        }
        buf.len = 0;
        if (show_progress) progress(first + n, texts.n);
    }
    if (rc == 0) {
        if (!raw && fmt == FORMAT_JSON && texts.n != 1) om_strbuf_puts(&buf, "\n]\n");
        if (!raw && fmt == FORMAT_HTML) om_write_html_end(&buf);
        if (buf.len && fwrite(buf.data, 1, buf.len, out) != buf.len) rc = 1;
    }
    om_strbuf_free(&buf);
done:
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "openmed analyze: cannot write %s: %s\n", output, strerror(errno));
        rc = 1;
    }
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    om_text_list_free(&texts);
    return rc;
}
