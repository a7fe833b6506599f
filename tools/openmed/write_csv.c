/* write_csv.c: entities as CSV rows (RFC 4180 quoting), OpenMed's row fields. */
#include <string.h>

#include "cli.h"
#include "text_slice.h"
#include "writers.h"

static void field(om_strbuf *out, const char *s, size_t n) {
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
    om_strbuf_puts(out, "text_index,text,label,confidence,start,end,model_name,processing_time\r\n");
}

openmed_status om_write_csv_rows(om_strbuf *out, size_t text_index, const char *text, const openmed_result *r,
                                 const om_result_info *info, openmed_error *err) {
    cli_text_index ix;
    openmed_status st = cli_text_index_init(&ix, text, strlen(text), "text", err);
    if (st != OPENMED_OK) return st;
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_entity *e = &r->entities[i];
        size_t b0, blen;
        cli_text_slice(&ix, e->start, e->end, &b0, &blen);
        char label[256];
        om_output_label(e->label, label, sizeof label);
        om_strbuf_printf(out, "%zu,", text_index);
        field(out, text + b0, blen);
        om_strbuf_puts(out, ",");
        field(out, label, strlen(label));
        om_strbuf_puts(out, ",");
        om_strbuf_float(out, e->score);
        om_strbuf_printf(out, ",%lld,%lld,", (long long)e->start, (long long)e->end);
        field(out, info->model_name, strlen(info->model_name));
        om_strbuf_printf(out, ",%.6f\r\n", info->processing_time);
    }
    cli_text_index_free(&ix);
    if (out->failed) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing CSV");
    return OPENMED_OK;
}
