/* write_json.c: HF raw JSON lines and OpenMed's AnalyzeResult.to_dict() JSON, with document ids. */
#include <string.h>

#include "cli.h"
#include "text_slice.h"
#include "writers.h"

void om_write_doc_id(om_strbuf *out, const cli_doc *doc) {
    char *v = doc->id_value ? cJSON_PrintUnformatted(doc->id_value) : NULL;
    if (v) om_strbuf_puts(out, v);
    else om_strbuf_json_string(out, doc->id, strlen(doc->id));
    cJSON_free(v);
}

static void json_value(om_strbuf *out, const cJSON *v) {
    char *s = cJSON_PrintUnformatted(v);
    om_strbuf_puts(out, s ? s : "null");
    cJSON_free(s);
}

/* An object's members on one line: {"name": value, ...}. */
static void inline_object(om_strbuf *out, const cJSON *obj) {
    om_strbuf_puts(out, "{");
    const cJSON *f;
    cJSON_ArrayForEach(f, obj) {
        if (f != obj->child) om_strbuf_puts(out, ", ");
        om_strbuf_json_string(out, f->string, strlen(f->string));
        om_strbuf_puts(out, ": ");
        json_value(out, f);
    }
    om_strbuf_puts(out, "}");
}

void om_write_doc_fields(om_strbuf *out, const cli_doc *doc) {
    if (cJSON_GetArraySize(doc->fields) == 0) return;
    om_strbuf_puts(out, ", \"metadata\": ");
    inline_object(out, doc->fields);
}

void om_write_raw(om_strbuf *out, const cli_doc *doc, const openmed_result *r) {
    int grouped = r->aggregation != OPENMED_AGGREGATION_NONE;
    if (doc) {
        om_strbuf_puts(out, "{\"id\": ");
        om_write_doc_id(out, doc);
        om_strbuf_puts(out, ", \"entities\": ");
    }
    om_strbuf_puts(out, "[");
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_entity *e = &r->entities[i];
        om_strbuf_puts(out, i ? ", {" : "{");
        om_strbuf_puts(out, grouped ? "\"entity_group\": " : "\"entity\": ");
        om_strbuf_json_string(out, e->label, strlen(e->label));
        om_strbuf_puts(out, ", \"score\": ");
        om_strbuf_float(out, e->score);
        if (!grouped) om_strbuf_printf(out, ", \"index\": %lld", (long long)e->index);
        om_strbuf_puts(out, ", \"word\": ");
        om_strbuf_json_string(out, e->word, strlen(e->word));
        om_strbuf_printf(out, ", \"start\": %lld, \"end\": %lld}", (long long)e->start, (long long)e->end);
    }
    if (!doc) {
        om_strbuf_puts(out, "]\n");
        return;
    }
    om_strbuf_puts(out, "]");
    om_write_doc_fields(out, doc);
    om_strbuf_puts(out, "}\n");
}

static void newline(om_strbuf *out, int indent, int level) {
    if (!indent) return;
    om_strbuf_puts(out, "\n");
    for (int i = 0; i < indent * level; i++) om_strbuf_puts(out, " ");
}

static void key(om_strbuf *out, int indent, int level, int first, const char *name) {
    if (!first) om_strbuf_puts(out, indent ? "," : ", ");
    newline(out, indent, level);
    om_strbuf_json_string(out, name, strlen(name));
    om_strbuf_puts(out, ": ");
}

openmed_status om_write_analysis_json(om_strbuf *out, const cli_doc *doc, const openmed_analysis *a,
                                      const om_result_info *info, int indent, openmed_error *err) {
    cli_text_index ix;
    openmed_status st = cli_text_index_init(&ix, doc->text, strlen(doc->text), "text", err);
    if (st != OPENMED_OK) return st;
    int first = 1;
    om_strbuf_puts(out, "{");
    if (doc->id) {
        key(out, indent, 1, 1, "id");
        om_write_doc_id(out, doc);
        first = 0;
    }
    key(out, indent, 1, first, "text");
    om_strbuf_json_string(out, doc->text, strlen(doc->text));
    key(out, indent, 1, 0, "entities");
    om_strbuf_puts(out, "[");
    for (size_t i = 0; i < a->n_entities; i++) {
        const openmed_text_entity *e = &a->entities[i];
        if (i) om_strbuf_puts(out, indent ? "," : ", ");
        newline(out, indent, 2);
        om_strbuf_puts(out, "{");
        key(out, indent, 3, 1, "text");
        om_strbuf_json_string(out, e->text, strlen(e->text));
        key(out, indent, 3, 0, "label");
        om_strbuf_json_string(out, e->label, strlen(e->label));
        key(out, indent, 3, 0, "confidence");
        om_strbuf_float(out, e->confidence);
        key(out, indent, 3, 0, "start");
        om_strbuf_printf(out, "%lld", (long long)e->start);
        key(out, indent, 3, 0, "end");
        om_strbuf_printf(out, "%lld", (long long)e->end);
        key(out, indent, 3, 0, "metadata");
        if (e->sentence >= 0 && (size_t)e->sentence < a->n_sentences) {
            const openmed_text_span *s = &a->sentences[e->sentence];
            size_t b0, blen;
            cli_text_slice(&ix, s->start, s->end, &b0, &blen);
            om_strbuf_printf(out, "{\"sentence_index\": %lld, \"sentence_text\": ", (long long)e->sentence);
            om_strbuf_json_string(out, doc->text + b0, blen);
            om_strbuf_printf(out, ", \"sentence_start\": %lld, \"sentence_end\": %lld}", (long long)s->start,
                             (long long)s->end);
        } else {
            om_strbuf_puts(out, "{}");
        }
        newline(out, indent, 2);
        om_strbuf_puts(out, "}");
    }
    if (a->n_entities) newline(out, indent, 1);
    om_strbuf_puts(out, "]");
    key(out, indent, 1, 0, "model_name");
    om_strbuf_json_string(out, info->model_name, strlen(info->model_name));
    key(out, indent, 1, 0, "timestamp");
    om_strbuf_json_string(out, info->timestamp, strlen(info->timestamp));
    key(out, indent, 1, 0, "processing_time");
    om_strbuf_printf(out, "%.6f", info->processing_time);
    key(out, indent, 1, 0, "metadata");
    om_strbuf_puts(out, "{");
    /* the input's own fields first; the engine's keys only where the input has none (OpenMed's
     * setdefault over the caller's metadata) */
    int n = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, doc->fields) {
        key(out, indent, 2, n++ == 0, f->string);
        json_value(out, f);
    }
#define META(name) (!cJSON_HasObjectItem(doc->fields, name) && (key(out, indent, 2, n++ == 0, name), 1))
    if (doc->source && META("source")) om_strbuf_json_string(out, doc->source, strlen(doc->source));
    if (doc->line && META("line")) om_strbuf_printf(out, "%zu", doc->line);
    if (META("sentence_detection")) om_strbuf_puts(out, a->sentence_detection ? "true" : "false");
    if (a->sentence_detection && META("sentence_count")) om_strbuf_printf(out, "%zu", a->n_sentences);
    if (a->sentence_detection && META("sentence_language")) om_strbuf_puts(out, "\"en\"");
    if (META("max_length")) om_strbuf_printf(out, "%lld", (long long)a->max_length);
    if (META("medical_tokenizer")) om_strbuf_puts(out, a->medical_tokens ? "true" : "false");
    if (META("aggregation_strategy")) {
        const char *agg = openmed_aggregation_name(info->aggregation);
        om_strbuf_json_string(out, agg, strlen(agg));
    }
    if (META("num_chunks")) om_strbuf_printf(out, "%zu", a->n_chunks);
    if (META("num_tokens")) om_strbuf_printf(out, "%lld", (long long)a->n_tokens);
    if (META("num_windows")) om_strbuf_printf(out, "%lld", (long long)a->n_windows);
    if (META("text_length")) om_strbuf_printf(out, "%lld", (long long)ix.n_cp);
#undef META
    newline(out, indent, 1);
    om_strbuf_puts(out, "}");
    newline(out, indent, 0);
    om_strbuf_puts(out, "}\n");
    cli_text_index_free(&ix);
    if (out->failed) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing JSON");
    return OPENMED_OK;
}
