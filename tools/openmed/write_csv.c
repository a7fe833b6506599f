/* write_csv.c: entities as CSV rows (RFC 4180 quoting), each naming its document. */
#include <string.h>

#include "writers.h"

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

void om_write_csv_header(om_strbuf *out) {
    om_strbuf_puts(out, "id,text,label,confidence,start,end,sentence_index,model_name,timestamp,processing_time\r\n");
}

void om_write_csv_rows(om_strbuf *out, const cli_doc *doc, const openmed_analysis *a, const om_result_info *info) {
    for (size_t i = 0; i < a->n_entities; i++) {
        const openmed_text_entity *e = &a->entities[i];
        om_csv_field(out, doc->id, strlen(doc->id));
        om_strbuf_puts(out, ",");
        om_csv_field(out, e->text, strlen(e->text));
        om_strbuf_puts(out, ",");
        om_csv_field(out, e->label, strlen(e->label));
        om_strbuf_puts(out, ",");
        om_strbuf_float(out, e->confidence);
        om_strbuf_printf(out, ",%lld,%lld,", (long long)e->start, (long long)e->end);
        if (e->sentence >= 0) om_strbuf_printf(out, "%lld", (long long)e->sentence);
        om_strbuf_puts(out, ",");
        om_csv_field(out, info->model_name, strlen(info->model_name));
        om_strbuf_puts(out, ",");
        om_csv_field(out, info->timestamp, strlen(info->timestamp));
        om_strbuf_printf(out, ",%.6f\r\n", info->processing_time);
    }
}
