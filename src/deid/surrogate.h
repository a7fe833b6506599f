/* surrogate.h: fake values of the same kind as an identifier, for the "replace" method. */
#ifndef OM_DEID_SURROGATE_H
#define OM_DEID_SURROGATE_H

#include <stddef.h>

#include "core/buf.h"

/* Append a surrogate for the `n`-byte value `original` labelled `label` to `out`. It is a pure
 * function of (label, original, attempt): seeded by sha256("LABEL|original") (attempt 0) or
 * sha256("LABEL|original|attempt"), so a value maps to the same surrogate in every document, and a
 * caller can ask for another one (attempt 1, 2, ...) when it clashes. By kind (from the label):
 * names, cities, organisations and streets from small built-in lists, e-mails user<digits>@example.org,
 * URLs under https://www.example.org/, dates as another valid date in the same format; anything
 * else has every digit and every letter of a token holding a digit replaced by another of its class
 * (punctuation and plain words kept); a value with none of these becomes "[LABEL]". A surrogate
 * never equals the original. */
void om_pii_surrogate(const char *label, const char *original, size_t n, unsigned attempt, om_buf *out);

#endif
