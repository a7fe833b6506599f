/* cmd_analyze.c: `openmed analyze`: entities in documents with a token-classification model, by
 * OpenMed's analyze_text (openmed_analyze) as AnalyzeResult JSON, JSON lines, CSV or one HTML page,
 * or with --raw exactly Hugging Face's pipeline (openmed_pipeline_run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "inputs.h"
#include "output_file.h"
#include "progress.h"
#include "writers.h"

static const char *analyze_usage =
    "usage: openmed analyze [TEXT... | -] [--input FILE|FOLDER|-]... [--lines] [--text-field NAME]\n"
    "                       [--id-field NAME] [--model NAME|PATH] [--format json|jsonl|csv|html] [--json]\n"
    "                       [--output FILE] [--confidence-threshold X] [--group-entities]\n"
    "                       [--no-sentences] [--no-medical-tokens] [--aggregation-strategy S]\n"
    "                       [--decoder argmax|viterbi] [--batch-size N] [--stride N]\n"
    "                       [--raw [--all-windows | --hf-windows]] [--device D] [--threads N]\n"
    "                       [--dtype D] [--config-path P] [--quiet]\n"
    "\n"
    "Finds entities as OpenMed's analyze_text does: sentences packed into chunks, model spans\n"
    "remapped onto whole medical words, ends extended to word ends (see README).\n"
    "Inputs (one or more; documents are named by id in every output):\n"
    "  TEXT                     a text to analyze (id \"text\"); \"-\" reads standard input\n"
    "  --input PATH             a .txt/.md file (one document), .jsonl (one per line: --text-field\n"
    "                           holds the text, --id-field the id, other fields are kept), .csv (one\n"
    "                           per row, the same columns), or a folder (each such file in it)\n"
    "  --lines                  every line of a TEXT, standard input or text file is a document\n"
    "  --text-field NAME        JSON key / CSV column of the text (default \"text\")\n"
    "  --id-field NAME          JSON key / CSV column of the id (default \"id\")\n"
    "Model and analysis:\n"
    "  --model NAME|PATH        registry name, Hugging Face repo id or folder (default: the bundled\n"
    "                           disease model)\n"
    "  --confidence-threshold X drop entities scoring below X (0..1; --threshold is the same)\n"
    "  --group-entities         join neighbouring entities of one label (OpenMed's group_entities)\n"
    "  --no-sentences           the whole text is one input (no sentence chunking)\n"
    "  --no-medical-tokens      keep the model's spans instead of remapping them onto whole words\n"
    "  --aggregation-strategy S none, simple (default), first, average, max\n"
    "  --decoder D              argmax (HF) or viterbi (BIOES spans; the default for privacy-filter models)\n"
    "  --batch-size N           windows per forward pass (default 8)\n"
    "  --stride N               overlap of the windows of a text longer than one (HF semantics)\n"
    "Output:\n"
    "  --format F               json: OpenMed's AnalyzeResult with \"id\" (default; an array for several\n"
    "                           documents); jsonl: one line per document; csv: one row per entity (a\n"
    "                           document without any: one row), the input's other fields as columns;\n"
    "                           html: one page with highlighted text and a legend\n"
    "  --json                   the same as --format json (OpenMed's --output-format dict|json|csv|html\n"
    "                           is accepted too, as are its --text TEXT and --input-file FILE)\n"
    "  --output FILE            write there instead of standard output (whole or not at all)\n"
    "  --raw                    Hugging Face's pipeline exactly: its list of dicts per document (a lone\n"
    "                           document) or {\"id\", \"entities\"} lines; reads only the first\n"
    "                           model_max_length tokens unless --all-windows\n"
    "  --quiet                  no progress line (it only shows on a terminal anyway)\n"
    "Device: --device cpu|cuda|cuda:N|mps, --threads N, --config-path P (OpenMed config file),\n"
    "--dtype float32|float16|bfloat16|int8 (the compute dtype; int8 on cpu only).\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "openmed analyze: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(openmed analyze --help lists the options)\n");
    return 2;
}

static int parse_int(const char *flag, const char *v, long min, long max, int *out) {
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max) {
        fprintf(stderr, "openmed analyze: %s expects an integer in [%ld, %ld], got '%s'\n", flag, min, max, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

typedef enum format { FORMAT_JSON, FORMAT_JSONL, FORMAT_CSV, FORMAT_HTML } format;

#define MAX_INPUTS 4096

typedef struct analyze_args {
    const char *model, *output, *device, *config_path;
    cli_input inputs[MAX_INPUTS];
    size_t n_inputs;
    cli_input_options in;
    openmed_pipeline_options po;
    openmed_analyze_options ao;
    int raw, threads, decoder_given, long_text_given, quiet;
    openmed_dtype dtype;
    format fmt;
} analyze_args;

/* Parse argv; returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, analyze_args *a) {
    openmed_error err = {0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(analyze_usage, stdout);
            return 0;
        } else if (!strcmp(o, "--raw")) {
            a->raw = 1, takes = 0;
        } else if (!strcmp(o, "--json")) {
            a->fmt = FORMAT_JSON, takes = 0;
        } else if (!strcmp(o, "--lines")) {
            a->in.lines = 1, takes = 0;
        } else if (!strcmp(o, "--quiet")) {
            a->quiet = 1, takes = 0;
        } else if (!strcmp(o, "--group-entities")) {
            a->ao.group_entities = 1, takes = 0;
        } else if (!strcmp(o, "--no-sentences")) {
            a->ao.sentence_detection = 0, takes = 0;
        } else if (!strcmp(o, "--no-medical-tokens")) {
            a->ao.medical_tokens = 0, takes = 0;
        } else if (!strcmp(o, "--all-windows") || !strcmp(o, "--hf-windows")) {
            a->po.long_text = o[2] == 'a' ? OPENMED_LONG_TEXT_ALL_WINDOWS : OPENMED_LONG_TEXT_HF;
            a->long_text_given = 1, takes = 0;
        } else if (o[0] == '-' && o[1] == '-' && !v) {
            return usage_error("%s needs a value", o);
        } else if (!strcmp(o, "--model")) {
            a->model = v;
        } else if (!strcmp(o, "--aggregation-strategy")) {
            if (openmed_aggregation_parse(v, &a->po.aggregation, &err) != OPENMED_OK) return cli_report(&err) + 1;
        } else if (!strcmp(o, "--decoder")) {
            if (openmed_label_decoder_parse(v, &a->po.decoder, &err) != OPENMED_OK) return cli_report(&err) + 1;
            a->decoder_given = 1;
        } else if (!strcmp(o, "--stride")) {
            if (parse_int(o, v, 0, 1 << 30, &a->po.stride)) return 2;
        } else if (!strcmp(o, "--batch-size")) {
            if (parse_int(o, v, 1, 1 << 20, &a->po.batch_size)) return 2;
        } else if (!strcmp(o, "--threads")) {
            if (parse_int(o, v, 0, 4096, &a->threads)) return 2;
        } else if (!strcmp(o, "--dtype")) {
            if (openmed_dtype_parse(v, &a->dtype, &err) != OPENMED_OK) return cli_report(&err) + 1;
        } else if (!strcmp(o, "--confidence-threshold") || !strcmp(o, "--threshold")) {
            char *end = NULL;
            double x = strtod(v, &end);
            if (*end || end == v || !(x >= 0.0 && x <= 1.0))
                return usage_error("--confidence-threshold expects a number in [0, 1], got '%s'", v);
            a->ao.confidence_threshold = (float)x;
            a->po.threshold = (float)x; /* --raw: HF's own threshold */
        } else if (!strcmp(o, "--format") || !strcmp(o, "--output-format")) {
            if (!strcmp(v, "json") || !strcmp(v, "dict")) a->fmt = FORMAT_JSON;
            else if (!strcmp(v, "jsonl")) a->fmt = FORMAT_JSONL;
            else if (!strcmp(v, "csv")) a->fmt = FORMAT_CSV;
            else if (!strcmp(v, "html")) a->fmt = FORMAT_HTML;
            else return usage_error("--format expects json, jsonl, csv or html, got '%s'", v);
        } else if (!strcmp(o, "--input") || !strcmp(o, "--input-file") || !strcmp(o, "--text")) {
            if (a->n_inputs == MAX_INPUTS) return usage_error("more than %s inputs", "4096");
            a->inputs[a->n_inputs++] = (cli_input){v, o[2] == 't'};
        } else if (!strcmp(o, "--output")) {
            a->output = v;
        } else if (!strcmp(o, "--device")) {
            a->device = v;
        } else if (!strcmp(o, "--config-path")) {
            a->config_path = v;
        } else if (!strcmp(o, "--text-field") || !strcmp(o, "--field")) {
            a->in.text_field = v;
        } else if (!strcmp(o, "--id-field")) {
            a->in.id_field = v;
        } else if (o[0] == '-' && o[1] == '-') {
            return usage_error("unknown option %s", o);
        } else {
            if (a->n_inputs == MAX_INPUTS) return usage_error("more than %s inputs", "4096");
            a->inputs[a->n_inputs++] = (cli_input){o, strcmp(o, "-") != 0};
            takes = 0;
        }
        i += takes;
    }
    if (a->n_inputs == 0) return usage_error("%s", "give a TEXT, \"-\" (standard input) or --input FILE|FOLDER");
    if (!a->raw && a->long_text_given)
        return usage_error("%s", "--all-windows and --hf-windows apply to --raw (analyze reads whole texts)");
    /* HF 5.x reads only the first model_max_length tokens of a text; --raw keeps that unless told */
    if (a->raw && !a->long_text_given) a->po.long_text = OPENMED_LONG_TEXT_HF;
    return -1;
}

/* Everything one run writes, format by format. */
typedef struct writer {
    const analyze_args *a;
    om_strbuf buf;
    om_html_page page;
    size_t written; /* documents */
    int many;       /* several documents */
    const cJSON *field_names; /* CSV: the input's other fields, a column each */
} writer;

static openmed_status write_doc(writer *w, const cli_doc *doc, const openmed_analysis *an, const openmed_result *raw,
                                const om_result_info *info, openmed_error *err) {
    const analyze_args *a = w->a;
    openmed_status st = OPENMED_OK;
    if (a->raw) om_write_raw(&w->buf, w->many ? doc : NULL, raw);
    else if (a->fmt == FORMAT_JSON) {
        if (w->many) om_strbuf_puts(&w->buf, w->written ? ",\n" : "[\n");
        st = om_write_analysis_json(&w->buf, doc, an, info, 2, err);
        if (st == OPENMED_OK && w->many && w->buf.len) w->buf.data[--w->buf.len] = '\0'; /* its newline */
    } else if (a->fmt == FORMAT_JSONL) {
        st = om_write_analysis_json(&w->buf, doc, an, info, 0, err);
    } else if (a->fmt == FORMAT_CSV) {
        om_write_csv_rows(&w->buf, w->field_names, doc, an, info);
    } else {
        st = om_html_page_add(&w->page, doc, an, err);
    }
    w->written++;
    return st;
}

static int flush(writer *w, FILE *out) {
    if (w->buf.failed) {
        fprintf(stderr, "openmed analyze: out of memory writing the output\n");
        return 1;
    }
    if (w->buf.len && fwrite(w->buf.data, 1, w->buf.len, out) != w->buf.len) {
        fprintf(stderr, "openmed analyze: write failed: %s\n", strerror(errno));
        return 1;
    }
    w->buf.len = 0;
    return 0;
}

/* Analyze every document batch by batch; returns the exit code. */
static int run(const analyze_args *a, cli_reader *reader, openmed_pipeline *pipe, const char *model_name, FILE *out) {
    writer w;
    memset(&w, 0, sizeof w);
    w.a = a;
    w.many = cli_reader_total(reader) != 1;
    w.field_names = cli_reader_field_names(reader);
    om_strbuf_init(&w.buf);
    om_html_page_init(&w.page);
    cli_progress progress;
    cli_progress_start(&progress, a->quiet ? 0 : cli_reader_total(reader), "documents");
    if (!a->raw && a->fmt == FORMAT_CSV) om_write_csv_header(&w.buf, w.field_names);
    size_t batch_docs = (size_t)a->po.batch_size * 4;
    cli_docs docs = {0};
    const char **texts = malloc(batch_docs * sizeof *texts);
    om_result_info info = {model_name, "", 0.0, a->po.aggregation};
    char stamp[64];
    openmed_error err = {0};
    int rc = texts ? 0 : 1;
    while (rc == 0) {
        if (cli_reader_next(reader, &docs, batch_docs, &err) != OPENMED_OK) {
            rc = cli_report(&err);
            break;
        }
        if (docs.n == 0) break;
        for (size_t i = 0; i < docs.n; i++) texts[i] = docs.v[i].text;
        openmed_analysis *an = NULL;
        openmed_result *raw = NULL;
        double t0 = cli_now_seconds();
        openmed_status st = a->raw ? openmed_pipeline_run(pipe, texts, docs.n, &raw, &err)
                                   : openmed_analyze(pipe, texts, docs.n, &a->ao, &an, &err);
        if (st != OPENMED_OK) {
            /* name the document: the library numbers texts within the batch */
            fprintf(stderr, "openmed analyze: %s (batch of %zu documents from %s)\n", err.message, docs.n, docs.v[0].id);
            rc = 1;
            break;
        }
        info.processing_time = (cli_now_seconds() - t0) / (double)docs.n;
        cli_iso_timestamp(stamp, sizeof stamp);
        info.timestamp = stamp;
        for (size_t i = 0; i < docs.n && rc == 0; i++)
            if (write_doc(&w, &docs.v[i], an ? &an[i] : NULL, raw ? &raw[i] : NULL, &info, &err) != OPENMED_OK)
                rc = cli_report(&err);
        openmed_analyses_free(an, an ? docs.n : 0);
        openmed_results_free(raw, raw ? docs.n : 0);
        if (rc == 0 && a->fmt != FORMAT_HTML) rc = flush(&w, out);
        cli_progress_add(&progress, docs.n);
    }
    cli_progress_end(&progress);
    if (rc == 0 && !a->raw && a->fmt == FORMAT_JSON && w.many) om_strbuf_puts(&w.buf, w.written ? "\n]\n" : "[]\n");
    if (rc == 0 && !a->raw && a->fmt == FORMAT_HTML) om_html_page_write(&w.page, &info, &w.buf);
    if (rc == 0) rc = flush(&w, out);
    free(texts);
    cli_docs_free(&docs);
    om_html_page_free(&w.page);
    om_strbuf_free(&w.buf);
    return rc;
}

int cmd_analyze(int argc, char **argv) {
    analyze_args a;
    memset(&a, 0, sizeof a);
    openmed_pipeline_options_init(&a.po);
    openmed_analyze_options_init(&a.ao);
    a.fmt = FORMAT_JSON;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.raw && a.fmt != FORMAT_JSON) return usage_error("%s", "--raw writes Hugging Face's JSON; drop --format");

    /* model_name in outputs: what the user named (registry name, repo id or path) */
    char bundled[OPENMED_PATH_MAX], bundled_name[OPENMED_PATH_MAX];
    const char *model_path = a.model, *model_name = a.model;
    if (!model_path) {
        model_path = cli_bundled_model("disease", bundled, sizeof bundled);
        if (model_path) model_name = cli_bundled_model_name(model_path, bundled_name, sizeof bundled_name);
        if (!model_path) {
            fprintf(stderr, "openmed analyze: no --model given and this build has no bundled disease model; "
                            "pass --model NAME|PATH\n");
            return 2;
        }
    }

    openmed_error err = {0};
    cli_reader *reader = NULL;
    if (cli_reader_open(&reader, a.inputs, a.n_inputs, &a.in, &err) != OPENMED_OK) return cli_report(&err);
    if (cli_reader_skipped(reader))
        fprintf(stderr, "openmed analyze: skipped %zu files in folders (hidden, or not .txt/.md/.jsonl/.csv)\n",
                cli_reader_skipped(reader));

    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    cli_output out = {0};
    if (openmed_config_load_file(&cfg, a.config_path, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = a.device;
    mo.config = &cfg;
    mo.num_threads = a.threads;
    mo.dtype = a.dtype;
    if (openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (!a.decoder_given) a.po.decoder = openmed_model_default_decoder(model);
    if (openmed_pipeline_create(model, &a.po, &pipe, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    /* --output: written under a temporary name and renamed when whole, so it is never half there */
    if (!cli_output_open(&out, a.output)) {
        rc = 1;
        goto done;
    }
    rc = run(&a, reader, pipe, model_name, out.f);
done:
    if (!cli_output_close(&out, rc == 0) && rc == 0) rc = 1;
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    cli_reader_close(reader);
    return rc;
}
