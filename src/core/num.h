/* num.h: strict number parsing for configuration values, names and headers: the whole string must
 * be the number (no spaces, no trailing characters), within bounds. */
#ifndef OM_CORE_NUM_H
#define OM_CORE_NUM_H

#include <stdint.h>

/* A decimal integer with an optional sign, in [min, max]; 1 on success, 0 otherwise (*out untouched). */
int om_parse_int(const char *s, long long min, long long max, long long *out);

/* An unsigned decimal integer (digits only); 1 on success. */
int om_parse_u64(const char *s, uint64_t *out);

/* A finite floating-point number (strtod syntax); 1 on success. */
int om_parse_double(const char *s, double *out);

#endif
