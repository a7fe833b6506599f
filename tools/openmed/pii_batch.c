/* pii_batch.c: many documents through the PII model, a batch per model pass
 * (openmed_pii_run_batch, each result that of openmed_pii_extract / openmed_deidentify): output sinks
 * (temporary file renamed when complete), JSON lines, CSV and JSON array records, folder output
 * named after the input files, per-document failures, and the progress line. */
#include "pii_batch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output_file.h"
#include "pii_json.h"
#include "progress.h"
#include "strbuf.h"
#include "writers.h"

#define DOCS_PER_READ 16

/* ---------------------------------------------------------------- sinks */

enum { SINK_DOC, SINK_JSONL, SINK_CSV, SINK_JSON };

/* One output (output_file.h: a file renamed into place when complete, or standard output) and what
 * its records need. */
typedef struct sink {
    cli_output out;
    FILE *f;          /* out.f while open */
    int kind;         /* SINK_DOC: one document's result; the others hold records */
    size_t records;
    int doc_failed;   /* SINK_DOC: its document failed, so nothing is kept */
    int io_failed;
    cJSON *columns;   /* CSV: the input fields named in the header, once written */
    cJSON *pending;   /* CSV: failures ([id, message]) that came before the header was known */
    char *source;     /* folder output: the input file it belongs to */
    int deidentify;   /* CSV: the columns of de-identification, else of extraction */
    int mapping;      /* CSV of de-identification with keep_mapping: a "mapping" column (JSON) */
} sink;

static void csv_header(sink *s, const cJSON *names, om_strbuf *out);
static void csv_failure_row(const sink *s, const char *id, const char *message, om_strbuf *out);

/* path NULL: standard output. */
static int sink_open(sink *s, const char *path, int kind, const pii_batch *b) {
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->deidentify = b->deidentify;
    s->mapping = b->deidentify && b->options->keep_mapping;
    if (!cli_output_open(&s->out, path ? path : "-")) return 0;
    s->f = s->out.f;
    if (kind == SINK_JSON && fputs("[", s->f) == EOF) s->io_failed = 1;
    return 1;
}

static void sink_put(sink *s, const char *data, size_t n) {
    if (n && !s->io_failed && fwrite(data, 1, n, s->f) != n) s->io_failed = 1;
}

/* Finish: a file is kept (renamed into place) when keep is set and everything was written, else
 * removed. Returns 0 when it was to be kept and could not be. */
static int sink_close(sink *s, int keep) {
    if (!s->f) return 1;
    if (s->kind == SINK_CSV && !s->columns) { /* no readable document came: the header, then the failures */
        om_strbuf head;
        om_strbuf_init(&head);
        csv_header(s, NULL, &head);
        sink_put(s, head.data, head.len);
        s->io_failed |= head.failed;
        om_strbuf_free(&head);
    }
    if (s->kind == SINK_JSON) sink_put(s, s->records ? "\n]\n" : "]\n", s->records ? 3 : 2);
    keep = keep && !(s->kind == SINK_DOC && s->doc_failed);
    if (keep && s->io_failed) fprintf(stderr, "openmed pii: cannot write %s: %s\n",
                                      s->out.path ? s->out.path : "standard output", strerror(errno ? errno : EIO));
    int ok = cli_output_close(&s->out, keep && !s->io_failed) && !(keep && s->io_failed);
    free(s->source);
    cJSON_Delete(s->columns);
    cJSON_Delete(s->pending);
    memset(s, 0, sizeof *s);
    return ok;
}

/* ---------------------------------------------------------------- records */

/* The input's fields that an output carries (all but the patient key). */
static int carried(const cJSON *f) { return strcmp(f->string, OM_PII_PATIENT_KEY_FIELD) != 0; }

/* CSV: the header, a column per carried name in `names` (a JSON array of field names; NULL: none). */
static void csv_header(sink *s, const cJSON *names, om_strbuf *out) {
    if (!(s->columns = cJSON_CreateArray())) s->io_failed = 1; /* out of memory: the run fails */
    om_strbuf_puts(out, "id");
    const cJSON *f;
    cJSON_ArrayForEach(f, names) {
        if (!strcmp(f->valuestring, OM_PII_PATIENT_KEY_FIELD)) continue; /* never written out */
        cJSON_AddItemToArray(s->columns, cJSON_CreateString(f->valuestring));
        om_strbuf_puts(out, ",");
        om_csv_field(out, f->valuestring, strlen(f->valuestring));
    }
    om_strbuf_puts(out, s->mapping      ? ",deidentified_text,num_entities_redacted,mapping,error\r\n"
                        : s->deidentify ? ",deidentified_text,num_entities_redacted,error\r\n"
                                        : ",label,start,end,confidence,source,hipaa_class,text,error\r\n");
    const cJSON *p;
    cJSON_ArrayForEach(p, s->pending)
        csv_failure_row(s, cJSON_GetStringValue(cJSON_GetArrayItem(p, 0)), cJSON_GetStringValue(cJSON_GetArrayItem(p, 1)),
                        out);
    cJSON_Delete(s->pending);
    s->pending = NULL;
}

/* CSV of one input file (folder output): the header from its first readable document's fields (a
 * .csv file's rows all have its header's columns). */
static void csv_header_of(sink *s, const cli_doc *doc, om_strbuf *out) {
    cJSON *names = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, doc->fields) if (names) cJSON_AddItemToArray(names, cJSON_CreateString(f->string));
    if (!names) s->io_failed = 1;
    csv_header(s, names, out);
    cJSON_Delete(names);
}

/* A failed document's row: its id, no values, the message. */
static void csv_failure_row(const sink *s, const char *id, const char *message, om_strbuf *out) {
    om_csv_field(out, id ? id : "", id ? strlen(id) : 0);
    for (int i = 0; i < cJSON_GetArraySize(s->columns); i++) om_strbuf_puts(out, ",");
    om_strbuf_puts(out, s->mapping ? ",,,," : s->deidentify ? ",,," : ",,,,,,,,");
    om_csv_field(out, message ? message : "", message ? strlen(message) : 0);
    om_strbuf_puts(out, "\r\n");
}

/* 1 when every carried field of the document has a column in the header (one it lacks is an empty
 * cell; one the header lacks would be lost). */
static int csv_fits(const sink *s, const cli_doc *doc) {
    const cJSON *f;
    cJSON_ArrayForEach(f, doc->fields) {
        if (!carried(f)) continue;
        int found = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, s->columns) found |= !strcmp(c->valuestring, f->string);
        if (!found) return 0;
    }
    return 1;
}

/* The start of a CSV row: the id and the document's value of each column. */
static void csv_row_start(const sink *s, const cli_doc *doc, om_strbuf *out) {
    om_csv_field(out, doc->id, strlen(doc->id));
    const cJSON *c;
    cJSON_ArrayForEach(c, s->columns) {
        om_strbuf_puts(out, ",");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc->fields, c->valuestring);
        if (cJSON_IsString(v)) {
            om_csv_field(out, v->valuestring, strlen(v->valuestring));
        } else if (v) {
            char *j = cJSON_PrintUnformatted(v);
            if (j) om_csv_field(out, j, strlen(j));
            cJSON_free(j);
        }
    }
}

/* A successful document's record(s) into out. */
static void write_result(const pii_batch *b, sink *s, const cli_doc *doc, const openmed_deid_options *o,
                         const openmed_deid_result *r, om_strbuf *out) {
    size_t len = strlen(doc->text);
    if (s->kind == SINK_DOC) {
        if (b->deidentify && !b->json) om_strbuf_put(out, r->deidentified_text, r->deidentified_len);
        else if (b->deidentify) om_pii_write_deid_json(out, NULL, doc->text, len, b->model_name, o, r, 0);
        else om_pii_write_extract_json(out, doc->text, len, b->model_name, r);
    } else if (s->kind == SINK_JSONL || s->kind == SINK_JSON) {
        if (s->kind == SINK_JSON) om_strbuf_puts(out, s->records ? ",\n" : "\n");
        if (b->deidentify) om_pii_write_deid_json(out, doc, doc->text, len, b->model_name, o, r, 1);
        else om_pii_write_extract_doc(out, doc, b->model_name, r, 1);
        if (s->kind == SINK_JSON && out->len) out->data[--out->len] = '\0'; /* the record's own line break */
    } else if (b->deidentify) {
        csv_row_start(s, doc, out);
        om_strbuf_puts(out, ",");
        om_csv_field(out, r->deidentified_text, r->deidentified_len);
        om_strbuf_printf(out, ",%zu,", r->n_entities);
        if (s->mapping) { /* {placeholder: original} as JSON, what `pii reidentify` reads back */
            cJSON *m = cJSON_CreateObject();
            for (size_t i = 0; m && i < r->n_mapping; i++)
                cJSON_AddItemToObject(m, r->mapping[i].redacted, cJSON_CreateString(r->mapping[i].original));
            char *j = m ? cJSON_PrintUnformatted(m) : NULL;
            if (j) om_csv_field(out, j, strlen(j));
            else s->io_failed = 1; /* out of memory: the run fails rather than lose the mapping */
            cJSON_free(j);
            cJSON_Delete(m);
            om_strbuf_puts(out, ",");
        }
        om_strbuf_puts(out, "\r\n");
    } else {
        if (r->n_entities == 0) { /* the document is still named: one row without an entity */
            csv_row_start(s, doc, out);
            om_strbuf_puts(out, ",,,,,,,,\r\n");
        }
        for (size_t i = 0; i < r->n_entities; i++) {
            const openmed_pii_entity *e = &r->entities[i];
            csv_row_start(s, doc, out);
            om_strbuf_puts(out, ",");
            om_csv_field(out, e->label, strlen(e->label));
            om_strbuf_printf(out, ",%lld,%lld,", (long long)e->start, (long long)e->end);
            om_strbuf_float(out, e->confidence);
            om_strbuf_printf(out, ",%s,%s,", e->source, e->hipaa_class);
            om_csv_field(out, e->text, strlen(e->text));
            om_strbuf_puts(out, ",\r\n");
        }
    }
}

/* A failed document's record into out (never its text). */
static void write_failure(const pii_batch *b, sink *s, const cli_doc *doc, openmed_status st, const char *message,
                          om_strbuf *out) {
    if (s->kind == SINK_DOC) {
        s->doc_failed = 1;
    } else if (s->kind == SINK_JSONL || s->kind == SINK_JSON) {
        if (s->kind == SINK_JSON) om_strbuf_puts(out, s->records ? ",\n" : "\n");
        om_strbuf_puts(out, "{\"id\": ");
        om_write_doc_id(out, doc);
        om_strbuf_printf(out, ", \"error\": {\"status\": \"%s\", \"message\": ", openmed_status_name(st));
        om_strbuf_json_string(out, message, strlen(message));
        om_strbuf_puts(out, s->kind == SINK_JSON ? "}}" : "}}\n");
    } else if (!s->columns) { /* the header is not known yet: the row waits for it */
        if (!s->pending) s->pending = cJSON_CreateArray();
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(doc->id));
        cJSON_AddItemToArray(pair, cJSON_CreateString(message));
        if (!s->pending || !pair || !cJSON_AddItemToArray(s->pending, pair)) {
            cJSON_Delete(pair);
            s->io_failed = 1; /* out of memory: the run fails rather than lose the row */
        }
    } else {
        csv_failure_row(s, doc->id, message, out);
    }
}

/* ---------------------------------------------------------------- folder output */

/* mkdir -p of the folders above path (path itself excluded). */
static int make_parents(const char *path) {
    char *p = strdup(path);
    if (!p) return 0;
    int ok = 1;
    for (char *slash = strchr(p + 1, '/'); ok && slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) ok = 0;
        *slash = '/';
    }
    if (!ok) fprintf(stderr, "openmed pii: cannot create the folders of %s: %s\n", path, strerror(errno));
    free(p);
    return ok;
}

/* Open the folder output of an input file: OUTPUT/<its path under the input folder>. */
static int open_for_source(const pii_batch *b, sink *s, const char *source) {
    size_t fl = strlen(b->folder);
    const char *rel = source + fl;
    if (strncmp(source, b->folder, fl) != 0) rel = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
    while (*rel == '/') rel++;
    int kind = cli_has_ext(source, ".jsonl") ? SINK_JSONL : cli_has_ext(source, ".csv") ? SINK_CSV : SINK_DOC;
    const char *suffix = "";
    if (kind == SINK_DOC && b->lines) kind = SINK_JSONL, suffix = ".jsonl"; /* a document per line */
    else if (kind == SINK_DOC && (b->json || !b->deidentify)) suffix = ".json";
    size_t n = strlen(b->output) + strlen(rel) + 16;
    char *path = malloc(n);
    if (!path) return 0;
    snprintf(path, n, "%s/%s%s", b->output, rel, suffix);
    int ok = make_parents(path) && sink_open(s, path, kind, b);
    free(path);
    if (ok && !(s->source = strdup(source))) ok = 0;
    return ok;
}

/* ---------------------------------------------------------------- the run */

int pii_batch_run(const pii_batch *b) {
    int to_stdout = !b->output || !strcmp(b->output, "-");
    if (b->folder) {
        if (to_stdout) return 2; /* the caller gives a folder output a path */
        if (mkdir(b->output, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "openmed pii: cannot create folder %s: %s\n", b->output, strerror(errno));
            return 2;
        }
        struct stat st;
        if (stat(b->output, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "openmed pii: --output %s is not a folder\n", b->output);
            return 2;
        }
        char in_real[PATH_MAX], out_real[PATH_MAX];
        if (realpath(b->folder, in_real) && realpath(b->output, out_real) && !strcmp(in_real, out_real)) {
            fprintf(stderr, "openmed pii: --output %s is the input folder; its files would be overwritten\n", b->output);
            return 2;
        }
    }
    sink out = {0};
    int kind = b->format == PII_FORMAT_CSV ? SINK_CSV : b->format == PII_FORMAT_JSON ? SINK_JSON : SINK_JSONL;
    if (!b->folder && !sink_open(&out, to_stdout ? NULL : b->output, kind, b)) return 2;
    if (!b->folder && kind == SINK_CSV) { /* one file: a column for every field of every document */
        om_strbuf head;
        om_strbuf_init(&head);
        csv_header(&out, cli_reader_field_names(b->reader), &head);
        sink_put(&out, head.data, head.len);
        out.io_failed |= head.failed;
        om_strbuf_free(&head);
    }

    /* one model pass per read batch (openmed_pii_run_batch); each result equals the one-text call's */
    openmed_pipeline *pipe = NULL;
    openmed_error err = {0};
    if (openmed_pii_pipeline_create(b->model, 0, &pipe, &err) != OPENMED_OK) {
        fprintf(stderr, "openmed pii: %s\n", err.message);
        sink_close(&out, 0);
        return 1;
    }
    cli_progress progress;
    cli_progress_start(&progress, b->quiet ? 0 : cli_reader_total(b->reader), "documents");
    cli_docs docs = {0};
    openmed_pii_item items[DOCS_PER_READ];
    openmed_deid_options opts[DOCS_PER_READ];
    om_strbuf buf;
    om_strbuf_init(&buf);
    size_t done = 0, failed = 0;
    int io_failed = 0;
    while (!io_failed) {
        if (cli_reader_next(b->reader, &docs, DOCS_PER_READ, &err) != OPENMED_OK) {
            cli_progress_hide(&progress);
            fprintf(stderr, "openmed pii: %s\n", err.message);
            io_failed = 1;
            break;
        }
        if (docs.n == 0) break;
        /* each document's own checks and options, then the model over those that passed */
        memset(items, 0, sizeof items);
        openmed_pii_item *run_items[DOCS_PER_READ];
        size_t n_run = 0;
        for (size_t i = 0; i < docs.n; i++) {
            const cli_doc *doc = &docs.v[i];
            openmed_pii_item *it = &items[i];
            const cJSON *pk = cJSON_GetObjectItemCaseSensitive(doc->fields, OM_PII_PATIENT_KEY_FIELD);
            opts[i] = *b->options;
            it->status = OPENMED_OK;
            if (docs.error[i]) {
                it->status = cli_fail(&it->error, OPENMED_ERR_FORMAT, "%s", docs.error[i]);
            } else if (pk && !cJSON_IsString(pk)) {
                it->status = cli_fail(&it->error, OPENMED_ERR_FORMAT, "\"%s\" is not a string", OM_PII_PATIENT_KEY_FIELD);
            } else {
                /* a record's patient key keys its date shift; other methods have none to key */
                if (pk && opts[i].method == OPENMED_DEID_SHIFT_DATES) opts[i].patient_key = pk->valuestring;
                it->text = doc->text;
                it->len = strlen(doc->text);
                it->options = &opts[i];
                it->deidentify = b->deidentify;
                run_items[n_run++] = it;
            }
        }
        if (n_run) {
            openmed_pii_item packed[DOCS_PER_READ];
            for (size_t k = 0; k < n_run; k++) packed[k] = *run_items[k];
            openmed_pii_run_batch(pipe, packed, n_run, &err); /* each item carries its own status */
            for (size_t k = 0; k < n_run; k++) *run_items[k] = packed[k];
        }
        for (size_t i = 0; i < docs.n && !io_failed; i++) {
            const cli_doc *doc = &docs.v[i];
            openmed_pii_item *it = &items[i];
            /* folder output: one sink per input file, in the order they are read */
            if (b->folder && (!out.f || !doc->source || !out.source || strcmp(out.source, doc->source) != 0)) {
                if (!sink_close(&out, 1) || !open_for_source(b, &out, doc->source ? doc->source : "-")) {
                    io_failed = 1;
                    break;
                }
            }
            if (it->status == OPENMED_OK && out.kind == SINK_CSV && out.columns && !csv_fits(&out, doc)) {
                it->status = cli_fail(&it->error, OPENMED_ERR_FORMAT,
                                      "it has fields the CSV header (the file's first document's) lacks; "
                                      "--format jsonl keeps each document's own");
            }
            buf.len = 0;
            if (it->status == OPENMED_OK) {
                if (out.kind == SINK_CSV && !out.columns) csv_header_of(&out, doc, &buf);
                write_result(b, &out, doc, &opts[i], it->result, &buf);
            } else {
                failed++;
                cli_progress_hide(&progress);
                fprintf(stderr, "openmed pii: document %s failed (%s): %s\n", doc->id, openmed_status_name(it->status),
                        it->error.message);
                write_failure(b, &out, doc, it->status, it->error.message, &buf);
            }
            if (buf.failed) {
                fprintf(stderr, "openmed pii: out of memory writing the output\n");
                io_failed = 1;
            }
            sink_put(&out, buf.data, buf.len);
            io_failed |= out.io_failed;
            out.records++;
            done++;
            cli_progress_add(&progress, 1);
        }
        for (size_t i = 0; i < docs.n; i++) openmed_deid_result_free(items[i].result);
    }
    cli_progress_end(&progress);
    if (!sink_close(&out, !io_failed)) io_failed = 1;
    om_strbuf_free(&buf);
    cli_docs_free(&docs);
    openmed_pipeline_free(pipe);
    if (failed) fprintf(stderr, "openmed pii: %zu of %zu documents failed\n", failed, done);
    return failed || io_failed ? 1 : 0;
}
