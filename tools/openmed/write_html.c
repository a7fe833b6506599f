/* write_html.c: one readable HTML page of highlighted documents: the model, a legend of labels with
 * counts, and each document's text as written with its entities marked. Self-contained (inline
 * CSS, no script), so it opens from disk and prints. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text_slice.h"
#include "writers.h"

/* Light, distinguishable backgrounds; a label's colour is its place in the legend. */
static const char *const palette[] = {"#ffd6a5", "#a0c4ff", "#caffbf", "#ffadad", "#bdb2ff", "#fdffb6",
                                      "#9bf6ff", "#ffc6ff", "#d0f4de", "#e4c1f9", "#f1c0a8", "#b8e0d2"};
#define N_COLOURS (sizeof palette / sizeof palette[0])

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

static void escaped_str(om_strbuf *out, const char *s) { escaped(out, s, strlen(s)); }

void om_html_page_init(om_html_page *p) {
    memset(p, 0, sizeof *p);
    om_strbuf_init(&p->body);
}

void om_html_page_free(om_html_page *p) {
    for (size_t i = 0; i < p->n_labels; i++) free(p->labels[i]);
    free(p->labels);
    free(p->counts);
    om_strbuf_free(&p->body);
    memset(p, 0, sizeof *p);
}

/* The legend index of a label, added on first sight; -1 when out of memory. */
static long label_slot(om_html_page *p, const char *label) {
    for (size_t i = 0; i < p->n_labels; i++)
        if (!strcmp(p->labels[i], label)) return (long)i;
    char **l = realloc(p->labels, (p->n_labels + 1) * sizeof *l);
    if (!l) return -1;
    p->labels = l;
    size_t *c = realloc(p->counts, (p->n_labels + 1) * sizeof *c);
    if (!c) return -1;
    p->counts = c;
    if (!(p->labels[p->n_labels] = strdup(label))) return -1;
    p->counts[p->n_labels] = 0;
    return (long)p->n_labels++;
}

openmed_status om_html_page_add(om_html_page *p, const cli_doc *doc, const openmed_analysis *a, openmed_error *err) {
    cli_text_index ix;
    openmed_status st = cli_text_index_init(&ix, doc->text, strlen(doc->text), doc->id, err);
    if (st != OPENMED_OK) return st;
    om_strbuf *out = &p->body;
    p->n_docs++;
    om_strbuf_printf(out, "<section class=\"doc\" id=\"doc-%zu\">\n<h2>", p->n_docs);
    escaped_str(out, doc->id);
    om_strbuf_printf(out, "</h2>\n<p class=\"meta\">%zu %s", a->n_entities, a->n_entities == 1 ? "entity" : "entities");
    if (a->sentence_detection) om_strbuf_printf(out, " &middot; %zu sentences", a->n_sentences);
    om_strbuf_printf(out, " &middot; %lld characters</p>\n", (long long)ix.n_cp);
    if (cJSON_GetArraySize(doc->fields) > 0) { /* the input's other fields, as the input gave them */
        om_strbuf_puts(out, "<dl class=\"fields\">");
        const cJSON *f;
        cJSON_ArrayForEach(f, doc->fields) {
            om_strbuf_puts(out, "<dt>");
            escaped_str(out, f->string);
            om_strbuf_puts(out, "</dt><dd>");
            char *json = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
            if (cJSON_IsString(f)) escaped_str(out, f->valuestring);
            else if (json) escaped_str(out, json);
            else out->failed = 1;
            cJSON_free(json);
            om_strbuf_puts(out, "</dd>");
        }
        om_strbuf_puts(out, "</dl>\n");
    }
    om_strbuf_puts(out, "<div class=\"text\">");
    int64_t pos = 0;
    for (size_t i = 0; i < a->n_entities; i++) {
        const openmed_text_entity *e = &a->entities[i];
        if (e->start < pos || e->end <= e->start) continue; /* analyses never overlap; be safe */
        long slot = label_slot(p, e->label);
        if (slot < 0) {
            cli_text_index_free(&ix);
            return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing HTML");
        }
        p->counts[slot]++;
        p->n_entities++;
        size_t b0, blen;
        cli_text_slice(&ix, pos, e->start, &b0, &blen);
        escaped(out, doc->text + b0, blen);
        om_strbuf_printf(out, "<mark class=\"c%zu\" title=\"", (size_t)slot % N_COLOURS);
        escaped_str(out, e->label);
        om_strbuf_printf(out, " %.3f\">", (double)e->confidence);
        cli_text_slice(&ix, e->start, e->end, &b0, &blen);
        escaped(out, doc->text + b0, blen);
        om_strbuf_puts(out, "<span class=\"tag\">");
        escaped_str(out, e->label);
        om_strbuf_puts(out, "</span></mark>");
        pos = e->end;
    }
    size_t b0, blen;
    cli_text_slice(&ix, pos, ix.n_cp, &b0, &blen);
    escaped(out, doc->text + b0, blen);
    om_strbuf_puts(out, "</div>\n</section>\n");
    cli_text_index_free(&ix);
    if (out->failed) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory writing HTML");
    return OPENMED_OK;
}

void om_html_page_write(const om_html_page *p, const om_result_info *info, om_strbuf *out) {
    om_strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    if (p->n_docs == 1 && p->body.len) {
        /* the one document's id names the page */
        const char *h = strstr(p->body.data, "<h2>"), *e = h ? strstr(h, "</h2>") : NULL;
        if (h && e) om_strbuf_put(out, h + 4, (size_t)(e - h - 4));
        om_strbuf_puts(out, " &middot; ");
    }
    om_strbuf_puts(out, "OpenMed entities</title>\n<style>\n"
                        "body { font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif; margin: 0;"
                        " background: #f4f5f7; color: #1f2933; }\n"
                        "header { background: #fff; border-bottom: 1px solid #d9dde3; padding: 1rem 2rem; }\n"
                        "h1 { font-size: 1.3rem; margin: 0 0 .3rem; }\n"
                        ".meta { color: #52606d; font-size: .9rem; margin: 0 0 .6rem; }\n"
                        ".legend { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; margin: 0;"
                        " padding: 0; }\n"
                        ".legend li { font-size: .85rem; padding: .2rem .6rem; border-radius: .3rem; }\n"
                        ".legend b { margin-left: .4rem; }\n"
                        "main { max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; }\n"
                        ".doc { background: #fff; border: 1px solid #d9dde3; border-radius: .5rem;"
                        " padding: 1rem 1.6rem; margin-bottom: 1.5rem; }\n"
                        ".doc h2 { font-size: 1.05rem; margin: 0 0 .2rem; word-break: break-all; }\n"
                        ".fields { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;"
                        " font-size: .85rem; color: #52606d; margin: 0 0 .6rem; }\n"
                        ".fields dt { font-weight: 600; }\n.fields dd { margin: 0; overflow-wrap: anywhere; }\n"
                        ".text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.85;"
                        " font-size: 1rem; }\n"
                        "mark { color: inherit; border-radius: .25rem; padding: .05rem .2rem; }\n"
                        "mark .tag { font-size: .6rem; font-weight: 700; letter-spacing: .03em; margin-left: .3rem;"
                        " vertical-align: .12rem; opacity: .7; }\n");
    for (size_t i = 0; i < N_COLOURS; i++) om_strbuf_printf(out, ".c%zu { background: %s; }\n", i, palette[i]);
    om_strbuf_puts(out, "</style>\n</head>\n<body>\n<header>\n<h1>OpenMed entities</h1>\n<p class=\"meta\">Model <b>");
    escaped_str(out, info->model_name);
    om_strbuf_printf(out, "</b> &middot; %zu %s &middot; %zu %s &middot; ", p->n_docs,
                     p->n_docs == 1 ? "document" : "documents", p->n_entities, p->n_entities == 1 ? "entity" : "entities");
    escaped_str(out, info->timestamp);
    om_strbuf_puts(out, "</p>\n<ul class=\"legend\">\n");
    for (size_t i = 0; i < p->n_labels; i++) {
        om_strbuf_printf(out, "<li class=\"c%zu\">", i % N_COLOURS);
        escaped_str(out, p->labels[i]);
        om_strbuf_printf(out, "<b>%zu</b></li>\n", p->counts[i]);
    }
    if (!p->n_labels) om_strbuf_puts(out, "<li>no entities found</li>\n");
    om_strbuf_puts(out, "</ul>\n</header>\n<main>\n");
    if (p->body.len) om_strbuf_put(out, p->body.data, p->body.len);
    om_strbuf_puts(out, "</main>\n</body>\n</html>\n");
}
