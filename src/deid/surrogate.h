/* surrogate.h: fake values of the same kind as an identifier, for the replace and format_preserve
 * methods, keyed by HMAC-SHA256 so the same value gets the same fake under the same key. */
#ifndef OM_DEID_SURROGATE_H
#define OM_DEID_SURROGATE_H

#include <stddef.h>

#include "deid/keys.h"
#include "core/buf.h"

typedef struct om_surrogate_ctx {
    const om_key *key;
    int keep_year; /* dates keep their year */
    int day_first; /* ambiguous numeric dates of this document are day first */
} om_surrogate_ctx;

/* Append a surrogate for the `n`-byte (folded) value `v` labelled `label` to `out`. A pure function
 * of (key, kind, the value with case and white-space runs folded, attempt): `attempt` 1, 2, ... asks
 * for another one. By kind: names word by word (a first or last name from Faker's en_US lists,
 * seeded by the word alone, so "John Smith", "Smith" and "SMITH, John" stay one person; titles such
 * as "Dr." kept, initials replaced, the case of each word kept); streets, cities, organisations from
 * small lists; e-mails user<digits>@example.org; URLs under https://www.example.org/; dates as another
 * valid date in the same format (the year kept with keep_year); anything else has every digit and
 * letter of a token holding a digit replaced; a value with none of these becomes "[LABEL]".
 * Fails only if libcrypto fails. */
openmed_status om_pii_surrogate(const om_surrogate_ctx *ctx, const char *label, const char *v, size_t n,
                                unsigned attempt, om_buf *out, openmed_error *err);

/* Append a value of the same shape (format_preserve): dates as om_pii_surrogate; e-mail addresses
 * with each letter and digit replaced but '@', '.', and the top-level domain kept; URLs with their
 * scheme kept; numbers and codes with every digit and letter replaced (a card number of 13-19
 * digits keeps a valid Luhn check digit). Names, places, organisations and values with no digit get
 * "[LABEL]". Same keying as om_pii_surrogate. */
openmed_status om_pii_format_preserve(const om_surrogate_ctx *ctx, const char *label, const char *v, size_t n,
                                      unsigned attempt, om_buf *out, openmed_error *err);

#endif
