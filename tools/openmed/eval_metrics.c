/* eval_metrics.c: strict entity-level precision, recall and F1, overall and per label. */
#include "eval_metrics.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void om_eval_init(om_eval *ev) {
    memset(ev, 0, sizeof *ev);
}

void om_eval_free(om_eval *ev) {
    for (size_t i = 0; i < ev->n_labels; i++) free(ev->labels[i].label);
    free(ev->labels);
    om_eval_init(ev);
}

static int label_equal(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return 0;
    return *a == *b;
}

/* The counts of a label, created (upper-cased) on first use; NULL when out of memory. */
static om_eval_counts *counts_for(om_eval *ev, const char *label) {
    for (size_t i = 0; i < ev->n_labels; i++)
        if (label_equal(ev->labels[i].label, label)) return &ev->labels[i];
    if (ev->n_labels == ev->capacity) {
        size_t cap = ev->capacity ? ev->capacity * 2 : 8;
        om_eval_counts *grown = realloc(ev->labels, cap * sizeof *grown);
        if (!grown) return NULL;
        ev->labels = grown;
        ev->capacity = cap;
    }
    char *copy = strdup(label);
    if (!copy) return NULL;
    for (char *p = copy; *p; p++) *p = (char)toupper((unsigned char)*p);
    om_eval_counts *c = &ev->labels[ev->n_labels++];
    memset(c, 0, sizeof *c);
    c->label = copy;
    return c;
}

static int same_span(const om_eval_span *a, const om_eval_span *b) {
    return a->start == b->start && a->end == b->end && label_equal(a->label, b->label);
}

openmed_status om_eval_add(om_eval *ev, const om_eval_span *gold, size_t n_gold,
                           const om_eval_span *pred, size_t n_pred, openmed_error *err) {
    unsigned char *used = calloc(n_gold ? n_gold : 1, 1);
    if (!used) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "eval: out of memory");
    openmed_status st = OPENMED_OK;
    for (size_t i = 0; i < n_pred; i++) {
        if (!pred[i].label) {
            st = cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "eval: predicted span %zu has no label", i);
            goto done;
        }
        om_eval_counts *c = counts_for(ev, pred[i].label);
        if (!c) {
            st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "eval: out of memory");
            goto done;
        }
        size_t j = 0;
        while (j < n_gold && (used[j] || !same_span(&gold[j], &pred[i]))) j++;
        if (j < n_gold) {
            used[j] = 1;
            c->tp++;
            ev->total.tp++;
        } else {
            c->fp++;
            ev->total.fp++;
        }
    }
    for (size_t j = 0; j < n_gold; j++) {
        if (!gold[j].label) {
            st = cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "eval: gold span %zu has no label", j);
            goto done;
        }
        om_eval_counts *c = counts_for(ev, gold[j].label);
        if (!c) {
            st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "eval: out of memory");
            goto done;
        }
        if (!used[j]) {
            c->fn++;
            ev->total.fn++;
        }
    }
done:
    free(used);
    return st;
}

static int by_label(const void *a, const void *b) {
    return strcmp(((const om_eval_counts *)a)->label, ((const om_eval_counts *)b)->label);
}

void om_eval_sort(om_eval *ev) {
    if (ev->n_labels > 1) qsort(ev->labels, ev->n_labels, sizeof *ev->labels, by_label);
}

void om_eval_prf(const om_eval_counts *c, double *precision, double *recall, double *f1) {
    double p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0.0;
    double r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 0.0;
    if (precision) *precision = p;
    if (recall) *recall = r;
    if (f1) *f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
