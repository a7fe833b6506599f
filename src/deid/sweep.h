/* sweep.h: the deterministic safety sweep: structured identifiers found by regular expressions
 * whatever the model says (e-mail, URL, SSN, MRN, US phone, numeric and month-name dates). */
#ifndef OM_DEID_SWEEP_H
#define OM_DEID_SWEEP_H

#include "deid/spans.h"

/* Append the sweep's hits in `n` bytes of valid UTF-8 to `out` (label EMAIL, URL, SSN, ID_NUM,
 * PHONE or DATE, score 1, source OM_SPAN_SWEEP). Hits of different patterns may overlap; the merge
 * step joins them. */
openmed_status om_pii_sweep(const char *text, size_t n, om_span_list *out, openmed_error *err);

#endif
