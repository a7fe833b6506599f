/* suggest.h: "did you mean" for mistyped model names, from the registry, offline
 * (defines: openmed_registry_suggest in openmed.h, om_suggest_limit, om_suggest_format). */
#ifndef OM_HUB_SUGGEST_H
#define OM_HUB_SUGGEST_H

#include <stddef.h>

#include "openmed.h"

/* The largest edit distance that still counts as a typo of a name of `name_len` bytes. */
size_t om_suggest_limit(size_t name_len);

/* Up to three suggestions for `name` as "a, b, c" in out; returns how many (0: none, out ""). */
size_t om_suggest_format(const char *name, char *out, size_t size);

#endif
