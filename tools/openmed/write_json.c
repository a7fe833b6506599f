/* write_json.c: HF raw JSON lines and OpenMed's AnalyzeResult.to_dict() JSON. */
#include <string.h>

#include "cli.h"
#include "text_slice.h"
#include "writers.h"

void om_output_label(const char *label, char *out, size_t size) {
    size_t n = 0;
    for (const char *p = label; *p && n + 1 < size;) {
        if ((p[0] == 'B' || p[0] == 'I') && p[1] == '-') {
            p += 2;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

void om_write_raw(om_strbuf *out, const openmed_result *r) {
    int grouped = r->aggregation != OPENMED_AGGREGATION_NONE;
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
    om_strbuf_puts(out, "]\n");
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

openmed_status om_write_analyze_json(om_strbuf *out, const char *text, const openmed_result *r,
                                     const om_result_info *info, int indent, openmed_error *err) {
    cli_text_index ix;
    openmed_status st = cli_text_index_init(&ix, text, strlen(text), "text", err);
    if (st != OPENMED_OK) return st;
    om_strbuf_puts(out, "{");
    key(out, indent, 1, 1, "text");
    om_strbuf_json_string(out, text, strlen(text));
    key(out, indent, 1, 0, "entities");
    om_strbuf_puts(out, "[");
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_entity *e = &r->entities[i];
        if (i) om_strbuf_puts(out, indent ? "," : ", ");
        newline(out, indent, 2);
        om_strbuf_puts(out, "{");
        size_t b0, blen;
        cli_text_slice(&ix, e->start, e->end, &b0, &blen);
        key(out, indent, 3, 1, "text");
        om_strbuf_json_string(out, text + b0, blen);
        char label[256];
        om_output_label(e->label, label, sizeof label);
        key(out, indent, 3, 0, "label");
        om_strbuf_json_string(out, label, strlen(label));
        key(out, indent, 3, 0, "confidence");
        om_strbuf_float(out, e->score);
        key(out, indent, 3, 0, "start");
        om_strbuf_printf(out, "%lld", (long long)e->start);
        key(out, indent, 3, 0, "end");
        om_strbuf_printf(out, "%lld", (long long)e->end);
        key(out, indent, 3, 0, "metadata");
        om_strbuf_puts(out, "{}");
        newline(out, indent, 2);
        om_strbuf_puts(out, "}");
    }
    if (r->n_entities) newline(out, indent, 1);
    om_strbuf_puts(out, "]");
    key(out, indent, 1, 0, "model_name");
    om_strbuf_json_string(out, info->model_name, strlen(info->model_name));
    key(out, indent, 1, 0, "timestamp");
    om_strbuf_json_string(out, info->timestamp, strlen(info->timestamp));
    key(out, indent, 1, 0, "processing_time");
    om_strbuf_printf(out, "%.6f", info->processing_time);
    key(out, indent, 1, 0, "metadata");
    om_strbuf_puts(out, "{");
    key(out, indent, 2, 1, "aggregation_strategy");
    const char *agg = openmed_aggregation_name(r->aggregation);
    om_strbuf_json_string(out, agg, strlen(agg));
    key(out, indent, 2, 0, "stride");
    if (info->stride < 0) om_strbuf_puts(out, "null");
    else om_strbuf_printf(out, "%d", info->stride);
    key(out, indent, 2, 0, "num_tokens");
    om_strbuf_printf(out, "%lld", (long long)r->n_tokens);
    key(out, indent, 2, 0, "num_windows");
    om_strbuf_printf(out, "%lld", (long long)r->n_windows);
    key(out, indent, 2, 0, "text_length");
    om_strbuf_printf(out, "%lld", (long long)ix.n_cp);
    newline(out, indent, 1);
    om_strbuf_puts(out, "}");
    newline(out, indent, 0);
    om_strbuf_puts(out, "}\n");
    cli_text_index_free(&ix);
    if (out->failed) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing JSON");
    return OPENMED_OK;
}
