/* cmd_eval.c: `openmed eval`: strict entity-level precision, recall and F1 of a model (the bundled
 * disease model by default) on CoNLL or span-JSONL gold data, computed with our own engine. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_data.h"
#include "eval_metrics.h"
#include "inputs.h"
#include "output_file.h"
#include "progress.h"

#define EVAL_CHUNK 64 /* texts per pipeline call */

static void usage(FILE *out) {
    fprintf(out,
            "usage: openmed eval [--model NAME|PATH] (--conll FILE|- | --spans FILE.jsonl|FILE.csv|FOLDER|-)\n"
            "                    [--text-field NAME] [--json] [--output FILE]\n"
            "                    [--aggregation-strategy S] [--batch-size N] [--device D] [--threads N]\n"
            "                    [--dtype float32|bfloat16|int8] [--config-path P] [--quiet]\n\n"
            "Strict entity-level precision, recall and F1 (an entity counts when its start, end and\n"
            "label equal a gold entity's; labels compare case-insensitively), overall and per label.\n"
            "  --model NAME|PATH  registry name, repo id or model folder (default: the bundled disease\n"
            "                 model)\n"
            "  --conll FILE   token<TAB>tag lines, blank line between sentences; a sentence's text\n"
            "                 is its tokens joined by single spaces; - reads them from standard input\n"
            "  --spans PATH   {\"text\", \"spans\": [{\"start\", \"end\", \"label\"}]} per line of a .jsonl\n"
            "                 file, or a .csv file with that \"spans\" array as JSON in a column, or a\n"
            "                 folder of such files, or - for JSON lines on standard input; read as\n"
            "                 every command reads its inputs (UTF-8 checked, errors named by file and\n"
            "                 line); a record without spans has none\n"
            "  --text-field NAME  the key / column of the text (default \"text\")\n"
            "                 (CoNLL is not read that way: it is tokens, not documents)\n"
            "  --json         print {\"model\", \"texts\", \"precision\", \"recall\", \"f1\", \"per_label\"}\n"
            "  --output FILE  write the report there (whole or not at all) instead of standard output\n"
            "  --device D     cpu, cuda, cuda:N or mps; --config-path P: OpenMed config file\n"
            "  --quiet        no progress line (it only shows on a terminal)\n"
            "  --dtype D      compute dtype (int8 and bfloat16: the encoder's linear layers, cpu)\n"
            "Texts longer than the model's window are read in full (consecutive windows).\n");
}

/* Scores every doc with the pipeline into ev. */
static int score(openmed_pipeline *pipe, const om_eval_docs *docs, om_eval *ev, cli_progress *progress) {
    openmed_error err;
    om_eval_span *pred = NULL;
    size_t pred_cap = 0;
    for (size_t at = 0; at < docs->n; at += EVAL_CHUNK) {
        size_t n = docs->n - at < EVAL_CHUNK ? docs->n - at : EVAL_CHUNK;
        const char *texts[EVAL_CHUNK];
        for (size_t i = 0; i < n; i++) texts[i] = docs->docs[at + i].text;
        openmed_result *res = NULL;
        if (openmed_pipeline_run(pipe, texts, n, &res, &err) != OPENMED_OK) {
            free(pred);
            return cli_report(&err);
        }
        for (size_t i = 0; i < n; i++) {
            if (res[i].n_entities > pred_cap) {
                om_eval_span *grown = realloc(pred, res[i].n_entities * sizeof *grown);
                if (!grown) {
                    openmed_results_free(res, n);
                    free(pred);
                    fprintf(stderr, "openmed: out of memory\n");
                    return 1;
                }
                pred = grown;
                pred_cap = res[i].n_entities;
            }
            for (size_t k = 0; k < res[i].n_entities; k++) {
                const openmed_entity *e = &res[i].entities[k];
                pred[k] = (om_eval_span){e->start, e->end, e->label};
            }
            const om_eval_doc *d = &docs->docs[at + i];
            if (om_eval_add(ev, d->spans, d->n_spans, pred, res[i].n_entities, &err) != OPENMED_OK) {
                openmed_results_free(res, n);
                free(pred);
                return cli_report(&err);
            }
        }
        openmed_results_free(res, n);
        cli_progress_add(progress, n);
    }
    free(pred);
    return 0;
}

static void print_json(FILE *out, const om_eval *ev, const char *model, size_t n_docs) {
    double p, r, f;
    om_eval_prf(&ev->total, &p, &r, &f);
    cJSON *name = cJSON_CreateString(model);
    char *quoted = name ? cJSON_PrintUnformatted(name) : NULL;
    fprintf(out, "{\"model\": %s, \"texts\": %zu, ", quoted ? quoted : "null", n_docs);
    cJSON_free(quoted);
    cJSON_Delete(name);
    fprintf(out, "\"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f, \"per_label\": {", p, r, f);
    for (size_t i = 0; i < ev->n_labels; i++) {
        const om_eval_counts *c = &ev->labels[i];
        om_eval_prf(c, &p, &r, &f);
        fprintf(out, "%s\"", i ? ", " : "");
        for (const char *s = c->label; *s; s++) {
            if (*s == '"' || *s == '\\') fputc('\\', out);
            if ((unsigned char)*s >= 0x20) fputc(*s, out);
        }
        fprintf(out, "\": {\"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f, \"support\": %lld, "
               "\"tp\": %lld, \"fp\": %lld, \"fn\": %lld}",
               p, r, f, (long long)(c->tp + c->fn), (long long)c->tp, (long long)c->fp, (long long)c->fn);
    }
    fprintf(out, "}}\n");
}

static void print_table(FILE *out, const om_eval *ev, const char *model, size_t n_docs) {
    double p, r, f;
    fprintf(out, "model: %s\ntexts: %zu\n\n%-24s %9s %9s %9s %8s\n", model, n_docs, "label", "precision",
           "recall", "f1", "support");
    for (size_t i = 0; i < ev->n_labels; i++) {
        const om_eval_counts *c = &ev->labels[i];
        om_eval_prf(c, &p, &r, &f);
        fprintf(out, "%-24s %9.4f %9.4f %9.4f %8lld\n", c->label, p, r, f, (long long)(c->tp + c->fn));
    }
    om_eval_prf(&ev->total, &p, &r, &f);
    fprintf(out, "%-24s %9.4f %9.4f %9.4f %8lld\n", "micro avg (strict)", p, r, f,
           (long long)(ev->total.tp + ev->total.fn));
}

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *conll = NULL, *spans = NULL, *aggregation = "simple";
    const char *device = NULL, *config_path = NULL, *output = NULL;
    cli_input_options in = {0};
    int json = 0, batch_size = 8, threads = 0, quiet = 0;
    openmed_dtype dtype = OPENMED_DTYPE_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--device") && has_value) {
            device = argv[++i];
        } else if (!strcmp(a, "--config-path") && has_value) {
            config_path = argv[++i];
        } else if (!strcmp(a, "--output") && has_value) {
            output = argv[++i];
        } else if (!strcmp(a, "--model") && has_value) {
            model_path = argv[++i];
        } else if (!strcmp(a, "--conll") && has_value) {
            conll = argv[++i];
        } else if (!strcmp(a, "--spans") && has_value) {
            spans = argv[++i];
        } else if ((!strcmp(a, "--text-field") || !strcmp(a, "--field")) && has_value) {
            in.text_field = argv[++i];
        } else if (!strcmp(a, "--aggregation-strategy") && has_value) {
            aggregation = argv[++i];
        } else if (!strcmp(a, "--dtype") && has_value) {
            openmed_error derr;
            if (openmed_dtype_parse(argv[++i], &dtype, &derr) != OPENMED_OK) return cli_report(&derr) + 1;
        } else if (!strcmp(a, "--threads") && has_value) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 4096) {
                fprintf(stderr, "openmed eval: --threads must be an integer from 0 to 4096\n");
                return 2;
            }
            threads = (int)v;
        } else if (!strcmp(a, "--batch-size") && has_value) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 4096) {
                fprintf(stderr, "openmed eval: --batch-size must be an integer from 1 to 4096\n");
                return 2;
            }
            batch_size = (int)v;
        } else {
            fprintf(stderr, "openmed eval: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!conll == !spans) {
        fprintf(stderr, "openmed eval: give exactly one of --conll FILE or --spans FILE.jsonl|FILE.csv|FOLDER\n\n");
        usage(stderr);
        return 2;
    }
    if (conll && in.text_field) {
        fprintf(stderr, "openmed eval: --text-field applies to --spans (CoNLL holds tokens, not a text field)\n");
        return 2;
    }
    char bundled[OPENMED_PATH_MAX], bundled_name[OPENMED_PATH_MAX];
    const char *model_name = model_path; /* what outputs call it: the name or path given */
    if (!model_path) {
        model_path = cli_bundled_model("disease", bundled, sizeof bundled);
        if (model_path) model_name = cli_bundled_model_name(model_path, bundled_name, sizeof bundled_name);
        if (!model_path) {
            fprintf(stderr, "openmed eval: the bundled disease model was not found (looked in "
                            "$OPENMED_MODELS_DIR, <prefix>/share/openmed/models and the source "
                            "tree's models/); pass --model PATH\n");
            return 1;
        }
    }

    openmed_error err;
    openmed_pipeline_options popt;
    openmed_pipeline_options_init(&popt);
    if (openmed_aggregation_parse(aggregation, &popt.aggregation, &err) != OPENMED_OK) return cli_report(&err);
    if (popt.aggregation == OPENMED_AGGREGATION_NONE) {
        fprintf(stderr, "openmed eval: entity scoring needs an aggregation strategy other than none\n");
        return 2;
    }
    popt.batch_size = batch_size;
    popt.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS;

    om_eval_docs docs = {0};
    openmed_status st = conll ? om_eval_read_conll(conll, &docs, &err) : om_eval_read_spans(spans, &in, &docs, &err);
    if (st != OPENMED_OK) return cli_report(&err);

    cli_output dest; /* opened before the model runs, so a path that cannot be written fails at once */
    if (!cli_output_open(&dest, output)) {
        om_eval_docs_free(&docs);
        return 1;
    }
    openmed_model *model = NULL;
    openmed_pipeline *pipe = NULL;
    int rc = 0;
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.dtype = dtype;
    mo.num_threads = threads;
    mo.device = device;
    mo.config = &cfg;
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK ||
        openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK ||
        openmed_pipeline_create(model, &popt, &pipe, &err) != OPENMED_OK) {
        rc = cli_report(&err);
    } else {
        om_eval ev;
        om_eval_init(&ev);
        cli_progress progress;
        cli_progress_start(&progress, quiet ? 0 : docs.n, "texts");
        rc = score(pipe, &docs, &ev, &progress);
        cli_progress_end(&progress);
        if (rc == 0) {
            om_eval_sort(&ev);
            if (json) print_json(dest.f, &ev, model_name, docs.n);
            else print_table(dest.f, &ev, model_name, docs.n);
        }
        om_eval_free(&ev);
    }
    if (!cli_output_close(&dest, rc == 0) && rc == 0) rc = 1;
    openmed_pipeline_free(pipe);
    openmed_model_free(model);
    om_eval_docs_free(&docs);
    return rc;
}
