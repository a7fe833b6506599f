/* cmd_pii.c: `openmed pii extract|deidentify|reidentify`: OpenMed's extract_pii and deidentify on
 * one text or many documents, with the bundled PII model by default, and the reverse of a
 * de-identification from its mapping. Standard output carries the asked-for result; standard error
 * carries warnings and errors, never text or values. On any failure no text is written. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inputs.h"
#include "output_file.h"
#include "pii_batch.h"
#include "pii_json.h"
#include "pii_reidentify.h"
#include "strbuf.h"

#define MAX_LIST 4096
#define MAX_INPUTS 4096
#define SECRET_ENV "OPENMED_DEID_SECRET"

static const char *pii_usage =
    "usage: openmed pii extract    [--model NAME|PATH] [--confidence-threshold X] [--no-sweep] [--json]\n"
    "                              (TEXT... | - | --input FILE|FOLDER|-...) [--lines] [--text-field NAME]\n"
    "                              [--id-field NAME] [--format json|jsonl|csv] [--output FILE|FOLDER]\n"
    "                              [--device D] [--threads N] [--dtype D] [--config-path P] [--quiet]\n"
    "       openmed pii deidentify [--model NAME|PATH] [--method M] [--policy NAME|FILE.json] [--secret-file F]\n"
    "                              [--keep-year] [--keep-mapping] [--date-shift-days N | --date-shift-seed S |\n"
    "                              --patient-key K] [--date-shift-max-days N] [--allow V]... [--deny V]...\n"
    "                              [--allow-file F] [--deny-file F] [--no-clinical-protection]\n"
    "                              [--confidence-threshold X] [--no-sweep] [--config-path P] [--quiet]\n"
    "                              [--device D] [--dtype float32|bfloat16|int8]\n"
    "                              (TEXT... | - | --input FILE|FOLDER|-...) [--lines] [--text-field NAME]\n"
    "                              [--id-field NAME] [--format json|jsonl|csv] [--json] [--output FILE|FOLDER]\n"
    "       openmed pii reidentify [--mapping RESULT.json] [TEXT... | - | --input FILE|FOLDER|-...] [--lines]\n"
    "                              [--text-field NAME] [--id-field NAME] [--output FILE] [--quiet]\n"
    "\n"
    "extract     finds personal identifiers: the model's entities scoring at least X (default 0.5)\n"
    "            plus a deterministic sweep for e-mails, US phones, SSNs, dates, URLs and MRNs.\n"
    "            Prints LABEL, START, END, CONFIDENCE and TEXT per line (offsets in code points),\n"
    "            or with --json {text, model, entities: [...], num_entities}.\n"
    "deidentify  replaces them (threshold default 0.7) and prints OpenMed's DeidentificationResult\n"
    "            JSON: {deidentified_text, pii_entities: [{label, start, end, confidence,\n"
    "            redacted_text, action, hipaa_class, source}], method, timestamp,\n"
    "            num_entities_redacted, metadata}. Other occurrences of a found value are replaced too.\n"
    "reidentify  restores the original text: --mapping is a deidentify --keep-mapping result (or a\n"
    "            {placeholder: original} object); the text is TEXT, -, --input FILE, or the result's own.\n"
    "            Many documents (the inputs below; --text-field defaults to \"deidentified_text\", so\n"
    "            deidentify --keep-mapping's JSON lines come back whole) give a JSON line each, {id,\n"
    "            text, metadata}; a record's own \"mapping\" is used where --mapping is not given.\n"
    "\n"
    "Inputs (as for `openmed analyze`; any number of them, mixed): TEXT (several are text:1,\n"
    "text:2, ...); - (standard input); --input (repeatable) a .txt/.md file (one document), a .jsonl\n"
    "file (one per line: --text-field holds the text (\"text\"), --id-field the id (\"id\"), a\n"
    "\"patient_key\" keys that record's date shift, other fields are kept), a .csv file (one per row,\n"
    "the same columns) or a folder (each such file in it, sub-folders too); --lines makes every line\n"
    "of a text a document. One document gives the result above. Many (several inputs, a folder, a\n"
    ".jsonl/.csv file, --lines or --format jsonl|csv) give one record each, named by id with the\n"
    "input's other fields in metadata: JSON lines (default), --format csv (deidentify: a row per\n"
    "document with deidentified_text; extract: a row per entity), or --format json / --json (one\n"
    "array); the format also follows --output's extension. One folder in with --output FOLDER gives\n"
    "a folder out with the same file names: each text file's de-identified text (NAME.json results\n"
    "with --json or for extract), each .jsonl/.csv file's records in its own format. A document that\n"
    "fails is reported on stderr by id, never with its text, and recorded in place of its result;\n"
    "the rest go on; the exit code is then 1. Output files are written whole or not at all. A\n"
    "terminal shows progress with rate and ETA.\n"
    "\n"
    "  --model NAME|PATH   registry name, Hugging Face repo id or model folder (default: the bundled PII\n"
    "                      model, a demo, called bundled/pii in outputs)\n"
    "  --method M          mask ([LABEL], default), remove, replace (fake values), hash (LABEL_ + 16 hex\n"
    "                      of HMAC-SHA256), shift_dates (dates moved by one number of days, the rest\n"
    "                      masked; --shift-dates is the same) or format_preserve (same shape)\n"
    "  --policy P          hipaa_safe_harbor, strict, or a policy .json file (data/policies/README.md)\n"
    "  --secret-file F     the key of hash, replace, format_preserve and --patient-key (else $" SECRET_ENV ",\n"
    "                      else deid_secret_file in the config file, else a random key for this run)\n"
    "  --keep-year         dates keep their year (replace, shift_dates, format_preserve)\n"
    "  --keep-mapping      add original_text and mapping {placeholder: original}; number repeated\n"
    "                      placeholders ([FIRST_NAME], [FIRST_NAME_2], ...); CSV: a mapping column (JSON)\n"
    "  --date-shift-days N shift_dates by N days (default: derived, random in [-365, 365] without a seed\n"
    "                      or patient key; metadata.date_shift_days says which)\n"
    "  --patient-key K     shift_dates by a number of days derived from the secret and K: the same for\n"
    "                      every document of a patient (JSONL/CSV records may carry their own\n"
    "                      patient_key, which is never written out)\n"
    "  --date-shift-max-days N  bound of derived shifts (default 365)\n"
    "  --allow V, --deny V values never / always redacted (repeatable; --allow-file, --deny-file: one\n"
    "                      per line)\n"
    "  --no-clinical-protection  let names and places overlap disease and drug terms\n"
    "  --confidence-threshold X  drop model entities scoring below X (--threshold is the same)\n"
    "  --no-sweep          the model alone, without the structured-identifier sweep\n"
    "  --text TEXT, --input-file F  OpenMed's spellings of TEXT and --input (--output-format: --format)\n"
    "  --output FILE|FOLDER  write there (atomically) instead of standard output\n"
    "  --device D          cpu, cuda, cuda:N or mps (default: resolved as for analyze)\n"
    "  --threads N         CPU threads (default: the config's, else all cores)\n"
    "  --quiet             no progress line\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "openmed pii: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\nRun 'openmed pii --help' for the options.\n");
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

/* ---------------------------------------------------------------- lists and the secret */

typedef struct list {
    const char *items[MAX_LIST];
    size_t n;
    char *owned[16]; /* file contents the items point into */
    size_t n_owned;
} list;

static int list_add(list *l, const char *v) {
    if (l->n == MAX_LIST || !*v) return 0;
    l->items[l->n++] = v;
    return 1;
}

/* Every non-empty line of a file (a trailing \r dropped). */
static int list_add_file(list *l, const char *path) {
    openmed_error err = {0};
    char *data = NULL;
    size_t n = 0;
    if (l->n_owned == 16 || cli_read_file(path, 16 << 20, &data, &n, &err) != OPENMED_OK) {
        fprintf(stderr, "openmed pii: %s\n", l->n_owned == 16 ? "too many list files" : err.message);
        free(data);
        return 0;
    }
    l->owned[l->n_owned++] = data;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[len - 1] = 0;
        if (*line && !list_add(l, line)) {
            fprintf(stderr, "openmed pii: %s: more than %d entries\n", path, MAX_LIST);
            return 0;
        }
    }
    return 1;
}

static void list_free(list *l) {
    for (size_t i = 0; i < l->n_owned; i++) free(l->owned[i]);
}

/* The secret: --secret-file, else $OPENMED_DEID_SECRET, else the config file's deid_secret_file;
 * a file's trailing line break is not part of it. Returns 0 (after a message) on a bad source;
 * *secret stays NULL when there is none. */
static int load_secret(const char *file, const openmed_config *cfg, char **secret, size_t *len) {
    *secret = NULL;
    *len = 0;
    const char *env = getenv(SECRET_ENV);
    if (!file && env && *env) {
        *secret = strdup(env);
        *len = *secret ? strlen(*secret) : 0;
        return *secret != NULL;
    }
    if (!file && cfg->deid_secret_file[0]) file = cfg->deid_secret_file;
    if (!file) return 1;
    openmed_error err = {0};
    if (cli_read_file(file, 1 << 20, secret, len, &err) != OPENMED_OK) {
        fprintf(stderr, "openmed pii: secret key: %s\n", err.message);
        return 0;
    }
    while (*len && ((*secret)[*len - 1] == '\n' || (*secret)[*len - 1] == '\r')) (*secret)[--*len] = 0;
    if (*len == 0) {
        fprintf(stderr, "openmed pii: secret key file %s is empty\n", file);
        free(*secret);
        *secret = NULL;
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- the command */

int cmd_pii(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(pii_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int deidentify = !strcmp(argv[1], "deidentify"), reid = !strcmp(argv[1], "reidentify");
    if (!deidentify && !reid && strcmp(argv[1], "extract") != 0) return usage_error("unknown subcommand '%s'", argv[1]);
    const char *model_path = NULL, *output = NULL, *device = NULL, *policy_name = NULL;
    static cli_input inputs[MAX_INPUTS];
    size_t n_inputs = 0;
    const char *secret_file = NULL, *config_path = NULL, *mapping = NULL, *format = NULL;
    int json = 0, sweep = 1, method_given = 0, quiet = 0, deid_only = 0, threads = 0;
    cli_input_options in_opts = {0};
    list allow = {0}, deny = {0};
    openmed_deid_options opts;
    openmed_deid_options_init(&opts);
    if (!deidentify) opts.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
    int threshold_given = 0, rc = 0;
    openmed_dtype dtype = OPENMED_DTYPE_AUTO;
    openmed_error err = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(pii_usage, stdout);
            rc = -1;
            break;
        } else if (!strcmp(a, "--json")) {
            json = 1;
            takes = 0;
        } else if (!strcmp(a, "--keep-mapping")) {
            opts.keep_mapping = 1;
            takes = 0;
            deid_only = 1;
        } else if (!strcmp(a, "--keep-year")) {
            opts.keep_year = 1;
            takes = 0;
            deid_only = 1;
        } else if (!strcmp(a, "--shift-dates")) {
            opts.method = OPENMED_DEID_SHIFT_DATES;
            method_given = 1;
            takes = 0;
        } else if (!strcmp(a, "--no-sweep")) {
            sweep = 0;
            takes = 0;
        } else if (!strcmp(a, "--no-clinical-protection")) {
            opts.protect_clinical_terms = 0;
            takes = 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
            takes = 0;
        } else if (!strcmp(a, "--lines")) {
            in_opts.lines = 1;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            rc = usage_error("%s needs a value", a);
            break;
        } else if (!strcmp(a, "--model")) {
            model_path = v;
        } else if (!strcmp(a, "--method")) {
            if (openmed_deid_method_parse(v, &opts.method, &err) != OPENMED_OK) {
                rc = cli_report(&err) + 1;
                break;
            }
            method_given = 1;
        } else if (!strcmp(a, "--policy")) {
            policy_name = v;
            deid_only = 1;
        } else if (!strcmp(a, "--secret-file")) {
            secret_file = v;
        } else if (!strcmp(a, "--config-path")) {
            config_path = v;
        } else if (!strcmp(a, "--mapping")) {
            mapping = v;
        } else if (!strcmp(a, "--allow") || !strcmp(a, "--deny")) {
            if (!list_add(a[2] == 'a' ? &allow : &deny, v)) {
                rc = usage_error("%s: empty, or too many values", a);
                break;
            }
        } else if (!strcmp(a, "--allow-file") || !strcmp(a, "--deny-file")) {
            if (!list_add_file(a[2] == 'a' ? &allow : &deny, v)) {
                rc = 2;
                break;
            }
        } else if (!strcmp(a, "--text-field") || !strcmp(a, "--field")) {
            in_opts.text_field = v;
        } else if (!strcmp(a, "--id-field")) {
            in_opts.id_field = v;
        } else if (!strcmp(a, "--format") || !strcmp(a, "--output-format")) {
            if (strcmp(v, "json") && strcmp(v, "jsonl") && strcmp(v, "csv")) {
                rc = usage_error("--format expects json, jsonl or csv, got '%s'", v);
                break;
            }
            format = v;
        } else if (!strcmp(a, "--confidence-threshold") || !strcmp(a, "--threshold")) {
            char *end = NULL;
            double x = strtod(v, &end);
            if (*end || end == v || !(x >= 0.0 && x <= 1.0)) {
                rc = usage_error("--confidence-threshold expects a number in [0, 1], got '%s'", v);
                break;
            }
            opts.confidence_threshold = (float)x;
            threshold_given = 1;
        } else if (!strcmp(a, "--date-shift-days") || !strcmp(a, "--date-shift-max-days")) {
            char *end = NULL;
            long days = strtol(v, &end, 10);
            int max = a[13] == 'm';
            if (*end || end == v || days == 0 || days < (max ? 1 : -36500) || days > 36500) {
                rc = usage_error(max ? "--date-shift-max-days expects a whole number of days in [1, 36500], got '%s'"
                                     : "--date-shift-days expects a non-zero whole number of days in [-36500, 36500], got '%s'",
                                 v);
                break;
            }
            if (max) opts.date_shift_max_days = (int)days;
            else opts.date_shift_days = (int)days;
        } else if (!strcmp(a, "--date-shift-seed")) {
            opts.date_shift_seed = v;
        } else if (!strcmp(a, "--patient-key")) {
            opts.patient_key = v;
        } else if (!strcmp(a, "--input") || !strcmp(a, "--input-file") || !strcmp(a, "--text")) {
            if (n_inputs == MAX_INPUTS) {
                rc = usage_error("more than %s inputs", "4096");
                break;
            }
            inputs[n_inputs++] = (cli_input){v, a[2] == 't'};
        } else if (!strcmp(a, "--output")) {
            output = v;
        } else if (!strcmp(a, "--threads")) {
            char *end = NULL;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 0 || n > 4096) {
                rc = usage_error("--threads expects an integer in [0, 4096], got '%s'", v);
                break;
            }
            threads = (int)n;
        } else if (!strcmp(a, "--device")) {
            device = v;
        } else if (!strcmp(a, "--dtype")) {
            if (openmed_dtype_parse(v, &dtype, &err) != OPENMED_OK) {
                rc = cli_report(&err) + 1;
                break;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            rc = usage_error("unknown option %s", a);
            break;
        } else { /* a TEXT, or "-" for standard input */
            if (n_inputs == MAX_INPUTS) {
                rc = usage_error("more than %s inputs", "4096");
                break;
            }
            inputs[n_inputs++] = (cli_input){a, strcmp(a, "-") != 0};
            takes = 0;
        }
        i += takes;
    }
    if (rc) {
        list_free(&allow);
        list_free(&deny);
        return rc < 0 ? 0 : rc;
    }
    if (reid) {
        list_free(&allow);
        list_free(&deny);
        if (!mapping && !n_inputs) return usage_error("reidentify needs --mapping RESULT.json or inputs%s", "");
        pii_reid r = {mapping, inputs, n_inputs, in_opts, output, quiet};
        return pii_reidentify_run(&r);
    }
    if (mapping) rc = usage_error("--mapping applies to `pii reidentify` only%s", "");
    else if (n_inputs == 0) rc = usage_error("give a TEXT, \"-\" (standard input) or --input FILE|FOLDER%s", "");
    else if (!deidentify && (method_given || deid_only))
        rc = usage_error("%s applies to `pii deidentify` only", method_given ? "--method" : "that option");
    if (rc) {
        list_free(&allow);
        list_free(&deny);
        return rc;
    }
    opts.safety_sweep = sweep;
    opts.allow_list = allow.items;
    opts.n_allow_list = allow.n;
    opts.deny_list = deny.items;
    opts.n_deny_list = deny.n;

    /* One document (a TEXT, -, a text file) gets the single result; several inputs, a folder, a
     * .jsonl/.csv file, --lines or --format jsonl|csv get records, one per document. */
    int many = n_inputs > 1 || in_opts.lines || (format && strcmp(format, "json") != 0);
    for (size_t k = 0; k < n_inputs; k++) {
        const char *v = inputs[k].value;
        many |= !inputs[k].is_text && (cli_is_folder(v) || cli_has_ext(v, ".jsonl") || cli_has_ext(v, ".csv"));
    }
    const char *folder_in = n_inputs == 1 && !inputs[0].is_text && cli_is_folder(inputs[0].value) ? inputs[0].value : NULL;
    int to_folder = folder_in && output && strcmp(output, "-") != 0 && !cli_has_ext(output, ".jsonl") &&
                    !cli_has_ext(output, ".csv") && !cli_has_ext(output, ".json");
    if (to_folder && format) {
        list_free(&allow);
        list_free(&deny);
        return usage_error("--format %s: a folder output keeps each input file's format (give --output FILE for one file)",
                           format);
    }
    in_opts.keep_going = many;

    openmed_config cfg;
    openmed_config_init(&cfg);
    char *secret = NULL;
    size_t secret_len = 0;
    openmed_policy *policy = NULL;
    openmed_model *model = NULL;
    openmed_deid_result *r = NULL;
    cli_reader *reader = NULL;
    cli_docs docs = {0};
    om_strbuf buf;
    om_strbuf_init(&buf);
    char bundled[OPENMED_PATH_MAX], bundled_name[OPENMED_PATH_MAX];
    const char *model_name = model_path;
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (!load_secret(secret_file, &cfg, &secret, &secret_len)) {
        rc = 2;
        goto done;
    }
    opts.secret = (const unsigned char *)secret;
    opts.secret_len = secret_len;
    if (policy_name) {
        if (openmed_policy_load(policy_name, &policy, &err) != OPENMED_OK) {
            rc = cli_report(&err) + 1;
            goto done;
        }
        opts.policy = policy;
        if (!threshold_given) opts.confidence_threshold = 1.0f; /* the policy's threshold rules */
    }
    if (!model_path) {
        if (!(model_path = cli_bundled_model("pii", bundled, sizeof bundled))) {
            fprintf(stderr, "openmed pii: no --model given and this build has no bundled PII model; pass --model "
                            "NAME|PATH (a registry name, repo id or model folder)\n");
            rc = 2;
            goto done;
        }
        model_name = cli_bundled_model_name(bundled, bundled_name, sizeof bundled_name);
    }
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    mo.num_threads = threads;
    mo.config = &cfg;
    mo.dtype = dtype;
    /* check the options and read the input before loading a model for them */
    openmed_deid_options probe = opts;
    probe.method = deidentify ? opts.method : OPENMED_DEID_MASK;
    if ((deidentify ? openmed_deidentify : openmed_pii_extract)(NULL, "", 0, &probe, &r, &err) != OPENMED_OK &&
        err.status == OPENMED_ERR_INVALID_ARGUMENT && !strstr(err.message, "nothing would be found")) {
        rc = cli_report(&err) + 1;
        goto done;
    }
    openmed_deid_result_free(r);
    r = NULL;
    if (cli_reader_open(&reader, inputs, n_inputs, &in_opts, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (cli_reader_skipped(reader))
        fprintf(stderr, "openmed pii: skipped %zu files in folders (hidden, or not .txt/.md/.jsonl/.csv)\n",
                cli_reader_skipped(reader));
    if (openmed_model_load(model_path, &mo, &model, &err) != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (many) {
        pii_format fmt = PII_FORMAT_JSONL;
        const char *f = format ? format : json ? "json" : "";
        if (!strcmp(f, "csv") || (!*f && output && cli_has_ext(output, ".csv"))) fmt = PII_FORMAT_CSV;
        else if (!strcmp(f, "json") || (!*f && output && cli_has_ext(output, ".json"))) fmt = PII_FORMAT_JSON;
        pii_batch b = {reader, to_folder ? folder_in : NULL, output, fmt, model, model_name, &opts, deidentify,
                       json, in_opts.lines, quiet};
        rc = pii_batch_run(&b);
        goto done;
    }
    if (cli_reader_next(reader, &docs, 1, &err) != OPENMED_OK || docs.n != 1) {
        rc = cli_report(&err);
        goto done;
    }
    const char *doc_text = docs.v[0].text;
    size_t len = strlen(doc_text);
    openmed_status st = deidentify ? openmed_deidentify(model, doc_text, len, &opts, &r, &err)
                                   : openmed_pii_extract(model, doc_text, len, &opts, &r, &err);
    if (st != OPENMED_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (deidentify) om_pii_write_deid_json(&buf, NULL, doc_text, len, model_name, &opts, r, 0);
    else if (json) om_pii_write_extract_json(&buf, doc_text, len, model_name, r);
    else write_extract_lines(&buf, r);
    if (buf.failed) {
        fprintf(stderr, "openmed pii: out of memory\n");
        rc = 1;
    } else if (output && strcmp(output, "-") != 0) {
        rc = cli_write_file_atomic(output, buf.len ? buf.data : "", buf.len) ? 0 : 1;
    } else if (buf.len && fwrite(buf.data, 1, buf.len, stdout) != buf.len) {
        fprintf(stderr, "openmed pii: write failed: %s\n", strerror(errno));
        rc = 1;
    }
done:
    om_strbuf_free(&buf);
    cli_docs_free(&docs);
    cli_reader_close(reader);
    openmed_deid_result_free(r);
    openmed_model_free(model);
    openmed_policy_free(policy);
    free(secret);
    list_free(&allow);
    list_free(&deny);
    return rc;
}
