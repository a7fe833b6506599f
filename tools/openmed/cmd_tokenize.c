/* cmd_tokenize.c: `openmed tokenize`: token ids, code-point offsets and token strings of documents,
 * one JSON line each naming the document, exactly as Hugging Face's tokenizer reports them (special
 * tokens added, no truncation). Documents are read as by every command (inputs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "inputs.h"
#include "output_file.h"
#include "progress.h"
#include "strbuf.h"
#include "writers.h"

static const char *tokenize_usage =
    "usage: openmed tokenize [--model NAME|PATH] [--no-special-tokens] [TEXT... | -] [--input FILE|FOLDER|-]...\n"
    "                        [--lines] [--text-field NAME] [--id-field NAME] [--config-path P] [--quiet]\n"
    "                        [--output FILE]\n"
    "\n"
    "Prints one line per document:\n"
    "  {\"id\": ID, \"ids\": [...], \"offsets\": [[start, end], ...], \"tokens\": [...]}\n"
    "with \"metadata\": {the input's other fields} at the end when it has any. Offsets are [start, end)\n"
    "in Unicode code points of the text; special tokens have [0, 0].\n"
    "  --model NAME|PATH   registry name, Hugging Face repo id (pulled or fetched as for analyze), a\n"
    "                      model folder, a folder with just the tokenizer files (tokenizer.json, or\n"
    "                      vocab.txt for older BERT models) or tokenizer.json itself (default: the\n"
    "                      bundled disease model)\n"
    "Inputs as for `openmed analyze`: TEXT (id \"text\"); - (standard input); --input a .txt/.md file\n"
    "(one document), .jsonl (one per line: --text-field holds the text, --id-field the id), .csv (one\n"
    "per row, the same columns) or a folder (each such file in it); --lines makes every line of a\n"
    "TEXT, standard input or text file a document. A terminal shows progress with rate and ETA for\n"
    "several documents (--quiet: none). --output FILE writes there, whole or not at all.\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "openmed tokenize: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(openmed tokenize --help lists the options)\n");
    return 2;
}

/* One document's line into out. */
static openmed_status write_encoding(om_strbuf *out, const cli_doc *doc, const openmed_tokenizer *tok, int special,
                                     openmed_encoding *enc, openmed_error *err) {
    openmed_status st = openmed_tokenizer_encode(tok, doc->text, strlen(doc->text), special, enc, err);
    if (st != OPENMED_OK) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return cli_fail(err, st, "%s: %s", doc->id, why);
    }
    om_strbuf_puts(out, "{\"id\": ");
    om_write_doc_id(out, doc);
    om_strbuf_puts(out, ", \"ids\": [");
    for (size_t i = 0; i < enc->count; i++) om_strbuf_printf(out, i ? ", %d" : "%d", (int)enc->ids[i]);
    om_strbuf_puts(out, "], \"offsets\": [");
    for (size_t i = 0; i < enc->count; i++)
        om_strbuf_printf(out, i ? ", [%zu, %zu]" : "[%zu, %zu]", enc->offsets[2 * i], enc->offsets[2 * i + 1]);
    om_strbuf_puts(out, "], \"tokens\": [");
    for (size_t i = 0; i < enc->count; i++) {
        const char *t = openmed_encoding_token(enc, i);
        if (i) om_strbuf_puts(out, ", ");
        om_strbuf_json_string(out, t, strlen(t));
    }
    om_strbuf_puts(out, "]");
    om_write_doc_fields(out, doc);
    om_strbuf_puts(out, "}\n");
    return out->failed ? cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing tokens") : OPENMED_OK;
}

/* The folder holding the tokenizer of `model` (NULL: the bundled disease model) into dir. */
static openmed_status tokenizer_folder(const char *model, const char *config_path, char *dir, size_t size,
                                       openmed_error *err) {
    if (!model) {
        if (cli_bundled_model("disease", dir, size)) return OPENMED_OK;
        return cli_fail(err, OPENMED_ERR_NOT_FOUND,
                        "no --model given and this build has no bundled disease model; pass --model NAME|PATH");
    }
    struct stat st;
    if (stat(model, &st) == 0) { /* a folder, or tokenizer.json itself (its folder) */
        if (snprintf(dir, size, "%s", model) >= (int)size)
            return cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: path too long", model);
        if (S_ISREG(st.st_mode)) {
            char *slash = strrchr(dir, '/');
            if (slash) *slash = '\0';
            else snprintf(dir, size, ".");
        }
        return OPENMED_OK;
    }
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_status s = openmed_config_load_file(&cfg, config_path, err);
    char routed[OPENMED_PATH_MAX];
    if (s == OPENMED_OK && openmed_is_privacy_filter(model) &&
        (s = openmed_privacy_filter_resolve(model, routed, sizeof routed, err)) == OPENMED_OK)
        model = routed; /* MLX-only names: their PyTorch checkpoint's tokenizer */
    if (s == OPENMED_OK) s = openmed_model_fetch(model, NULL, &cfg, NULL, NULL, dir, size, err);
    return s;
}

#define MAX_INPUTS 4096
#define DOCS_PER_READ 64

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *config_path = NULL, *output = NULL;
    static cli_input inputs[MAX_INPUTS];
    size_t n_inputs = 0;
    cli_input_options in = {0};
    int special = 1, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(tokenize_usage, stdout);
            return 0;
        } else if (!strcmp(o, "--no-special-tokens")) {
            special = 0, takes = 0;
        } else if (!strcmp(o, "--lines")) {
            in.lines = 1, takes = 0;
        } else if (!strcmp(o, "--quiet")) {
            quiet = 1, takes = 0;
        } else if (o[0] == '-' && o[1] == '-' && !v) {
            return usage_error("%s needs a value", o);
        } else if (!strcmp(o, "--model")) {
            model = v;
        } else if (!strcmp(o, "--config-path")) {
            config_path = v;
        } else if (!strcmp(o, "--output")) {
            output = v;
        } else if (!strcmp(o, "--text-field") || !strcmp(o, "--field")) {
            in.text_field = v;
        } else if (!strcmp(o, "--id-field")) {
            in.id_field = v;
        } else if (!strcmp(o, "--input") || !strcmp(o, "--input-file") || !strcmp(o, "--text")) {
            if (n_inputs == MAX_INPUTS) return usage_error("more than %s inputs", "4096");
            inputs[n_inputs++] = (cli_input){v, o[2] == 't'};
        } else if (o[0] == '-' && o[1] == '-') {
            return usage_error("unknown option %s", o);
        } else {
            if (n_inputs == MAX_INPUTS) return usage_error("more than %s inputs", "4096");
            inputs[n_inputs++] = (cli_input){o, strcmp(o, "-") != 0};
            takes = 0;
        }
        i += takes;
    }
    if (n_inputs == 0) return usage_error("%s", "give a TEXT, \"-\" (standard input) or --input FILE|FOLDER");

    openmed_error err = {0};
    cli_reader *reader = NULL;
    if (cli_reader_open(&reader, inputs, n_inputs, &in, &err) != OPENMED_OK) return cli_report(&err);
    if (cli_reader_skipped(reader))
        fprintf(stderr, "openmed tokenize: skipped %zu files in folders (hidden, or not .txt/.md/.jsonl/.csv)\n",
                cli_reader_skipped(reader));
    char dir[OPENMED_PATH_MAX];
    openmed_tokenizer *tok = NULL;
    if (tokenizer_folder(model, config_path, dir, sizeof dir, &err) != OPENMED_OK ||
        openmed_tokenizer_load(dir, &tok, &err) != OPENMED_OK) {
        cli_reader_close(reader);
        return cli_report(&err);
    }
    cli_output dest;
    if (!cli_output_open(&dest, output)) {
        openmed_tokenizer_free(tok);
        cli_reader_close(reader);
        return 1;
    }
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    om_strbuf out;
    om_strbuf_init(&out);
    cli_docs docs = {0};
    int rc = 0;
    cli_progress progress;
    cli_progress_start(&progress, quiet ? 0 : cli_reader_total(reader), "documents");
    while (rc == 0) {
        if (cli_reader_next(reader, &docs, DOCS_PER_READ, &err) != OPENMED_OK) {
            rc = cli_report(&err);
            break;
        }
        if (docs.n == 0) break;
        for (size_t i = 0; i < docs.n && rc == 0; i++)
            if (write_encoding(&out, &docs.v[i], tok, special, &enc, &err) != OPENMED_OK) {
                cli_progress_hide(&progress);
                rc = cli_report(&err);
            }
        if (out.len && fwrite(out.data, 1, out.len, dest.f) != out.len) {
            cli_progress_hide(&progress);
            fprintf(stderr, "openmed tokenize: cannot write the output\n");
            rc = 1;
        }
        out.len = 0;
        cli_progress_add(&progress, docs.n);
    }
    cli_progress_end(&progress);
    if (!cli_output_close(&dest, rc == 0) && rc == 0) rc = 1;
    om_strbuf_free(&out);
    cli_docs_free(&docs);
    openmed_encoding_free(&enc);
    openmed_tokenizer_free(tok);
    cli_reader_close(reader);
    return rc;
}
