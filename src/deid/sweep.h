/* sweep.h: the deterministic safety sweep: structured identifiers found by regular expressions
 * whatever the model says (e-mail, URL, SSN, MRN, US phone, numeric and month-name dates).
 * Patterns: EMAIL local@domain.tld; URL http(s):// or www.; SSN ddd-dd-dddd, ddd dd dddd or
 * "SSN: ddddddddd"; ID_NUM "MRN[:#\s]*" + 6-10 digits; PHONE US numbers with separators, optional
 * +1 and extension; DATE y-m-d, m/d/y (also - and .), "March 3, 2021", "3rd of March 2021", "Mar 2021". */
#ifndef OM_DEID_SWEEP_H
#define OM_DEID_SWEEP_H

#include "deid/spans.h"

/* Append the sweep's hits in `n` bytes of valid UTF-8 to `out` (label EMAIL, URL, SSN, ID_NUM,
 * PHONE or DATE, score 1, source OM_SPAN_SWEEP). Hits of different patterns may overlap; the merge
 * step joins them. */
openmed_status om_pii_sweep(const char *text, size_t n, om_span_list *out, openmed_error *err);

#endif
