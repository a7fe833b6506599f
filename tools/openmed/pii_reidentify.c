/* pii_reidentify.c: `openmed pii reidentify` over one text or many documents (pii_reidentify.h). */
#include "pii_reidentify.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "openmed.h"
#include "output_file.h"
#include "progress.h"
#include "strbuf.h"
#include "writers.h"

#define MAX_MAPPING_BYTES ((size_t)256 << 20)
#define MAPPING_FIELD "mapping"
#define BATCH 256 /* documents read at a time */

/* The {placeholder: original} pairs of `map` (pointers into it) in *out; fails naming `what` when it
 * is no object or a value is not a string. */
static openmed_status mapping_pairs(const cJSON *map, const char *what, openmed_deid_mapping **out, size_t *n,
                                    openmed_error *err) {
    *out = NULL;
    *n = 0;
    if (!cJSON_IsObject(map)) return cli_fail(err, OPENMED_ERR_FORMAT, "%s: the mapping is not a JSON object", what);
    openmed_deid_mapping *m = calloc((size_t)cJSON_GetArraySize(map) + 1, sizeof *m);
    if (!m) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    size_t k = 0;
    for (const cJSON *it = map->child; it; it = it->next, k++) {
        if (!cJSON_IsString(it)) {
            free(m);
            return cli_fail(err, OPENMED_ERR_FORMAT, "%s: mapping value of entry %zu is not a string", what, k);
        }
        m[k].redacted = it->string;
        m[k].original = it->valuestring;
    }
    *out = m;
    *n = k;
    return OPENMED_OK;
}

/* A document's own mapping: its "mapping" field, an object or (a CSV column) a string holding one as
 * JSON; detached from its fields into *owned. NULL when it has none. */
static const cJSON *own_mapping(cli_doc *doc, cJSON **owned) {
    *owned = cJSON_DetachItemFromObjectCaseSensitive(doc->fields, MAPPING_FIELD);
    if (cJSON_IsString(*owned)) {
        cJSON *parsed = cJSON_Parse((*owned)->valuestring);
        cJSON_Delete(*owned);
        *owned = parsed ? parsed : cJSON_CreateString(""); /* not JSON: refused as "not an object" */
    }
    return *owned;
}

/* 1 when the inputs give records rather than one text (as `pii extract|deidentify` decide). */
static int gives_many(const pii_reid *r) {
    if (r->n_inputs > 1 || r->in.lines) return 1;
    for (size_t i = 0; i < r->n_inputs; i++) {
        const char *v = r->inputs[i].value;
        if (!r->inputs[i].is_text && strcmp(v, "-") &&
            (cli_is_folder(v) || cli_has_ext(v, ".jsonl") || cli_has_ext(v, ".csv")))
            return 1;
    }
    return 0;
}

/* One text restored by `map` and written as is. */
static int restore_one(const char *text, const openmed_deid_mapping *m, size_t nm, const char *output) {
    openmed_error err = {0};
    char *restored = NULL;
    size_t len = 0;
    if (openmed_reidentify(text, strlen(text), m, nm, &restored, &len, &err) != OPENMED_OK) return cli_report(&err);
    int ok = cli_write_file_atomic(output && strcmp(output, "-") ? output : NULL, restored, len);
    free(restored);
    return ok ? 0 : 1;
}

/* Many documents: a JSON line each. */
static int restore_many(const pii_reid *r, const openmed_deid_mapping *shared, size_t n_shared) {
    openmed_error err = {0};
    cli_input_options in = r->in;
    in.keep_going = 1; /* an unreadable record is reported by id; the rest go on */
    if (!in.text_field) in.text_field = "deidentified_text";
    cli_reader *reader = NULL;
    if (cli_reader_open(&reader, r->inputs, r->n_inputs, &in, &err) != OPENMED_OK) return cli_report(&err);
    cli_output dest;
    if (!cli_output_open(&dest, r->output)) {
        cli_reader_close(reader);
        return 1;
    }
    cli_docs docs = {0};
    om_strbuf buf;
    om_strbuf_init(&buf);
    cli_progress progress;
    cli_progress_start(&progress, r->quiet ? 0 : cli_reader_total(reader), "documents");
    size_t failed = 0, done = 0;
    int io_failed = 0;
    openmed_status st;
    while ((st = cli_reader_next(reader, &docs, BATCH, &err)) == OPENMED_OK && docs.n) {
        for (size_t i = 0; i < docs.n; i++) {
            cli_doc *doc = &docs.v[i];
            openmed_error why = {0};
            cJSON *owned = NULL;
            const cJSON *map = own_mapping(doc, &owned);
            openmed_deid_mapping *m = NULL;
            size_t nm = 0;
            char *restored = NULL;
            size_t len = 0;
            openmed_status ds = OPENMED_OK;
            if (docs.error[i]) ds = cli_fail(&why, OPENMED_ERR_FORMAT, "%s", docs.error[i]);
            else if (map) ds = mapping_pairs(map, doc->id, &m, &nm, &why);
            else if (!shared)
                ds = cli_fail(&why, OPENMED_ERR_INVALID_ARGUMENT,
                              "no \"%s\" field and no --mapping (run deidentify with --keep-mapping)", MAPPING_FIELD);
            if (ds == OPENMED_OK)
                ds = openmed_reidentify(doc->text, strlen(doc->text), map ? m : shared, map ? nm : n_shared, &restored,
                                        &len, &why);
            buf.len = 0;
            om_strbuf_puts(&buf, "{\"id\": ");
            om_write_doc_id(&buf, doc);
            if (ds == OPENMED_OK) {
                om_strbuf_puts(&buf, ", \"text\": ");
                om_strbuf_json_string(&buf, restored, len);
                om_write_doc_fields(&buf, doc);
            } else {
                failed++;
                cli_progress_hide(&progress);
                fprintf(stderr, "openmed pii: document %s failed (%s): %s\n", doc->id, openmed_status_name(ds),
                        why.message);
                om_strbuf_printf(&buf, ", \"error\": {\"status\": \"%s\", \"message\": ", openmed_status_name(ds));
                om_strbuf_json_string(&buf, why.message, strlen(why.message));
                om_strbuf_puts(&buf, "}");
            }
            om_strbuf_puts(&buf, "}\n");
            if (buf.failed || fwrite(buf.data, 1, buf.len, dest.f) != buf.len) io_failed = 1;
            free(restored);
            free(m);
            cJSON_Delete(owned);
            done++;
            cli_progress_add(&progress, 1);
        }
    }
    cli_progress_end(&progress);
    if (st != OPENMED_OK) { /* a file changed since it was counted: nothing half-written is kept */
        cli_report(&err);
        io_failed = 1;
    }
    if (!cli_output_close(&dest, !io_failed)) io_failed = 1;
    om_strbuf_free(&buf);
    cli_docs_free(&docs);
    cli_reader_close(reader);
    if (failed) fprintf(stderr, "openmed pii: %zu of %zu documents failed\n", failed, done);
    return failed || io_failed ? 1 : 0;
}

int pii_reidentify_run(const pii_reid *r) {
    openmed_error err = {0};
    char *json = NULL;
    size_t n = 0;
    cJSON *root = NULL;
    const cJSON *own = NULL;
    openmed_deid_mapping *m = NULL;
    size_t nm = 0;
    int rc = 1;
    if (r->mapping_path) {
        if (cli_read_file(r->mapping_path, MAX_MAPPING_BYTES, &json, &n, &err) != OPENMED_OK) return cli_report(&err);
        root = cJSON_Parse(json);
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, MAPPING_FIELD);
        own = cJSON_GetObjectItemCaseSensitive(root, "deidentified_text");
        if (!map && cJSON_IsObject(root) && !own) map = root; /* a bare {placeholder: original} object */
        if (!cJSON_IsObject(map)) {
            fprintf(stderr, "openmed pii: %s holds no mapping (run deidentify with --keep-mapping)\n", r->mapping_path);
            goto done;
        }
        if (mapping_pairs(map, r->mapping_path, &m, &nm, &err) != OPENMED_OK) {
            rc = cli_report(&err);
            goto done;
        }
    }
    if (gives_many(r)) {
        rc = restore_many(r, m, nm);
    } else if (!r->mapping_path) {
        fprintf(stderr, "openmed pii: reidentify needs --mapping RESULT.json for one text (records of a .jsonl or "
                        ".csv file may carry their own \"%s\")\n", MAPPING_FIELD);
        rc = 2;
    } else if (r->n_inputs == 1) { /* a TEXT, - or a text file, read as every command reads it */
        cli_reader *reader = NULL;
        cli_docs docs = {0};
        openmed_status st = cli_reader_open(&reader, r->inputs, 1, &r->in, &err);
        if (st == OPENMED_OK) st = cli_reader_next(reader, &docs, 1, &err);
        if (st == OPENMED_OK && docs.n == 1) rc = restore_one(docs.v[0].text, m, nm, r->output);
        else if (st != OPENMED_OK) rc = cli_report(&err);
        cli_docs_free(&docs);
        cli_reader_close(reader);
    } else if (!cJSON_IsString(own)) {
        fprintf(stderr, "openmed pii: give TEXT, - or --input FILE (%s holds no deidentified_text)\n", r->mapping_path);
    } else {
        rc = restore_one(own->valuestring, m, nm, r->output);
    }
done:
    free(m);
    cJSON_Delete(root);
    free(json);
    return rc;
}
