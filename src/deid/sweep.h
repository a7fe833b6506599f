/* sweep.h: the deterministic safety sweep: structured identifiers found by regular expressions
 * whatever the model says (SSN, MRN, numeric and month-name dates; e-mail, URLs, cards, IBANs,
 * phones, labelled values and addresses are the other detectors of detector.h).
 * Patterns: SSN ddd-dd-dddd, ddd dd dddd or "SSN: ddddddddd"; ID_NUM "MRN[:#\s]*" + 6-10 digits;
 * DATE y-m-d, m/d/y (also - and .),
 * "March 3, 2021", "the 3rd of March 2021", "Mar 2021", "may 20, 1995", "12-apr-1937". */
#ifndef OM_DEID_SWEEP_H
#define OM_DEID_SWEEP_H

#include "deid/spans.h"

/* Append the sweep's hits in `n` bytes of valid UTF-8 to `out` (label SSN, ID_NUM or DATE,
 * score 1; om_detect_all adds the source OM_SRC_SWEEP). Hits of different patterns may overlap;
 * the merge step joins them. */
openmed_status om_pii_sweep(const char *text, size_t n, om_span_list *out, openmed_error *err);

#endif
