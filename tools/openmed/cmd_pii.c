/* cmd_pii.c: `openmed pii extract` and `openmed pii deidentify`: OpenMed's extract_pii and
 * deidentify on one text (an argument or a whole file) with the bundled PII model by default.
 * Standard output carries the asked-for result; standard error never carries the text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pii_json.h"
#include "strbuf.h"

#define MAX_INPUT_BYTES ((size_t)256 << 20)

static const char *pii_usage =
    "usage: openmed pii extract    [--model PATH] [--confidence-threshold X] [--no-sweep] [--json]\n"
    "                              (TEXT | --input FILE) [--output FILE] [--device D]\n"
    "       openmed pii deidentify [--model PATH] [--method mask|remove|replace|hash|shift_dates]\n"
    "                              [--date-shift-days N | --date-shift-seed S] [--json]\n"
    "                              [--confidence-threshold X] [--keep-mapping] [--no-sweep]\n"
    "                              (TEXT | --input FILE) [--output FILE] [--device D]\n"
    "\n"
    "extract     finds personal identifiers: the model's entities scoring at least X (default 0.5)\n"
    "            plus a deterministic sweep for e-mails, US phones, SSNs, dates, URLs and MRNs.\n"
    "            Prints LABEL, START, END, CONFIDENCE and TEXT per line (offsets in code points),\n"
    "            or with --json {text, model, entities: [{text, label, start, end, confidence,\n"
    "            source}], num_entities}.\n"
    "deidentify  replaces them (threshold default 0.7) and prints OpenMed's DeidentificationResult\n"
    "            JSON (always; --json is accepted): {deidentified_text, pii_entities: [{label,\n"
    "            start, end, confidence, redacted_text, source}], method, timestamp,\n"
    "            num_entities_redacted, metadata}. Other occurrences of a found name are replaced too.\n"
    "            --keep-mapping adds original_text and mapping {placeholder: original} and numbers\n"
    "            repeated placeholders ([FIRST_NAME], [FIRST_NAME_2], ...).\n"
    "  --model PATH       model folder (default: the bundled PII model)\n"
    "  --method M         mask ([LABEL], default), remove, replace (fake values, the same for the\n"
    "                     same value everywhere), hash (LABEL_ + 8 hex of sha256) or shift_dates\n"
    "                     (dates moved by one number of days in their own format, the rest masked;\n"
    "                     --shift-dates is the same)\n"
    "  --date-shift-days N  shift_dates by N days (default: from --date-shift-seed as OpenMed, else\n"
    "                     random in [-365, 365]; metadata.date_shift_days says which)\n"
    "  --no-sweep         the model alone, without the structured-identifier sweep\n"
    "  --input FILE       read the whole file as one text (--input-file is the same; TEXT may also\n"
    "                     be given as --text TEXT)\n"
    "  --output FILE      write there instead of standard output\n"
    "  --device D         cpu, cuda, cuda:N or mps (default: resolved as for analyze)\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "openmed pii: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", pii_usage);
    return 2;
}

/* One line per entity; tabs and line breaks inside a value become spaces. */
static void write_extract_lines(om_strbuf *b, const openmed_deid_result *r) {
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        om_strbuf_printf(b, "%s\t%lld\t%lld\t", e->label, (long long)e->start, (long long)e->end);
        om_strbuf_float(b, e->confidence);
        om_strbuf_puts(b, "\t");
        for (const char *p = e->text; *p; p++) om_strbuf_put(b, strchr("\t\r\n", *p) ? " " : p, 1);
        om_strbuf_puts(b, "\n");
    }
}

int cmd_pii(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(pii_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int deidentify = !strcmp(argv[1], "deidentify");
    if (!deidentify && strcmp(argv[1], "extract") != 0) return usage_error("unknown subcommand '%s'", argv[1]);
    const char *model_path = NULL, *input = NULL, *output = NULL, *device = NULL, *text = NULL;
    int json = 0, keep_mapping = 0, sweep = 1, method_given = 0;
    openmed_deid_options opts;
    openmed_deid_options_init(&opts);
    if (!deidentify) opts.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
    openmed_error err = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(pii_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
            takes = 0;
        } else if (!strcmp(a, "--keep-mapping")) {
            keep_mapping = 1;
            takes = 0;
        } else if (!strcmp(a, "--shift-dates")) {
            opts.method = OPENMED_DEID_SHIFT_DATES;
            method_given = 1;
            takes = 0;
        } else if (!strcmp(a, "--no-sweep")) {
            sweep = 0;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            return usage_error("%s needs a value", a);
        } else if (!strcmp(a, "--model")) {
            model_path = v;
        } else if (!strcmp(a, "--method")) {
            if (openmed_deid_method_parse(v, &opts.method, &err) != OPENMED_OK) return cli_report(&err) + 1;
            method_given = 1;
        } else if (!strcmp(a, "--confidence-threshold")) {
            char *end = NULL;
            double x = strtod(v, &end);
            if (*end || end == v || !(x >= 0.0 && x <= 1.0))
                return usage_error("--confidence-threshold expects a number in [0, 1], got '%s'", v);
            opts.confidence_threshold = (float)x;
        } else if (!strcmp(a, "--date-shift-days")) {
            char *end = NULL;
            long days = strtol(v, &end, 10);
            if (*end || end == v || days == 0 || days < -36500 || days > 36500)
                return usage_error("--date-shift-days expects a non-zero whole number of days in [-36500, 36500], got '%s'", v);
            opts.date_shift_days = (int)days;
        } else if (!strcmp(a, "--date-shift-seed")) {
            opts.date_shift_seed = v;
        } else if (!strcmp(a, "--input") || !strcmp(a, "--input-file")) {
            input = v;
        } else if (!strcmp(a, "--text")) {
            if (text) return usage_error("give one TEXT (quote it) or --input FILE%s", "");
            text = v;
        } else if (!strcmp(a, "--output")) {
            output = v;
        } else if (!strcmp(a, "--device")) {
            device = v;
        } else if (a[0] == '-' && a[1] == '-') {
            return usage_error("unknown option %s", a);
        } else {
            if (text) return usage_error("give one TEXT (quote it) or --input FILE%s", "");
            text = a;
            takes = 0;
        }
        i += takes;
    }
    if ((text != NULL) == (input != NULL)) return usage_error("give a TEXT or --input FILE (exactly one)%s", "");
    if (!deidentify && (method_given || keep_mapping))
        return usage_error("%s applies to `pii deidentify` only", method_given ? "--method" : "--keep-mapping");
    if ((opts.date_shift_days || opts.date_shift_seed) && opts.method != OPENMED_DEID_SHIFT_DATES)
        return usage_error("%s needs --method shift_dates", opts.date_shift_days ? "--date-shift-days" : "--date-shift-seed");
    opts.keep_mapping = keep_mapping;
    opts.safety_sweep = sweep;

    char bundled[OPENMED_PATH_MAX];
    if (!model_path && !(model_path = cli_bundled_model("pii", bundled, sizeof bundled))) {
        fprintf(stderr, "openmed pii: no --model given and this build has no bundled PII model; pass --model PATH "
                        "(a Hugging Face model folder)\n");
        return 2;
    }
    char *file_text = NULL;
    size_t len = 0;
    if (input) {
        if (cli_read_file(input, MAX_INPUT_BYTES, &file_text, &len, &err) != OPENMED_OK) return cli_report(&err);
        text = file_text;
    } else {
        len = strlen(text);
    }

    int rc = 0;
    FILE *out = stdout;
    openmed_model *model = NULL;
    openmed_deid_result *r = NULL;
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    om_strbuf buf;
    om_strbuf_init(&buf);
    if (openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    openmed_status st = deidentify ? openmed_deidentify(model, text, len, &opts, &r, &err)
                                   : openmed_pii_extract(model, text, len, &opts, &r, &err);
    if (st != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (deidentify) om_pii_write_deid_json(&buf, text, len, model_path, opts.confidence_threshold, sweep, keep_mapping, r);
    else if (json) om_pii_write_extract_json(&buf, text, len, model_path, r);
    else write_extract_lines(&buf, r);
    if (buf.failed) {
        fprintf(stderr, "openmed pii: out of memory\n");
        rc = 1;
        goto done;
    }
    if (output && !(out = fopen(output, "wb"))) {
        fprintf(stderr, "openmed pii: cannot write %s: %s\n", output, strerror(errno));
        out = stdout;
        rc = 1;
        goto done;
    }
    if (buf.len && fwrite(buf.data, 1, buf.len, out) != buf.len) {
        fprintf(stderr, "openmed pii: write failed: %s\n", strerror(errno));
        rc = 1;
    }
done:
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "openmed pii: cannot write %s: %s\n", output, strerror(errno));
        rc = 1;
    }
    om_strbuf_free(&buf);
    openmed_deid_result_free(r);
    openmed_model_free(model);
    free(file_text);
    return rc;
}
