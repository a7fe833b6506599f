/* eval_metrics.h: strict entity-level scoring (an entity counts only when its start, end and
 * label all equal a gold entity's), overall (micro) and per label, as `openmed eval` reports. */
#ifndef OPENMED_CLI_EVAL_METRICS_H
#define OPENMED_CLI_EVAL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

/* One entity: [start, end) in code points and its label (compared case-insensitively, so a
 * corpus's "Disease" matches a model's "DISEASE"). */
typedef struct om_eval_span {
    int64_t start, end;
    const char *label;
} om_eval_span;

typedef struct om_eval_counts {
    char *label;            /* upper-cased label; "" for the overall counts */
    int64_t tp, fp, fn;
} om_eval_counts;

/* Running counts over many texts. */
typedef struct om_eval {
    om_eval_counts total;
    om_eval_counts *labels; /* sorted by label after om_eval_sort */
    size_t n_labels, capacity;
} om_eval;

void om_eval_init(om_eval *ev);
void om_eval_free(om_eval *ev);

/* Score one text: each predicted span equal to a not yet matched gold span is a true positive,
 * the other predictions false positives, the unmatched gold spans false negatives. */
openmed_status om_eval_add(om_eval *ev, const om_eval_span *gold, size_t n_gold,
                           const om_eval_span *pred, size_t n_pred, openmed_error *err);

/* Sort the per-label counts by label. */
void om_eval_sort(om_eval *ev);

/* Precision, recall and F1 of counts (0 where undefined). */
void om_eval_prf(const om_eval_counts *c, double *precision, double *recall, double *f1);

#endif
