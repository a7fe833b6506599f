/* write_html.c: an HTML page highlighting entities in their text, like OpenMed's html output. */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "text_slice.h"
#include "writers.h"

static void escaped(om_strbuf *out, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '&': esc = "&amp;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&#x27;"; break;
        }
        if (esc) {
            om_strbuf_put(out, s + i - run, run);
            run = 0;
            om_strbuf_puts(out, esc);
        } else {
            run++;
        }
    }
    om_strbuf_put(out, s + n - run, run);
}

/* A stable light colour per label. */
static const char *label_color(const char *label) {
    static const char *const palette[] = {"#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff",
                                          "#fdffb6", "#a0c4ff", "#ffadad", "#d0f4de", "#e4c1f9"};
    uint32_t h = 2166136261u;
    for (const char *p = label; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return palette[h % (sizeof palette / sizeof palette[0])];
}

/* Label as a CSS class fragment: letters, digits, '-' and '_' kept, the rest '_'. */
static void css_class(om_strbuf *out, const char *label) {
    for (const char *p = label; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        om_strbuf_put(out, ok ? &c : "_", 1);
    }
}

void om_write_html_begin(om_strbuf *out) {
    om_strbuf_puts(out,
                   "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>OpenMed entities</title>\n"
                   "<style>\n.openmed-result { font-family: sans-serif; margin: 1em 0; }\n"
                   ".openmed-text { white-space: pre-wrap; line-height: 1.8; }\n"
                   ".entity { padding: 0.1em 0.25em; border-radius: 0.25em; }\n"
                   ".entity-label { font-size: 0.7em; font-weight: bold; margin-left: 0.3em; }\n"
                   "</style>\n</head>\n<body>\n");
}

void om_write_html_end(om_strbuf *out) {
    om_strbuf_puts(out, "</body>\n</html>\n");
}

openmed_status om_write_html_result(om_strbuf *out, const char *text, const openmed_result *r,
                                    const om_result_info *info, openmed_error *err) {
    cli_text_index ix;
    openmed_status st = cli_text_index_init(&ix, text, strlen(text), "text", err);
    if (st != OPENMED_OK) return st;
    om_strbuf_puts(out, "<div class=\"openmed-result\">\n<div class=\"openmed-text\">");
    int64_t pos = 0; /* code points written so far */
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_entity *e = &r->entities[i];
        if (e->start < pos || e->end <= e->start) continue; /* overlapping or empty: listed below only */
        size_t b0, blen;
        cli_text_slice(&ix, pos, e->start, &b0, &blen);
        escaped(out, text + b0, blen);
        char label[256];
        om_output_label(e->label, label, sizeof label);
        om_strbuf_puts(out, "<span class=\"entity entity-");
        css_class(out, label);
        om_strbuf_printf(out, "\" style=\"background-color: %s\" title=\"Label: ", label_color(label));
        escaped(out, label, strlen(label));
        om_strbuf_printf(out, ", Confidence: %.3f\">", (double)e->score);
        cli_text_slice(&ix, e->start, e->end, &b0, &blen);
        escaped(out, text + b0, blen);
        om_strbuf_puts(out, "<span class=\"entity-label\">");
        escaped(out, label, strlen(label));
        om_strbuf_puts(out, "</span></span>");
        pos = e->end;
    }
    size_t b0, blen;
    cli_text_slice(&ix, pos, ix.n_cp, &b0, &blen);
    escaped(out, text + b0, blen);
    om_strbuf_printf(out, "</div>\n<p class=\"openmed-summary\">%zu entities; model ", r->n_entities);
    escaped(out, info->model_name, strlen(info->model_name));
    om_strbuf_printf(out, "; %.3f s</p>\n<ul>\n", info->processing_time);
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_entity *e = &r->entities[i];
        char label[256];
        om_output_label(e->label, label, sizeof label);
        cli_text_slice(&ix, e->start, e->end, &b0, &blen);
        om_strbuf_puts(out, "<li><b>");
        escaped(out, label, strlen(label));
        om_strbuf_puts(out, "</b>: ");
        escaped(out, text + b0, blen);
        om_strbuf_printf(out, " [%lld, %lld) %.3f</li>\n", (long long)e->start, (long long)e->end, (double)e->score);
    }
    om_strbuf_puts(out, "</ul>\n</div>\n");
    cli_text_index_free(&ix);
    if (out->failed) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing HTML");
    return OPENMED_OK;
}
