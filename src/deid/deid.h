/* deid.h: PII extraction and de-identification from a list of model entities, the seam between
 * the model (extract.c) and everything after it; tests call it with hand-made entities. */
#ifndef OM_DEID_DEID_H
#define OM_DEID_DEID_H

#include "openmed.h"

/* Check options (method, threshold in [0, 1]); `what` names the caller in the message. */
openmed_status om_deid_check_options(const openmed_deid_options *options, const char *what, openmed_error *err);

#define OM_MAX_DATE_SHIFT 36500 /* days, about a century */

/* The shift_dates offset in days, never 0: date_shift_days if set; else from date_shift_seed as
 * OpenMed (sha256("openmed-date-shift-seed-v1\0" + seed) as a big-endian integer, modulo 730,
 * mapped to [-365, -1] or [1, 365]); else the same mapping of random bytes. */
openmed_status om_deid_date_shift(const openmed_deid_options *options, int *days, openmed_error *err);

/* Check that `len` bytes of `text` are UTF-8 without NUL bytes, naming the byte at fault. */
openmed_status om_deid_check_text(const char *text, size_t len, openmed_error *err);

/* The result of openmed_pii_extract (redact 0) or openmed_deidentify (redact 1) for `text`, given
 * the model's entities over it (code-point offsets, any order, NULL/0 for none; labels as the
 * pipeline's "simple" aggregation gives them). Applies the threshold, word widening, the sweep
 * (options->safety_sweep), the merge and the overlap resolution, then the method. */
openmed_status om_deid_from_entities(const char *text, size_t len, const openmed_entity *entities, size_t n_entities,
                                     const openmed_deid_options *options, int redact, openmed_deid_result **out,
                                     openmed_error *err);

#endif
