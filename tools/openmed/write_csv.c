/* write_csv.c: entities as CSV rows (RFC 4180 quoting), each naming its document and carrying the
 * input's other fields. */
#include <string.h>

#include "writers.h"

/* The columns every row has after the id and the input's fields. */
static const char *const entity_columns[] = {"text", "label", "confidence", "start", "end", "sentence_index",
                                             "model_name", "timestamp", "processing_time"};
#define N_ENTITY_COLUMNS (sizeof entity_columns / sizeof entity_columns[0])

void om_csv_field(om_strbuf *out, const char *s, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r') quote = 1;
    if (!quote) {
        om_strbuf_put(out, s, n);
        return;
    }
    om_strbuf_puts(out, "\"");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') om_strbuf_puts(out, "\"");
        om_strbuf_put(out, s + i, 1);
    }
    om_strbuf_puts(out, "\"");
}

static void csv_str(om_strbuf *out, const char *s) { om_csv_field(out, s, strlen(s)); }

/* An input field's column is named as the field, or "input_NAME" when that is a column of ours. */
static void field_column(om_strbuf *out, const char *name) {
    int taken = !strcmp(name, "id");
    for (size_t i = 0; i < N_ENTITY_COLUMNS && !taken; i++) taken = !strcmp(name, entity_columns[i]);
    if (!taken) {
        csv_str(out, name);
        return;
    }
    om_strbuf prefixed; /* "input_" + name, quoted as one field */
    om_strbuf_init(&prefixed);
    om_strbuf_puts(&prefixed, "input_");
    om_strbuf_puts(&prefixed, name);
    if (prefixed.failed) out->failed = 1;
    else om_csv_field(out, prefixed.data, prefixed.len);
    om_strbuf_free(&prefixed);
}

void om_write_csv_header(om_strbuf *out, const cJSON *field_names) {
    om_strbuf_puts(out, "id");
    const cJSON *f;
    cJSON_ArrayForEach(f, field_names) {
        om_strbuf_puts(out, ",");
        field_column(out, f->valuestring);
    }
    for (size_t i = 0; i < N_ENTITY_COLUMNS; i++) {
        om_strbuf_puts(out, ",");
        om_strbuf_puts(out, entity_columns[i]);
    }
    om_strbuf_puts(out, "\r\n");
}

/* The id and the document's value of each field column (a string as is, other JSON compact, a field
 * it lacks empty). */
static void row_start(om_strbuf *out, const cJSON *field_names, const cli_doc *doc) {
    csv_str(out, doc->id);
    const cJSON *f;
    cJSON_ArrayForEach(f, field_names) {
        om_strbuf_puts(out, ",");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc->fields, f->valuestring);
        if (cJSON_IsString(v)) {
            csv_str(out, v->valuestring);
        } else if (v) {
            char *j = cJSON_PrintUnformatted(v);
            if (j) csv_str(out, j);
            else out->failed = 1;
            cJSON_free(j);
        }
    }
}

static void row_end(om_strbuf *out, const om_result_info *info) {
    om_strbuf_puts(out, ",");
    csv_str(out, info->model_name);
    om_strbuf_puts(out, ",");
    csv_str(out, info->timestamp);
    om_strbuf_printf(out, ",%.6f\r\n", info->processing_time);
}

void om_write_csv_rows(om_strbuf *out, const cJSON *field_names, const cli_doc *doc, const openmed_analysis *a,
                       const om_result_info *info) {
    if (a->n_entities == 0) { /* the document is still named: one row without an entity */
        row_start(out, field_names, doc);
        om_strbuf_puts(out, ",,,,,,");
        row_end(out, info);
        return;
    }
    for (size_t i = 0; i < a->n_entities; i++) {
        const openmed_text_entity *e = &a->entities[i];
        row_start(out, field_names, doc);
        om_strbuf_puts(out, ",");
        csv_str(out, e->text);
        om_strbuf_puts(out, ",");
        csv_str(out, e->label);
        om_strbuf_puts(out, ",");
        om_strbuf_float(out, e->confidence);
        om_strbuf_printf(out, ",%lld,%lld,", (long long)e->start, (long long)e->end);
        if (e->sentence >= 0) om_strbuf_printf(out, "%lld", (long long)e->sentence);
        row_end(out, info);
    }
}
